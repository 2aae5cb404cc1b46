"""deploy/: the templates grant exactly the read-only actions of `ecs-net-audit policy` (no more,
no less), and the build script uses manylinux wheels. cfn-lint runs on every template from the
README's test command (and so in CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.cli import policy_document
from tests.aws_lambda.sfn_local import _CfnLoader

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def load(name: str) -> dict[str, Any]:
    import yaml

    return yaml.load((DEPLOY / name).read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def read_only_actions(role: dict[str, Any]) -> set[str]:
    for policy in role["Properties"]["Policies"]:
        if isinstance(policy, dict) and policy.get("PolicyName") == "ecs-net-audit-read-only":
            (statement,) = policy["PolicyDocument"]["Statement"]
            assert statement["Resource"] == "*" and statement["Effect"] == "Allow"
            return set(statement["Action"])
    raise AssertionError("no ecs-net-audit-read-only policy")


def test_roles_grant_the_policy_command_actions() -> None:
    # organisation-wide actions are granted where they are used (OrgRole, the member-accounts policy)
    elsewhere = {"organizations:ListAccounts", "sts:AssumeRole"}
    expected = {a for s in policy_document()["Statement"] for a in s["Action"]} - elsewhere
    audit_role = load("template.yaml")["Resources"]["AuditRole"]
    member_role = load("member-role.yaml")["Resources"]["AuditRole"]
    for where, role in (("template.yaml AuditRole", audit_role), ("member-role.yaml", member_role)):
        actions = read_only_actions(role)
        assert actions == expected, (
            f"deploy/{where}: add {sorted(expected - actions)}, remove {sorted(actions - expected)} "
            "(the read-only statement must equal `ecs-net-audit policy`)"
        )
        assert not any(a.split(":")[1].startswith(("Put", "Create", "Delete", "Update")) for a in actions)


def test_member_role_trusts_only_the_audit_account_with_an_external_id() -> None:
    (statement,) = load("member-role.yaml")["Resources"]["AuditRole"]["Properties"][
        "AssumeRolePolicyDocument"
    ]["Statement"]
    assert statement["Principal"]["AWS"] == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:root"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}


def test_bucket_is_encrypted_private_and_expires_old_runs() -> None:
    bucket = load("template.yaml")["Resources"]["RunsBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert (
        all(bucket["PublicAccessBlockConfiguration"].values())
        and len(bucket["PublicAccessBlockConfiguration"]) == 4
    )
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == {"Ref": "RetentionDays"}


def test_build_uses_manylinux_wheels_only() -> None:
    script = (DEPLOY / "build.sh").read_text()
    assert (
        "--platform manylinux2014_x86_64" in script
        and "--only-binary=:all:" in script
        and "--target" in script
    )


def bucket_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for policy in role["Properties"]["Policies"]
        if isinstance(policy, dict) and "PolicyDocument" in policy  # SAM policy templates aside
        for s in policy["PolicyDocument"]["Statement"]
        if s.get("Effect") == "Allow"
        and s.get("Resource") in ({"Fn::GetAtt": "RunsBucket.Arn"}, {"Fn::GetAtt": ["RunsBucket", "Arn"]})
    ]


def test_roles_that_write_runs_may_list_the_bucket_without_a_prefix_condition() -> None:
    # The handler's reachability check is HeadBucket, which IAM authorises as s3:ListBucket with no
    # s3:prefix in the request; without plain ListBucket, a missing latest/findings.json answers
    # 403 instead of 404, and the aggregator cannot list the prefix to name its run folder.
    resources = load("template.yaml")["Resources"]
    for name in ("AuditRole", "OrgRole"):
        lists = [
            s
            for s in bucket_statements(resources[name])
            if "s3:ListBucket" in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        assert lists, f"{name} cannot list the runs bucket"
        assert all("Condition" not in s for s in lists), f"{name}: HeadBucket carries no s3:prefix"
