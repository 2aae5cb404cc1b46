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
peak is two full revisions for blue/green-like deployments. ECS Anywhere instances have no ENI
verdict. The advice names the real cause: trunking only where it would help (a Linux instance of
a supporting type without a trunk); otherwise more instances or a type with more ENIs.

Fix: enable ENI trunking (`aws ecs put-account-setting-default --name awsvpcTrunking --value
enabled`, then replace the instances), use instance types with more ENIs, add instances (capacity
provider managed scaling counts ENIs), or move the service to Fargate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from auditor.analysis.capacity import InstanceCapacity
from auditor.analysis.context import AnalysisContext
from auditor.analysis.instance_facts import effective_setting, trunking_applies
from auditor.analysis.zones import task_zone, zone_shortfalls
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding

ID = "eni-headroom"
TRUNK_ADVICE = (
    "Enable ENI trunking for the container-instance role (aws ecs put-account-setting "
    "--name awsvpcTrunking --value enabled --principal-arn <role-arn>) and replace the "
    "instances, choose an instance type with more ENIs, or add instances."
)
MORE_CAPACITY = (
    "Add container instances (capacity provider managed scaling counts ENIs), or use a type with more ENIs."
)


def trunk_would_help(ctx: AnalysisContext, row: InstanceCapacity) -> bool:
    """A Linux instance of a type that supports trunking, without a trunk."""
    ci = ctx.inventory.container_instances[row.container_instance_arn]
    return row.trunking == "off" and trunking_applies(ci, row.instance_type) is True


def advice(ctx: AnalysisContext, row: InstanceCapacity) -> str:
    """What would give this instance more awsvpc slots, by the real cause of its limit."""
    ci = ctx.inventory.container_instances[row.container_instance_arn]
    if row.trunking == "on":
        return (
            f"{row.instance_id} already uses ENI trunking and holds its type's limit "
            f"({row.eni_task_capacity}). " + MORE_CAPACITY
        )
    if ci.os_type == "windows":
        return "ENI trunking is Linux-only, so it cannot help this Windows instance. " + MORE_CAPACITY
    if trunking_applies(ci, row.instance_type) is False:
        return (
            f"Its type {row.instance_type} does not support ENI trunking. {MORE_CAPACITY} A Nitro type "
            "that supports trunking (c5, m5, r5 and newer) holds several times more tasks."
        )
    if effective_setting(ctx.inventory, ci) == "enabled":
        return (
            "awsvpcTrunking is already enabled for its role, but the instance registered without a trunk: "
            "drain and replace it (new instances get a trunk ENI), or add instances."
        )
    return TRUNK_ADVICE


def _instance_findings(ctx: AnalysisContext, row: InstanceCapacity) -> Iterator[Finding]:
    detail: dict[str, object] = {
        "instance_type": row.instance_type,
        "trunking": row.trunking,
        "eni_task_capacity": row.eni_task_capacity,
        "awsvpc_tasks": row.awsvpc_tasks,
        "extra_enis": row.extra_enis,
        "headroom": row.headroom,
        "max_enis": row.max_enis,
    }
    where = ctx.at_instance(row)
    if row.headroom is None:
        missing = ctx.missing(
            row.account,
            row.region,
            "ecs:ListTasks",
            "ecs:DescribeTasks",
            "ec2:DescribeInstances",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeNetworkInterfaces",
        )
        if not missing:
            missing = [
                f"the ECS trunk task limit of instance type {row.instance_type or 'unknown'}"
                if row.trunking == "on"
                else "ec2:DescribeInstanceTypes"
            ]
        yield CHECK.unknown(where, f"awsvpc ENI headroom of {row.instance_id} is unknown", missing)
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
    for service in ctx.snapshot.services:
        if (
            inv.is_awsvpc(service) is not True
            or inv.is_fargate(service)
            or service.launch_type == "EXTERNAL"
            or service.scheduling_strategy == "DAEMON"
            or service.status != "ACTIVE"
        ):
            continue
        where = ctx.at_service(service)
        zones = inv.service_zones(service)
        if zones is None:  # an ENI attaches only in its subnet's zone: without the zones, no verdict
            yield CHECK.unknown(
                where,
                f"whether service {service.name} fits the ENI slots of its zones is unknown",
                ctx.missing(service.account, service.region, "ec2:DescribeSubnets")
                or [f"subnets {', '.join(service.subnets)} (not returned by ec2:DescribeSubnets)"],
            )
            continue
        if not ctx.pool.cluster_known(service.cluster_arn, zones):
            yield CHECK.unknown(
                where,
                f"whether service {service.name} fits its cluster's ENI slots is unknown",
                ["the ENI headroom of some of the cluster's instances"],
            )
            continue
        peak = ctx.peaks[service.arn]
        running = len(inv.service_tasks(service))
        headroom = ctx.pool.cluster_free(service.cluster_arn, zones)
        shortfall = peak.tasks - running - headroom
        if shortfall <= 0:
            continue
        steady_shortfall = peak.base - running - headroom
        by_zone = ctx.pool.zone_free(service.cluster_arn)
        free_by_zone = {z: by_zone.get(z, 0) for z in sorted(zones)}
        elsewhere = ctx.pool.cluster_free(service.cluster_arn) - headroom
        zone_short = zone_shortfalls(
            peak.tasks,
            [inv.subnets[s].availability_zone for s in service.subnets if s in inv.subnets],
            Counter(z for t in inv.service_tasks(service) if (z := task_zone(inv, t))),
            by_zone,
        )
        detail = {
            "peak_tasks": peak.tasks,
            "running_tasks": running,
            "cluster_headroom": headroom,
            "shortfall": shortfall,
            "desired_count": service.desired_count,
            "maximum_percent": peak.maximum_percent,
            "maximum_percent_known": peak.maximum_percent_known,
            "two_revisions": peak.two_revisions,
            "autoscaling_known": peak.autoscaling_known,
            "zones": free_by_zone,
            "free_in_other_zones": elsewhere,
            "short_zones": [z.to_dict() for z in zone_short],
        }
        short_zones = (
            ", ".join(z.availability_zone for z in zone_short)
            or ", ".join(z for z, free in free_by_zone.items() if free == 0)
            or "its zones"
        )
        helps = any(
            trunk_would_help(ctx, row)
            for row in ctx.instances
            if inv.container_instances[row.container_instance_arn].cluster_arn == service.cluster_arn
        )
        yield CHECK.finding(
            where,
            "high" if steady_shortfall > 0 else "medium",
            f"service {service.name} needs {peak.tasks - running} more awsvpc ENI slots at its peak"
            + (" (two full revisions while it deploys)" if peak.two_revisions else "")
            + f"; instances that can take it have {headroom} free ({shortfall} short)"
            + (f"; {elsewhere} free in other zones do not count" if elsewhere else "")
            + (f"; short in {', '.join(z.availability_zone for z in zone_short)}" if zone_short else ""),
            detail,
            f"Add container instances in {short_zones} or ENI capacity before the next deployment or "
            "scale-out" + (": " + TRUNK_ADVICE if helps else ". " + MORE_CAPACITY),
        )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    inv = ctx.inventory
    awsvpc_clusters = inv.clusters_with_awsvpc_ec2
    for row in ctx.instances:
        ci = inv.container_instances[row.container_instance_arn]
        if row.awsvpc_tasks or ci.cluster_arn in awsvpc_clusters:
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
        "capacity_providers",  # Managed Instances run with trunking whatever the setting
    ),
)
