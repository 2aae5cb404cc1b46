"""Black-box contract tests, written from the output contract (as docs/OUTPUT.md documents it) alone,
by a tester who had not read the implementation.

The CLI runs as a subprocess (`python -m auditor ...`); nothing under `auditor/` is imported except
through the CLI. One module-scoped bundle runs every command once, concurrently where the commands
are independent (the demo, scans against a moto server this module starts, reports on the demo's
snapshot, a trend over hand-made runs), and the tests only read what those runs wrote.

The 17 violations this suite first found (run_id, stale files, --out checks, input bounds,
duplicates, unknown clusters, the version-2 files and flags) are fixed; a new one belongs here as a
failing test, never as a skip.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"

SEVERITIES = ["critical", "high", "medium", "low", "info"]
V1_CHECKS = {
    "eni-headroom",
    "eni-trunking",
    "subnet-ip-exhaustion",
    "wide-port-range",
    "static-port-conflict",
    "network-mode",
    "public-ip",
    "egress-path",
    "lb-target-type",
    "orphan-eni",
    "eni-quota",
}
V2_CHECKS = {"az-spread", "vpc-dns", "instance-registration"}


def documented_extension_checks() -> set[str]:
    """Check ids the project documents as extensions of the contract (a row of docs/OUTPUT.md's check
    tables marked *an extension*): the contract welcomes them, so they are allowed next to its own ids."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "OUTPUT.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|[^|]*\| \*an extension", docs, flags=re.M))


RESOURCE_TYPES = {
    "container-instance",
    "service",
    "task-definition",
    "subnet",
    "security-group",
    "network-interface",
    "cluster",
    "target-group",
    "region",
    "vpc",
    "capacity-provider",
}
COVERAGE_STATUSES = {"ok", "denied", "error", "skipped"}
SOURCE_KINDS = {
    "internet",
    "public-cidr",
    "private-cidr",
    "vpc-cidr",
    "security-group",
    "load-balancer-sg",
    "self",
    "prefix-list",
}
DETAIL_KEYS = {
    ("eni-headroom", "container-instance"): {
        "instance_type",
        "trunking",
        "eni_task_capacity",
        "awsvpc_tasks",
        "extra_enis",
        "headroom",
    },
    ("eni-headroom", "service"): {"peak_tasks", "cluster_headroom", "shortfall"},
    "eni-trunking": {
        "setting",
        "instance_type",
        "type_supports_trunking",
        "trunk_attached",
        "capacity_without_trunk",
        "capacity_with_trunk",
    },
    "subnet-ip-exhaustion": {"cidr", "usable", "available", "ecs_ips", "projected_demand", "projected_free"},
    "wide-port-range": {
        "group_id",
        "protocol",
        "from_port",
        "to_port",
        "port_count",
        "source",
        "source_kind",
        "overlaps_ephemeral",
        "attached_to",
    },
    "static-port-conflict": {
        "network_mode",
        "host_ports",
        "desired_count",
        "peak_tasks",
        "eligible_instances",
        "conflicting_services",
    },
    "network-mode": {"network_mode", "services", "runs_as_root"},
    "public-ip": {"subnets", "security_groups"},
    "egress-path": {"subnet_id", "route", "assign_public_ip", "missing_endpoints"},
    "lb-target-type": {"network_mode", "target_group", "target_type", "expected_target_type"},
    "orphan-eni": {"subnet_id", "private_ips", "description", "interface_type"},
    "eni-quota": {"enis_in_use", "quota", "utilization"},
    "az-spread": {"subnet_zones", "task_zones", "running_tasks"},
    "vpc-dns": {"enable_dns_support", "enable_dns_hostnames", "private_dns_endpoints"},
    "instance-registration": {"status", "status_reason"},
}
NUMERIC_DETAIL_KEYS = {
    "eni_task_capacity",
    "awsvpc_tasks",
    "extra_enis",
    "headroom",
    "peak_tasks",
    "cluster_headroom",
    "shortfall",
    "capacity_without_trunk",
    "capacity_with_trunk",
    "usable",
    "available",
    "ecs_ips",
    "projected_demand",
    "projected_free",
    "from_port",
    "to_port",
    "port_count",
    "desired_count",
    "eligible_instances",
    "enis_in_use",
    "quota",
    "utilization",
}
INSTANCE_ROW = [
    "account",
    "region",
    "cluster",
    "container_instance_arn",
    "instance_id",
    "instance_type",
    "max_enis",
    "trunking",
    "eni_task_capacity",
    "awsvpc_tasks",
    "extra_enis",
    "headroom",
]
SUBNET_ROW = [
    "account",
    "region",
    "subnet_id",
    "vpc_id",
    "availability_zone",
    "cidr",
    "usable",
    "available",
    "ecs_ips",
    "projected_demand",
    "projected_free",
]
ASFF_LABEL = {
    "critical": "CRITICAL",
    "high": "HIGH",
    "medium": "MEDIUM",
    "low": "LOW",
    "info": "INFORMATIONAL",
}
OCSF_SEVERITY = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ALL_FORMATS = "html,json,csv,asff,ocsf"


# --------------------------------------------------------------------------- helpers


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def cli(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *map(str, args)],
        capture_output=True,
        text=True,
        env=env or clean_env(),
        cwd=ROOT,
        timeout=240,
    )


def load(path: Path) -> object:
    return json.loads(path.read_text())


def one_line_error(proc: subprocess.CompletedProcess[str]) -> bool:
    err = proc.stderr.strip()
    return bool(err) and "\n" not in err and "Traceback" not in proc.stderr


def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_small_world(url: str) -> dict[str, str]:
    """One VPC, one /28 subnet, one wide-open group, one c5.large container instance in cluster
    `tiny`, and one awsvpc EC2 service (desired 3, default deployment configuration)."""
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=url)
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=url)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/28", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]
    sg = ec2.create_security_group(GroupName="wide", Description="wide", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    inst = ec2.run_instances(
        ImageId="ami-12c6146b",
        InstanceType="c5.large",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=[sg],
    )["Instances"][0]
    ecs.create_cluster(clusterName="tiny")
    ecs.register_container_instance(
        cluster="tiny",
        instanceIdentityDocument=json.dumps(
            {
                "instanceId": inst["InstanceId"],
                "instanceType": "c5.large",
                "region": REGION,
                "availabilityZone": "us-east-1a",
                "accountId": ACCOUNT,
                "privateIp": inst["PrivateIpAddress"],
            }
        ),
    )
    ecs.register_task_definition(
        family="app",
        networkMode="awsvpc",
        requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "c", "image": "nginx", "memory": 128}],
    )
    ecs.create_service(
        cluster="tiny",
        serviceName="svc",
        taskDefinition="app",
        desiredCount=6,
        launchType="EC2",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg], "assignPublicIp": "DISABLED"}
        },
    )
    available = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailableIpAddressCount"]
    return {"subnet": subnet, "sg": sg, "instance": inst["InstanceId"], "available": str(available)}


def make_trend_runs(findings: dict, root: Path) -> str:
    """Five nightly runs (folders named anything) whose first subnet loses 20 addresses a day,
    plus a copy under latest/ that the trend must skip."""
    sub = findings["capacity"]["subnets"][0]
    for i in range(5):
        doc = copy.deepcopy(findings)
        doc["generated_at"] = f"2026-11-{20 + i}T02:00:00Z"
        doc.pop("run_id", None)
        row = doc["capacity"]["subnets"][0]
        row["available"] = 200 - 20 * i
        row["projected_free"] = row["available"] - row["projected_demand"]
        (root / f"night-{i}").mkdir(parents=True)
        (root / f"night-{i}" / "findings.json").write_text(json.dumps(doc))
    (root / "latest").mkdir()
    shutil.copy(root / "night-4" / "findings.json", root / "latest" / "findings.json")
    return sub["subnet_id"]


# --------------------------------------------------------------------------- the one bundle of runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every CLI invocation of this module, each run once, concurrently; returns their results.

    The demo (the slowest run) goes first; meanwhile a small world on a moto server is scanned and
    every report/trend run is derived from that scan's snapshot, so the demo is not on their path.
    """
    from moto.server import ThreadedMotoServer

    base = tmp_path_factory.mktemp("contract")
    r: dict = {"base": base}
    saved = {
        k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing"
    )
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        with ThreadPoolExecutor(max_workers=5) as ex:
            demo_dir = base / "demo" / "run"
            f_demo = ex.submit(cli, "demo", "--out", demo_dir, "--format", ALL_FORMATS)

            server.start()
            url = f"http://127.0.0.1:{port}"
            r["world"] = build_small_world(url)
            moto_env = clean_env(AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=url)
            scan_dir = base / "scan"
            f_scan = ex.submit(cli, "scan", "--cluster", "tiny", "--out", scan_dir, env=moto_env)
            f_scan_dup = ex.submit(
                cli,
                "scan",
                "--region",
                f"{REGION},{REGION}",
                "--cluster",
                "tiny",
                "--cluster",
                "tiny,nosuch",
                "--format",
                "json",
                "--out",
                base / "scan-dup",
                env=moto_env,
            )

            max1 = base / "max1.toml"
            max1.write_text('[scan]\nmax_attempts = 1\nretry_mode = "standard"\n')
            closed = clean_env(AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL="http://127.0.0.1:9")
            blocker = base / "a-file"
            blocker.write_text("x")
            early = {
                "closed": ("scan", "--config", max1, "--out", base / "closed"),
                "closed_unwritable": ("scan", "--config", max1, "--out", blocker / "sub"),
            }
            futures = {name: ex.submit(cli, *args, env=closed) for name, args in early.items()}
            for name, args in {
                "policy": ("policy",),
                "policy_sh": ("policy", "--security-hub"),
                "policy_member": ("policy", "--member"),
                "scan_help": ("scan", "--help"),
                "bad_fail_on": ("demo", "--fail-on", "nope", "--out", base / "x10"),
            }.items():
                futures[name] = ex.submit(cli, *args)

            r["scan"] = f_scan.result()
            assert r["scan"].returncode == 0, r["scan"].stderr
            snap = scan_dir / "snapshot.json"
            snap_copy = base / "snapshot-copy.json"  # the same account and region in a second file
            shutil.copyfile(snap, snap_copy)
            findings = load(scan_dir / "findings.json")
            r["scan_findings"] = findings

            # inputs derived from the scan's files
            s = load(snap)
            bad = base / "inputs"
            bad.mkdir()
            (bad / "broken.json").write_text("{")
            (bad / "bad.toml").write_text("[scan]\nno_such_key = 1\n")
            (bad / "timeout.toml").write_text("[scan]\ntimeout = 60\n")
            doc = copy.deepcopy(s)
            doc["snapshot"]["subnets"][0]["available_ips"] = -5
            (bad / "negative.json").write_text(json.dumps(doc))
            inc = copy.deepcopy(s)
            for row in inc["snapshot"]["coverage"]:
                if row["api"] == "ec2:DescribeNetworkInterfaces" and row["region"] == REGION:
                    row["status"], row["detail"] = "error", "injected by the contract test"
            (bad / "incomplete.json").write_text(json.dumps(inc))
            (bad / "other-account.json").write_text(snap.read_text().replace(ACCOUNT, "210987654321"))
            baseline = copy.deepcopy(findings)
            dropped = baseline["findings"].pop(0)
            gone = copy.deepcopy(baseline["findings"][0])
            gone["id"] = "contract0gone0id"
            baseline["findings"].append(gone)
            (bad / "baseline.json").write_text(json.dumps(baseline))
            r["dropped_id"], r["gone_id"] = dropped["id"], gone["id"]
            root_with_run = base / "history" / "2026-11-30T020000Z"
            root_with_run.mkdir(parents=True)
            shutil.copy(scan_dir / "findings.json", root_with_run / "findings.json")
            r["trend_subnet"] = make_trend_runs(findings, base / "trend-runs")
            (base / "empty-location").mkdir()
            stale = base / "stale"
            shutil.copytree(scan_dir, stale)  # an earlier run's files, html and csv included
            r["stale_before"] = {p.name: p.stat().st_mtime_ns for p in stale.iterdir()}

            for name, args in {
                "baseline": (
                    "report",
                    snap,
                    "--out",
                    base / "baseline-run",
                    "--format",
                    "json,csv",
                    "--baseline",
                    bad / "baseline.json",
                    "--fail-on",
                    "high",
                ),
                "incomplete": (
                    "report",
                    bad / "incomplete.json",
                    "--out",
                    base / "incomplete",
                    "--format",
                    "json,asff,ocsf",
                ),
                "stale": ("report", snap, "--out", stale, "--format", "json"),
                "latest": (
                    "report",
                    snap,
                    "--out",
                    base / "history",  # the root that holds the earlier run's folder (docs/OUTPUT.md)
                    "--format",
                    "json",
                    "--baseline",
                    "latest",
                ),
                "emf": ("report", snap, "--out", base / "emf", "--format", "emf"),
                "two_accounts": (
                    "report",
                    snap,
                    bad / "other-account.json",
                    "--out",
                    base / "two-accounts",
                    "--format",
                    "json",
                ),
                "two_same": ("report", snap, snap_copy, "--out", base / "two-same", "--format", "json"),
                "unwritable": ("report", snap, "--out", blocker / "sub", "--format", "json"),
                "broken": ("report", bad / "broken.json", "--out", base / "x1"),
                "bad_config": ("report", snap, "--config", bad / "bad.toml", "--out", base / "x3"),
                "negative": ("report", bad / "negative.json", "--out", base / "x4", "--format", "json"),
                "timeout": (
                    "report",
                    snap,
                    "--config",
                    bad / "timeout.toml",
                    "--out",
                    base / "x7",
                    "--format",
                    "json",
                ),
                "trend": ("trend", base / "trend-runs", "--out", base / "trend-out"),
                "trend_empty": ("trend", base / "empty-location", "--out", base / "trend-empty"),
            }.items():
                futures[name] = ex.submit(cli, *args)
            r.update({name: f.result() for name, f in futures.items()})
            r["scan_dup"] = f_scan_dup.result()
            r["demo"] = f_demo.result()
            r["demo_dir"] = demo_dir
            r["findings"] = load(demo_dir / "findings.json") if r["demo"].returncode == 0 else {}
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return r


@pytest.fixture(scope="module")
def demo(runs: dict) -> dict:
    assert runs["demo"].returncode == 0, runs["demo"].stderr
    return runs["findings"]


# --------------------------------------------------------------------------- files and schema


def test_demo_writes_every_requested_format(runs: dict) -> None:
    assert runs["demo"].returncode == 0, runs["demo"].stderr
    names = {p.name for p in runs["demo_dir"].iterdir()}
    assert {
        "report.html",
        "findings.json",
        "snapshot.json",
        "findings.csv",
        "capacity_instances.csv",
        "capacity_subnets.csv",
        "findings.asff.json",
        "findings.ocsf.json",
    } <= names


def test_format_list_writes_only_those_files(runs: dict) -> None:
    assert runs["baseline"].returncode == 1, runs["baseline"].stderr  # --format json,csv
    names = {p.name for p in (runs["base"] / "baseline-run").iterdir()}
    assert {
        "findings.json",
        "snapshot.json",
        "findings.csv",
        "capacity_instances.csv",
        "capacity_subnets.csv",
    } <= names
    assert not names & {"report.html", "findings.asff.json", "findings.ocsf.json"}


def test_findings_json_top_level(demo: dict) -> None:
    assert demo["schema"] == "ecs-net-audit/findings/v1"
    assert ISO_Z.match(demo["generated_at"])
    assert demo["tool"]["name"] == "ecs-net-audit" and isinstance(demo["tool"]["version"], str)
    for key in ("accounts", "regions", "clusters"):
        assert isinstance(demo["scope"][key], list)
        assert all(isinstance(x, str) for x in demo["scope"][key])
    assert set(demo["summary"]) == set(SEVERITIES)
    for sev in SEVERITIES:
        assert demo["summary"][sev] == sum(f["severity"] == sev for f in demo["findings"])
    assert isinstance(demo["findings"], list) and demo["findings"]
    assert isinstance(demo["capacity"]["container_instances"], list)
    assert isinstance(demo["capacity"]["subnets"], list)


def test_coverage_rows_and_complete(demo: dict, runs: dict) -> None:
    for doc in (demo, load(runs["base"] / "incomplete" / "findings.json")):
        seen = set()
        for row in doc["coverage"]:
            assert {"account", "region", "api", "status", "detail"} <= set(row)
            assert row["status"] in COVERAGE_STATUSES
            assert re.match(r"^[a-z0-9-]+:[A-Z]\w+$", row["api"])
            key = (row["account"], row["region"], row["api"])
            assert key not in seen, f"two coverage rows for {key}"
            seen.add(key)
        assert doc["complete"] is all(row["status"] == "ok" for row in doc["coverage"])
    inc = load(runs["base"] / "incomplete" / "findings.json")
    assert inc["complete"] is False
    assert any(
        r["status"] == "error" and r["api"] == "ec2:DescribeNetworkInterfaces" and r["region"] == REGION
        for r in inc["coverage"]
    )


def test_run_id_in_findings_json_and_html(runs: dict, demo: dict) -> None:
    run_id = demo.get("run_id")
    assert isinstance(run_id, str) and run_id
    assert run_id in (runs["demo_dir"] / "report.html").read_text()


def test_run_id_on_every_file_of_the_run(runs: dict, demo: dict) -> None:
    run_id = demo.get("run_id")
    assert run_id
    for path in runs["demo_dir"].iterdir():
        assert run_id in path.read_text(), f"{path.name} does not carry run_id {run_id}"


def test_finding_fields_and_types(demo: dict) -> None:
    for f in demo["findings"]:
        for key in (
            "id",
            "check",
            "severity",
            "account",
            "region",
            "resource_type",
            "resource_id",
            "title",
            "recommendation",
        ):
            assert isinstance(f[key], str) and f[key], (key, f)
        assert f["check"] in V1_CHECKS | V2_CHECKS | documented_extension_checks()
        assert f["severity"] in SEVERITIES
        assert f["resource_type"] in RESOURCE_TYPES
        assert f["cluster"] is None or isinstance(f["cluster"], str)
        assert isinstance(f["detail"], dict)
        assert "\n" not in f["title"]
        prefix = {
            "container-instance": "i-",
            "subnet": "subnet-",
            "security-group": "sg-",
            "network-interface": "eni-",
        }.get(f["resource_type"])
        if prefix:
            assert f["resource_id"].startswith(prefix), f
        if f["resource_type"] in ("service", "task-definition", "cluster", "target-group"):
            assert f["resource_id"].startswith("arn:"), f
        if f["resource_type"] == "region":
            assert f["resource_id"] == f["region"]
    ids = [f["id"] for f in demo["findings"]]
    assert len(ids) == len(set(ids))


def test_check_detail_keys_and_number_types(demo: dict) -> None:
    checked = set()
    for f in demo["findings"]:
        d = f["detail"]
        if d.get("unknown"):
            continue
        if f["check"] in documented_extension_checks():
            continue  # an extension's keys are the project's own (docs/OUTPUT.md), not the contract's
        need = DETAIL_KEYS.get((f["check"], f["resource_type"])) or DETAIL_KEYS.get(f["check"])
        assert need is not None, f
        assert need <= set(d), (f["check"], need - set(d))
        checked.add(f["check"])
        for key in NUMERIC_DETAIL_KEYS & set(d) & need:
            assert d[key] is None or is_number(d[key]), (f["check"], key, d[key])
        if f["check"] == "eni-trunking":
            assert d["setting"] in ("enabled", "disabled", "unknown")
        if f["check"] == "wide-port-range":
            assert d["source_kind"] in SOURCE_KINDS
            assert d["port_count"] == d["to_port"] - d["from_port"] + 1
        if f["check"] == "eni-headroom" and f["resource_type"] == "container-instance":
            assert d["trunking"] in ("on", "off")
    # the demo account exercises most checks
    assert len(checked) >= 8, checked


def test_ids_stable_across_runs(runs: dict) -> None:
    first = [f["id"] for f in runs["scan_findings"]["findings"]]
    # `report` on the scan's own snapshot (with --baseline) finds the same ids
    doc = load(runs["base"] / "baseline-run" / "findings.json")
    assert sorted(f["id"] for f in doc["findings"]) == sorted(first)


# --------------------------------------------------------------------------- capacity


def test_capacity_instance_rows(demo: dict) -> None:
    rows = demo["capacity"]["container_instances"]
    assert rows
    for row in rows:
        assert set(INSTANCE_ROW) <= set(row), set(INSTANCE_ROW) - set(row)
        assert row["trunking"] in ("on", "off")
        assert row["instance_id"].startswith("i-"), "no capacity row for ECS Anywhere instances"
        if None not in (row["eni_task_capacity"], row["awsvpc_tasks"], row["extra_enis"]):
            assert row["headroom"] == (row["eni_task_capacity"] - row["awsvpc_tasks"] - row["extra_enis"]), (
                row
            )
        if row["trunking"] == "off" and row["max_enis"] is not None:
            assert row["eni_task_capacity"] <= row["max_enis"] - 1, row
        for key in ("max_enis", "eni_task_capacity", "awsvpc_tasks", "extra_enis", "headroom"):
            assert row[key] is None or is_number(row[key])
    arns = [r["container_instance_arn"] for r in rows]
    assert len(arns) == len(set(arns))


def test_capacity_subnet_rows(demo: dict) -> None:
    rows = demo["capacity"]["subnets"]
    assert rows
    for row in rows:
        assert set(SUBNET_ROW) <= set(row), set(SUBNET_ROW) - set(row)
        if row["cidr"]:
            prefix = int(row["cidr"].split("/")[1])
            assert row["usable"] == 2 ** (32 - prefix) - 5, row
        # An IPv6-only subnet (no IPv4 CIDR) has no IPv4 addresses to run out of: the project documents
        # `projected_free` as null there.
        if row["cidr"] and row["available"] is not None and row["projected_demand"] is not None:
            assert row["projected_free"] == row["available"] - row["projected_demand"], row
        assert row["projected_demand"] is None or row["projected_demand"] >= 0
    ids = [r["subnet_id"] for r in rows]
    assert len(ids) == len(set(ids))


def test_findings_agree_with_capacity_rows(demo: dict) -> None:
    instances = {r["instance_id"]: r for r in demo["capacity"]["container_instances"]}
    subnets = {r["subnet_id"]: r for r in demo["capacity"]["subnets"]}
    for f in demo["findings"]:
        d = f["detail"]
        if d.get("unknown"):
            continue
        if f["check"] == "eni-headroom" and f["resource_type"] == "container-instance":
            row = instances[f["resource_id"]]
            for key in ("eni_task_capacity", "awsvpc_tasks", "extra_enis", "headroom", "trunking"):
                assert d[key] == row[key], (key, d, row)
        if f["check"] == "subnet-ip-exhaustion":
            row = subnets[f["resource_id"]]
            for key in ("cidr", "usable", "available", "ecs_ips", "projected_demand", "projected_free"):
                assert d[key] == row[key], (key, d, row)


def test_capacity_zones(demo: dict) -> None:
    zones = demo["capacity"]["zones"]
    assert zones
    for row in zones:
        assert {
            "account",
            "region",
            "cluster",
            "availability_zone",
            "instances",
            "eni_task_capacity",
            "awsvpc_tasks",
            "headroom",
        } <= set(row)


def test_csv_tables_match_json(runs: dict, demo: dict) -> None:
    d = runs["demo_dir"]
    findings = list(csv.DictReader(io.StringIO((d / "findings.csv").read_text())))
    assert [r["id"] for r in findings] == [f["id"] for f in demo["findings"]]
    for row, f in zip(findings, demo["findings"], strict=True):
        assert row["check"] == f["check"] and row["severity"] == f["severity"]
        assert json.loads(row["detail"]) == f["detail"]
    inst = list(csv.DictReader(io.StringIO((d / "capacity_instances.csv").read_text())))
    assert set(INSTANCE_ROW) <= set(inst[0])
    assert len(inst) == len(demo["capacity"]["container_instances"])
    subs = list(csv.DictReader(io.StringIO((d / "capacity_subnets.csv").read_text())))
    assert set(SUBNET_ROW) <= set(subs[0])
    assert len(subs) == len(demo["capacity"]["subnets"])


def test_accounts_csv(runs: dict, demo: dict) -> None:
    rows = list(csv.DictReader(io.StringIO((runs["demo_dir"] / "accounts.csv").read_text())))
    assert [r["account"] for r in rows] == demo["scope"]["accounts"]
    assert {"account", "name", "status", "regions", *SEVERITIES} <= set(rows[0])
    assert rows[0]["status"] == "ok"


def test_html_is_self_contained(runs: dict) -> None:
    html = (runs["demo_dir"] / "report.html").read_text()
    assert not re.search(
        r"<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)\s*=\s*"
        r"[\"']?(https?:)?//",
        html,
        re.I,
    )
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", html, re.I)


# --------------------------------------------------------------------------- ASFF and OCSF


def test_asff(runs: dict, demo: dict) -> None:
    asff = load(runs["demo_dir"] / "findings.asff.json")
    assert isinstance(asff, list) and len(asff) == len(demo["findings"])
    required = {
        "SchemaVersion",
        "Id",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "Types",
        "CreatedAt",
        "UpdatedAt",
        "Severity",
        "Title",
        "Description",
        "Resources",
    }
    for a, f in zip(asff, demo["findings"], strict=True):
        assert required <= set(a), required - set(a)
        assert a["SchemaVersion"] == "2018-10-08"
        assert a["Id"] == f"ecs-net-audit/{f['account']}/{f['region']}/{f['id']}"
        assert a["AwsAccountId"] == f["account"] and a["Region"] == f["region"]
        assert a["ProductArn"] == (
            f"arn:aws:securityhub:{f['region']}:{f['account']}:product/{f['account']}/default"
        )
        assert a["GeneratorId"] == f"ecs-net-audit/{f['check']}"
        assert a["Severity"]["Label"] == ASFF_LABEL[f["severity"]]
        assert a["CreatedAt"] == a["UpdatedAt"] == demo["generated_at"]
        assert len(a["Title"]) <= 256 and len(a["Description"]) <= 1024
        assert isinstance(a["Resources"], list) and len(a["Resources"]) == 1
        assert a["Resources"][0]["Type"] and a["Resources"][0]["Id"]
        expected = "PASSED" if f["severity"] == "info" else "FAILED"
        if f["detail"].get("unknown"):
            expected = "NOT_AVAILABLE"
        assert a["Compliance"]["Status"] == expected, (f["severity"], a["Compliance"])


def test_ocsf(runs: dict, demo: dict) -> None:
    ocsf = load(runs["demo_dir"] / "findings.ocsf.json")
    assert isinstance(ocsf, list) and len(ocsf) == len(demo["findings"])
    for o, f in zip(ocsf, demo["findings"], strict=True):
        assert o["class_uid"] == 2003 and o["class_name"] == "Compliance Finding"
        assert o["category_uid"] == 2
        assert o["type_uid"] == 200301 and o["activity_id"] == 1
        assert o["severity_id"] == OCSF_SEVERITY[f["severity"]]
        assert o["metadata"]["uid"] == f["id"] and o["metadata"]["version"] == "1.3.0"
        assert o["finding_info"]["uid"] == f"ecs-net-audit/{f['account']}/{f['region']}/{f['id']}"
        status = 1 if f["severity"] == "info" else 3
        if f["detail"].get("unknown"):
            status = 0
        assert o["compliance"]["status_id"] == status
        assert o["cloud"]["provider"] == "AWS" and o["cloud"]["account"]["uid"] == f["account"]


def test_unknown_verdicts_are_never_a_pass(runs: dict) -> None:
    assert runs["incomplete"].returncode == 0, runs["incomplete"].stderr
    out = runs["base"] / "incomplete"
    doc = load(out / "findings.json")
    unknown = [f for f in doc["findings"] if f["detail"].get("unknown") is True]
    assert unknown, "a collection gap must show as unknown findings"
    assert all(f["severity"] == "info" for f in unknown)
    ids = {f["id"] for f in unknown}
    asff = {a["Id"].rsplit("/", 1)[1]: a for a in load(out / "findings.asff.json")}
    ocsf = {o["metadata"]["uid"]: o for o in load(out / "findings.ocsf.json")}
    for i in ids:
        assert asff[i]["Compliance"]["Status"] == "NOT_AVAILABLE"
        assert ocsf[i]["compliance"]["status_id"] == 0


# --------------------------------------------------------------------------- exit codes and input


def test_exit_1_with_fail_on_and_baseline(runs: dict) -> None:
    p = runs["baseline"]
    assert p.returncode == 1, p.stderr  # the scan has high findings, --fail-on high
    doc = load(runs["base"] / "baseline-run" / "findings.json")
    change = {f["id"]: f["change"] for f in doc["findings"]}
    assert change[runs["dropped_id"]] == "new"
    assert all(v == "unchanged" for k, v in change.items() if k != runs["dropped_id"])
    n = len(doc["findings"])
    assert doc["baseline"]["new"] == 1 and doc["baseline"]["unchanged"] == n - 1
    assert doc["baseline"]["resolved"] == 1
    assert [f["id"] for f in doc["resolved"]] == [runs["gone_id"]]
    assert doc["baseline"]["generated_at"] == runs["scan_findings"]["generated_at"]
    rows = list(csv.reader(io.StringIO((runs["base"] / "baseline-run" / "findings.csv").read_text())))
    change_column = rows[0].index("change")
    assert {r[change_column] for r in rows[1:]} == {"new", "unchanged"}


@pytest.mark.parametrize("name", ["broken", "bad_config", "bad_fail_on", "two_same", "trend_empty"])
def test_bad_usage_config_or_input_exit_2_one_line(runs: dict, name: str) -> None:
    p = runs[name]
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert one_line_error(p), p.stderr


def test_negative_count_in_snapshot_exit_2(runs: dict) -> None:
    p = runs["negative"]
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert one_line_error(p), p.stderr


def test_unwritable_out_exit_2(runs: dict) -> None:
    p = runs["unwritable"]
    assert p.returncode == 2, (p.returncode, p.stderr[-300:])
    assert one_line_error(p), p.stderr[-300:]


def test_unwritable_out_found_before_collecting(runs: dict) -> None:
    p = runs["closed_unwritable"]
    assert p.returncode == 2, (p.returncode, p.stderr[-300:])
    assert one_line_error(p)


def test_nothing_collected_exit_3(runs: dict) -> None:
    p = runs["closed"]
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert one_line_error(p), p.stderr
    assert "testing" not in p.stderr  # no credential in a message


def test_config_timeout_is_accepted(runs: dict) -> None:
    assert runs["timeout"].returncode == 0, runs["timeout"].stderr


def test_scan_documents_contract_flags(runs: dict) -> None:
    # --debug is the program's own option (`ecs-net-audit --debug scan ...`), so it shows in the
    # top-level help; the rest are scan's.
    text = runs["scan_help"].stdout + cli("--help").stdout
    missing = [
        flag
        for flag in (
            "--timeout",
            "--debug",
            "--org",
            "--account",
            "--exclude-account",
            "--role-name",
            "--external-id",
            "--max-parallel",
        )
        if flag not in text
    ]
    assert not missing, missing


# --------------------------------------------------------------------------- stale files, baseline latest


def test_earlier_run_files_removed_or_replaced(runs: dict) -> None:
    assert runs["stale"].returncode == 0, runs["stale"].stderr
    before = runs["stale_before"]
    for path in (runs["base"] / "stale").iterdir():
        assert path.name not in before or path.stat().st_mtime_ns != before[path.name], (
            f"{path.name} is the earlier run's file"
        )


def test_baseline_latest_uses_the_previous_run(runs: dict) -> None:
    assert runs["latest"].returncode == 0, runs["latest"].stderr
    doc = load(runs["base"] / "history" / "findings.json")
    assert doc["baseline"]["generated_at"] == runs["scan_findings"]["generated_at"]
    assert {f["change"] for f in doc["findings"]} == {"unchanged"}


# --------------------------------------------------------------------------- v2: several snapshots, emf


def test_report_several_snapshots(runs: dict) -> None:
    assert runs["two_accounts"].returncode == 0, runs["two_accounts"].stderr
    doc = load(runs["base"] / "two-accounts" / "findings.json")
    assert set(doc["scope"]["accounts"]) == {ACCOUNT, "210987654321"}


def test_format_emf(runs: dict) -> None:
    assert runs["emf"].returncode == 0, runs["emf"].stderr
    lines = (runs["base"] / "emf" / "metrics.emf.jsonl").read_text().splitlines()
    assert lines
    for line in lines:
        doc = json.loads(line)
        meta = doc["_aws"]["CloudWatchMetrics"][0]
        assert meta["Namespace"] == "ECSNetAudit"
        assert doc["Account"] and doc["Region"] and doc["AuditComplete"] in (0, 1)


def test_lambda_entry_points_exist() -> None:
    import importlib

    module = importlib.import_module("auditor.aws_lambda")  # the contract names this API
    assert callable(module.handler) and callable(module.aggregate)


def test_deploy_folder_exists() -> None:
    assert (ROOT / "deploy").is_dir() and any((ROOT / "deploy").iterdir())


# --------------------------------------------------------------------------- policy


READ_ACTION = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Za-z0-9]*$")
EXTRA_READ = {"sts:GetCallerIdentity", "sts:AssumeRole"}


def _actions(policy: dict) -> list[str]:
    out = []
    for st in policy["Statement"]:
        acts = st["Action"]
        out += [acts] if isinstance(acts, str) else acts
    return out


def test_policy_is_read_only(runs: dict) -> None:
    p = runs["policy"]
    assert p.returncode == 0, p.stderr
    policy = json.loads(p.stdout)
    assert policy["Version"] == "2012-10-17"
    actions = _actions(policy)
    assert actions
    assert all(st["Effect"] == "Allow" for st in policy["Statement"])
    bad = [a for a in actions if not (READ_ACTION.match(a) or a in EXTRA_READ)]
    assert not bad, bad
    assert "*" not in "".join(actions)
    assert not [a for a in actions if a.startswith("securityhub:")]
    assert "sts:GetCallerIdentity" in actions


def test_policy_security_hub_adds_the_write(runs: dict) -> None:
    p = runs["policy_sh"]
    assert p.returncode == 0, p.stderr
    actions = _actions(json.loads(p.stdout))
    assert "securityhub:BatchImportFindings" in actions
    assert set(_actions(json.loads(runs["policy"].stdout))) <= set(actions)


def test_policy_member(runs: dict) -> None:
    p = runs["policy_member"]
    assert p.returncode == 0, p.stderr
    actions = _actions(json.loads(p.stdout))
    assert actions and all(READ_ACTION.match(a) or a in EXTRA_READ for a in actions)


# --------------------------------------------------------------------------- scan against moto


@pytest.fixture(scope="module")
def scan(runs: dict) -> dict:
    assert runs["scan"].returncode == 0, runs["scan"].stderr
    return load(runs["base"] / "scan" / "findings.json")


def test_scan_default_formats_and_default_region(runs: dict, scan: dict) -> None:
    names = {p.name for p in (runs["base"] / "scan").iterdir()}
    assert {
        "report.html",
        "findings.json",
        "snapshot.json",
        "findings.csv",
        "capacity_instances.csv",
        "capacity_subnets.csv",
    } <= names
    assert not names & {"findings.asff.json", "findings.ocsf.json"}
    assert scan["scope"]["regions"] == [REGION]  # AWS_DEFAULT_REGION honoured
    assert scan["scope"]["accounts"] == [ACCOUNT]
    assert scan["scope"]["clusters"] == ["tiny"]
    assert scan["complete"] is True


def test_scan_capacity_formulas(runs: dict, scan: dict) -> None:
    w = runs["world"]
    [inst] = scan["capacity"]["container_instances"]
    assert inst["instance_id"] == w["instance"] and inst["instance_type"] == "c5.large"
    assert inst["trunking"] == "off" and inst["awsvpc_tasks"] == 0
    assert inst["eni_task_capacity"] == inst["max_enis"] - 1 == 2
    assert inst["headroom"] == 2
    [sub] = scan["capacity"]["subnets"]
    assert sub["subnet_id"] == w["subnet"] and sub["cidr"] == "10.9.1.0/28"
    assert sub["usable"] == 16 - 5
    assert sub["available"] == int(w["available"])
    # desired 6, ROLLING with the default maximumPercent 200: peak 12, one subnet, no task in it
    assert sub["projected_demand"] == 12
    assert sub["projected_free"] == sub["available"] - 12


def test_scan_findings(runs: dict, scan: dict) -> None:
    w = runs["world"]
    by_check: dict[str, list] = {}
    for f in scan["findings"]:
        by_check.setdefault(f["check"], []).append(f)
    [svc] = [f for f in by_check["eni-headroom"] if f["resource_type"] == "service"]
    assert svc["resource_id"].endswith(":service/tiny/svc") and svc["cluster"] == "tiny"
    assert svc["detail"]["peak_tasks"] == 12
    assert svc["detail"]["cluster_headroom"] == 2
    assert svc["detail"]["shortfall"] == 10
    [wide] = by_check["wide-port-range"]
    d = wide["detail"]
    assert wide["resource_id"] == w["sg"] == d["group_id"]
    assert (d["protocol"], d["from_port"], d["to_port"], d["port_count"]) == ("tcp", 1024, 65535, 64512)
    assert d["source"] == "0.0.0.0/0" and d["source_kind"] == "internet"
    assert d["overlaps_ephemeral"] is True
    [exh] = by_check["subnet-ip-exhaustion"]
    assert exh["resource_id"] == w["subnet"]
    assert exh["detail"]["projected_free"] == int(w["available"]) - 12
    assert exh["severity"] in ("critical", "high")  # projected free < 0 or few free


def test_scan_duplicate_values_count_once(runs: dict) -> None:
    assert runs["scan_dup"].returncode == 0, runs["scan_dup"].stderr
    doc = load(runs["base"] / "scan-dup" / "findings.json")
    arns = [r["container_instance_arn"] for r in doc["capacity"]["container_instances"]]
    assert len(arns) == len(set(arns)) == 1
    ids = [f["id"] for f in doc["findings"]]
    assert len(ids) == len(set(ids))
    assert doc["scope"]["regions"] == [REGION]
    assert doc["capacity"]["subnets"][0]["projected_demand"] == 12


def test_scan_missing_cluster_is_reported(runs: dict) -> None:
    doc = load(runs["base"] / "scan-dup" / "findings.json")
    rows = [r for r in doc["coverage"] if r["status"] == "error" and "not found" in r["detail"]]
    assert rows
    assert doc["complete"] is False


# --------------------------------------------------------------------------- trend


def test_trend_files_and_shape(runs: dict) -> None:
    p = runs["trend"]
    assert p.returncode == 0, p.stderr
    out = runs["base"] / "trend-out"
    assert {"trend.html", "trend.csv", "trend.json"} <= {x.name for x in out.iterdir()}
    rows = list(csv.reader(io.StringIO((out / "trend.csv").read_text())))
    assert rows[0] == ["generated_at", "account", "region", "metric", "resource_id", "value", "runs_out_at"]
    times = [r[0] for r in rows[1:]]
    assert times == sorted(times), "oldest run first"
    assert len(set(times)) == 5, "the latest/ copy is not a run"
    t = load(out / "trend.json")
    assert isinstance(t, dict) and isinstance(t["rows"], list) and isinstance(t["series"], list)
    assert len(t["rows"]) == len(rows) - 1
    for row in t["rows"]:
        assert {"generated_at", "account", "region", "metric", "resource_id", "value", "runs_out_at"} <= set(
            row
        )
    for s in t["series"]:
        assert {
            "account",
            "region",
            "metric",
            "resource_id",
            "runs",
            "last_value",
            "slope_per_day",
            "runs_out_at",
        } <= set(s)
        assert s["runs_out_at"] is None or re.match(r"^\d{4}-\d\d-\d\d$", s["runs_out_at"])
    assert "<script src=" not in (out / "trend.html").read_text()


def test_trend_values_and_forecast(runs: dict) -> None:
    t = load(runs["base"] / "trend-out" / "trend.json")
    sub = runs["trend_subnet"]
    values = [
        (r["generated_at"], r["value"])
        for r in t["rows"]
        if r["metric"] == "subnet_available" and r["resource_id"] == sub
    ]
    assert values == [(f"2026-11-{20 + i}T02:00:00Z", 200 - 20 * i) for i in range(5)]
    [series] = [s for s in t["series"] if s["metric"] == "subnet_available" and s["resource_id"] == sub]
    assert series["runs"] == 5 and series["last_value"] == 120
    assert math.isclose(series["slope_per_day"], -20.0)
    assert series["runs_out_at"] == "2026-11-30"  # 120 left at 20 a day from 2026-11-24
    csv_rows = [
        r
        for r in csv.DictReader(io.StringIO((runs["base"] / "trend-out" / "trend.csv").read_text()))
        if r["metric"] == "subnet_available" and r["resource_id"] == sub
    ]
    assert {r["runs_out_at"] for r in csv_rows} == {"2026-11-30"}
    # findings counts per severity and region
    for sev in SEVERITIES:
        per_run = [
            r["value"]
            for r in t["rows"]
            if r["metric"] == f"findings_{sev}" and r["generated_at"] == "2026-11-20T02:00:00Z"
        ]
        assert sum(per_run) == runs["scan_findings"]["summary"][sev]
