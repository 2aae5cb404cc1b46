"""Issue 11: the CLI under faults, end to end, through the fault-injecting proxy (tests/e2e/faults.py).

One parametrized test per failure of the issue; each case is a hostile input or a broken reply and
what the contract ("What the tool promises under faults") says must happen instead.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from auditor.snapshot import load
from tests.e2e.conftest import base_env
from tests.e2e.faults import body, html_page, mutate_json, throttle

REGION = "us-east-1"


def scan(server: Any, proxy: Any, out: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    return server.run(
        "scan", "--endpoint-url", proxy.url, "--region", REGION, "--out", str(out), *extra, env=env
    )


def findings_doc(out: Path) -> dict[str, Any]:
    return json.loads((out / "findings.json").read_text())


def row(doc: dict[str, Any], api: str, region: str = REGION) -> dict[str, Any]:
    return next(c for c in doc["coverage"] if c["api"] == api and c["region"] == region)


def no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stderr.strip().count("\n") <= 2, result.stderr[-3000:]


# ----------------------------------------------------------------- 1. no silent all-clear


def _first_missing(key: str, arn_key: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        gone = doc[key].pop(0)
        doc.setdefault("failures", []).append({"arn": gone[arn_key], "reason": "MISSING"})

    return change


SILENT_GAPS = {
    "container-instances-html-200": (
        "DescribeContainerInstances",
        html_page(),
        "ecs:DescribeContainerInstances",
    ),
    "container-instances-empty-object": (
        "DescribeContainerInstances",
        body(b"{}"),
        "ecs:DescribeContainerInstances",
    ),
    "services-empty-object": ("DescribeServices", body(b"{}"), "ecs:DescribeServices"),
    "services-failures-missing": (
        "DescribeServices",
        mutate_json(_first_missing("services", "serviceArn")),
        "ecs:DescribeServices",
    ),
    "tasks-failures-missing": (
        "DescribeTasks",
        mutate_json(_first_missing("tasks", "taskArn")),
        "ecs:DescribeTasks",
    ),
    "subnets-html-200": ("DescribeSubnets", html_page(), "ec2:DescribeSubnets"),
    "capacity-providers-empty-object": (
        "DescribeCapacityProviders",
        body(b"{}"),
        "ecs:DescribeCapacityProviders",
    ),
}


@pytest.mark.parametrize("case", sorted(SILENT_GAPS))
def test_1_unusable_replies_are_error_rows_never_an_all_clear(server, proxy, tmp_path, case):
    operation, action, api = SILENT_GAPS[case]
    proxy.on(operation, action)
    out = tmp_path / "out"
    result = scan(server, proxy, out, "--format", "json,html")
    assert result.returncode == 0, result.stderr
    doc = findings_doc(out)
    assert doc["complete"] is False
    assert row(doc, api)["status"] == "error" and row(doc, api)["detail"]
    html = (out / "report.html").read_text()
    assert "Incomplete audit" in html and 'id="coverage-ok"' not in html


# ----------------------------------------------------------------- 2. no traceback, exit 1 never a crash


def _set_first(key: str, field: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc[key][0][field] = value

    return change


def _drop_first(key: str, field: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc[key][0].pop(field)

    return change


BAD_REPLIES = {
    "unparsable-xml": (
        "DescribeSubnets",
        body(b"<DescribeSubnetsResponse><subnetSet><item>", 200, "text/xml"),
        "ec2:DescribeSubnets",
    ),
    "unparsable-json": ("DescribeTasks", body(b'{"tasks": [{"taskArn": '), "ecs:DescribeTasks"),
    "task-without-taskArn": (
        "DescribeTasks",
        mutate_json(_drop_first("tasks", "taskArn")),
        "ecs:DescribeTasks",
    ),
    "cluster-without-clusterArn": (
        "DescribeClusters",
        mutate_json(_drop_first("clusters", "clusterArn")),
        "ecs:DescribeClusters",
    ),
    "desiredCount-lots": (
        "DescribeServices",
        mutate_json(_set_first("services", "desiredCount", "lots")),
        "ecs:DescribeServices",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REPLIES))
def test_2_bad_replies_are_error_rows_not_tracebacks(server, proxy, tmp_path, case):
    operation, action, api = BAD_REPLIES[case]
    proxy.on(operation, action)
    out = tmp_path / "out"
    result = scan(server, proxy, out, "--format", "json", "--fail-on", "critical")
    no_traceback(result)
    assert result.returncode in (0, 1), result.stderr
    doc = findings_doc(out)
    assert row(doc, api)["status"] == "error" and doc["complete"] is False
    critical = any(f["severity"] == "critical" for f in doc["findings"])
    assert result.returncode == (1 if critical else 0)


def test_2_lone_surrogate_in_a_name_is_written(server, proxy, tmp_path):
    def change(doc: dict[str, Any]) -> None:
        doc["services"][0]["serviceName"] = "web\ud800"

    proxy.on("DescribeServices", mutate_json(change))
    out = tmp_path / "out"
    result = scan(server, proxy, out)
    no_traceback(result)
    assert result.returncode == 0
    assert load(out / "snapshot.json").services  # lossless and readable again
    for name in ("report.html", "findings.json", "findings.csv"):
        (out / name).read_text(encoding="utf-8")  # valid UTF-8


def _bad_usage(server, proxy, tmp_path, args, env=None):
    out = tmp_path / "out"
    result = server.run(*args(proxy, out), env=env)
    no_traceback(result)
    return result, out


USAGE = {
    "endpoint-url-garbage": (
        lambda p, o: ["scan", "--endpoint-url", "http://[::1", "--region", REGION, "--out", str(o)],
        None,
    ),
    "endpoint-url-no-scheme": (
        lambda p, o: ["scan", "--endpoint-url", "127.0.0.1:9", "--region", REGION, "--out", str(o)],
        None,
    ),
    "env-endpoint-url-garbage": (
        lambda p, o: ["scan", "--region", REGION, "--out", str(o)],
        {"AWS_ENDPOINT_URL": "::nope::"},
    ),
    "region-trailing-newline": (
        lambda p, o: ["scan", "--endpoint-url", p.url, "--region", "us-east-1\n", "--out", str(o)],
        None,
    ),
    "config-region-trailing-newline": (
        lambda p, o: [
            "scan",
            "--endpoint-url",
            p.url,
            "--config",
            str(o.parent / "nl.toml"),
            "--out",
            str(o),
        ],
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(USAGE))
def test_2_bad_endpoints_and_regions_exit_2_with_one_line(server, proxy, tmp_path, case):
    args, extra_env = USAGE[case]
    (tmp_path / "nl.toml").write_text('[scan]\nregions = ["us-east-1\\n"]\n')
    env = base_env()
    env.update(extra_env or {})
    result, out = _bad_usage(server, proxy, tmp_path, args, env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not out.exists() and proxy.seen == []


def _a_file(tmp: Path) -> Path:
    (tmp / "file").write_text("x")
    return tmp / "file"


OUT_IN_THE_WAY = {
    "a-file": _a_file,
    "under-a-file": lambda tmp: _a_file(tmp) / "out",
    "unwritable": lambda tmp: Path("/proc/self/ecs-net-audit-out"),
}


@pytest.mark.parametrize("case", sorted(OUT_IN_THE_WAY))
def test_2_out_is_checked_before_collecting(server, proxy, tmp_path, case):
    out = OUT_IN_THE_WAY[case](tmp_path)
    result = server.run("scan", "--endpoint-url", proxy.url, "--region", REGION, "--out", str(out))
    no_traceback(result)
    assert result.returncode == 2 and str(out) in result.stderr
    assert proxy.seen == []  # not one AWS call


def test_2_broken_pipe_on_stdout_is_not_a_crash(server, proxy, tmp_path):
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT

    for args in (
        ["policy"],
        ["scan", "--endpoint-url", proxy.url, "--region", REGION, "--out", str(tmp_path / "o")],
    ):
        child = subprocess.Popen(
            [sys.executable, "-m", "auditor", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=base_env(),
            cwd=ROOT,
        )
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # the reader (`| head`) is gone
        stderr = child.stderr.read().decode()
        code = child.wait(timeout=120)
        assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
        assert code not in (1, 120), (args, code, stderr)


# ----------------------------------------------------------------- 3. no credential in any message


@pytest.mark.parametrize("variable", ["AWS_SESSION_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"])
def test_3_a_credential_with_a_control_character_is_never_printed(server, proxy, tmp_path, variable):
    secret = "FQoGZXIvYXdzEJr//////////wEaDSECRETxTOKENx1234567890"
    env = base_env()
    env[variable] = secret + "\r"
    started = time.monotonic()
    for quiet in ((), ("--quiet",)):
        result = scan(server, proxy, tmp_path / "out", *quiet, env=env)
        no_traceback(result)
        assert result.returncode == 3, result.stderr
        assert secret not in result.stderr + result.stdout and secret[:20] not in result.stderr
        assert variable in result.stderr
    assert time.monotonic() - started < 20  # no retries on a value that can never be sent


# ----------------------------------------------------------------- 4. duplicates count once


DUPLICATES = {
    "cluster-twice": ["--cluster", "prod-web,prod-web"],
    "cluster-name-and-arn": [
        "--cluster",
        "prod-web",
        "--cluster",
        "arn:aws:ecs:us-east-1:123456789012:cluster/prod-web",
    ],
    "region-twice": ["--region", "us-east-1,us-east-1", "--cluster", "prod-web"],
}


@pytest.fixture(scope="module")
def prod_web(server, tmp_path_factory):
    out = tmp_path_factory.mktemp("once")
    server.run(
        "scan",
        "--endpoint-url",
        server.url,
        "--region",
        REGION,
        "--cluster",
        "prod-web",
        "--out",
        str(out),
        "--format",
        "json",
    )
    return findings_doc(out)


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_4_duplicates_count_once(server, proxy, tmp_path, prod_web, case):
    out = tmp_path / "out"
    result = scan(server, proxy, out, *DUPLICATES[case], "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = findings_doc(out)
    ids = [f["id"] for f in doc["findings"]]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(f["id"] for f in prod_web["findings"])
    assert doc["capacity"] == prod_web["capacity"]
    assert doc["scope"]["regions"] == [REGION]


# ----------------------------------------------------------------- 5. an unknown cluster is reported


def test_5_a_misspelled_cluster_is_an_error_row(server, proxy, tmp_path):
    out = tmp_path / "out"
    result = scan(server, proxy, out, "--cluster", "prod-wbe", "--format", "json")
    no_traceback(result)
    doc = findings_doc(out)
    assert doc["complete"] is False
    missing = [c for c in doc["coverage"] if c["status"] == "error" and c["detail"].startswith("not found")]
    assert missing and "prod-wbe" in missing[0]["detail"]
    assert "INCOMPLETE" in result.stdout


# ----------------------------------------------------------------- 7. no path traversal


def test_7_report_folder_name_cannot_escape_reports(server, tmp_path):
    demo = tmp_path / "demo"
    server.run("demo", "--out", str(demo), "--format", "json")
    doc = json.loads((demo / "snapshot.json").read_text())
    work = tmp_path / "work"
    (work / "reports").mkdir(parents=True)
    for stamp in ("x/../../../escaped", "../escaped", "/tmp/escaped", "2026-11-25T10:00:00Z/../../x"):
        doc["snapshot"]["generated_at"] = stamp
        evil = tmp_path / "evil.json"
        evil.write_text(json.dumps(doc))
        result = server.run("report", str(evil), "--format", "json", cwd=work)
        no_traceback(result)
        written = [p for p in tmp_path.rglob("findings.json") if "demo" not in p.parts]
        for path in written:
            assert (work / "reports") in path.parents, path
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/escaped").exists()


# ----------------------------------------------------------------- 8. one run's files belong together


def test_8_a_partial_format_over_an_older_full_set_removes_the_stale_files(server, tmp_path):
    out = tmp_path / "out"
    assert server.run("demo", "--out", str(out)).returncode == 0
    first = findings_doc(out)["run_id"]
    assert first and first in (out / "report.html").read_text()
    result = server.run("demo", "--out", str(out), "--format", "html")
    assert result.returncode == 0
    assert {p.name for p in out.iterdir()} == {"report.html"}
    html = (out / "report.html").read_text()
    assert first not in html and re.search(r'name="run-id" content="[0-9a-f-]{16,}"', html)


def test_8_every_file_of_a_run_carries_its_run_id(server, tmp_path):
    out = tmp_path / "out"
    formats = "html,json,csv,md,asff,ocsf,emf"
    assert server.run("demo", "--out", str(out), "--format", formats).returncode == 0
    run_id = findings_doc(out)["run_id"]
    for path in out.iterdir():
        assert run_id in path.read_text(), path.name


# ----------------------------------------------------------------- 9. smaller ones


def test_9_a_quota_of_1e400_is_refused_at_collection_and_the_snapshot_reloads(server, proxy, tmp_path):
    proxy.on(
        "GetServiceQuota",
        lambda h, reply: (reply[0], reply[1], re.sub(rb'"Value": ?[0-9.eE+]+', b'"Value": 1e400', reply[2])),
    )
    out = tmp_path / "out"
    result = scan(server, proxy, out)
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert row(findings_doc(out), "servicequotas:GetServiceQuota")["status"] == "error"
    again = server.run("report", str(out / "snapshot.json"), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr


def test_9_retries_are_counted_on_a_call_that_finally_fails(server, proxy, tmp_path):
    (tmp_path / "c.toml").write_text('[scan]\nretry_mode = "standard"\nmax_attempts = 3\n')
    proxy.on("DescribeServices", throttle())
    out = tmp_path / "out"
    result = scan(server, proxy, out, "--config", str(tmp_path / "c.toml"), "--cluster", "prod-web")
    assert result.returncode == 0, result.stderr
    services = row(findings_doc(out), "ecs:DescribeServices")
    assert services["status"] == "error" and services["retries"] == 2


HOSTILE = "evil\x1b[2J\x1b]0;pwned\x07\u202egnp.exe\x9b31m"


def test_9_control_characters_are_neutralised_everywhere(server, proxy, tmp_path):
    def change(doc: dict[str, Any]) -> None:
        for service in doc["services"]:
            service["serviceName"] = HOSTILE + service["serviceName"]

    proxy.on("DescribeServices", mutate_json(change))
    proxy.on(
        "DescribeSubnets",
        body(
            b"<Response><Errors><Error><Code>Boom</Code><Message>bad\x1b[31m\xe2\x80\xaeX</Message></Error></Errors></Response>",
            400,
            "text/xml",
        ),
    )
    out = tmp_path / "out"
    result = scan(server, proxy, out, "--format", "html,json,csv,md")
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    for text in (
        result.stdout,
        result.stderr,
        *(p.read_text() for p in out.iterdir() if p.suffix in (".csv", ".md", ".html")),
    ):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert "evil" in (out / "findings.csv").read_text()
    assert load(out / "snapshot.json").services[0].name.startswith(HOSTILE)  # the snapshot stays lossless


def test_9_rewritten_files_keep_their_mode(server, tmp_path):
    out = tmp_path / "out"
    server.run("demo", "--out", str(out), "--format", "json")
    (out / "findings.json").chmod(0o640)
    server.run("demo", "--out", str(out), "--format", "json")
    assert (out / "findings.json").stat().st_mode & 0o777 == 0o640


def test_9_an_empty_profile_means_the_default_chain(server, proxy, tmp_path):
    (tmp_path / "c.toml").write_text('[scan]\nprofile = ""\n')
    result = scan(server, proxy, tmp_path / "out", "--config", str(tmp_path / "c.toml"), "--format", "json")
    no_traceback(result)
    assert result.returncode == 0, result.stderr
