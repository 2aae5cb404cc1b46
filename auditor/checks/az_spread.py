"""az-spread — services whose running tasks all sit in one Availability Zone while their subnets
span several.

Why: a service spread over subnets in two or three zones is meant to survive the loss of one. When
every running task is in the same zone — availability-zone rebalancing off after a zonal event,
capacity (free ENI slots, instances) only in one zone, or a placement constraint — a zonal outage
takes the whole service down, and nothing in the console says so.

What: ACTIVE services with subnets (awsvpc) and more than one running task, whose tasks' zones
(from the task, its ENI's subnet, or its container instance) are a single zone while their
subnets' zones are several → medium, with `subnet_zones`, `task_zones`, `running_tasks`,
`availability_zone_rebalancing` and, on EC2, the zones where the cluster has instances that can
take a task (`instance_zones`). A task or subnet whose zone is not known → unknown.

Fix: turn on availability-zone rebalancing (`aws ecs update-service --availability-zone-rebalancing
ENABLED`), add capacity in the other zones (instances, or free ENI slots there), check placement
constraints and strategies (`spread` over `attribute:ecs.availability-zone`), then force a new
deployment so the tasks spread.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.inventory import Inventory
from auditor.analysis.placement import can_take_tasks
from auditor.analysis.zones import task_zone
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service

ID = "az-spread"


def judge(subnet_zones: set[str], task_zones: set[str], running_tasks: int) -> bool:
    """The decision: more than one running task, every one in a single zone, subnets in several."""
    return running_tasks > 1 and len(task_zones) == 1 and len(subnet_zones) > 1


def _instance_zones(inv: Inventory, service: Service) -> list[str]:
    zones = {
        inv.availability_zone_of(ci) or ""
        for ci in inv.instances_by_cluster.get(service.cluster_arn, [])
        if can_take_tasks(ci)
    }
    return sorted(z for z in zones if z)


def _judge_service(ctx: AnalysisContext, service: Service) -> Finding | None:
    inv = ctx.inventory
    running = [t for t in inv.service_tasks(service) if t.last_status == "RUNNING"]
    if len(running) < 2 or len(service.subnets) < 2:
        return None
    where = ctx.at_service(service)
    subnets = [inv.subnets.get(s) for s in service.subnets]
    task_zones = [task_zone(inv, t) for t in running]
    if any(s is None for s in subnets) or any(z is None for z in task_zones):
        return CHECK.unknown(
            where,
            f"whether service {service.name} is spread over its zones is unknown",
            ctx.missing(service.account, service.region, "ec2:DescribeSubnets", "ecs:DescribeTasks")
            or ["the zone of some of its subnets or tasks"],
        )
    subnet_zones = {s.availability_zone for s in subnets if s is not None}
    zones = {z for z in task_zones if z}
    if not judge(subnet_zones, zones, len(running)):
        return None
    (zone,) = zones
    instance_zones = [] if inv.is_fargate(service) else _instance_zones(inv, service)
    cause = (
        f"; the cluster has instances that can take a task only in {zone}"
        if instance_zones == [zone]
        else "; availability-zone rebalancing is off"
        if service.availability_zone_rebalancing == "DISABLED"
        else ""
    )
    return CHECK.finding(
        where,
        "medium",
        f"all {len(running)} running tasks of service {service.name} are in {zone} while its "
        f"subnets span {len(subnet_zones)} zones{cause}",
        {
            "subnet_zones": sorted(subnet_zones),
            "task_zones": [zone],
            "running_tasks": len(running),
            "availability_zone_rebalancing": service.availability_zone_rebalancing,
            "instance_zones": instance_zones,
        },
        f"Add capacity outside {zone}, then turn on availability-zone rebalancing (aws ecs "
        f"update-service --cluster {inv.cluster_name(service.cluster_arn)} --service {service.name} "
        "--availability-zone-rebalancing ENABLED) or force a new deployment, and keep a spread placement "
        "strategy over attribute:ecs.availability-zone.",
    )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for service in ctx.snapshot.services:
        if service.status == "ACTIVE" and service.scheduling_strategy != "DAEMON":
            finding = _judge_service(ctx, service)
            if finding is not None:
                yield finding


CHECK = Check(
    id=ID,
    title="Services whose tasks all run in one Availability Zone",
    severity="medium",
    resource_types=("service",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html",
    needs=needs(*ECS_INVENTORY, "subnets"),
)
