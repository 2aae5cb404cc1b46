"""egress-path — awsvpc services whose image pulls, secrets and logs have no way out.

Why: to start an awsvpc task, ECS pulls its image (ECR and S3 for the layers), fetches its secrets
(Secrets Manager or SSM) and ships its logs (CloudWatch Logs). On Fargate that traffic leaves
through the task's own ENI; on EC2 it leaves through the *instance's* network — its primary ENI
and subnet — while the task ENI carries only the application's own traffic. In a subnet whose
default route goes to an internet gateway this only works with a public IP (`assignPublicIp:
DISABLED` withholds it on Fargate); in a subnet with no default route only through VPC
endpoints. Either way the failure shows late, as `CannotPullContainerError` or tasks that hang in
PENDING, usually during an incident.

What, following each subnet's route table (its explicit association, else the VPC's main
table), per path: on Fargate the service's subnets with the tasks' security groups (`path`
`task`); on EC2 the subnets of the instances that can take the service's tasks (ACTIVE, agent
connected, in the service's zones) with the instances' groups and public addresses (`path`
`instance`) — a task subnet without a route out is the application's own business, not a finding.
A default route to an internet gateway without a public IP, or no default route at all → high,
unless the VPC has every endpoint needed: `ecr.api`, `ecr.dkr`, the S3 gateway endpoint on that
route table, `logs` with the awslogs driver, `secretsmanager`/`ssm` for the secrets referenced,
and `ecs`, `ecs-agent`, `ecs-telemetry` on EC2. An interface endpoint with private DNS off, or
whose security groups do not admit tcp 443 from the path's groups (by group, CIDR, or a prefix
list, taken as admitting), counts as missing. Images outside the account's private ECR need the
internet whatever endpoints exist. Routes to a NAT gateway, transit gateway, instance, network
interface, virtual private gateway, or a Gateway Load Balancer / Network Firewall endpoint
(`vpce-…`) are routes out. An IPv6-only subnet leaves over IPv6 only: it needs a `::/0` route (to
an internet or egress-only internet gateway) and, for endpoints with only IPv4 names (ECR's default
ones among them), DNS64 on the subnet and a `64:ff9b::/96` route to a NAT gateway (NAT64); without
them → high, unless VPC endpoints serve every need.

Fix: route `0.0.0.0/0` to a NAT gateway for the path's subnets, or create the missing interface
endpoints (`aws ec2 create-vpc-endpoint --vpc-endpoint-type Interface --service-name
com.amazonaws.<region>.<name> --private-dns-enabled …`) and the S3 gateway endpoint on the route
table, or (Fargate in public subnets) set assignPublicIp ENABLED.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.analysis.context import AnalysisContext
from auditor.analysis.ipv6 import NAT64_PREFIX, ipv6_only_egress
from auditor.analysis.placement import can_take_tasks, in_zones, runs_here
from auditor.analysis.routes import (
    default_route,
    is_ipv6_only,
    missing_endpoints,
    needed_endpoints,
    route_kind,
)
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import RouteTable, Service, Subnet, TaskDefinition

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


@dataclass(frozen=True)
class Path:
    """Where a service's start-up traffic leaves: a subnet, with the groups of the interfaces it
    leaves through and whether they have public addresses."""

    kind: str  # task (Fargate: the task ENI) | instance (EC2: the instance's primary ENI)
    subnet: Subnet
    groups: tuple[str, ...]
    public: bool
    instances: tuple[str, ...] = ()

    @property
    def sub_key(self) -> str:
        return self.subnet.subnet_id if self.kind == "task" else f"instance:{self.subnet.subnet_id}"


def _instance_paths(ctx: AnalysisContext, service: Service) -> Iterator[Path | Finding]:
    """The subnets of the EC2 instances that can take the service's tasks; an unknown for an
    instance whose subnet was not collected."""
    inv = ctx.inventory
    zones = inv.service_zones(service)
    hosts: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
    for ci in inv.instances_by_cluster.get(service.cluster_arn, []):
        if not can_take_tasks(ci) or not runs_here(ci, service):
            continue
        if not in_zones(inv.availability_zone_of(ci), zones):
            continue
        ec2 = inv.ec2_for(ci)
        if ec2 is None or ec2.subnet_id not in inv.subnets:
            yield CHECK.unknown(
                ctx.at_service(service, f"instance:{ci.ec2_instance_id}"),
                f"egress of {service.name} through instance {ci.ec2_instance_id} is unknown",
                ctx.missing(service.account, service.region, "ec2:DescribeInstances", "ec2:DescribeSubnets")
                or [f"the subnet of {ci.ec2_instance_id}"],
            )
            continue
        primary = inv.enis.get(ec2.primary_eni_id or "")
        public = bool(primary and primary.public_ip)
        hosts.setdefault(str(ec2.subnet_id), []).append((ec2.instance_id, ec2.security_group_ids, public))
    for subnet_id, found in sorted(hosts.items()):
        groups = tuple(dict.fromkeys(g for _, gs, _ in found for g in gs))
        public = all(p for _, _, p in found)
        yield Path("instance", inv.subnets[subnet_id], groups, public, tuple(sorted(i for i, _, _ in found)))


def _task_paths(ctx: AnalysisContext, service: Service) -> Iterator[Path | Finding]:
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
        yield Path("task", subnet, service.security_groups, service.assign_public_ip == "ENABLED")


def _judge_ipv6_only(ctx: AnalysisContext, service: Service, path: Path, table: RouteTable) -> Finding | None:
    """An IPv6-only subnet leaves over `::/0` only; IPv4-only endpoints (ECR's default names among
    them) need DNS64 on the subnet and a NAT64 route — unless VPC endpoints serve every need."""
    subnet = path.subnet
    egress = ipv6_only_egress(subnet, table)
    if not egress.missing:
        return None
    td = ctx.inventory.task_definition_of(service)
    ec2_launch = path.kind == "instance"
    endpoints = missing_endpoints(ctx.inventory, path.groups, subnet, table, needed_endpoints(td, ec2_launch))
    if not endpoints and not _foreign_images(td):
        return None
    route = default_route(table, ipv6_only=True)
    return CHECK.finding(
        ctx.at_service(service, path.sub_key),
        "high",
        f"{service.name} in IPv6-only {subnet.subnet_id} cannot reach IPv4-only endpoints such as ECR's "
        f"(missing: {', '.join(egress.missing)})",
        {
            "subnet_id": subnet.subnet_id,
            "path": path.kind,
            "route": route.target_id if route else "none",
            "route_table_id": table.route_table_id,
            "route_kind": egress.route_kind,
            "assign_public_ip": service.assign_public_ip or "DISABLED",
            "missing_endpoints": [*egress.missing, *(f"VPC endpoint {e}" for e in endpoints)],
            "launch_type": "EC2" if ec2_launch else "FARGATE",
            "ipv6_only": True,
            "dns64": egress.dns64,
            "nat64": egress.nat64,
        },
        f"Turn on DNS64 (aws ec2 modify-subnet-attribute --subnet-id {subnet.subnet_id} --enable-dns64) "
        f"and route {NAT64_PREFIX} of {table.route_table_id} to a NAT gateway (aws ec2 create-route "
        f"--route-table-id {table.route_table_id} --destination-ipv6-cidr-block {NAT64_PREFIX} "
        "--nat-gateway-id nat-…), with ::/0 to an egress-only internet gateway; or create the VPC "
        "endpoints the tasks need.",
    )


def _judge(ctx: AnalysisContext, service: Service, path: Path) -> Finding | None:
    inv = ctx.inventory
    subnet = path.subnet
    where = ctx.at_service(service, path.sub_key)
    unknown_title = f"egress of {service.name} from {subnet.subnet_id} is unknown"
    table = ctx.routes.table_for(subnet)
    if table is None:
        missing = ctx.missing(service.account, service.region, "ec2:DescribeRouteTables")
        return CHECK.unknown(where, unknown_title, missing or ["the subnet's route table"])
    ec2_launch = path.kind == "instance"
    ipv6_only = is_ipv6_only(subnet)
    if ipv6_only:
        return _judge_ipv6_only(ctx, service, path, table)
    route = default_route(table, ipv6_only)
    kind = route_kind(route, ipv6_only)
    if kind == "egress" or (kind == "internet-gateway" and path.public):
        return None
    td = inv.task_definition_of(service)
    missing = missing_endpoints(inv, path.groups, subnet, table, needed_endpoints(td, ec2_launch))
    foreign = _foreign_images(td)
    if foreign:
        missing.append(f"internet access for images from {', '.join(foreign)}")
    if not missing:
        return None
    if ctx.missing(service.account, service.region, "ec2:DescribeVpcEndpoints"):
        return CHECK.unknown(where, unknown_title, ["ec2:DescribeVpcEndpoints"])
    what = (
        f"image pulls, secrets and logs of {service.name} leave through its instances' subnet "
        f"{subnet.subnet_id}"
        if ec2_launch
        else f"{service.name} in {subnet.subnet_id}"
    )
    if kind == "internet-gateway":
        why = "the instances have no public IP" if ec2_launch else "assignPublicIp is DISABLED"
        title = f"{what}, which routes to an internet gateway but {why}: no egress"
    else:
        title = f"{what}, which has no default route and lacks VPC endpoints"
    detail: dict[str, object] = {
        "subnet_id": subnet.subnet_id,
        "path": path.kind,
        "route": route.target_id if route else "none",
        "route_table_id": table.route_table_id,
        "route_kind": kind,
        "assign_public_ip": service.assign_public_ip or "DISABLED",
        "missing_endpoints": missing,
        "launch_type": "EC2" if ec2_launch else "FARGATE",
    }
    if path.instances:
        detail["instances"] = list(path.instances)
        detail["task_subnets"] = list(service.subnets)
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
        if service.status != "ACTIVE" or not service.subnets or service.launch_type == "EXTERNAL":
            continue
        paths = _task_paths if ctx.inventory.is_fargate(service) else _instance_paths
        for path in paths(ctx, service):
            if isinstance(path, Finding):
                yield path
                continue
            finding = _judge(ctx, service, path)
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
    needs=needs(
        *ECS_INVENTORY,
        "ec2_instances",
        "network_interfaces",
        "subnets",
        "route_tables",
        "vpc_endpoints",
        "security_groups",
    ),
)
