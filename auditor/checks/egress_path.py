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

import ipaddress
import re
from collections.abc import Iterator

from auditor.checks.base import ECS_INVENTORY, Check
from auditor.config import Config
from auditor.findings import Finding, unknown
from auditor.inventory import Inventory
from auditor.model import Route, RouteTable, Service, Snapshot, Subnet, TaskDefinition, VpcEndpoint

ID = "egress-path"
EGRESS_TARGETS = {
    "nat-gateway",
    "transit-gateway",
    "instance",
    "network-interface",
    "local-gateway",
    "core-network",
    "carrier-gateway",
}
PRIVATE_ECR = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


def default_route(table: RouteTable) -> Route | None:
    return next((r for r in table.routes if r.destination == "0.0.0.0/0" and r.state == "active"), None)


def route_kind(route: Route | None) -> str:
    """`internet-gateway`, `egress` (NAT, TGW, …) or `none`."""
    if route is None:
        return "none"
    if route.target_type == "gateway" and route.target_id.startswith("igw-"):
        return "internet-gateway"
    if route.target_type in EGRESS_TARGETS or route.target_id.startswith("vgw-"):
        return "egress"
    return "none"


def needed_endpoints(td: TaskDefinition | None, ec2_launch: bool) -> list[str]:
    needed = ["ecr.api", "ecr.dkr", "s3"]
    if td is None:
        return needed
    if any(c.log_driver == "awslogs" for c in td.containers):
        needed.append("logs")
    for source in sorted({s for c in td.containers for s in c.secret_sources}):
        needed.append(source)
    if ec2_launch:
        needed += ["ecs", "ecs-agent", "ecs-telemetry"]
    return needed


def _admits_443(
    inv: Inventory, endpoint: VpcEndpoint, subnet: Subnet, task_groups: tuple[str, ...]
) -> bool | None:
    if not endpoint.security_group_ids:
        return None
    network = ipaddress.ip_network(subnet.cidr) if subnet.cidr else None
    for gid in endpoint.security_group_ids:
        group = inv.security_groups.get(gid)
        if group is None:
            return None
        for rule in group.ingress:
            covers_port = rule.protocol == "-1" or (
                rule.protocol in ("tcp", "6") and (rule.from_port or 0) <= 443 <= (rule.to_port or 65535)
            )
            if not covers_port:
                continue
            if rule.group_id and rule.group_id in task_groups:
                return True
            if rule.cidr and network is not None:
                try:
                    if network.subnet_of(ipaddress.ip_network(rule.cidr, strict=False)):  # type: ignore[arg-type]
                        return True
                except (ValueError, TypeError):
                    continue
    return False


def missing_endpoints(
    inv: Inventory, service: Service, subnet: Subnet, table: RouteTable, needed: list[str]
) -> list[str]:
    """The needed endpoints the VPC lacks, with why for those present but unusable."""
    prefix = f"com.amazonaws.{subnet.region}."
    endpoints = [
        e
        for e in inv.snapshot.vpc_endpoints
        if e.vpc_id == subnet.vpc_id and e.state.lower() in ("available", "pendingacceptance", "pending")
    ]
    missing = []
    for name in needed:
        candidates = [e for e in endpoints if e.service_name == prefix + name]
        if name == "s3":
            if any(
                e.endpoint_type == "Gateway" and table.route_table_id in e.route_table_ids for e in candidates
            ) or any(e.endpoint_type == "Interface" for e in candidates):
                continue
            missing.append("s3 (gateway endpoint on this route table)")
            continue
        interface = [e for e in candidates if e.endpoint_type == "Interface"]
        if not interface:
            missing.append(name)
        elif not any(e.private_dns_enabled is not False for e in interface):
            missing.append(f"{name} (private DNS off)")
        elif not any(_admits_443(inv, e, subnet, service.security_groups) is not False for e in interface):
            missing.append(f"{name} (its security groups do not admit tcp 443 from the tasks)")
    return missing


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


def _judge(inv: Inventory, service: Service, subnet: Subnet) -> Finding | None:
    where = inv.at_service(ID, service, subnet.subnet_id)
    table = inv.route_table_for(subnet)
    if table is None:
        return unknown(
            title=f"egress of {service.name} from {subnet.subnet_id} is unknown",
            missing=inv.missing(service.account, service.region, "ec2:DescribeRouteTables")
            or ["the subnet's route table"],
            **where,
        )
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
    if inv.missing(service.account, service.region, "ec2:DescribeVpcEndpoints"):
        return unknown(
            title=f"egress of {service.name} from {subnet.subnet_id} is unknown",
            missing=["ec2:DescribeVpcEndpoints"],
            **where,
        )
    if kind == "internet-gateway":
        why = "tasks on EC2 never get public IPs" if ec2_launch else "assignPublicIp is DISABLED"
        title = f"{service.name} in {subnet.subnet_id} routes to an internet gateway but {why}: no egress"
    else:
        title = f"{service.name} in {subnet.subnet_id} has no default route and lacks VPC endpoints"
    return Finding(
        severity="high",
        **where,
        title=title + f" (missing: {', '.join(missing)})",
        detail={
            "subnet_id": subnet.subnet_id,
            "route": route.target_id if route else "none",
            "route_table_id": table.route_table_id,
            "route_kind": kind,
            "assign_public_ip": service.assign_public_ip or "DISABLED",
            "missing_endpoints": missing,
            "launch_type": "EC2" if ec2_launch else "FARGATE",
        },
        recommendation=f"Route 0.0.0.0/0 of {table.route_table_id} to a NAT gateway, or create the missing "
        f"endpoints in {subnet.vpc_id} (aws ec2 create-vpc-endpoint --vpc-id {subnet.vpc_id} "
        f"--vpc-endpoint-type Interface --service-name com.amazonaws.{subnet.region}.<name> "
        "--private-dns-enabled --subnet-ids … --security-group-ids …; the S3 one as a Gateway endpoint "
        f"on {table.route_table_id}), and mirror images into this account's ECR.",
    )


def run(snapshot: Snapshot, config: Config) -> Iterator[Finding]:
    inv = Inventory.of(snapshot)
    for service in snapshot.services:
        if service.status != "ACTIVE" or not service.subnets:
            continue
        for subnet_id in service.subnets:
            subnet = inv.subnets.get(subnet_id)
            if subnet is None:
                yield unknown(
                    check=ID,
                    account=service.account,
                    region=service.region,
                    resource_type="service",
                    resource_id=service.arn,
                    cluster=inv.cluster_name(service.cluster_arn),
                    sub_key=subnet_id,
                    title=f"egress of {service.name} from {subnet_id} is unknown",
                    missing=inv.missing(service.account, service.region, "ec2:DescribeSubnets")
                    or [f"subnet {subnet_id}"],
                )
                continue
            finding = _judge(inv, service, subnet)
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
    needs=(
        *ECS_INVENTORY,
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeSecurityGroups",
    ),
)
