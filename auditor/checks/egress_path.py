"""egress-path — awsvpc services whose subnets give their tasks no way out.

Why: an awsvpc task talks to AWS (ECR to pull its image, S3 for the image layers, CloudWatch Logs,
Secrets Manager or SSM for its secrets, and on EC2 the ECS agent endpoints) through its own ENI.
In a subnet whose default route goes to an internet gateway, that only works when the ENI has a
public IP — which tasks on EC2 never get and `assignPublicIp: DISABLED` withholds. In a subnet
with no default route it only works through VPC endpoints. Either way the failure shows late, as
`CannotPullContainerError` or tasks that hang in PENDING, usually during an incident.

What, for each awsvpc service and each of its subnets, following the subnet's route table (its
explicit association, else the VPC's main table): a `0.0.0.0/0` route to an internet gateway
without a public IP, or no default route at all → high, unless the VPC has every endpoint the
tasks need: `ecr.api`, `ecr.dkr`, the S3 gateway endpoint on that route table, `logs` with the
awslogs driver, `secretsmanager`/`ssm` for the secrets they reference, and `ecs`, `ecs-agent`,
`ecs-telemetry` on EC2. An interface endpoint with private DNS off, or whose security groups do
not admit tcp 443 from the tasks, counts as missing. Images outside the account's private ECR
need the internet whatever endpoints exist. Routes to a NAT gateway, transit gateway, instance,
network interface or virtual private gateway are egress paths and pass.

Fix: route `0.0.0.0/0` to a NAT gateway for the tasks' subnets, or create the missing interface
endpoints (`aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name
com.amazonaws.<region>.<name> --private-dns-enabled …`) and the S3 gateway endpoint on the route
table, or (Fargate in public subnets) set assignPublicIp ENABLED.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.routes import default_route, missing_endpoints, needed_endpoints, route_kind
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service, Subnet, TaskDefinition

ID = "egress-path"
PRIVATE_ECR = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


def _foreign_images(td: TaskDefinition | None) -> list[str]:
    if td is None:
        return []
    return sorted(
        {
            c.image.split("/", 1)[0] if "/" in c.image else "docker.io"
            for c in td.containers
            if c.image and not PRIVATE_ECR.match(c.image)
        }
    )


def _judge(ctx: AnalysisContext, service: Service, subnet: Subnet) -> Finding | None:
    inv = ctx.inventory
    where = ctx.at_service(service, subnet.subnet_id)
    unknown_title = f"egress of {service.name} from {subnet.subnet_id} is unknown"
    table = ctx.routes.table_for(subnet)
    if table is None:
        missing = ctx.missing(service.account, service.region, "ec2:DescribeRouteTables")
        return CHECK.unknown(where, unknown_title, missing or ["the subnet's route table"])
    ec2_launch = not inv.is_fargate(service)
    public = service.assign_public_ip == "ENABLED" and not ec2_launch
    route = default_route(table)
    kind = route_kind(route)
    if kind == "egress" or (kind == "internet-gateway" and public):
        return None
    td = inv.task_definition_of(service)
    missing = missing_endpoints(inv, service, subnet, table, needed_endpoints(td, ec2_launch))
    foreign = _foreign_images(td)
    if foreign:
        missing.append(f"internet access for images from {', '.join(foreign)}")
    if not missing:
        return None
    if ctx.missing(service.account, service.region, "ec2:DescribeVpcEndpoints"):
        return CHECK.unknown(where, unknown_title, ["ec2:DescribeVpcEndpoints"])
    if kind == "internet-gateway":
        why = "tasks on EC2 never get public IPs" if ec2_launch else "assignPublicIp is DISABLED"
        title = f"{service.name} in {subnet.subnet_id} routes to an internet gateway but {why}: no egress"
    else:
        title = f"{service.name} in {subnet.subnet_id} has no default route and lacks VPC endpoints"
    detail = {
        "subnet_id": subnet.subnet_id,
        "route": route.target_id if route else "none",
        "route_table_id": table.route_table_id,
        "route_kind": kind,
        "assign_public_ip": service.assign_public_ip or "DISABLED",
        "missing_endpoints": missing,
        "launch_type": "EC2" if ec2_launch else "FARGATE",
    }
    return CHECK.finding(
        where,
        "high",
        title + f" (missing: {', '.join(missing)})",
        detail,
        f"Route 0.0.0.0/0 of {table.route_table_id} to a NAT gateway, or create the missing "
        f"endpoints in {subnet.vpc_id} (aws ec2 create-vpc-endpoint --vpc-id {subnet.vpc_id} "
        f"--vpc-endpoint-type Interface --service-name com.amazonaws.{subnet.region}.<name> "
        "--private-dns-enabled --subnet-ids … --security-group-ids …; the S3 one as a Gateway endpoint "
        f"on {table.route_table_id}), and mirror images into this account's ECR.",
    )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for service in ctx.snapshot.services:
        if service.status != "ACTIVE" or not service.subnets:
            continue
        for subnet_id in service.subnets:
            subnet = ctx.inventory.subnets.get(subnet_id)
            if subnet is None:
                yield CHECK.unknown(
                    ctx.at_service(service, subnet_id),
                    f"egress of {service.name} from {subnet_id} is unknown",
                    ctx.missing(service.account, service.region, "ec2:DescribeSubnets")
                    or [f"subnet {subnet_id}"],
                )
                continue
            finding = _judge(ctx, service, subnet)
            if finding is not None:
                yield finding


CHECK = Check(
    id=ID,
    title="awsvpc tasks without an egress path",
    severity="high",
    resource_types=("service",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html",
    needs=needs(*ECS_INVENTORY, "subnets", "route_tables", "vpc_endpoints", "security_groups"),
)
