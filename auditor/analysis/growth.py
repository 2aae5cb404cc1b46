"""What a service's capacity providers can still add when ECS cannot place its tasks.

ECS managed scaling sizes an Auto Scaling group's scale-out by what the provisioning tasks need
(CPU, memory, host ports, ENIs), up to the group's MaxSize; a provider with managed scaling off
adds nothing for pending tasks; an ECS Managed Instances provider launches what is needed and has
no maximum to read. Shared by `static-port-conflict` (instances, `port_fit.py`) and
`eni-headroom` (awsvpc ENI slots, `slot_growth` below). A provider or group not collected, or
new instances whose match with `memberOf` constraints cannot be told, make the growth unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditor.analysis.inventory import FARGATE_PROVIDERS, Inventory
from auditor.analysis.placement import can_take_tasks, eligible_instances, service_constraints
from auditor.model import AutoScalingGroup, CapacityProvider, ContainerInstance, PlacementConstraint, Service

if TYPE_CHECKING:
    from auditor.analysis.capacity import InstanceCapacity

GROWTH_NONE = "none"  # no capacity provider adds instances for tasks ECS cannot place
GROWTH_GROUP = "auto-scaling-group"  # managed scaling, up to the groups' MaxSize
GROWTH_MANAGED_INSTANCES = "managed-instances"  # ECS Managed Instances: no maximum to read
GROWTH_UNKNOWN = "unknown"


@dataclass(frozen=True)
class GroupRoom:
    """One managed-scaling Auto Scaling group of the strategy and the instances it can still add."""

    group: AutoScalingGroup
    instances: int  # MaxSize − DesiredCapacity, 0 or more
    members: tuple[ContainerInstance, ...]  # the cluster's instances from it that can take a task


@dataclass(frozen=True)
class Growth:
    """Container instances the service's capacity providers can still add for its pending tasks."""

    kind: str  # none | auto-scaling-group | managed-instances | unknown
    instances: int | None  # None: unknown, or no maximum (managed-instances)
    missing: tuple[str, ...] = ()  # what an unknown rests on
    groups: tuple[GroupRoom, ...] = ()  # the groups behind `auto-scaling-group`


def _group_members(
    inv: Inventory, service: Service, provider: CapacityProvider, group: AutoScalingGroup
) -> list[ContainerInstance]:
    """The cluster's instances that can take a task and came from the provider's group."""
    members = []
    for ci in inv.instances_by_cluster.get(service.cluster_arn, []):
        ec2 = inv.ec2_for(ci)
        from_group = ec2 is not None and ec2.auto_scaling_group == group.name
        if can_take_tasks(ci) and (ci.capacity_provider == provider.name or from_group):
            members.append(ci)
    return members


def _new_instances_match(
    members: list[ContainerInstance], constraints: tuple[PlacementConstraint, ...]
) -> bool:
    """New instances of a group are taken to match `memberOf` constraints when all its current
    ones do (they come from the same launch template); with none to look at, that is unknown."""
    matching = eligible_instances(members, constraints)
    return bool(members) and matching is not None and len(matching) == len(members)


def capacity_growth(inv: Inventory, service: Service) -> Growth:
    """What the service's capacity provider strategy can still add. A provider without managed
    scaling adds nothing for pending tasks; a provider, group or constraint match not collected
    makes the growth unknown."""
    constraints = tuple(c for c in service_constraints(inv, service) if c.type == "memberOf")
    kinds: set[str] = set()
    groups: list[GroupRoom] = []
    missing: list[str] = []
    for name in service.capacity_providers:
        if name in FARGATE_PROVIDERS:
            continue
        provider = inv.capacity_providers.get((service.account, service.region, name))
        if provider is None:
            missing += inv.missing(service.account, service.region, "ecs:DescribeCapacityProviders") or [
                f"capacity provider {name} (not returned)"
            ]
            continue
        if provider.type == "MANAGED_INSTANCES":
            kinds.add(GROWTH_MANAGED_INSTANCES)
            continue
        group_name = provider.auto_scaling_group_name
        if provider.managed_scaling != "ENABLED" or not group_name:
            continue  # the group does not grow for tasks ECS cannot place
        group = inv.auto_scaling_groups.get((service.account, service.region, group_name))
        if group is None:
            missing += inv.missing(
                service.account, service.region, "autoscaling:DescribeAutoScalingGroups"
            ) or [f"Auto Scaling group {group_name} (not returned)"]
            continue
        members = _group_members(inv, service, provider, group)
        if constraints and not _new_instances_match(members, constraints):
            missing.append(f"whether new instances of {group_name} match the service's memberOf constraints")
            continue
        kinds.add(GROWTH_GROUP)
        groups.append(GroupRoom(group, max(0, group.max_size - group.desired_capacity), tuple(members)))
    if missing:
        return Growth(GROWTH_UNKNOWN, None, tuple(missing))
    if GROWTH_MANAGED_INSTANCES in kinds:
        return Growth(GROWTH_MANAGED_INSTANCES, None)
    if GROWTH_GROUP in kinds:
        return Growth(GROWTH_GROUP, sum(g.instances for g in groups), groups=tuple(groups))
    return Growth(GROWTH_NONE, 0)


def _slots_per_instance(room: GroupRoom, rows: Mapping[str, InstanceCapacity]) -> int | None:
    """The free awsvpc slots of a new instance of the group, taken as its smallest current
    instance's `eni_task_capacity − extra_enis`; None with no current instance, or one unknown."""
    figures = []
    for ci in room.members:
        row = rows.get(ci.arn)
        if row is None or row.eni_task_capacity is None or row.extra_enis is None:
            return None
        figures.append(max(0, row.eni_task_capacity - row.extra_enis))
    return min(figures) if figures else None


@dataclass(frozen=True)
class SlotGrowth:
    """The awsvpc ENI slots a service's capacity providers can add, against a shortfall."""

    growth: Growth
    per_instance: dict[str, int | None]  # by Auto Scaling group name

    @property
    def slots(self) -> int | None:
        """Slots the groups can add; 0 without growth, None when unknown or without a maximum."""
        if self.growth.kind != GROWTH_GROUP:
            return 0 if self.growth.kind == GROWTH_NONE else None
        total = 0
        for room in self.growth.groups:
            per = self.per_instance[room.group.name]
            if room.instances and per is None:
                return None
            total += room.instances * (per or 0)
        return total

    def instances_for(self, shortfall: int) -> int | None:
        """New instances that cover `shortfall` slots, taking the groups in strategy order; None
        when they cannot (or that cannot be told)."""
        if self.slots is None or self.slots < shortfall:
            return None
        count, left = 0, shortfall
        for room in self.growth.groups:
            per = self.per_instance[room.group.name] or 0
            if left <= 0 or per <= 0:
                continue
            take = min(room.instances, -(-left // per))
            count, left = count + take, left - take * per
        return count

    def covers(self, shortfall: int) -> bool | None:
        """Whether the providers absorb the shortfall: Managed Instances are taken to; None when unknown."""
        if self.growth.kind == GROWTH_MANAGED_INSTANCES:
            return True
        return None if self.slots is None else self.slots >= shortfall

    def detail(self, shortfall: int) -> dict[str, Any]:
        """The finding's growth keys (docs/OUTPUT.md, `eni-headroom`)."""
        out: dict[str, Any] = {
            "capacity_growth": self.growth.kind,
            "instances_can_add": self.growth.instances,
            "slots_can_add": self.slots,
            "slots_per_new_instance": self.per_instance,
            "growth_covers_shortfall": self.covers(shortfall),
            "instances_to_launch": self.instances_for(shortfall)
            if self.growth.kind == GROWTH_GROUP
            else None,
        }
        if self.growth.kind == GROWTH_UNKNOWN:
            out["growth_missing"] = list(self.growth.missing)
        return out

    def verdict(self, severity: str, shortfall: int) -> tuple[str, str, str]:
        """`eni-headroom`'s (severity, title note, advice prefix) for a service `shortfall` slots
        short: one step lower when the providers absorb it (the wait and the cost remain)."""
        slots = self.slots
        if self.growth.kind == GROWTH_MANAGED_INSTANCES:
            note = "ECS Managed Instances will have to launch instances first"
            tail = "; capacity depends on the provider's limits)"
        elif self.covers(shortfall):
            count = self.instances_for(shortfall)
            note = f"ECS will have to launch {count} instance{'' if count == 1 else 's'} first"
            tail = f"; managed scaling can add {self.growth.instances}, {slots} slots)"
        else:
            more = f"; managed scaling can add only {slots} slots ({self.growth.instances} instances)"
            return severity, more if self.growth.kind == GROWTH_GROUP and slots is not None else "", ""
        who = "ECS Managed Instances" if self.growth.kind == GROWTH_MANAGED_INSTANCES else "Managed scaling"
        advice = f"{who} will launch them (tasks wait for the instances to start). To not wait: "
        return (
            EASED.get(severity, severity),
            f"; {note} (deployments and scale-out wait for them{tail}",
            advice,
        )


EASED = {"critical": "high", "high": "medium", "medium": "low", "low": "info"}


def slot_growth(inv: Inventory, service: Service, rows: Mapping[str, InstanceCapacity]) -> SlotGrowth:
    """`capacity_growth` in awsvpc ENI slots: each instance a managed-scaling group can add holds
    as many tasks as its smallest current instance (`rows`: capacity rows by container instance ARN)."""
    growth = capacity_growth(inv, service)
    return SlotGrowth(growth, {r.group.name: _slots_per_instance(r, rows) for r in growth.groups})
