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

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.egress import Path, Unseen, egress_gap, egress_paths
from auditor.analysis.ipv6 import NAT64_PREFIX
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service

ID = "egress-path"


def _unseen(ctx: AnalysisContext, service: Service, unseen: Unseen) -> Finding:
    instance, subnet_id = unseen.instance_id, unseen.subnet_id
    if subnet_id is None:  # an instance's subnet
        where, fallback = f"through instance {instance}", f"the subnet of {instance}"
        apis: tuple[str, ...] = ("ec2:DescribeInstances", "ec2:DescribeSubnets")
    else:
        where, fallback, apis = f"from {subnet_id}", f"subnet {subnet_id}", ("ec2:DescribeSubnets",)
    missing = ctx.missing(service.account, service.region, *apis) or [fallback]
    title = f"egress of {service.name} {where} is unknown"
    return CHECK.unknown(ctx.at_service(service, unseen.sub_key), title, missing)


def _judge(ctx: AnalysisContext, service: Service, path: Path) -> Finding | None:
    subnet = path.subnet
    where = ctx.at_service(service, path.sub_key)
    unknown_title = f"egress of {service.name} from {subnet.subnet_id} is unknown"
    table = ctx.routes.table_for(subnet)
    if table is None:
        missing = ctx.missing(service.account, service.region, "ec2:DescribeRouteTables")
        return CHECK.unknown(where, unknown_title, missing or ["the subnet's route table"])
    gap = egress_gap(ctx.inventory, path, table, ctx.inventory.task_definition_of(service))
    if gap is None:
        return None
    ec2_launch = path.kind == "instance"
    detail: dict[str, object] = {
        "subnet_id": subnet.subnet_id,
        "path": path.kind,
        "route": gap.route.target_id if gap.route else "none",
        "route_table_id": table.route_table_id,
        "route_kind": gap.route_kind,
        "assign_public_ip": service.assign_public_ip or "DISABLED",
        "missing_endpoints": gap.missing,
        "launch_type": "EC2" if ec2_launch else "FARGATE",
    }
    if gap.ipv6 is not None:
        detail.update(ipv6_only=True, dns64=gap.ipv6.dns64, nat64=gap.ipv6.nat64)
        return CHECK.finding(
            where,
            "high",
            f"{service.name} in IPv6-only {subnet.subnet_id} cannot reach IPv4-only endpoints such as "
            f"ECR's (missing: {', '.join(gap.ipv6.missing)})",
            detail,
            f"Turn on DNS64 (aws ec2 modify-subnet-attribute --subnet-id {subnet.subnet_id} --enable-dns64) "
            f"and route {NAT64_PREFIX} of {table.route_table_id} to a NAT gateway (aws ec2 create-route "
            f"--route-table-id {table.route_table_id} --destination-ipv6-cidr-block {NAT64_PREFIX} "
            "--nat-gateway-id nat-…), with ::/0 to an egress-only internet gateway; or create the VPC "
            "endpoints the tasks need.",
        )
    if ctx.missing(service.account, service.region, "ec2:DescribeVpcEndpoints"):
        return CHECK.unknown(where, unknown_title, ["ec2:DescribeVpcEndpoints"])
    through = f"image pulls, secrets and logs of {service.name} leave through its instances' subnet"
    what = f"{through} {subnet.subnet_id}" if ec2_launch else f"{service.name} in {subnet.subnet_id}"
    if gap.route_kind == "internet-gateway":
        why = "the instances have no public IP" if ec2_launch else "assignPublicIp is DISABLED"
        title = f"{what}, which routes to an internet gateway but {why}: no egress"
    else:
        title = f"{what}, which has no default route and lacks VPC endpoints"
    if path.instances:
        detail["instances"] = list(path.instances)
        detail["task_subnets"] = list(service.subnets)
    return CHECK.finding(
        where,
        "high",
        title + f" (missing: {', '.join(gap.missing)})",
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
        for path in egress_paths(ctx.inventory, service):
            finding = _unseen(ctx, service, path) if isinstance(path, Unseen) else _judge(ctx, service, path)
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
