"""vpc-dns — interface endpoints with private DNS in a VPC whose DNS attributes are off.

Why: an interface endpoint's private DNS name (`ecr.api`, `ecr.dkr`, `logs`, `secretsmanager`, …
resolving to the endpoint's private addresses) works only when the VPC has both
`enableDnsSupport` and `enableDnsHostnames` on. With either off, tasks resolve the services'
public names: through a NAT gateway they bypass the endpoints (their policies, and the NAT data
charges they were meant to save); in an isolated subnet image pulls, secrets and logs fail.

What: each VPC that ECS uses (its tasks', services', container instances' or Managed Instances
providers' subnets) with at least one interface endpoint with private DNS enabled: either
attribute off → high when one of those subnets has no default route out (isolated: only the
endpoints could serve it), else medium. Attributes not collected → unknown.

Fix: `aws ec2 modify-vpc-attribute --vpc-id <vpc> --enable-dns-support '{"Value":true}'` and
`--enable-dns-hostnames '{"Value":true}'` (one attribute per call).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.routes import default_route, route_kind
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding, Location
from auditor.model import Vpc

ID = "vpc-dns"
API = "ec2:DescribeVpcAttribute"


def judge(enable_dns_support: bool | None, enable_dns_hostnames: bool | None) -> bool | None:
    """True when private DNS cannot work (an attribute is off), None when that is not known."""
    if enable_dns_support is False or enable_dns_hostnames is False:
        return True
    if enable_dns_support is None or enable_dns_hostnames is None:
        return None
    return False


def ecs_vpc_subnets(ctx: AnalysisContext) -> dict[str, list[str]]:
    """ECS's subnets per VPC (Managed Instances providers' subnets included)."""
    used = ctx.ecs_subnet_ids | {s for p in ctx.snapshot.capacity_providers for s in p.subnets}
    by_vpc: dict[str, list[str]] = {}
    for subnet_id in sorted(used):
        subnet = ctx.inventory.subnets.get(subnet_id)
        if subnet is not None:
            by_vpc.setdefault(subnet.vpc_id, []).append(subnet_id)
    return by_vpc


def _isolated(ctx: AnalysisContext, subnet_ids: list[str]) -> list[str]:
    out = []
    for subnet_id in subnet_ids:
        table = ctx.routes.table_for(ctx.inventory.subnets[subnet_id])
        if table is not None and route_kind(default_route(table)) == "none":
            out.append(subnet_id)
    return out


def _judge_vpc(ctx: AnalysisContext, vpc: Vpc, subnet_ids: list[str]) -> Finding | None:
    prefix = f"com.amazonaws.{vpc.region}."
    endpoints = sorted(
        e.service_name.removeprefix(prefix)
        for e in ctx.snapshot.vpc_endpoints
        if e.vpc_id == vpc.vpc_id and e.endpoint_type == "Interface" and e.private_dns_enabled
    )
    if not endpoints:
        return None
    where = Location(vpc.account, vpc.region, "vpc", vpc.vpc_id)
    verdict = judge(vpc.enable_dns_support, vpc.enable_dns_hostnames)
    if verdict is None:
        return CHECK.unknown(
            where,
            f"whether the private DNS of {vpc.vpc_id}'s endpoints works is unknown",
            ctx.missing(vpc.account, vpc.region, API) or [API],
        )
    if not verdict:
        return None
    isolated = _isolated(ctx, subnet_ids)
    off = [
        name
        for name, value in (
            ("enableDnsSupport", vpc.enable_dns_support),
            ("enableDnsHostnames", vpc.enable_dns_hostnames),
        )
        if value is False
    ]
    consequence = (
        f"tasks in {', '.join(isolated)} (no route out) cannot reach ECR, logs or secrets"
        if isolated
        else "tasks resolve the public names and bypass the endpoints"
    )
    return CHECK.finding(
        where,
        "high" if isolated else "medium",
        f"{vpc.vpc_id} has {len(endpoints)} interface endpoints with private DNS but "
        f"{' and '.join(off)} off: {consequence}",
        {
            "enable_dns_support": vpc.enable_dns_support,
            "enable_dns_hostnames": vpc.enable_dns_hostnames,
            "private_dns_endpoints": endpoints,
            "ecs_subnets": subnet_ids,
            "isolated_subnets": isolated,
        },
        " ".join(
            f"aws ec2 modify-vpc-attribute --vpc-id {vpc.vpc_id} --{flag} '{{\"Value\":true}}';"
            for flag, value in (
                ("enable-dns-support", vpc.enable_dns_support),
                ("enable-dns-hostnames", vpc.enable_dns_hostnames),
            )
            if value is False
        )
        + " (one attribute per call; both must be on for endpoint private DNS).",
    )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for vpc_id, subnet_ids in sorted(ecs_vpc_subnets(ctx).items()):
        vpc = ctx.inventory.vpcs.get(vpc_id)
        if vpc is not None:
            finding = _judge_vpc(ctx, vpc, subnet_ids)
            if finding is not None:
                yield finding


CHECK = Check(
    id=ID,
    title="Endpoint private DNS in VPCs with DNS support or hostnames off",
    severity="high",
    resource_types=("vpc",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html",
    needs=needs(*ECS_INVENTORY, "vpcs", "vpc_endpoints", "subnets", "route_tables", "vpc_dns_attributes"),
)
