"""The Security Hub import: through moto's Security Hub (accounts, updates, archiving) and
botocore's Stubber for what moto does not do (throttling, per-finding refusals, denial)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from auditor.config import Config
from auditor.outputs.securityhub import (
    BATCH_SIZE,
    ImportReport,
    Pacer,
    import_findings,
    securityhub_client,
)
from auditor.pipeline import analyse
from auditor.report.asff import asff_findings
from auditor.report.json import findings_document
from tests.report.test_asff_ocsf import demo_document, small_snapshot

OTHER = "210987654321"


def all_findings(session: boto3.Session, region: str = "us-east-1") -> dict[str, dict[str, Any]]:
    client = session.client("securityhub", region_name=region)
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("get_findings").paginate():
        found.update({f["Id"]: f for f in page["Findings"]})
    return found


def session_in(account: str) -> boto3.Session:
    """A session acting in `account`, as an organisation run gets one (moto: any role assumes)."""
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/ecs-net-audit", RoleSessionName="test")[
        "Credentials"
    ]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def no_wait() -> Pacer:
    return Pacer(sleep=lambda s: None)


# ------------------------------------------------------------------ through moto


def test_demo_findings_import_once_and_update_on_the_next_run(moto):
    doc = demo_document()
    findings = asff_findings(doc)
    session = boto3.session.Session(region_name="us-east-1")
    asked: list[str] = []

    def session_for(account: str) -> boto3.Session:
        asked.append(account)
        return session

    report = import_findings(findings, session_for, pacer=no_wait())
    regions = {f["Region"] for f in findings}
    assert len(regions) == 2  # the demo spans two regions: each finding goes to its own region's hub
    assert report.ok and report.imported == len(findings) and report.calls == len(regions)
    for region in regions:
        stored = all_findings(session, region)
        assert set(stored) == {f["Id"] for f in findings if f["Region"] == region}
        assert all(f["ProductArn"].endswith(":product/123456789012/default") for f in stored.values())
    # the next run: same ids, so Security Hub updates instead of adding duplicates
    again = import_findings(asff_findings(doc), session_for, pacer=no_wait())
    assert again.ok
    assert sum(len(all_findings(session, r)) for r in regions) == len(findings)
    assert set(asked) == {"123456789012"}


class MotoWithStubbedUpdate:
    """moto's Security Hub for the import; BatchUpdateFindings, which moto lacks, from a Stubber
    fed the documented response."""

    def __init__(self, session: boto3.Session, region: str, identifiers: list[dict[str, str]]) -> None:
        self.moto = session.client("securityhub", region_name=region)
        self.update = securityhub_client(session, region)
        self.stub = Stubber(self.update)
        self.stub.add_response(
            "batch_update_findings",
            {"ProcessedFindings": identifiers, "UnprocessedFindings": []},
            {"FindingIdentifiers": identifiers, "Workflow": {"Status": "RESOLVED"}},
        )
        self.stub.activate()

    def batch_import_findings(self, **kwargs: Any) -> dict[str, Any]:
        return self.moto.batch_import_findings(**kwargs)

    def batch_update_findings(self, **kwargs: Any) -> dict[str, Any]:
        return self.update.batch_update_findings(**kwargs)


def test_resolved_findings_are_archived_and_resolved(moto):
    session = boto3.session.Session(region_name="us-east-1")
    first = findings_document(analyse(small_snapshot(), Config()))
    assert import_findings(asff_findings(first), lambda a: session, pacer=no_wait()).ok
    # the next run finds nothing on that group any more: compare with the first as a baseline
    later = analyse(dataclasses.replace(small_snapshot(), security_groups=()), Config(), first)
    doc = findings_document(later)
    gone = [f for f in first["findings"] if f["check"] == "wide-port-range"]
    assert gone and {f["id"] for f in gone} == {f["id"] for f in doc["resolved"]}
    gone_ids = [f"ecs-net-audit/{f['account']}/{f['region']}/{f['id']}" for f in gone]
    product = f"arn:aws:securityhub:us-east-1:{gone[0]['account']}:product/{gone[0]['account']}/default"
    client = MotoWithStubbedUpdate(session, "us-east-1", [{"Id": i, "ProductArn": product} for i in gone_ids])
    report = import_findings(
        asff_findings(doc), lambda a: session, pacer=no_wait(), client_factory=lambda s, r: client
    )
    assert report.ok, report
    client.stub.assert_no_pending_responses()  # the workflow update was asked for exactly those
    assert report.ok and report.resolved == len(gone)
    assert "resolved" in report.summary()
    stored = all_findings(session)
    for fid in gone_ids:
        assert stored[fid]["RecordState"] == "ARCHIVED" and stored[fid]["Compliance"]["Status"] == "PASSED"
    for f in doc["findings"]:
        assert stored[f"ecs-net-audit/{f['account']}/{f['region']}/{f['id']}"]["RecordState"] == "ACTIVE"


def test_each_account_imports_its_own_with_its_own_session(moto):
    doc = findings_document(analyse(small_snapshot(), Config()))
    theirs = copy.deepcopy(doc)
    for f in theirs["findings"]:
        f["account"] = OTHER
    findings = asff_findings(doc) + asff_findings(theirs)
    sessions = {a: session_in(a) for a in (findings[0]["AwsAccountId"], OTHER)}
    report = import_findings(findings, sessions.__getitem__, pacer=no_wait())
    assert report.ok and report.calls == 2
    for account, session in sessions.items():
        stored = all_findings(session)
        assert stored and {f["AwsAccountId"] for f in stored.values()} == {account}


def test_an_account_without_a_session_is_reported_not_raised(moto):
    findings = asff_findings(findings_document(analyse(small_snapshot(), Config())))

    def session_for(account: str) -> boto3.Session:
        raise RuntimeError("could not assume role")

    report = import_findings(findings, session_for, pacer=no_wait())
    assert not report.ok and report.imported == 0 and report.failed == len(findings)
    assert "could not assume role" in report.summary()


# ------------------------------------------------------------------ Stubber (what moto lacks)


def stubbed(
    responses: list[tuple[str, Any]], operation: str = "batch_import_findings"
) -> tuple[Any, Stubber]:
    client = securityhub_client(boto3.session.Session(region_name="us-east-1"), "us-east-1")
    stub = Stubber(client)
    for kind, value in responses:
        if kind == "ok":
            stub.add_response(operation, value)
        elif kind == "update":
            stub.add_response("batch_update_findings", value)
        elif kind == "update-error":
            code, status = value
            stub.add_client_error(
                "batch_update_findings",
                service_error_code=code,
                service_message=f"{code}!",
                http_status_code=status,
            )
        else:
            code, status = value
            stub.add_client_error(
                operation,
                service_error_code=code,
                service_message=f"{code}!",
                http_status_code=status,
            )
    stub.activate()
    return client, stub


def many(n: int) -> list[dict[str, Any]]:
    (one, *_) = asff_findings(findings_document(analyse(small_snapshot(), Config())))
    return [{**one, "Id": f"{one['Id']}-{i}"} for i in range(n)]


def test_batches_of_100_paced_within_the_rate(aws_env):
    findings = many(2 * BATCH_SIZE + 50)
    client, stub = stubbed(
        [("ok", {"FailedCount": 0, "SuccessCount": n, "FailedFindings": []}) for n in (100, 100, 50)]
    )
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    pacer = Pacer(rate=10, clock=lambda: now[0], sleep=sleep)
    report = import_findings(findings, lambda a: None, pacer=pacer, client_factory=lambda s, r: client)
    stub.assert_no_pending_responses()
    assert report.ok and report.imported == 250 and report.calls == 3
    assert slept == pytest.approx([0.1, 0.1])  # 10 a second: never a burst


def test_throttling_is_retried(aws_env):
    findings = many(3)
    client, stub = stubbed(
        [
            ("error", ("ThrottlingException", 429)),
            ("error", ("TooManyRequestsException", 429)),
            ("error", ("InternalException", 500)),
            ("ok", {"FailedCount": 0, "SuccessCount": 3, "FailedFindings": []}),
        ]
    )
    slept: list[float] = []
    report = import_findings(
        findings, lambda a: None, pacer=no_wait(), sleep=slept.append, client_factory=lambda s, r: client
    )
    stub.assert_no_pending_responses()
    assert report.ok and report.imported == 3 and report.retries == 3 and len(slept) == 3


def test_throttled_past_the_retries_fails_plainly(aws_env):
    findings = many(2)
    client, _ = stubbed([("error", ("ThrottlingException", 429))] * 6)
    report = import_findings(
        findings, lambda a: None, pacer=no_wait(), sleep=lambda s: None, client_factory=lambda s, r: client
    )
    assert not report.ok and report.failed == 2 and "ThrottlingException" in report.summary()


def test_per_finding_failures_are_reported(aws_env):
    findings = many(3)
    refused = {"Id": findings[1]["Id"], "ErrorCode": "InvalidInput", "ErrorMessage": "Finding is too large"}
    client, _ = stubbed([("ok", {"FailedCount": 1, "SuccessCount": 2, "FailedFindings": [refused]})])
    report = import_findings(findings, lambda a: None, pacer=no_wait(), client_factory=lambda s, r: client)
    assert not report.ok and report.imported == 2 and report.failed == 1
    (failure,) = report.failures
    assert (failure.finding_id, failure.code) == (findings[1]["Id"], "InvalidInput")
    assert "1 findings NOT imported" in report.summary() and "too large" in report.summary()


@pytest.mark.parametrize("code,status", [("AccessDeniedException", 403), ("InvalidAccessException", 401)])
def test_permission_denied_or_hub_not_enabled_fails_the_account_region_once(aws_env, code, status):
    findings = many(BATCH_SIZE + 20)  # two batches: the second is not attempted after a denial
    client, stub = stubbed([("error", (code, status))])
    report = import_findings(findings, lambda a: None, pacer=no_wait(), client_factory=lambda s, r: client)
    stub.assert_no_pending_responses()
    assert report.calls == 1 and report.retries == 0 and report.imported == 0
    assert report.failed == len(findings)
    assert code in report.summary() and "NOT imported" in report.summary()


def test_report_summary_when_all_went_in():
    assert ImportReport(imported=3, calls=1).summary() == "Security Hub: 3 findings imported in 1 calls"


def archived(n: int) -> list[dict[str, Any]]:
    return [{**f, "RecordState": "ARCHIVED", "Workflow": {"Status": "RESOLVED"}} for f in many(n)]


def test_archived_findings_get_their_workflow_resolved_100_a_call(aws_env):
    findings = many(2) + archived(150)
    ok = {"FailedCount": 0, "SuccessCount": 100, "FailedFindings": []}
    ident = [{"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in findings[2:]]
    refused = {"FindingIdentifier": ident[-1], "ErrorCode": "FindingNotFound", "ErrorMessage": "not yet"}
    client, stub = stubbed(
        [
            ("ok", ok),
            ("ok", {**ok, "SuccessCount": 52}),
            ("update", {"ProcessedFindings": ident[:100], "UnprocessedFindings": []}),
            ("update", {"ProcessedFindings": ident[100:149], "UnprocessedFindings": [refused]}),
        ]
    )
    report = import_findings(findings, lambda a: None, pacer=no_wait(), client_factory=lambda s, r: client)
    stub.assert_no_pending_responses()
    assert report.imported == 152 and report.resolved == 149 and report.calls == 4
    assert report.failed == 0 and report.unresolved == 1 and not report.ok
    assert "1 archived findings NOT set to RESOLVED" in report.summary()


def test_no_workflow_update_without_permission_is_said_plainly(aws_env):
    findings = archived(3)
    client, stub = stubbed(
        [
            ("ok", {"FailedCount": 0, "SuccessCount": 3, "FailedFindings": []}),
            ("update-error", ("AccessDeniedException", 403)),
        ]
    )
    report = import_findings(findings, lambda a: None, pacer=no_wait(), client_factory=lambda s, r: client)
    stub.assert_no_pending_responses()
    assert report.imported == 3 and report.failed == 0 and report.unresolved == 3
    assert "BatchUpdateFindings" in report.summary() and "AccessDeniedException" in report.summary()


def test_findings_refused_on_import_are_not_resolved(aws_env):
    findings = archived(2)
    refused = {"Id": findings[0]["Id"], "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}
    ident = [{"Id": findings[1]["Id"], "ProductArn": findings[1]["ProductArn"]}]
    client, stub = stubbed(
        [
            ("ok", {"FailedCount": 1, "SuccessCount": 1, "FailedFindings": [refused]}),
            ("update", {"ProcessedFindings": ident, "UnprocessedFindings": []}),
        ]
    )
    report = import_findings(findings, lambda a: None, pacer=no_wait(), client_factory=lambda s, r: client)
    stub.assert_no_pending_responses()
    assert report.resolved == 1 and report.failed == 1
