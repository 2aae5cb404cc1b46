"""The collectors of the 2025–2026 ECS features, fed AWS-shaped answers (tests/fixtures/aws/) through
botocore's Stubber, which validates each answer against the service model: moto 5.2 has no ECS
Managed Instances, drops deployment strategies and Lattice configurations, and omits IPv6-only
subnet flags."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from auditor.collect import autoscaling, ec2, ecs, lattice
from auditor.collect.session import Clients, Recorder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws"
ACCOUNT, REGION = "111122223333", "us-east-1"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def recorder_with(*services: str) -> tuple[Recorder, dict[str, Stubber]]:
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name=REGION)
    clients = Clients(session, retry_mode="standard", max_attempts=1)
    stubs = {s: Stubber(clients.get(s, REGION)) for s in services}
    return Recorder(clients, ACCOUNT, REGION), stubs


def statuses(rec: Recorder) -> dict[str, tuple[str, int]]:
    return {c.api: (c.status, c.calls) for c in rec.coverage()}


def test_managed_instances_provider_with_its_network():
    rec, stubs = recorder_with("ecs")
    stubs["ecs"].add_response(
        "describe_capacity_providers",
        fixture("ecs/describe_capacity_providers.managed_instances.json"),
        {"capacityProviders": ["asg-web", "mi-general"]},
    )
    with stubs["ecs"]:
        providers = ecs.collect_capacity_providers(rec, ["mi-general", "FARGATE", "asg-web", "mi-general"])
    managed, asg = providers
    assert managed.type == "MANAGED_INSTANCES" and managed.cluster.endswith("cluster/prod")
    assert managed.subnets == ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
    assert managed.security_groups == ("sg-0a1b2c3d4e5f60001",)
    assert managed.infrastructure_role_arn.endswith("role/ecsInfrastructureRole")
    assert managed.allowed_instance_types == ("c6i.*", "m6i.large")
    assert json.loads(managed.instance_requirements)["vCpuCount"] == {"min": 2, "max": 8}
    assert asg.type == "EC2_AUTOSCALING" and asg.auto_scaling_group_name == "web-hosts"
    assert asg.managed_scaling == "ENABLED"
    assert statuses(rec) == {"ecs:DescribeCapacityProviders": ("ok", 1)}


def test_capacity_provider_failure_is_an_error_row_not_an_empty_answer():
    rec, stubs = recorder_with("ecs")
    stubs["ecs"].add_response(
        "describe_capacity_providers",
        fixture("ecs/describe_capacity_providers.failure.json"),
        {"capacityProviders": ["gone"]},
    )
    with stubs["ecs"]:
        assert ecs.collect_capacity_providers(rec, ["gone"]) == []
    row = next(c for c in rec.coverage() if c.api == "ecs:DescribeCapacityProviders")
    assert row.status == "error" and "MISSING" in row.detail


def test_no_provider_to_ask_makes_no_call():
    rec, stubs = recorder_with("ecs")
    with stubs["ecs"]:
        assert ecs.collect_capacity_providers(rec, ["FARGATE", "FARGATE_SPOT"]) == []
    assert statuses(rec) == {}


def test_managed_instance_names_its_capacity_provider():
    raw = fixture("ecs/describe_container_instances.managed_instances.json")["containerInstances"][0]
    ci = ecs.parse_container_instance(raw, "cluster", ACCOUNT, REGION)
    assert ci.capacity_provider == "mi-general"
    assert ci.attribute("ecs.awsvpc-trunk-id") == "eni-0aa11bb22cc33dd44"


def test_blue_green_service_with_lattice_and_service_connect():
    raw = fixture("ecs/describe_services.blue_green_lattice.json")["services"][0]
    service = ecs.parse_service(raw, ACCOUNT, REGION)
    (lb,) = service.load_balancers
    assert lb.alternate_target_group_arn.endswith("targetgroup/checkout-green/5c1ab2de3f4a5b6c")
    (config,) = service.vpc_lattice
    assert config.target_group_arn.endswith("targetgroup/tg-0123456789abcdef0")
    assert config.port_name == "checkout-http"
    assert service.service_connect_enabled and service.service_connect_port_names == ("checkout-http",)
    assert service.availability_zone_rebalancing == "DISABLED"


def test_service_without_deployments_has_no_lattice_or_connect():
    raw = fixture("ecs/describe_services.blue_green_lattice.json")["services"][0]
    raw = {k: v for k, v in raw.items() if k != "deployments"}
    service = ecs.parse_service(raw, ACCOUNT, REGION)
    assert service.vpc_lattice == () and not service.service_connect_enabled


def test_named_port_mappings_are_kept():
    td = ecs.parse_task_definition(
        {
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/checkout:7",
            "family": "checkout",
            "networkMode": "awsvpc",
            "containerDefinitions": [
                {
                    "name": "checkout",
                    "image": "x",
                    "portMappings": [
                        {
                            "containerPort": 8080,
                            "protocol": "tcp",
                            "name": "checkout-http",
                            "appProtocol": "http",
                        },
                        {"containerPort": 9090, "protocol": "tcp"},
                    ],
                }
            ],
        },
        ACCOUNT,
        REGION,
    )
    assert [p.name for p in td.containers[0].port_mappings] == ["checkout-http", None]


def test_auto_scaling_groups_batched_by_name():
    rec, stubs = recorder_with("autoscaling")
    names = [f"group-{n:03d}" for n in range(60)]
    first = fixture("autoscaling/describe_auto_scaling_groups.web_hosts.json")
    stubs["autoscaling"].add_response(
        "describe_auto_scaling_groups", first, {"AutoScalingGroupNames": names[:50], "MaxRecords": 100}
    )
    stubs["autoscaling"].add_response(
        "describe_auto_scaling_groups",
        {"AutoScalingGroups": []},
        {"AutoScalingGroupNames": names[50:], "MaxRecords": 100},
    )
    with stubs["autoscaling"]:
        (group,) = autoscaling.collect_auto_scaling_groups(rec, reversed(names))
        stubs["autoscaling"].assert_no_pending_responses()
    assert (group.min_size, group.max_size, group.desired_capacity) == (2, 40, 10)
    assert group.subnets == ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
    assert group.instance_zones == ("us-east-1a", "us-east-1a", "us-east-1b")
    assert group.instance_types == ("c5.large",)
    assert statuses(rec) == {"autoscaling:DescribeAutoScalingGroups": ("ok", 2)}


def test_lattice_target_group_once_per_group():
    rec, stubs = recorder_with("vpc-lattice")
    arn = "arn:aws:vpc-lattice:us-east-1:111122223333:targetgroup/tg-0123456789abcdef0"
    stubs["vpc-lattice"].add_response(
        "get_target_group",
        fixture("vpc-lattice/get_target_group.instance.json"),
        {"targetGroupIdentifier": arn},
    )
    with stubs["vpc-lattice"]:
        (group,) = lattice.collect_lattice_target_groups(rec, [arn, arn])
    assert group.type == "INSTANCE" and group.vpc_id == "vpc-0a1b2c3d4e5f60001" and group.port == 8080
    assert statuses(rec) == {"vpc-lattice:GetTargetGroup": ("ok", 1)}


@pytest.mark.parametrize(
    ("code", "http", "status"),
    [("AccessDeniedException", 403, "denied"), ("ResourceNotFoundException", 404, "error")],
)
def test_lattice_failure_keeps_the_group_unknown(code, http, status):
    rec, stubs = recorder_with("vpc-lattice")
    stubs["vpc-lattice"].add_client_error("get_target_group", service_error_code=code, http_status_code=http)
    with stubs["vpc-lattice"]:
        assert (
            lattice.collect_lattice_target_groups(rec, ["arn:aws:vpc-lattice:us-east-1:1:targetgroup/tg-1"])
            == []
        )
    assert statuses(rec)["vpc-lattice:GetTargetGroup"] == (status, 1)


def test_ipv6_only_subnet():
    (subnet,) = [
        ec2.parse_subnet(s, ACCOUNT, REGION)
        for s in fixture("ec2/describe_subnets.ipv6_only.json")["Subnets"]
    ]
    assert subnet.cidr is None and subnet.ipv6_native and subnet.enable_dns64
    assert subnet.ipv6_cidrs == ("2600:1f18:abcd:1200::/64",)


def test_vpc_dns_attributes_two_calls_per_vpc():
    # The calls run in parallel and may come in any order: answered by their parameters (the
    # answers are the shapes a Stubber accepted), not from a queue.
    rec, _ = recorder_with("ec2")
    table = {"vpc-1": (True, False), "vpc-2": (True, True)}
    asked: list[tuple[str, str]] = []

    def note(params, context, **_):  # the API parameters, for the answer below
        context["asked"] = (params["VpcId"], params["Attribute"])

    def answer(context, **_):
        vpc, attribute = context["asked"]
        asked.append((vpc, attribute))
        support, hostnames = table[vpc]
        value = support if attribute == "enableDnsSupport" else hostnames
        key = "EnableDnsSupport" if attribute == "enableDnsSupport" else "EnableDnsHostnames"
        return AWSResponse(None, 200, {}, None), {"VpcId": vpc, key: {"Value": value}}

    events = rec.clients.get("ec2", REGION).meta.events
    events.register("before-parameter-build.ec2.DescribeVpcAttribute", note)
    events.register("before-call.ec2.DescribeVpcAttribute", answer)
    result = ec2.collect_vpc_dns_attributes(rec, ["vpc-2", "vpc-1", "vpc-1"])
    assert result == {
        "vpc-1": {"enableDnsSupport": True, "enableDnsHostnames": False},
        "vpc-2": {"enableDnsSupport": True, "enableDnsHostnames": True},
    }
    assert sorted(asked) == sorted((v, a) for v in table for a in ("enableDnsSupport", "enableDnsHostnames"))
    assert statuses(rec) == {"ec2:DescribeVpcAttribute": ("ok", 4)}


def test_instance_names_its_auto_scaling_group():
    instance = ec2.parse_instance(
        {
            "InstanceId": "i-0a000000000000001",
            "InstanceType": "c5.large",
            "Tags": [{"Key": "aws:autoscaling:groupName", "Value": "web-hosts"}],
        },
        ACCOUNT,
        REGION,
    )
    assert instance.auto_scaling_group == "web-hosts"
