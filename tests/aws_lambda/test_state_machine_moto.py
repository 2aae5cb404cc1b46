"""The deployed definition's structure run by moto's own Step Functions interpreter.

moto 5.2.1 cannot run the definition as deployed: its parser rejects `ToleratedFailurePercentage`,
it reads no `ItemReader`/`ResultWriter`, Lambda tasks need Docker, and a failed child does not fail
its Distributed Map (measured: the execution SUCCEEDED with `null` items). So this variant keeps the
states and paths — the Choice on `item_list`, the DISTRIBUTED Map with its `ItemSelector` over
`$$.Map.Item.Value`, the Choice on `$.error` and the Fail with `CausePath` — with the Lambda tasks
as Pass states and the items inline; sfn_local.py runs the real thing with the real handler.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3

from tests.aws_lambda.sfn_local import definition

ITEMS = [{"account": "111111111111", "name": "a"}, {"account": "222222222222", "name": "b"}]


def variant() -> dict[str, Any]:
    spec = definition(
        {
            k: "x"
            for k in (
                "AuditFunctionArn",
                "AccountsFunctionArn",
                "AggregateFunctionArn",
                "Bucket",
                "ResultPrefix",
                "ExternalId",
            )
        }
        | {"MemberRoleName": "member-role"}
    )
    states = spec["States"]
    states["ListAccounts"] = {"Type": "Pass", "Result": {"items": ITEMS}, "Next": "AuditAccounts"}
    audit = states["AuditAccounts"]
    for unsupported in ("ItemReader", "ResultWriter", "ToleratedFailurePercentage"):
        audit.pop(unsupported)
    audit["ItemsPath"] = "$.items"
    audit["ItemProcessor"]["States"]["AuditAccount"] = {
        "Type": "Pass",
        "Parameters": {"account.$": "$.account", "role_name.$": "$.role_name"},
        "Next": "Audited",
    }
    states["Aggregate"] = {"Type": "Pass", "End": True}
    return spec


def test_moto_runs_the_definition_structure(aws_env: None) -> None:
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="org-audit", definition=json.dumps(variant()), roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        for _ in range(100):
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.05)
    assert described["status"] == "SUCCEEDED", described
    # each item went through ItemSelector (account from the item, role name from the template)
    assert json.loads(described["output"]) == [
        {"account": "111111111111", "role_name": "member-role"},
        {"account": "222222222222", "role_name": "member-role"},
    ]
