"""The organisation fan-out: the deployed state machine (run by the local runner with Step Functions'
Distributed Map semantics) driving the real handler over a moto organisation, and `aggregate` on each
of the contract's event shapes."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest

from auditor import aws_lambda
from auditor.report import render_all
from tests.aws_lambda.conftest import ACCOUNT, BUCKET, PREFIX, REGION, Aws, make_aws, small_account
from tests.aws_lambda.sfn_local import LocalStepFunctions, definition

AUDIT, ACCOUNTS, AGGREGATE = (
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{n}" for n in ("audit", "accounts", "aggregate")
)


def member_session(account: str) -> Any:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Aws, dict[str, Any]]]:
    """One moto organisation for the module (building accounts is the slow part): the management
    account and two members with resources; the role in `locked` cannot be assumed."""
    from moto import mock_aws

    from auditor.demo.realism import moto_like_aws
    from tests.conftest import _FAKE

    with pytest.MonkeyPatch.context() as mp:
        for key, value in _FAKE.items():
            mp.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            mp.delenv(key, raising=False)
        mp.setenv("AWS_CONFIG_FILE", os.devnull)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        with mock_aws(), moto_like_aws():
            aws = make_aws(mp)
            client = boto3.client("organizations", region_name=REGION)
            client.create_organization(FeatureSet="ALL")
            members = []
            for name in ("payments", "locked"):
                status = client.create_account(AccountName=name, Email=f"{name}@example.com")[
                    "CreateAccountStatus"
                ]
                members.append(status["AccountId"])
            retired = client.create_account(AccountName="retired", Email="retired@example.com")
            client.close_account(
                AccountId=retired["CreateAccountStatus"]["AccountId"]
            )  # SUSPENDED: not audited
            for account in members:
                small_account(account, session=member_session(account))
            small_account()
            locked = members[1]
            original = aws_lambda._session_for

            def session_for(settings: Any, *args: Any) -> Any:
                if settings.account == locked:  # moto trusts every role; AWS would refuse this one
                    raise botocore.exceptions.ClientError(
                        {
                            "Error": {
                                "Code": "AccessDenied",
                                "Message": "not authorized to perform sts:AssumeRole",
                            }
                        },
                        "AssumeRole",
                    )
                return original(settings, *args)

            mp.setattr(aws_lambda, "_session_for", session_for)
            yield aws, {"payments": members[0], "locked": locked, "all": sorted([ACCOUNT, *members])}


@pytest.fixture
def org(world: tuple[Aws, dict[str, Any]]) -> dict[str, Any]:
    return world[1]


@pytest.fixture
def aws(world: tuple[Aws, dict[str, Any]]) -> Aws:
    """The module's account with an empty bucket and inbox: each test starts with no earlier run."""
    aws = world[0]
    for key in aws.keys():
        aws.s3.delete_object(Bucket=BUCKET, Key=key)
    aws.messages()
    return aws


def machine(tolerated: int | None = None, concurrency: int | None = None) -> dict[str, Any]:
    spec = definition(
        {
            "AuditFunctionArn": AUDIT,
            "AccountsFunctionArn": ACCOUNTS,
            "AggregateFunctionArn": AGGREGATE,
            "Bucket": BUCKET,
            "ResultPrefix": f"{PREFIX}/org/map-results",
            "MemberRoleName": "ecs-net-audit",
            "ExternalId": "nightly-ext",
        }
    )
    audit_map = spec["States"]["AuditAccounts"]
    if tolerated is not None:
        audit_map["ToleratedFailurePercentage"] = tolerated
    if concurrency is not None:
        audit_map["MaxConcurrency"] = concurrency
    return spec


def runner(aws: Aws) -> LocalStepFunctions:
    return LocalStepFunctions(
        {AUDIT: aws_lambda.handler, ACCOUNTS: aws_lambda.accounts, AGGREGATE: aws_lambda.aggregate}, aws.s3
    )


def test_deployed_definition_fails_past_its_tolerance(aws: Aws, org: dict[str, Any]) -> None:
    spec = machine()
    assert spec["States"]["AuditAccounts"]["ToleratedFailurePercentage"] == 10
    sfn = runner(aws)
    status, output = sfn.execute(spec, {})
    # one account in three could not be audited: 33 % > 10 % → the map, and the execution, fail
    assert (status, output["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert output["cause"] == "1 of 3 items failed"
    assert aws.keys(f"{PREFIX}/org/latest/") == []  # the aggregator did not run
    manifests = [k for k in aws.keys(f"{PREFIX}/org/map-results/") if k.endswith("manifest.json")]
    assert len(manifests) == 1  # ResultWriter wrote what the children returned all the same


def test_organization_run_with_tolerance(
    aws: Aws, org: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    sfn = runner(aws)
    status, result = sfn.execute(machine(tolerated=50, concurrency=2), {})
    assert status == "SUCCEEDED", result
    assert sfn.peak_children <= 2
    assert result["accounts"] == 3 and result["failed"] == [org["locked"]] and result["complete"] is False
    assert result["findings"].startswith(f"s3://{BUCKET}/{PREFIX}/org/")
    for account in org["all"]:
        assert (account == org["locked"]) == (aws.keys(f"{PREFIX}/{account}/latest/") == [])
    doc = aws.read_json(f"{PREFIX}/org/latest/findings.json")
    assert sorted(doc["scope"]["accounts"]) == org["all"]
    assert len(doc["run_id"]) == 36 and doc["run_id"].count("-") == 4  # a run id of its own
    failed_rows = [c for c in doc["coverage"] if c["status"] != "ok"]
    assert [(c["account"], c["api"], c["status"], c.get("reason")) for c in failed_rows] == [
        (org["locked"], "sts:AssumeRole", "denied", "assume-role")
    ]
    assert "AccessDenied" in failed_rows[0]["detail"]
    audited = {c["account"] for c in doc["coverage"] if c["status"] == "ok"}
    assert audited == set(org["all"]) - {org["locked"]}
    run = result["run"].removeprefix(f"s3://{BUCKET}/")
    table = list(
        csv.DictReader(
            io.StringIO(aws.s3.get_object(Bucket=BUCKET, Key=f"{run}/accounts.csv")["Body"].read().decode())
        )
    )
    assert {r["account"]: r["status"] for r in table} == {
        a: ("failed" if a == org["locked"] else "ok") for a in org["all"]
    }
    assert {r["account"]: r["name"] for r in table}[org["payments"]] == "payments"  # from the item list
    summary = aws.s3.get_object(Bucket=BUCKET, Key=f"{run}/summary.md")["Body"].read().decode()
    assert f"1 account(s) not audited**: {org['locked']}" in summary
    # the organisation's report.html: the per-account table, each account's report, the gap named
    assert result["report"] == f"s3://{BUCKET}/{run}/report.html"
    page = aws.s3.get_object(Bucket=BUCKET, Key=f"{run}/report.html")["Body"].read().decode()
    assert page.count('class="account-row') == 3 and f"s3://{BUCKET}/{PREFIX}/{org['payments']}/" in page
    assert "Incomplete audit" in page and org["locked"] in page
    keys = {k.rsplit("/", 1)[1] for k in aws.keys(f"{run}/")}
    assert {"report.html", "findings.json", "accounts.csv", "findings.csv", "summary.md"} <= keys
    assert "snapshot.json" not in keys
    # the item list the accounts function wrote: every ACTIVE account, the management one included
    items = aws.read_json(f"{PREFIX}/org/accounts.json")
    assert sorted(i["account"] for i in items) == org["all"]
    # each child was given the role name and external ID of the template
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert sum(1 for r in logs if r.get("message") == "audit written") == 2


def test_item_list_from_s3_names_the_accounts(aws: Aws, org: dict[str, Any]) -> None:
    chosen = [org["payments"], ACCOUNT]
    aws.s3.put_object(
        Bucket=BUCKET, Key="lists/accounts.json", Body=json.dumps([{"account": a} for a in chosen]).encode()
    )
    status, result = runner(aws).execute(
        machine(), {"item_list": {"Bucket": BUCKET, "Key": "lists/accounts.json"}}
    )
    assert status == "SUCCEEDED", result
    assert result["accounts"] == 2 and result["failed"] == [] and result["complete"] is True
    assert sorted(aws.read_json(f"{PREFIX}/org/latest/findings.json")["scope"]["accounts"]) == sorted(chosen)


def test_aggregate_takes_handler_results_or_invoke_results(aws: Aws, org: dict[str, Any]) -> None:
    from moto.backends import get_backend

    from auditor.demo.realism import set_eni_quota

    payments, own = org["payments"], ACCOUNT
    set_eni_quota(payments, REGION, 2)  # a high eni-quota finding in one account
    try:
        results = [aws_lambda.handler({"account": a}, None) for a in (payments, own)]
    finally:
        delattr(get_backend("service-quotas")[payments][REGION], "get_service_quota")
    for n, event in enumerate((results, [{"Payload": r, "StatusCode": 200} for r in results])):
        merged = aws_lambda.aggregate(event, None)
        assert merged["accounts"] == 2 and merged["summary"]["high"] == 1 and merged["complete"] is True
        # the first organisation run has nothing to compare with; the second has the first
        assert merged["new"]["high"] == (1 if n == 0 else 0)
        doc = aws.read_json(f"{PREFIX}/org/latest/findings.json")
        assert {f.get("change") for f in doc["findings"]} == {"new" if n == 0 else "unchanged"}
        high = [(f["account"], f["check"]) for f in doc["findings"] if f["severity"] == "high"]
        assert high == [(payments, "eni-quota")]
        assert {c["account"] for c in doc["coverage"]} == {payments, own}
        assert len(json.dumps(merged)) < 4096


def test_aggregate_refuses_an_unknown_event(aws: Aws) -> None:  # noqa: ARG001 - needs the environment
    from auditor.errors import ConfigError

    with pytest.raises(ConfigError):
        aws_lambda.aggregate("not a list", None)


def account_doc(account: str, coverage_status: str = "ok", high: int = 0) -> dict[str, Any]:
    """An account run's findings.json, written by the real reporter from a small result."""
    from auditor.analysis.zones import ZoneCapacity
    from auditor.findings import Finding
    from auditor.model import Coverage, Snapshot
    from auditor.report import render_all
    from auditor.result import AuditResult

    snapshot = Snapshot(
        generated_at="2026-12-01T00:00:00Z",
        tool_version="0",
        accounts=(account,),
        regions=(REGION,),
        coverage=(
            Coverage(account, REGION, "ecs:ListClusters", "ok", calls=1),
            Coverage(account, REGION, "ec2:DescribeSubnets", coverage_status, "AccessDenied"),
        ),
    )
    zone = ZoneCapacity(account, REGION, "c", "us-east-1a", 2, 10, 4, 6, 6)
    findings = tuple(
        Finding("eni-quota", "high", account, REGION, "region", f"r{n}", None, "t", sub_key=f"k{n}")
        for n in range(high)
    )
    result = AuditResult(snapshot, findings, (), (), zones=(zone,))
    return json.loads(render_all(result, ("json",))["findings.json"])


def test_org_merge_keeps_ids_zones_and_names_the_invoke_action(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """capacity.zones is merged like the other capacity rows; findings keep the ids their account
    run wrote; a failed invocation's coverage row names the real IAM action (lambda:InvokeFunction)."""
    monkeypatch.setenv("AWS_REGION", REGION)
    doc = account_doc(ACCOUNT, high=2)
    merged = aws_lambda.OrgMerge()
    request.addfinalizer(merged.close)
    merged.add(doc, {"account": ACCOUNT, "report": "s3://b/r.html"})
    merged.failed({"account": "210987654321", "error": "Task timed out after 900.00 seconds"})
    files = render_all(merged.result(), aws_lambda.ORG_FORMATS)
    out = json.loads(files["findings.json"])
    assert out["capacity"]["zones"] == doc["capacity"]["zones"] != []
    assert sorted(f["id"] for f in out["findings"]) == sorted(f["id"] for f in doc["findings"])
    rows = [c for c in out["coverage"] if c["account"] == "210987654321"]
    assert [(c["api"], c["status"]) for c in rows] == [("lambda:InvokeFunction", "error")]
    assert "snapshot.json" not in files  # an organisation run has the accounts' snapshots, not its own
    assert 'id="accounts-table"' in files["report.html"] and "s3://b/r.html" in files["report.html"]


def test_org_accounts_csv_has_the_many_account_columns(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """One accounts.csv shape (auditor/account_status.py), then each account's report and run_id."""
    from auditor.account_status import AccountRow

    monkeypatch.setenv("AWS_REGION", REGION)
    merged = aws_lambda.OrgMerge(names={ACCOUNT: "payments"})
    request.addfinalizer(merged.close)
    merged.add(
        account_doc(ACCOUNT, coverage_status="denied", high=1),
        {"account": ACCOUNT, "report": "s3://b/r.html"},
    )
    merged.failed({"account": "210987654321", "error": "boom"})
    result = merged.result()
    rows = list(csv.reader(io.StringIO(render_all(result, ("csv",))["accounts.csv"])))
    assert rows[0] == [*AccountRow.__dataclass_fields__, "report", "run_id"]
    counts = ["0", "1", "0", "0", "0"]
    assert rows[1] == [ACCOUNT, "payments", "partial", REGION, *counts, "s3://b/r.html", result.run_id]
    assert rows[2][:3] == ["210987654321", "", "failed"] and rows[2][-1] == result.run_id
    summary = render_all(result, ("md",))["summary.md"]
    assert "1 account(s) not audited**: 210987654321" in summary and "payments" in summary
    accounts = json.loads(render_all(result, ("json",))["findings.json"])["accounts"]
    assert accounts[0]["report"] == "s3://b/r.html" and "error" not in accounts[0]
    assert accounts[1]["report"] == "" and accounts[1]["error"] == "lambda:InvokeFunction: boom"


def test_org_merge_refuses_an_unusable_account_run_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    from auditor.documents import DocumentError

    monkeypatch.setenv("AWS_REGION", REGION)
    merged = aws_lambda.OrgMerge()
    request.addfinalizer(merged.close)
    broken = account_doc(ACCOUNT)
    broken["findings"] = [{"severity": "high"}]  # no id, no check
    with pytest.raises(DocumentError):
        merged.add(broken, {"account": ACCOUNT})
    merged.add(account_doc("210987654321", high=1), {"account": "210987654321"})
    assert [f.account for f in merged.result().findings] == ["210987654321"]
    # the same account twice would count its findings twice: refused, and the aggregate skips it
    assert merged.has("210987654321") and not merged.has(ACCOUNT)
    with pytest.raises(DocumentError, match="already"):
        merged.add(account_doc("210987654321", high=1), {"account": "210987654321"})
    # an account that gave no run audited no region (not the function's own)
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    merged.failed({"account": "333344445555", "error": "boom"})
    assert merged.result().snapshot.regions == (REGION,) and len(merged.result().findings) == 1
