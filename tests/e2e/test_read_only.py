"""Read-only, proven on the server side: moto's recorder logs every request the CLI sends during a
full scan of the demo world (all regions), and each must be a Describe/List/Get call or
sts:GetCallerIdentity — exactly the actions of `ecs-net-audit policy`, nothing missing, nothing extra.
Also: no secret value of the world reaches any output file."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from auditor.cli import policy_document
from tests.e2e.conftest import rest_operation

ROOT = Path(__file__).resolve().parents[2]
SECRET_VALUES = ("demo-env-secret-value", ":secret:demo", "DB_PASSWORD", "API_TOKEN")


def operation(entry: dict) -> str:
    """`service:Action` of one recorded request, from its signature scope and target/action."""
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    service = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request", headers["authorization"]).group(1)
    if "x-amz-target" in headers:
        return f"{service}:{headers['x-amz-target'].rsplit('.', 1)[-1]}"
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8")
    params = parse_qs(body) or parse_qs(urlparse(entry["url"]).query)
    if "Action" not in params:  # a REST API (VPC Lattice): the operation is its method and path
        return f"{service}:{rest_operation(service, entry['method'], urlparse(entry['url']).path)}"
    return f"{service}:{params['Action'][0]}"


@pytest.fixture
def recording(server, tmp_path):
    from moto.moto_api import recorder

    recorder._location = str(tmp_path / "recording.jsonl")
    recorder.reset_recording()
    recorder.start_recording()
    yield tmp_path / "recording.jsonl"
    recorder.stop_recording()


def test_full_scan_is_read_only_and_matches_the_policy(server, recording, tmp_path):
    out = tmp_path / "out"
    result = server.run("scan", "--endpoint-url", server.url, "--all-regions", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in recording.read_text().splitlines() if line.strip()]
    operations = {operation(e) for e in entries}
    assert len(entries) > 100
    for op in operations:
        verb = op.split(":", 1)[1]
        assert verb.startswith(("Describe", "List", "Get")), op
    policy_actions = set(policy_document()["Statement"][0]["Action"])
    # nothing missing, nothing extra (the organisation's two actions are used by --org only)
    assert operations == policy_actions - {"sts:AssumeRole", "organizations:ListAccounts"}
    regions = json.loads((out / "findings.json").read_text())["scope"]["regions"]
    assert {"us-east-1", "eu-west-1"} <= set(regions) and len(regions) > 2


def test_org_scan_is_read_only_and_matches_the_policy(server, organisation, recording, tmp_path):
    """`scan --org --all-regions`: ListAccounts, one AssumeRole per member, each account's
    enabled regions — and still only reads, exactly the policy's actions."""
    out = tmp_path / "out"
    result = server.run(
        "scan", "--endpoint-url", server.url, "--org", "--all-regions", "--out", str(out), "--quiet"
    )
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in recording.read_text().splitlines() if line.strip()]
    ops = [operation(e) for e in entries]
    assert set(ops) == set(policy_document()["Statement"][0]["Action"])
    assert ops.count("organizations:ListAccounts") == 1
    assert ops.count("sts:AssumeRole") == 2  # prod and locked; the management account uses its own
    doc = json.loads((out / "findings.json").read_text())
    statuses = {a["account"]: a["status"] for a in doc["accounts"]}
    assert statuses["123456789012"] == "ok" and statuses[organisation["prod"]] == "ok"
    assert statuses[organisation["locked"]] == "failed"
    assert (out / "accounts.csv").read_text().count("\n") == 1 + len(statuses)
    member = json.loads((ROOT / "iam-policy-member.json").read_text())
    assert member == policy_document(member=True)


def test_shipped_policy_file_matches_the_command():
    shipped = json.loads((ROOT / "iam-policy.json").read_text())
    assert shipped == policy_document()


def test_no_secret_value_reaches_any_output(server, tmp_path):
    out = tmp_path / "out"
    result = server.run(
        "scan", "--endpoint-url", server.url, "--region", "us-east-1,eu-west-1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    files = sorted(out.iterdir())
    assert len(files) == 8  # html, json ×2, csv ×5 (findings, accounts, three capacity tables)
    for path in files:
        text = path.read_text()
        for secret in SECRET_VALUES:
            assert secret not in text, (path.name, secret)
