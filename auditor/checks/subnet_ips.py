"""subnet-ip-exhaustion — subnets that will run out of addresses for awsvpc tasks.

Why: every awsvpc task (EC2 or Fargate) takes a private IP in one of its service's subnets, and
so does every container instance. Small subnets (a /24 has 251 usable addresses, a /28 only 11)
run dry, worst during a deployment, when up to `maximumPercent` of the desired count runs at
once, and during scale-out to the auto-scaling maximum. Then tasks fail to start with
"ENI ... insufficient free addresses in subnet", exactly when capacity is needed.

What: per subnet that ECS uses, `usable` (CIDR size − 5), `available` (EC2's count),
`ecs_ips` (held by task ENIs), `projected_demand` (extra addresses when every awsvpc service
using the subnet runs at its peak, spread evenly over its subnets, plus the addresses new
container instances take there: `scale_out_demand`, from the Auto Scaling groups' room to grow and
ECS Managed Instances' launches), `projected_free`. IPv6-only subnets have no IPv4 to exhaust and
are not judged. Severity:
no address free → critical; projected free below 0 → high; free below
`thresholds.subnet_free_high` of usable → high; below `thresholds.subnet_free_medium` → medium.

Fix: add larger subnets (a secondary VPC CIDR if needed) to the services' network configuration,
spread services over more subnets and AZs, remove orphaned ENIs, or lower maximumPercent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.analysis.capacity import SubnetCapacity
from auditor.analysis.context import AnalysisContext
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.config import Config
from auditor.findings import Finding, Location

ID = "subnet-ip-exhaustion"
DEMAND_APIS = (
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "application-autoscaling:DescribeScalableTargets",
    "ecs:DescribeCapacityProviders",  # scale-out: Managed Instances launches, the groups behind providers
    "autoscaling:DescribeAutoScalingGroups",  # scale-out: how many instances the groups can add
)


def _severity(row: SubnetCapacity, config: Config) -> tuple[str, str] | None:
    usable = row.usable or 0
    free_share = row.available / usable if usable else 0.0
    if row.available <= 0:
        return "critical", f"{row.subnet_id} has no free IP address left"
    if row.projected_free is not None and row.projected_free < 0:
        return "high", (
            f"{row.subnet_id} will run out of IPs at peak: {row.projected_demand} more needed, "
            f"{row.available} free"
        )
    if free_share < config.thresholds.subnet_free_high:
        return "high", f"{row.subnet_id} has {row.available} of {usable} IPs free ({free_share:.0%})"
    if free_share < config.thresholds.subnet_free_medium:
        return "medium", f"{row.subnet_id} has {row.available} of {usable} IPs free ({free_share:.0%})"
    return None


def subnet_finding(
    row: SubnetCapacity, config: Config, services: list[str], partial: list[str], **extra: Any
) -> Finding | None:
    """The verdict on one subnet row (None when it is fine): `services` use it, `partial` are the
    demand APIs that were not collected where it was judged; `extra` detail keys (`shared_by`)."""
    if row.usable is None:
        return None  # IPv6-only: awsvpc tasks there take IPv6 addresses, not a scarce IPv4 pool
    verdict = _severity(row, config)
    if verdict is None:
        return None
    severity, title = verdict
    detail = row.to_dict()
    del detail["account"], detail["region"], detail["subnet_id"]
    detail["services"] = services
    if partial:
        detail["demand_incomplete"] = partial
    detail.update(extra)
    return CHECK.finding(
        Location(row.account, row.region, "subnet", row.subnet_id),
        severity,
        title,
        detail,
        "Add larger subnets to the services' awsvpc configuration (use a "
        "secondary VPC CIDR if the VPC is full), spread tasks over more subnets, "
        "delete orphaned ENIs, or lower the deployment maximumPercent.",
    )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    snapshot = ctx.snapshot
    for row in ctx.subnets:
        services = sorted(s.name for s in snapshot.services if row.subnet_id in s.subnets)
        found = subnet_finding(row, ctx.config, services, ctx.missing(row.account, row.region, *DEMAND_APIS))
        if found is not None:
            yield found
    collected = {r.subnet_id for r in ctx.subnets}
    users = {sid: (s.account, s.region) for s in snapshot.services for sid in s.subnets}
    users |= {sid: (t.account, t.region) for t in snapshot.tasks for sid in t.subnet_ids}
    for subnet_id in sorted(ctx.ecs_subnet_ids - collected - set(ctx.inventory.subnets)):
        account, region = users.get(subnet_id, (snapshot.accounts[0] if snapshot.accounts else "", ""))
        yield CHECK.unknown(
            ctx.at_uncollected("subnet", subnet_id, account, region),
            f"free IPs of {subnet_id} are unknown",
            ctx.missing(account, region, "ec2:DescribeSubnets")
            or ["ec2:DescribeSubnets (subnet not returned)"],
        )


CHECK = Check(
    id=ID,
    title="Subnets running out of IPs for awsvpc tasks",
    severity="critical",
    resource_types=("subnet",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html",
    needs=needs(
        *ECS_INVENTORY,
        "ec2_instances",
        "subnets",
        "network_interfaces",
        "scalable_targets",
        "auto_scaling_groups",
    ),
)
