"""eni-headroom — container instances out of awsvpc ENI slots, and services whose peak will not fit.

Why: in awsvpc mode every task on an EC2 container instance takes an ENI. Without ENI trunking an
instance holds `MaximumNetworkInterfaces − 1` such tasks (the primary ENI is the instance's own);
with a trunk it holds the documented ECS trunking limit for its type. ENIs attached for other
reasons (a second interface, an agent's extra ENI) take slots too. When no slot is free, ECS
cannot place the task there: it stays PENDING with `RESOURCE:ENI`, deployments stall and
scale-out silently fails.

What: per instance `headroom = eni_task_capacity − awsvpc_tasks − extra_enis`; high when 0 or
below, medium when utilisation reaches `thresholds.eni_utilization`. Per awsvpc EC2 service, its
peak (`max(desired, auto-scaling max) × maximumPercent / 100`) minus the tasks it already runs,
against the free slots of the instances that can take its tasks: ACTIVE with a connected agent,
and in an Availability Zone of one of its subnets (an ENI attaches only in its own subnet's zone);
each service is judged alone against that pool, and the finding says which zones fall short. The
peak is two full revisions for blue/green-like deployments. A shortfall the service's capacity
providers absorb (managed scaling up to MaxSize, each new instance holding the slots of the group's
smallest current one; ECS Managed Instances) is one step lower: the deployment or scale-out waits
for new instances; one they cannot absorb keeps its severity; growth not collected: "unknown".
ECS Anywhere instances have no ENI verdict. The advice names the real cause: trunking only where
it would help (a Linux instance of a supporting type without a trunk); otherwise more instances or
a type with more ENIs.

Fix: enable ENI trunking (`aws ecs put-account-setting-default --name awsvpcTrunking --value
enabled`, then replace the instances), use instance types with more ENIs, add instances (capacity
provider managed scaling counts ENIs), or move the service to Fargate.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.capacity import InstanceCapacity, headroom_unknown_because
from auditor.analysis.context import AnalysisContext
from auditor.analysis.growth import slot_growth
from auditor.analysis.instance_facts import slot_limit, trunk_would_help_cluster
from auditor.analysis.zones import eni_shortfall
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding

ID = "eni-headroom"
TRUNK_ADVICE = (
    "Enable ENI trunking for the container-instance role (aws ecs put-account-setting "
    "--name awsvpcTrunking --value enabled --principal-arn <role-arn>) and replace the "
    "instances, choose an instance type with more ENIs, or add instances."
)
INSTANCE_DETAIL = "instance_type trunking eni_task_capacity awsvpc_tasks extra_enis headroom max_enis".split()
MORE_CAPACITY = (
    "Add container instances (capacity provider managed scaling counts ENIs), or use a type with more ENIs."
)


def advice(ctx: AnalysisContext, row: InstanceCapacity) -> str:
    """What would give this instance more awsvpc slots, by the real cause of its limit."""
    return {
        "trunk": f"{row.instance_id} already uses ENI trunking and holds its type's limit "
        f"({row.eni_task_capacity}). {MORE_CAPACITY}",
        "windows": f"ENI trunking is Linux-only, so it cannot help this Windows instance. {MORE_CAPACITY}",
        "type": f"Its type {row.instance_type} does not support ENI trunking. {MORE_CAPACITY} A Nitro "
        "type that supports trunking (c5, m5, r5 and newer) holds several times more tasks.",
        "no-trunk": "awsvpcTrunking is already enabled for its role, but the instance registered "
        "without a trunk: drain and replace it (new instances get a trunk ENI), or add instances.",
        "setting": TRUNK_ADVICE,
    }[slot_limit(ctx.inventory, row)]


def _instance_findings(ctx: AnalysisContext, row: InstanceCapacity) -> Iterator[Finding]:
    detail: dict[str, object] = {field: getattr(row, field) for field in INSTANCE_DETAIL}
    where = ctx.at_instance(row)
    if row.headroom is None:
        because = headroom_unknown_because(ctx.inventory, row)
        yield CHECK.unknown(where, f"awsvpc ENI headroom of {row.instance_id} is unknown", because)
        return
    utilization = row.utilization or 0.0
    detail["utilization"] = round(utilization, 3)
    if row.headroom <= 0:
        title = (
            f"{row.instance_id} ({row.instance_type}) has no free awsvpc ENI slot: "
            f"{row.awsvpc_tasks} tasks + {row.extra_enis} other ENIs of {row.eni_task_capacity}"
        )
        yield CHECK.finding(where, "high", title, detail, advice(ctx, row))
    elif utilization >= ctx.config.thresholds.eni_utilization:
        title = (
            f"{row.instance_id} ({row.instance_type}) uses {utilization:.0%} of its "
            f"awsvpc ENI slots ({row.headroom} left)"
        )
        yield CHECK.finding(where, "medium", title, detail, advice(ctx, row))


def _service_findings(ctx: AnalysisContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for service in filter(inv.takes_instance_enis, ctx.snapshot.services):
        zones = inv.service_zones(service)
        if zones is None or not ctx.pool.cluster_known(service.cluster_arn, zones):
            # an ENI attaches only in its subnet's zone: without the zones, no verdict
            what = "the ENI slots of its zones" if zones is None else "its cluster's ENI slots"
            because = (
                ctx.missing(service.account, service.region, "ec2:DescribeSubnets")
                or [f"subnets {', '.join(service.subnets)} (not returned by ec2:DescribeSubnets)"]
                if zones is None
                else ["the ENI headroom of some of the cluster's instances"]
            )
            yield CHECK.unknown(
                ctx.at_service(service), f"whether service {service.name} fits {what} is unknown", because
            )
            continue
        peak = ctx.peaks[service.arn]
        short = eni_shortfall(inv, ctx.pool, service, zones, peak)
        if short is None:
            continue
        short_in = ", ".join(z.availability_zone for z in short.short_zones)
        zones_text = short_in or ", ".join(z for z, n in short.free_by_zone.items() if n == 0) or "its zones"
        helps = trunk_would_help_cluster(inv, ctx.instances, service.cluster_arn)
        growth = slot_growth(inv, service, ctx.instance_rows)
        severity, note, wait = growth.verdict(
            "high" if short.steady_shortfall > 0 else "medium", short.shortfall
        )
        yield CHECK.finding(
            ctx.at_service(service),
            severity,
            f"service {service.name} needs {peak.tasks - short.running} more awsvpc ENI slots at its peak"
            + (" (two full revisions while it deploys)" if peak.two_revisions else "")
            + f"; instances that can take it have {short.headroom} free ({short.shortfall} short)"
            + (f"; {short.elsewhere} free in other zones do not count" if short.elsewhere else "")
            + (f"; short in {short_in}" if short_in else "")
            + note,
            short.detail(service, peak) | growth.detail(short.shortfall),
            f"{wait}Add container instances in {zones_text} or ENI capacity before the next deployment or "
            "scale-out" + (": " + TRUNK_ADVICE if helps else ". " + MORE_CAPACITY),
        )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for row in ctx.awsvpc_instances:
        yield from _instance_findings(ctx, row)
    yield from _service_findings(ctx)


CHECK = Check(
    id=ID,
    title="awsvpc ENI slots per container instance and per service peak",
    severity="high",
    resource_types=("container-instance", "service"),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html",
    needs=needs(
        *ECS_INVENTORY,
        "ec2_instances",
        "instance_types",
        "network_interfaces",
        "scalable_targets",
        "capacity_providers",  # Managed Instances run with trunking whatever the setting; growth
        "auto_scaling_groups",  # what managed scaling can still add (analysis/growth.py)
    ),
)
