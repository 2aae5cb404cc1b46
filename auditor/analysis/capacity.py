"""The capacity tables of CONTRACT.md: awsvpc ENI slots per container instance, IPs per subnet.

A figure that rests on data that was not collected is None (null in JSON, empty in CSV), never a
guess that could read as "fine".
"""

from __future__ import annotations

import ipaddress
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from auditor.analysis.instance_facts import tasks_without_trunk, trunking_facts
from auditor.analysis.inventory import Inventory
from auditor.analysis.placement import DEFAULT_MAXIMUM_PERCENT, can_take_tasks, in_zones
from auditor.model import ContainerInstance, Service


@dataclass(frozen=True)
class InstanceCapacity:
    account: str
    region: str
    cluster: str
    container_instance_arn: str
    instance_id: str | None
    instance_type: str | None
    max_enis: int | None
    trunking: str  # on | off
    eni_task_capacity: int | None
    awsvpc_tasks: int | None
    extra_enis: int | None
    headroom: int | None
    capacity_provider: str | None = None  # the capacity provider that launched it (Managed Instances, …)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def utilization(self) -> float | None:
        if self.eni_task_capacity is None or self.awsvpc_tasks is None or self.extra_enis is None:
            return None
        if self.eni_task_capacity <= 0:
            return 1.0
        return (self.awsvpc_tasks + self.extra_enis) / self.eni_task_capacity


@dataclass(frozen=True)
class SubnetCapacity:
    account: str
    region: str
    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr: str | None
    usable: int | None
    available: int
    ecs_ips: int
    projected_demand: int
    projected_free: int | None  # None for an IPv6-only subnet: it has no IPv4 addresses to run out of
    scale_out_demand: int = 0  # the part of projected_demand that new container instances take

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Peak:
    """A service's task count at its peak, and what that figure rests on."""

    tasks: int
    base: int  # max(desired, auto-scaling max)
    maximum_percent: int
    maximum_percent_known: bool
    autoscaling_known: bool
    two_revisions: bool = False  # CODE_DEPLOY/EXTERNAL, or BLUE_GREEN/LINEAR/CANARY: 2 × base


TWO_REVISION_CONTROLLERS = frozenset({"CODE_DEPLOY", "EXTERNAL"})
TWO_REVISION_STRATEGIES = frozenset({"BLUE_GREEN", "LINEAR", "CANARY"})


def runs_two_revisions(service: Service) -> bool:
    """Blue/green-like deployments run the old and the new revision in full, side by side."""
    return (
        service.deployment_controller in TWO_REVISION_CONTROLLERS
        or (service.deployment_strategy or "").upper() in TWO_REVISION_STRATEGIES
    )


def peak_tasks(base: int, service: Service) -> int:
    """Tasks at a deployment's peak from `base` tasks (CONTRACT.md, "A service's peak"): `2 × base`
    for two full revisions, else `max(base, floor(base × maximumPercent / 100))` — ECS rounds the
    maximum down."""
    if runs_two_revisions(service):
        return 2 * base
    percent = service.maximum_percent if service.maximum_percent is not None else DEFAULT_MAXIMUM_PERCENT
    return max(base, base * percent // 100)


def service_peak(inv: Inventory, service: Service) -> Peak:
    """The peak from `max(desired, auto-scaling max)` (`peak_tasks`)."""
    target = inv.scalable_targets.get(
        (service.account, service.region, f"service/{inv.cluster_name(service.cluster_arn)}/{service.name}")
    )
    base = max(service.desired_count, target.max_capacity if target else 0)
    percent = service.maximum_percent if service.maximum_percent is not None else DEFAULT_MAXIMUM_PERCENT
    autoscaling_known = not inv.missing(
        service.account, service.region, "application-autoscaling:DescribeScalableTargets"
    )
    return Peak(
        tasks=peak_tasks(base, service),
        base=base,
        maximum_percent=percent,
        maximum_percent_known=service.maximum_percent is not None,
        autoscaling_known=autoscaling_known,
        two_revisions=runs_two_revisions(service),
    )


@dataclass(frozen=True)
class EniPool:
    """Free awsvpc ENI slots per cluster and Availability Zone, counting only instances that can
    take a task; a cluster with such an instance of unknown headroom is in `unknown`."""

    free: dict[tuple[str, str | None], int]
    unknown: frozenset[tuple[str, str | None]]  # (cluster, zone) with an instance of unknown headroom

    def cluster_free(self, cluster_arn: str, zones: frozenset[str] | None = None) -> int:
        """Free slots in the cluster; only in `zones` when given (an awsvpc service's zones)."""
        return sum(n for (arn, zone), n in self.free.items() if arn == cluster_arn and in_zones(zone, zones))

    def cluster_known(self, cluster_arn: str, zones: frozenset[str] | None = None) -> bool:
        return not any(arn == cluster_arn and in_zones(zone, zones) for arn, zone in self.unknown)

    def zone_free(self, cluster_arn: str) -> dict[str, int]:
        """Free slots per Availability Zone of the cluster (zone unknown: "unknown")."""
        out: dict[str, int] = {}
        for (arn, zone), n in self.free.items():
            if arn == cluster_arn:
                out[zone or "unknown"] = out.get(zone or "unknown", 0) + n
        return out


def eni_pool(inv: Inventory, rows: list[InstanceCapacity]) -> EniPool:
    """The one free-capacity pool every check and report reads."""
    free: dict[tuple[str, str | None], int] = defaultdict(int)
    unknown: set[tuple[str, str | None]] = set()
    for row in rows:
        ci = inv.container_instances[row.container_instance_arn]
        if not can_take_tasks(ci):
            continue
        zone = inv.availability_zone_of(ci)
        if row.headroom is None:
            unknown.add((ci.cluster_arn, zone))
        else:
            free[(ci.cluster_arn, zone)] += max(0, row.headroom)
    return EniPool(free=dict(free), unknown=frozenset(unknown))


def usable_addresses(cidr: str | None) -> int | None:
    """Addresses in an IPv4 CIDR minus the five AWS reserves; None for no IPv4 CIDR."""
    if not cidr:
        return None
    network = ipaddress.ip_network(cidr, strict=False)
    return max(0, network.num_addresses - 5)


def eni_task_capacity(instance_type: str | None, max_enis: int | None, trunk: bool) -> int | None:
    """awsvpc tasks an instance holds: the ECS trunk limit with a trunk; without one `max_enis − 1`,
    capped by the ECS table's limit for the type (multi-network-card types hold fewer)."""
    if trunk:
        facts = trunking_facts(instance_type or "")
        return facts.tasks_with_trunk if facts else None
    if max_enis is None:
        return None
    return tasks_without_trunk(instance_type, max_enis)


def _instance_row(
    inv: Inventory, ci: ContainerInstance, tasks_known: bool, enis_known: bool
) -> InstanceCapacity:
    instance_type = inv.instance_type_of(ci)
    type_info = inv.instance_types.get((ci.region, instance_type or ""))
    max_enis = type_info.max_enis if type_info else None
    trunk = inv.has_trunk(ci)
    capacity = eni_task_capacity(instance_type, max_enis, trunk)
    tasks = inv.tasks_by_instance.get(ci.arn, [])
    awsvpc = sum(1 for t in tasks if inv.is_awsvpc_task(t))
    extra: int | None = None
    if enis_known and ci.ec2_instance_id:
        ec2 = inv.ec2_for(ci)
        primary = ec2.primary_eni_id if ec2 else None
        extra = sum(
            1
            for e in inv.enis_by_instance.get(ci.ec2_instance_id, [])
            if e.device_index != 0
            and e.eni_id != primary
            and e.interface_type != "trunk"
            and e.eni_id not in inv.task_eni_ids
        )
    awsvpc_tasks = awsvpc if tasks_known else None
    headroom = None
    if capacity is not None and awsvpc_tasks is not None and extra is not None:
        headroom = capacity - awsvpc_tasks - extra
    return InstanceCapacity(
        account=ci.account,
        region=ci.region,
        cluster=inv.cluster_name(ci.cluster_arn),
        container_instance_arn=ci.arn,
        instance_id=ci.ec2_instance_id,
        instance_type=instance_type,
        max_enis=max_enis,
        trunking="on" if trunk else "off",
        eni_task_capacity=capacity,
        awsvpc_tasks=awsvpc_tasks,
        extra_enis=extra,
        headroom=headroom,
        capacity_provider=ci.capacity_provider,
    )


HEADROOM_APIS = (
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeNetworkInterfaces",
)


def headroom_unknown_because(inv: Inventory, row: InstanceCapacity) -> list[str]:
    """What an instance's unknown headroom rests on: the APIs that did not succeed there, else the
    fact no source gave (the trunk limit of its type, or its type's ENI count)."""
    missing = inv.missing(row.account, row.region, *HEADROOM_APIS)
    if missing:
        return missing
    if row.trunking == "on":
        return [f"the ECS trunk task limit of instance type {row.instance_type or 'unknown'}"]
    return ["ec2:DescribeInstanceTypes"]


def instance_capacity(inv: Inventory) -> list[InstanceCapacity]:
    """One row per registered EC2 container instance (ECS Anywhere instances have none: no ENI
    slots to count, and no EC2 data behind them)."""
    rows = []
    for ci in inv.snapshot.container_instances:
        if ci.is_external:
            continue
        tasks_known = not inv.missing(ci.account, ci.region, "ecs:ListTasks", "ecs:DescribeTasks")
        enis_known = not inv.missing(
            ci.account, ci.region, "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstances"
        )
        rows.append(_instance_row(inv, ci, tasks_known, enis_known))
    return rows


def subnet_demand(inv: Inventory, peaks: dict[str, Peak]) -> dict[str, int]:
    """Extra addresses each subnet needs when every awsvpc service using it runs at its peak."""
    demand: dict[str, int] = defaultdict(int)
    for service in inv.snapshot.services:
        if not service.subnets or service.scheduling_strategy == "DAEMON":
            continue
        per_subnet = math.ceil(peaks[service.arn].tasks / len(service.subnets))
        in_subnet: dict[str, int] = defaultdict(int)
        for task in inv.service_tasks(service):
            for subnet_id in task.subnet_ids:
                in_subnet[subnet_id] += 1
        for subnet_id in service.subnets:
            demand[subnet_id] += max(0, per_subnet - in_subnet[subnet_id])
    return demand


def ecs_subnet_ids(inv: Inventory) -> set[str]:
    """Subnets that an ECS task, container instance or awsvpc service uses, and those where ECS
    Managed Instances or an Auto Scaling group behind a cluster launches instances."""
    snapshot = inv.snapshot
    used = {sid for t in snapshot.tasks for sid in t.subnet_ids}
    used |= {sid for s in snapshot.services for sid in s.subnets}
    for ci in snapshot.container_instances:
        ec2 = inv.ec2_for(ci)
        if ec2 and ec2.subnet_id:
            used.add(ec2.subnet_id)
    # where ECS Managed Instances and the Auto Scaling groups behind clusters launch instances
    used |= {sid for p in snapshot.capacity_providers if p.type == "MANAGED_INSTANCES" for sid in p.subnets}
    used |= {sid for g in snapshot.auto_scaling_groups for sid in g.subnets}
    return used


def subnet_capacity(
    inv: Inventory, used: set[str], peaks: dict[str, Peak], scale_out: dict[str, int] | None = None
) -> list[SubnetCapacity]:
    """One row per subnet ECS uses that was collected (an uncollected one has no row: unknown).
    `scale_out`: addresses new container instances will take there (`analysis/scale_out.py`)."""
    snapshot = inv.snapshot
    # Addresses held by task ENIs, per subnet: the ENI's addresses where collected, else 1 per attachment.
    # Plain Python rather than a pandas group-by: this is the audit's hot path (the Lambda's cold
    # start), and pandas alone costs ~200 ms to import for one sum.
    ecs_ips: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    for t in snapshot.tasks:
        for a in t.eni_attachments:
            sid, eni_id = a.detail("subnetId"), a.detail("networkInterfaceId")
            if not sid or not eni_id or eni_id in seen:
                continue
            seen.add(eni_id)
            ecs_ips[sid] += max(1, len(inv.enis[eni_id].private_ips)) if eni_id in inv.enis else 1
    demand = subnet_demand(inv, peaks)
    rows = []
    for subnet_id in sorted(used):
        subnet = inv.subnets.get(subnet_id)
        if subnet is None:
            continue
        new_instances = int((scale_out or {}).get(subnet_id, 0))
        projected = int(demand.get(subnet_id, 0)) + new_instances
        rows.append(
            SubnetCapacity(
                account=subnet.account,
                region=subnet.region,
                subnet_id=subnet_id,
                vpc_id=subnet.vpc_id,
                availability_zone=subnet.availability_zone,
                cidr=subnet.cidr,
                usable=usable_addresses(subnet.cidr),
                available=max(0, subnet.available_ips),
                ecs_ips=int(ecs_ips.get(subnet_id, 0)),
                projected_demand=projected,
                projected_free=max(0, subnet.available_ips) - projected if subnet.cidr else None,
                scale_out_demand=new_instances,
            )
        )
    return rows
