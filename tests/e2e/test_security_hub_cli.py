"""`--security-hub` and `policy --security-hub` through the CLI: the import lands in the scanned
account's Security Hub in each region, the baseline's resolved findings are archived and
resolved, a denied import still writes the report and exits 5 with one plain line."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from auditor.cli import EXIT_IMPORT_FAILED, _finish, _security_hub_import, main
from auditor.config import Config, with_overrides
from auditor.outputs.securityhub import ACTION, securityhub_client
from auditor.pipeline import analyse
from auditor.report import render_all
from tests.e2e.conftest import recorded_operation
from tests.report.test_asff_ocsf import small_snapshot

REGIONS = "us-east-1,eu-west-1"


def stored_ids(server, region: str) -> dict[str, dict]:
    client = boto3.client("securityhub", region_name=region, endpoint_url=server.url)
    found: dict[str, dict] = {}
    for page in client.get_paginator("get_findings").paginate():
        found.update({f["Id"]: f for f in page["Findings"]})
    return found


@pytest.fixture
def own_recording(tmp_path):
    """This test's requests in a file of its own (the opt-in import is a write: it must not count
    against the session's read-only check), the recorder put back as it was afterwards."""
    from moto.moto_api import recorder

    saved = recorder._location, recorder._user_enabled
    recorder._location = str(tmp_path / "securityhub-recording.jsonl")
    recorder.reset_recording()
    recorder.start_recording()
    try:
        yield Path(recorder._location)
    finally:
        recorder._location, recorder._user_enabled = saved


def test_scan_imports_into_each_account_region(server, tmp_path, own_recording):
    first = tmp_path / "first"
    result = server.run(
        "scan", "--endpoint-url", server.url, "--region", REGIONS, "--out", str(first),
        "--format", "json,asff", "--security-hub", "--fail-on", "critical",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # a finding at --fail-on, the import went fine
    asff = json.loads((first / "findings.asff.json").read_text())
    assert f"Security Hub: {len(asff)} findings imported in 2 calls" in result.stdout
    for region in REGIONS.split(","):
        stored = stored_ids(server, region)
        assert {f["Id"] for f in asff if f["Region"] == region} <= set(stored)
    entries = [json.loads(line) for line in own_recording.read_text().splitlines() if line.strip()]
    imports = [op for op in map(recorded_operation, entries) if op == ACTION]
    assert len(imports) == 2  # one call per region: each region's hub gets its own findings


def test_a_run_with_a_baseline_archives_and_resolves_what_went_away(tmp_path, capsys, aws_env):
    """moto has no BatchUpdateFindings: the Security Hub side is a Stubber with the documented
    responses, and the test checks what the CLI step sends."""
    first = analyse(small_snapshot(), Config())
    baseline = json.loads(render_all(first, ("json",))["findings.json"])
    gone = dict(baseline["findings"][0], id="0000feedfacecafe")
    baseline["findings"].append(gone)
    result = analyse(small_snapshot(), Config(), baseline)
    config = with_overrides(Config(), out=str(tmp_path / "out"), formats=("json",))
    client = securityhub_client(boto3.session.Session(region_name="us-east-1"), "us-east-1")
    stub = Stubber(client)
    count = len(result.findings) + 1
    gone_id = f"ecs-net-audit/{gone['account']}/{gone['region']}/0000feedfacecafe"
    stub.add_response(
        "batch_import_findings", {"FailedCount": 0, "SuccessCount": count, "FailedFindings": []}
    )
    product = f"arn:aws:securityhub:us-east-1:{gone['account']}:product/{gone['account']}/default"
    identifiers = [{"Id": gone_id, "ProductArn": product}]
    stub.add_response(
        "batch_update_findings",
        {"ProcessedFindings": identifiers, "UnprocessedFindings": []},
        {"FindingIdentifiers": identifiers, "Workflow": {"Status": "RESOLVED"}},
    )
    stub.activate()
    importer = _security_hub_import(lambda account: None, config, False, client_factory=lambda s, r: client)
    assert _finish(result, config, "scan", False, importer) == 0
    stub.assert_no_pending_responses()
    assert f"Security Hub: {count} findings imported in 2 calls, 1 resolved" in capsys.readouterr().out


def test_denied_import_writes_the_report_and_exits_5(tmp_path, capsys, aws_env):
    result = analyse(small_snapshot(), Config())
    config = with_overrides(Config(), out=str(tmp_path / "out"), formats=("json",))
    client = securityhub_client(boto3.session.Session(region_name="us-east-1"), "us-east-1")
    stub = Stubber(client)
    stub.add_client_error(
        "batch_import_findings",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform: securityhub:BatchImportFindings",
        http_status_code=403,
    )
    stub.activate()
    importer = _security_hub_import(lambda account: None, config, False, client_factory=lambda s, r: client)
    code = _finish(result, config, "scan", False, importer)
    assert code == EXIT_IMPORT_FAILED == 5
    assert (tmp_path / "out" / "findings.json").exists()  # the report is written first
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("ecs-net-audit: error: Security Hub: 0 findings imported")
    assert "AccessDeniedException" in first and "NOT imported" in first
    assert "Traceback" not in err


def test_policy_stays_read_only_and_prints_the_import_statement_on_request(capsys):
    assert main(["policy"]) == 0
    plain = json.loads(capsys.readouterr().out)
    actions = [a for s in plain["Statement"] for a in s["Action"]]
    assert not any(a.startswith("securityhub:") for a in actions)
    assert main(["policy", "--security-hub"]) == 0
    extra = json.loads(capsys.readouterr().out)
    assert extra["Statement"][0] == plain["Statement"][0]
    importing, resolving = extra["Statement"][1:]
    assert importing["Action"] == ["securityhub:BatchImportFindings"]
    assert importing["Resource"] == "arn:*:securityhub:*:*:product/*/default"
    assert resolving["Action"] == ["securityhub:BatchUpdateFindings"]


def test_security_hub_is_a_scan_option_only(capsys):
    for command in (["demo", "--security-hub"], ["report", "x.json", "--security-hub"]):
        assert main(command) == 2
        assert "unrecognized arguments: --security-hub" in capsys.readouterr().err


def test_org_scan_imports_each_accounts_findings_into_its_own_hub(
    server, organisation, tmp_path, own_recording
):
    """`scan --org --security-hub`: a member's findings land in that member's Security Hub (through
    its role), the management account's in its own; a member whose role is refused has none."""
    from auditor.collect.accounts import assume_role_session

    out = tmp_path / "org"
    result = server.run(
        "scan", "--endpoint-url", server.url, "--org", "--region", "us-east-1", "--out", str(out),
        "--format", "json,asff", "--security-hub",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    asff = json.loads((out / "findings.asff.json").read_text())
    prod = organisation["prod"]
    mine = {f["Id"] for f in asff if f["AwsAccountId"] == prod}
    assert mine
    base = boto3.session.Session(region_name="us-east-1")
    member = assume_role_session(base, prod, "ecs-net-audit", endpoint_url=server.url)
    hub = member.client("securityhub", region_name="us-east-1", endpoint_url=server.url)
    stored = {f["Id"] for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]}
    assert mine <= stored
    assert not {f["Id"] for f in asff if f["AwsAccountId"] != prod} & stored
    assert not any(f["AwsAccountId"] == organisation["locked"] for f in asff)
