"""Issue 11: whatever a reply holds, collection never crashes and never calls garbage an all-clear.

Three ways in, for every API every collector reads:
- random bytes as the HTTP body (botocore's own parser meets them: `ResponseParserError`, `{}`);
- random JSON (any shape, any types: `desiredCount: "lots"`, records without their ARN);
- random replies that fit the service model, served through botocore's `Stubber` (which checks
  them against the model), one collector at a time.
Properties: `collect_region` returns; a row is `ok` only if its reply was used as it came; the
records collected always make a snapshot that `report` reads back.
"""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collect import autoscaling, ec2, ecs, elbv2, iam, lattice, quotas
from auditor.collect.runner import RegionResult, _attempt, _screen, collect_region
from auditor.collect.session import REPLY_FIELDS, Clients, Recorder
from auditor.model import Cluster, Snapshot
from auditor.snapshot import dumps, loads

ACCOUNT, REGION = "111122223333", "us-east-1"
CLUSTER = Cluster(
    arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod", name="prod", account=ACCOUNT, region=REGION
)
SERVICES = {
    "ecs": "ecs",
    "ec2": "ec2",
    "elasticloadbalancing": "elbv2",
    "iam": "iam",
    "application-autoscaling": "application-autoscaling",
    "servicequotas": "service-quotas",
}
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Any:
        yield self.read()


def _clients() -> Clients:
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name=REGION)
    return Clients(session, retry_mode="standard", max_attempts=1)


def _answer_every_call(clients: Clients, reply: Any) -> None:
    """Every request of every client answered by `reply(operation_name)` → (status, body)."""
    for service in set(SERVICES.values()):
        client = clients.get(service, REGION)

        def send(request: Any, model: Any = None, **_: Any) -> AWSResponse:
            status, payload = reply(request.context.get("operation_name") or "")
            return AWSResponse(
                request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(payload)
            )

        client.meta.events.register("before-send", send)


def _check(result: Any) -> None:
    statuses = {c.api: c.status for c in result.coverage}
    assert set(statuses.values()) <= {"ok", "error", "skipped", "denied"}
    snapshot = Snapshot(
        generated_at="2026-12-01T00:00:00Z",
        tool_version="t",
        accounts=(ACCOUNT,),
        regions=(REGION,),
        coverage=result.coverage,
        **{name: tuple(items) for name, items in result.records.items()},
    )
    assert loads(dumps(snapshot)) == snapshot  # the tool's own snapshot always reads back


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = [
    "taskArn",
    "clusterArn",
    "serviceArn",
    "serviceName",
    "desiredCount",
    "containerInstanceArn",
    "attachments",
    "status",
    "failures",
    "nextToken",
    "NextToken",
    "SubnetId",
    "CidrBlock",
    "AvailableIpAddressCount",
    "NetworkInterfaceId",
    "Value",
    "InstanceType",
    "taskDefinitionArn",
]
records = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6)


def _json_reply(draw: Any) -> Any:
    def reply(operation: str) -> tuple[int, bytes]:
        api = next((a for a in REPLY_FIELDS if a.endswith(":" + operation)), "")
        key = REPLY_FIELDS.get(api, "x")
        doc = draw(
            st.one_of(
                st.dictionaries(st.text(max_size=8), json_values, max_size=3),
                st.builds(lambda items: {key: items}, st.lists(records, max_size=3)),
                st.builds(lambda item: {key: item}, records),
            )
        )
        return 200, json.dumps(doc).encode()

    return reply


@SETTINGS
@given(st.data())
def test_random_json_in_every_reply(aws_env, data):
    clients = _clients()
    _answer_every_call(clients, _json_reply(data.draw))
    _check(collect_region(clients, ACCOUNT, REGION, ("prod",)))


@SETTINGS
@given(st.data())
def test_random_bytes_in_every_reply(aws_env, data):
    clients = _clients()
    _answer_every_call(
        clients,
        lambda operation: (
            data.draw(st.sampled_from([200, 200, 400, 500])),
            data.draw(st.binary(max_size=200)),
        ),
    )
    _check(collect_region(clients, ACCOUNT, REGION, ("prod",)))


# ----------------------------------------------------------------- through Stubber, by the model


def _from_shape(shape: Any, depth: int = 0) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if depth > 5:
            return st.just({})
        required = set(shape.required_members)
        members = {n: _from_shape(m, depth + 1) for n, m in shape.members.items()}
        return st.fixed_dictionaries(
            {n: v for n, v in members.items() if n in required},
            optional={n: v for n, v in members.items() if n not in required},
        )
    if kind == "list":
        return st.lists(_from_shape(shape.member, depth + 1), max_size=2 if depth < 3 else 0)
    if kind == "map":
        return st.dictionaries(st.text(max_size=5), _from_shape(shape.value, depth + 1), max_size=2)
    if kind == "string":
        return st.sampled_from(shape.enum) if shape.enum else st.text(max_size=12)
    if kind in ("integer", "long"):
        return st.integers(-(2**31), 2**31 - 1)
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=True)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes()
    return st.binary(max_size=8)


# (collector, its arguments after the recorder, the operations it calls in order)
COLLECTORS = {
    "clusters": (ecs.collect_clusters, (("prod",),), ["describe_clusters"]),
    "container_instances": (
        ecs.collect_container_instances,
        (CLUSTER,),
        ["list_container_instances", "describe_container_instances"],
    ),
    "services": (ecs.collect_services, (CLUSTER,), ["list_services", "describe_services"]),
    "tasks": (ecs.collect_tasks, (CLUSTER,), ["list_tasks", "describe_tasks"]),
    "task_definitions": (ecs.collect_task_definitions, (["td:1"],), ["describe_task_definition"]),
    "account_settings": (ecs.collect_account_settings, ((),), ["list_account_settings"]),
    "ec2_instances": (ec2.collect_instances, ({"i-1"},), ["describe_instances"]),
    "instance_types": (ec2.collect_instance_types, ({"c5.large"},), ["describe_instance_types"]),
    "network_interfaces": (ec2.collect_network_interfaces, (), ["describe_network_interfaces"]),
    "subnets": (ec2.collect_subnets, (), ["describe_subnets"]),
    "vpcs": (ec2.collect_vpcs, (), ["describe_vpcs"]),
    "security_groups": (ec2.collect_security_groups, (), ["describe_security_groups"]),
    "route_tables": (ec2.collect_route_tables, (), ["describe_route_tables"]),
    "vpc_endpoints": (ec2.collect_vpc_endpoints, (), ["describe_vpc_endpoints"]),
    "target_groups": (elbv2.collect_target_groups, (), ["describe_target_groups"]),
    "load_balancers": (elbv2.collect_load_balancers, (), ["describe_load_balancers"]),
    "instance_profiles": (
        iam.collect_instance_profiles,
        ({f"arn:aws:iam::{ACCOUNT}:instance-profile/p"},),
        ["get_instance_profile"],
    ),
    "scalable_targets": (autoscaling.collect_scalable_targets, (), ["describe_scalable_targets"]),
    "quotas": (quotas.collect_eni_quota, (), ["get_service_quota"]),
    "capacity_providers": (ecs.collect_capacity_providers, ({"cp-1"},), ["describe_capacity_providers"]),
    "auto_scaling_groups": (
        autoscaling.collect_auto_scaling_groups,
        ({"asg-1"},),
        ["describe_auto_scaling_groups"],
        "autoscaling",
    ),
    "lattice_target_groups": (
        lattice.collect_lattice_target_groups,
        ({f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:targetgroup/tg-1"},),
        ["get_target_group"],
        "vpc-lattice",
    ),
    "vpc_dns_attributes": (ec2.collect_vpc_dns_attributes, ({"vpc-1"},), ["describe_vpc_attribute"]),
}
SERVICE_OF = {
    "ecs": ecs,
    "ec2": ec2,
    "elbv2": elbv2,
    "iam": iam,
    "application-autoscaling": autoscaling,
    "service-quotas": quotas,
}


def _service(fn: Any) -> str:
    return next(name for name, module in SERVICE_OF.items() if fn.__module__ == module.__name__)


@pytest.mark.parametrize("field", sorted(COLLECTORS))
def test_model_shaped_random_replies_through_stubber(aws_env, field):
    fn, args, operations, *service = COLLECTORS[field]
    clients = _clients()
    client = clients.get(service[0] if service else _service(fn), REGION)
    shapes = {
        op: _from_shape(
            client.meta.service_model.operation_model(client.meta.method_to_api_mapping[op]).output_shape
        )
        for op in operations
    }

    @SETTINGS
    @given(st.data())
    def run(data: Any) -> None:
        with Stubber(client) as stub:
            for op in operations:
                for _ in range(3):
                    try:
                        stub.add_response(op, data.draw(shapes[op]))
                    except ParamValidationError:  # outside a string's or list's allowed length
                        pass  # one reply fewer: the collector meets an unstubbed call instead
            rec = Recorder(clients, ACCOUNT, REGION)
            records = _attempt(fn, rec, *args, default=[])
            rec.close()
        rows = {c.api: c for c in rec.coverage()}
        assert all(c.status in ("ok", "error") for c in rows.values())
        if isinstance(records, dict):  # VPC DNS attributes: set on Vpc records, not records of their own
            assert all(isinstance(v, bool) for attrs in records.values() for v in attrs.values())
            return
        items = records if isinstance(records, list) else [records] if records is not None else []
        out = RegionResult(region=REGION, records={field: list(items)})
        _screen(rec, out)
        screened = Snapshot(
            generated_at="2026-12-01T00:00:00Z", tool_version="t", **{field: tuple(out.records[field])}
        )
        assert loads(dumps(screened)) == screened

    run()
