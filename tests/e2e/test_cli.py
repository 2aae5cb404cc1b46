"""The CLI end to end, as a subprocess, against moto_server on 127.0.0.1 (`--endpoint-url`)."""

from __future__ import annotations

import csv
import json
from collections import Counter

from auditor.checks import CHECKS
from auditor.snapshot import load
from tests.e2e.conftest import base_env

REGIONS = "us-east-1,eu-west-1"


def test_scan_writes_every_file_and_exits_by_fail_on(server, tmp_path):
    out = tmp_path / "out"
    result = server.run(
        "scan", "--endpoint-url", server.url, "--region", REGIONS, "--out", str(out), "--fail-on", "critical"
    )
    assert result.returncode == 1, result.stderr  # the demo world has a critical finding
    names = {p.name for p in out.iterdir()}
    assert names == {
        "report.html",
        "findings.json",
        "snapshot.json",
        "findings.csv",
        "accounts.csv",
        "capacity_instances.csv",
        "capacity_subnets.csv",
        "capacity_zones.csv",
    }
    doc = json.loads((out / "findings.json").read_text())
    assert doc["schema"] == "ecs-net-audit/findings/v1"
    assert doc["scope"]["regions"] == ["us-east-1", "eu-west-1"]
    assert doc["scope"]["accounts"] == ["123456789012"]
    assert doc["scope"]["clusters"] == ["batch", "eu-app", "prod-web", "shop", "win-apps"]
    assert all(c["status"] == "ok" for c in doc["coverage"])
    assert sum(doc["summary"].values()) == len(doc["findings"])
    checks = {f["check"] for f in doc["findings"]}
    assert checks == {c.id for c in CHECKS}
    # the findings the world was built to show
    ids = server.world.ids
    by_resource = {(f["check"], f["resource_id"]): f for f in doc["findings"]}
    assert by_resource[("eni-headroom", ids["i_pre_optin"])]["severity"] == "high"
    assert by_resource[("eni-trunking", ids["i_pre_optin"])]["severity"] == "high"
    assert by_resource[("eni-trunking", ids["i_t3"])]["severity"] == "low"
    assert by_resource[("eni-trunking", ids["i_eu_full"])]["detail"]["capacity_with_trunk"] == 20
    assert by_resource[("subnet-ip-exhaustion", ids["subnet_tight"])]["detail"]["projected_free"] == -2
    assert by_resource[("wide-port-range", ids["sg_hosts_open"])]["severity"] == "critical"
    assert by_resource[("wide-port-range", ids["sg_hosts_alb"])]["severity"] == "info"
    # … and the ones it must stay quiet on
    assert ("eni-headroom", ids["i_trunked"]) not in by_resource
    assert ("eni-trunking", ids["i_trunked"]) not in by_resource
    assert ("subnet-ip-exhaustion", ids["subnet_a"]) not in by_resource
    assert ("wide-port-range", ids["sg_tasks"]) not in by_resource
    rows = {r["instance_id"]: r for r in csv.DictReader((out / "capacity_instances.csv").open())}
    assert rows[ids["i_trunked"]]["eni_task_capacity"] == "10" and rows[ids["i_trunked"]]["trunking"] == "on"
    assert "wrote" in result.stdout


def test_fail_on_absent_exits_zero_and_report_reanalyses_offline(server, tmp_path):
    first = tmp_path / "scan"
    assert (
        server.run(
            "scan", "--endpoint-url", server.url, "--region", REGIONS, "--out", str(first), "--quiet"
        ).returncode
        == 0
    )
    second = tmp_path / "report"
    env = base_env()
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # would fail loudly if `report` called AWS
    result = server.run(
        "report", str(first / "snapshot.json"), "--out", str(second), "--format", "json", env=env
    )
    assert result.returncode == 0, result.stderr
    assert {p.name for p in second.iterdir()} == {"findings.json", "snapshot.json"}
    a = json.loads((first / "findings.json").read_text())
    b = json.loads((second / "findings.json").read_text())
    assert [f["id"] for f in a["findings"]] == [f["id"] for f in b["findings"]]
    assert a["capacity"] == b["capacity"]
    assert load(second / "snapshot.json") == load(first / "snapshot.json")


def test_scan_matches_the_embedded_demo(server, tmp_path):
    scan = tmp_path / "scan"
    demo = tmp_path / "demo"
    server.run(
        "scan", "--endpoint-url", server.url, "--region", REGIONS, "--out", str(scan), "--format", "json"
    )
    result = server.run("demo", "--out", str(demo), "--format", "json")
    assert result.returncode == 0, result.stderr

    def shape(path):
        doc = json.loads((path / "findings.json").read_text())
        return Counter((f["check"], f["severity"], f["resource_type"]) for f in doc["findings"])

    assert shape(scan) == shape(demo)


def test_cluster_filter(server, tmp_path):
    out = tmp_path / "out"
    server.run(
        "scan",
        "--endpoint-url",
        server.url,
        "--region",
        REGIONS,
        "--cluster",
        "eu-app",
        "--out",
        str(out),
        "--format",
        "json",
    )
    doc = json.loads((out / "findings.json").read_text())
    assert doc["scope"]["clusters"] == ["eu-app"]
    assert {f["region"] for f in doc["findings"]} == {"eu-west-1"}


def test_bad_config_exits_2_with_one_line_and_writes_nothing(server, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[thresholds]\neni_utilisation = 0.9\n")
    out = tmp_path / "out"
    result = server.run("scan", "--endpoint-url", server.url, "--config", str(config), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "unknown key 'eni_utilisation'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_usage_exits_2(server, tmp_path):
    for args in (
        ["scan", "--format", "pdf"],
        ["scan", "--region", "moon-1"],
        ["report"],
        ["report", str(tmp_path / "missing.json")],
        ["frobnicate"],
    ):
        result = (
            server.run(*args, "--out", str(tmp_path / "x")) if args[0] != "frobnicate" else server.run(*args)
        )
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_no_credentials_exits_3(server, tmp_path):
    env = base_env()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key)
    result = server.run(
        "scan", "--endpoint-url", server.url, "--region", "us-east-1", "--out", str(tmp_path / "o"), env=env
    )
    assert result.returncode == 3
    assert "no AWS credentials" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_unreachable_endpoint_exits_3(tmp_path, server):
    config = tmp_path / "c.toml"
    config.write_text("[scan]\nmax_attempts = 1\n")
    from tests.e2e.conftest import free_port

    result = server.run(
        "scan",
        "--endpoint-url",
        f"http://127.0.0.1:{free_port()}",
        "--region",
        "us-east-1",
        "--config",
        str(config),
        "--out",
        str(tmp_path / "o"),
    )
    assert result.returncode == 3
    assert "endpoint" in result.stderr.lower() and "Traceback" not in result.stderr


def test_policy_prints_read_only_actions(server):
    result = server.run("policy")
    assert result.returncode == 0
    policy = json.loads(result.stdout)
    actions = policy["Statement"][0]["Action"]
    assert actions == sorted(actions)
    # reads only; sts:AssumeRole (into member accounts with --org/--account) is no write either
    assert all(
        a.split(":")[1].startswith(("Describe", "List", "Get")) for a in actions if a != "sts:AssumeRole"
    )
    assert "ecs:DescribeTasks" in actions and "servicequotas:GetServiceQuota" in actions


def test_baseline_and_markdown_through_the_cli(server, tmp_path):
    first = tmp_path / "first"
    server.run("demo", "--out", str(first), "--format", "json")
    second = tmp_path / "second"
    result = server.run(
        "report",
        str(first / "snapshot.json"),
        "--out",
        str(second),
        "--format",
        "json,md,html",
        "--baseline",
        str(first / "findings.json"),
    )
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 resolved" in result.stdout
    assert {p.name for p in second.iterdir()} == {
        "findings.json",
        "snapshot.json",
        "summary.md",
        "report.html",
    }
    assert all(
        f["change"] == "unchanged" for f in json.loads((second / "findings.json").read_text())["findings"]
    )
    bad = server.run(
        "report",
        str(first / "snapshot.json"),
        "--out",
        str(tmp_path / "x"),
        "--baseline",
        str(first / "snapshot.json"),
    )
    assert bad.returncode == 2 and "not an ecs-net-audit findings.json" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_summary_line_on_stderr_and_quiet_silences_it(server, tmp_path):
    loud = server.run(
        "scan",
        "--endpoint-url",
        server.url,
        "--region",
        REGIONS,
        "--out",
        str(tmp_path / "a"),
        "--format",
        "json",
    )
    assert loud.returncode == 0
    summary = [line for line in loud.stderr.splitlines() if line.startswith("collected 2 regions in")]
    assert len(summary) == 1 and " calls, 0 retries" in summary[0]
    assert "\r" not in loud.stderr  # not a terminal: no live line
    quiet = server.run(
        "scan",
        "--endpoint-url",
        server.url,
        "--region",
        REGIONS,
        "--out",
        str(tmp_path / "b"),
        "--format",
        "json",
        "--quiet",
    )
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""
