"""`auditor.aws_lambda.handler` in-process against moto: S3 layout, one message for what is new,
EMF lines, structured logs, the summary, and a bucket that refuses the upload."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor import aws_lambda
from auditor.demo.realism import set_eni_quota
from auditor.report.emf import METRICS, NAMESPACE
from tests.aws_lambda.conftest import ACCOUNT, BUCKET, PREFIX, REGION, Aws, findings_of, small_account

ROOT = f"{PREFIX}/{ACCOUNT}"


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """Every line the function printed, each parsed as one JSON object (fails on any other line)."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_three_runs_one_message_for_the_new_high_finding(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    small_account()
    first = aws_lambda.handler({}, None)
    assert "error" not in first, first
    assert first["new"]["high"] == 0 and first["new"]["critical"] == 0
    assert aws.messages() == []

    set_eni_quota(ACCOUNT, REGION, 2)  # 2 ENIs of a quota of 2: a new high eni-quota finding
    second = aws_lambda.handler({}, None)
    third = aws_lambda.handler({}, None)

    messages = aws.messages()
    assert len(messages) == 1, [m.get("Subject") for m in messages]
    message = messages[0]
    assert message["Subject"] == f"ECS network audit {ACCOUNT}: 1 new high finding"
    body = message["Message"]
    assert "[HIGH] eni-quota" in body and "use 100% of the quota of 2" in body
    assert f"where: {ACCOUNT} {REGION}, region {REGION}" in body
    assert second["report"] in body and second["report"].startswith(f"s3://{BUCKET}/{ROOT}/")
    assert "## ECS network audit" in body  # the Markdown summary
    assert second["new"]["high"] == 1 and third["new"]["high"] == 0
    assert third["summary"]["high"] == 1
    assert len(json.dumps(second)) < 4096

    latest = aws.read_json(f"{ROOT}/latest/findings.json")
    assert latest == aws.read_json(third["findings"].removeprefix(f"s3://{BUCKET}/"))
    assert findings_of(latest, "eni-quota")[0]["change"] == "unchanged"


def test_s3_layout(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    small_account()
    result = aws_lambda.handler({}, None)
    run = result["run"].removeprefix(f"s3://{BUCKET}/")
    stamp = run.rsplit("/", 1)[-1]
    assert run == f"{ROOT}/{stamp}" and len(stamp) == len("2026-11-25T100000Z") and stamp[10] == "T"
    assert aws.keys() == sorted(
        [f"{run}/{name}" for name in ("report.html", "findings.json", "snapshot.json", "summary.md")]
        + [f"{run}/metrics.emf.jsonl", f"{ROOT}/latest/findings.json"]
    )
    assert result["findings"] == f"s3://{BUCKET}/{run}/findings.json"
    assert result["snapshot"] == f"s3://{BUCKET}/{run}/snapshot.json"
    assert set(result) >= {
        "account",
        "regions",
        "complete",
        "summary",
        "new",
        "report",
        "findings",
        "snapshot",
    }
    assert result["account"] == ACCOUNT and result["regions"] == [REGION] and result["complete"] is True
    head = aws.s3.head_object(Bucket=BUCKET, Key=f"{run}/report.html")
    assert head["ContentType"].startswith("text/html")


def test_emf_and_structured_logs(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    small_account()
    aws.monkeypatch.setenv("ECS_NET_AUDIT_REGIONS", "us-east-1,eu-west-1")
    aws_lambda.handler({}, None)
    printed = lines(capsys)
    emf = [r for r in printed if "_aws" in r]
    logs = [r for r in printed if "_aws" not in r]
    assert sorted((r["Account"], r["Region"]) for r in emf) == [(ACCOUNT, "eu-west-1"), (ACCOUNT, REGION)]
    for record in emf:
        (directive,) = record["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE and directive["Dimensions"] == [["Account", "Region"]]
        named = {m["Name"] for m in directive["Metrics"]}
        assert named <= set(METRICS) and all(name in record for name in named)
        # no container instance or ECS subnet here: the two minima are absent, never a made-up 0
        assert named == set(METRICS) - {"MinEniHeadroom", "MinSubnetProjectedFree"}
        assert record["AuditComplete"] == 1 and isinstance(record["_aws"]["Timestamp"], int)
    by_region = {r["Region"]: r for r in emf}
    assert by_region[REGION]["EniQuotaUtilization"] == pytest.approx(100 * 2 / 5000)
    assert [r["message"] for r in logs] == ["audit written"] and logs[0]["level"] == "INFO"
    assert logs[0]["account"] == ACCOUNT and logs[0]["run"].startswith(f"s3://{BUCKET}/")


def test_denied_upload_is_a_clear_error_and_leaves_latest_alone(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    small_account()
    good = aws_lambda.handler({}, None)
    before = aws.read_json(f"{ROOT}/latest/findings.json")
    set_eni_quota(ACCOUNT, REGION, 2)  # this run would change latest/ if it were written
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    aws.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(deny))
    capsys.readouterr()
    result = aws_lambda.handler({}, None)
    assert result["complete"] is False and result["account"] == ACCOUNT
    assert "AccessDenied" in result["error"] and f"s3://{BUCKET}/{ROOT}/" in result["error"]
    assert "still points at the previous run" in result["error"]
    printed = lines(capsys)
    errors = [r for r in printed if r.get("level") == "ERROR"]
    assert len(errors) == 1 and errors[0]["error"] == result["error"]
    assert [r["AuditComplete"] for r in printed if "_aws" in r] == [0]
    aws.s3.delete_bucket_policy(Bucket=BUCKET)
    assert aws.read_json(f"{ROOT}/latest/findings.json") == before
    assert [k for k in aws.keys() if "/latest/" in k] == [f"{ROOT}/latest/findings.json"]
    assert good["run"] != result.get("run")
    assert aws.messages() == []  # nothing new was published for a run that was not written


def deny_eni_quota(account: str, region: str) -> None:
    """Service Quotas answers AccessDeniedException (as after a policy or SCP change)."""
    from moto.backends import get_backend
    from moto.core.exceptions import JsonRESTError

    def refuse(service_code: str, quota_code: str) -> Any:
        raise JsonRESTError(
            "AccessDeniedException", "not authorized to perform servicequotas:GetServiceQuota"
        )

    backend = get_backend("service-quotas")[account][region]
    setattr(backend, "get_service_quota", refuse)  # noqa: B010 - instance override


def test_incomplete_after_complete_is_one_message(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    small_account()
    aws_lambda.handler({}, None)
    assert aws.messages() == []
    deny_eni_quota(ACCOUNT, REGION)
    result = aws_lambda.handler({}, None)
    again = aws_lambda.handler({}, None)  # still incomplete, but so was the previous run: quiet
    assert result["complete"] is False and again["complete"] is False
    (message,) = aws.messages()
    assert message["Subject"] == f"ECS network audit {ACCOUNT}: audit incomplete"
    assert "INCOMPLETE" in message["Message"] and "servicequotas:GetServiceQuota" in message["Message"]


def test_settings_errors_are_one_line(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.monkeypatch.setenv("ECS_NET_AUDIT_OUT", "/tmp/not-s3")
    result = aws_lambda.handler({}, None)
    assert result["error"] == "ECS_NET_AUDIT_OUT must be an s3://BUCKET/PREFIX location"
    aws.monkeypatch.setenv("ECS_NET_AUDIT_OUT", f"s3://{BUCKET}/{PREFIX}")
    assert "12-digit" in aws_lambda.handler({"account": "12"}, None)["error"]
    aws.monkeypatch.setenv("ECS_NET_AUDIT_NOTIFY_ON", "loud")
    assert "ECS_NET_AUDIT_NOTIFY_ON" in aws_lambda.handler({}, None)["error"]
    aws.monkeypatch.setenv("ECS_NET_AUDIT_NOTIFY_ON", "high")
    aws.monkeypatch.setenv("ECS_NET_AUDIT_CONFIG", "[thresholds]\neni_quota_high = 7\n")
    assert "eni_quota_high" in aws_lambda.handler({}, None)["error"]
    assert all(r["level"] == "ERROR" for r in lines(capsys) if "level" in r)


def test_event_names_another_account(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    import boto3

    member = "210987654321"
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/setup", RoleSessionName="setup"
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    small_account(member, session=session)
    result = aws_lambda.handler(
        {"account": member, "role_name": "ecs-net-audit", "external_id": "nightly-1"}, None
    )
    assert result["account"] == member and "error" not in result
    assert result["run"].startswith(f"s3://{BUCKET}/{PREFIX}/{member}/")
    doc = aws.read_json(f"{PREFIX}/{member}/latest/findings.json")
    assert doc["scope"]["accounts"] == [member]
    assert aws.keys(f"{PREFIX}/{ACCOUNT}/") == []  # the function's own account was not audited


class FakeContext:
    aws_request_id = "req-1"

    def __init__(self, remaining_ms: int):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.mark.parametrize(
    ("remaining_ms", "configured", "expected"),
    [
        (900_000, 900.0, 840.0),  # a 15-minute function keeps a minute to write the run
        (300_000, 120.0, 120.0),  # the configured timeout when it is the shorter
        (30_000, 900.0, 10.0),  # never below ten seconds
    ],
)
def test_scan_deadline_leaves_time_to_write(remaining_ms: int, configured: float, expected: float) -> None:
    assert aws_lambda.collection_seconds(FakeContext(remaining_ms), configured) == expected
    assert aws_lambda.collection_seconds(None, configured) == configured
    assert not hasattr(aws_lambda, "scan_deadline")  # one name: collect/session.py's context manager


def test_clients_always_get_the_deadline(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """No signature sniffing: Clients takes `deadline_seconds`, the handler passes it."""
    from auditor.collect import session as session_module

    given: list[dict[str, Any]] = []
    original = session_module.Clients

    class Recording(original):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            given.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(session_module, "Clients", Recording)
    small_account()
    result = aws_lambda.handler({}, FakeContext(300_000))
    assert "error" not in result
    assert given and given[0]["deadline_seconds"] == 240.0


def test_role_name_keeps_its_path(aws: Aws) -> None:
    settings = aws_lambda.Settings.load(
        {"ECS_NET_AUDIT_OUT": f"s3://{BUCKET}/{PREFIX}"},
        {"account": "210987654321", "role_name": "team/ecs-net-audit"},
    )
    assert settings.role_name == "team/ecs-net-audit"


def test_assumed_session_follows_the_config_chain_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same entry point as the CLI's organisation scan: role_chain and endpoint_url from the config."""
    from auditor.collect import accounts

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(accounts, "assume_role_session", lambda *a, **k: calls.append((a, k)) or "S")
    config, _ = aws_lambda.load_config_text(
        '[scan]\nrole_chain = ["arn:aws:iam::111111111111:role/hub"]\n'
        'endpoint_url = "http://localhost:5000"\n'
    )
    settings = aws_lambda.Settings.load(
        {"ECS_NET_AUDIT_OUT": f"s3://{BUCKET}/{PREFIX}"},
        {"account": "210987654321", "role_name": "team/ecs-net-audit", "external_id": "nightly-1"},
    )
    base = object()
    assert aws_lambda._session_for(settings, config, base, ACCOUNT, "aws", REGION) == "S"
    (args, kwargs) = calls[0]
    assert args == (base, "210987654321", "team/ecs-net-audit", "nightly-1")
    assert kwargs["chain"] == ("arn:aws:iam::111111111111:role/hub",)
    assert kwargs["endpoint_url"] == "http://localhost:5000"
    assert kwargs["partition"] == "aws" and kwargs["region"] == REGION
    assert aws_lambda._session_for(settings, config, base, "210987654321", "aws", REGION) is base


def test_one_copy_of_the_core_rules() -> None:
    """Severities, counts and the account/role/external-id rules are the core's, not copies."""
    from auditor import findings

    assert aws_lambda.SEVERITIES is findings.SEVERITIES
    assert not hasattr(aws_lambda, "_counts") and not hasattr(aws_lambda, "_ROLE")
    env = {"ECS_NET_AUDIT_OUT": f"s3://{BUCKET}/{PREFIX}"}
    with pytest.raises(aws_lambda.ConfigError, match="role_name"):
        aws_lambda.Settings.load(env, {"account": "210987654321", "role_name": "team//audit"})  # as config.py
