"""egress-path: route kinds, endpoints needed and present, public IPs, unknowns."""

from __future__ import annotations

import pytest

from auditor.checks import egress_path
from auditor.config import Config
from tests.factories import SnapshotBuilder, rule, run_check

ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1"


def world(
    route: tuple[str, str] | None,
    *,
    public: bool = False,
    launch: str = "FARGATE",
    endpoints: tuple[str, ...] = (),
    image: str = ECR,
    logs: bool = True,
    secrets: tuple[str, ...] = (),
    private_dns: bool = True,
    endpoint_rule=None,
    explicit: bool = True,
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster()
    b.subnet("subnet-a", "10.0.1.0/24")
    routes = [("10.0.0.0/16", "local", "local")]
    if route:
        routes.append(("0.0.0.0/0", *route))
    if explicit:
        b.route_table("rtb-x", routes, subnets=("subnet-a",))
        b.route_table(
            "rtb-main", [("10.0.0.0/16", "local", "local"), ("0.0.0.0/0", "nat-gateway", "nat-1")], main=True
        )
    else:
        b.route_table("rtb-x", routes, main=True)
    b.security_group("sg-endpoints", [endpoint_rule or rule("tcp", 443, 443, cidr="10.0.0.0/16")])
    for name in endpoints:
        if name == "s3":
            b.endpoint("s3", kind="Gateway", route_tables=("rtb-x",))
        else:
            b.endpoint(name, groups=("sg-endpoints",), private_dns=private_dns)
    td = b.task_definition(image=image, log_driver="awslogs" if logs else None, secret_sources=secrets)
    b.service(
        cluster, "api", td, subnets=("subnet-a",), public_ip=public, launch_type=launch, groups=("sg-t",)
    )
    if launch == "EC2":  # on EC2 the image pull leaves through the instance's network
        b.instance(cluster, subnet="subnet-a", groups=("sg-h",))
    return b


def run(b):
    return list(run_check(egress_path, b.build(), Config()))


FARGATE_NEEDS = ("ecr.api", "ecr.dkr", "s3", "logs")


@pytest.mark.parametrize(
    ("route", "kwargs", "missing"),
    [
        (("nat-gateway", "nat-1"), {}, None),  # NAT: fine
        (("transit-gateway", "tgw-1"), {}, None),
        (("gateway", "igw-1"), {"public": True}, None),  # Fargate with public IP
        (
            ("gateway", "igw-1"),
            {},
            ["ecr.api", "ecr.dkr", "s3 (gateway endpoint on this route table)", "logs"],
        ),
        (None, {}, ["ecr.api", "ecr.dkr", "s3 (gateway endpoint on this route table)", "logs"]),
        (None, {"endpoints": FARGATE_NEEDS}, None),  # endpoints cover it
        (None, {"endpoints": FARGATE_NEEDS, "secrets": ("secretsmanager",)}, ["secretsmanager"]),
        (None, {"endpoints": ("ecr.api", "ecr.dkr", "s3"), "logs": False}, None),
        (None, {"endpoints": FARGATE_NEEDS, "launch": "EC2"}, ["ecs", "ecs-agent", "ecs-telemetry"]),
        (
            ("gateway", "igw-1"),
            {"public": True, "launch": "EC2", "endpoints": FARGATE_NEEDS},
            ["ecs", "ecs-agent", "ecs-telemetry"],
        ),  # EC2 tasks get no public IP
        (
            None,
            {"endpoints": FARGATE_NEEDS, "image": "public.ecr.aws/nginx/nginx:1"},
            ["internet access for images from public.ecr.aws"],
        ),
        (
            None,
            {"endpoints": FARGATE_NEEDS, "image": "nginx:1"},
            ["internet access for images from docker.io"],
        ),
        (
            None,
            {"endpoints": FARGATE_NEEDS, "private_dns": False},
            ["ecr.api (private DNS off)", "ecr.dkr (private DNS off)", "logs (private DNS off)"],
        ),
    ],
)
def test_verdicts(route, kwargs, missing):
    result = run(world(route, **kwargs))
    if missing is None:
        assert result == []
    else:
        (finding,) = result
        assert finding.severity == "high"
        assert finding.detail["missing_endpoints"] == missing


def test_endpoint_groups_must_admit_443_from_the_tasks():
    closed = world(None, endpoints=FARGATE_NEEDS, endpoint_rule=rule("tcp", 22, 22, cidr="10.0.0.0/16"))
    (finding,) = run(closed)
    assert all("do not admit tcp 443" in m for m in finding.detail["missing_endpoints"])
    by_group = world(None, endpoints=FARGATE_NEEDS, endpoint_rule=rule("tcp", 443, 443, group="sg-t"))
    assert run(by_group) == []


def test_on_ec2_endpoint_groups_must_admit_the_instances_not_the_tasks():
    ec2 = ("ecr.api", "ecr.dkr", "s3", "logs", "ecs", "ecs-agent", "ecs-telemetry")
    tasks_only = world(None, launch="EC2", endpoints=ec2, endpoint_rule=rule("tcp", 443, 443, group="sg-t"))
    (finding,) = run(tasks_only)
    assert finding.detail["path"] == "instance" and all(
        "sg-h" in m for m in finding.detail["missing_endpoints"]
    )
    hosts = world(None, launch="EC2", endpoints=ec2, endpoint_rule=rule("tcp", 443, 443, group="sg-h"))
    assert run(hosts) == []


def test_main_route_table_applies_without_explicit_association():
    (finding,) = run(world(None, explicit=False))
    assert finding.detail["route_table_id"] == "rtb-x" and finding.detail["route"] == "none"


def test_detail_has_contract_keys():
    (finding,) = run(world(("gateway", "igw-1")))
    for key in ("subnet_id", "route", "assign_public_ip", "missing_endpoints"):
        assert key in finding.detail
    assert finding.detail["route"] == "igw-1" and finding.detail["assign_public_ip"] == "DISABLED"


def test_route_tables_not_collected_is_unknown():
    b = world(None)
    b.records["route_tables"] = []
    b.coverage("ec2:DescribeRouteTables", "denied", "UnauthorizedOperation")
    (finding,) = run(b)
    assert finding.severity == "info" and finding.detail["missing"] == ["ec2:DescribeRouteTables"]


def test_endpoints_not_collected_is_unknown_not_high():
    b = world(None)
    b.coverage("ec2:DescribeVpcEndpoints", "error", "Throttling")
    (finding,) = run(b)
    assert finding.severity == "info"
