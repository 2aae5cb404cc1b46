"""Scale-out in the subnet demand: addresses that new container instances will take.

An Auto Scaling group can still add `MaxSize − DesiredCapacity` instances, and EC2 Auto Scaling
places them so its Availability Zones stay balanced (each new instance goes to the zone with the
fewest, in the order of the group's subnets). Each new instance takes one address for its primary
ENI, one more for its trunk ENI when it gets one, and one per awsvpc daemon service of its cluster
(the daemon's task ENI, counted in the instance's subnet). Pure functions; the caller decides which
groups serve which clusters and whether new instances get a trunk.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from auditor.analysis.instance_facts import trunking_facts
from auditor.analysis.placement import can_take_tasks
from auditor.model import AutoScalingGroup, ContainerInstance

if TYPE_CHECKING:
    from auditor.analysis.capacity import InstanceCapacity, Peak
    from auditor.analysis.inventory import Inventory


def addresses_per_instance(trunk: bool, awsvpc_daemons: int) -> int:
    """The primary ENI, the trunk ENI when there is one, and one ENI per awsvpc daemon task."""
    return 1 + (1 if trunk else 0) + max(0, awsvpc_daemons)


def spread_evenly(
    subnets: Sequence[str], zone_of: Mapping[str, str | None], current: Mapping[str, int], add: int
) -> dict[str, int]:
    """New instances per subnet: one at a time to the zone with the fewest instances (ties: the
    zone whose subnet comes first), then round-robin over that zone's subnets. `current` counts the
    group's instances per zone. A subnet whose zone is unknown is a zone of its own."""
    if add <= 0 or not subnets:
        return {}
    zones: dict[str, list[str]] = {}
    for subnet in dict.fromkeys(subnets):
        zones.setdefault(zone_of.get(subnet) or subnet, []).append(subnet)
    count = {zone: current.get(zone, 0) for zone in zones}
    order = list(zones)
    placed: Counter[str] = Counter()
    turn: Counter[str] = Counter()
    for _ in range(add):
        zone = min(order, key=lambda z: (count[z], order.index(z)))
        count[zone] += 1
        members = zones[zone]
        placed[members[turn[zone] % len(members)]] += 1
        turn[zone] += 1
    return dict(placed)


def managed_instances_to_add(new_tasks: int, free_slots: int, tasks_per_instance: int | None) -> int:
    """Instances an ECS Managed Instances provider launches for `new_tasks` more awsvpc tasks when
    its instances have `free_slots`: it has no maximum size to read, so the demand follows the
    tasks. With no known per-instance capacity, one instance per task (the upper bound)."""
    missing = max(0, new_tasks - max(0, free_slots))
    if missing == 0:
        return 0
    return math.ceil(missing / max(1, tasks_per_instance or 1))


# ---------------------------------------------------------------- over a snapshot


def _clusters_of_group(inv: Inventory, group: AutoScalingGroup) -> set[str]:
    """Clusters a group feeds: through a capacity provider the cluster names, or its instances."""
    providers = {
        p.name
        for p in inv.snapshot.capacity_providers
        if p.account == group.account and p.region == group.region and p.auto_scaling_group_name == group.name
    }
    clusters = {
        c.arn
        for c in inv.snapshot.clusters
        if c.account == group.account and c.region == group.region and providers & set(c.capacity_providers)
    }
    for ci in inv.snapshot.container_instances:
        ec2 = inv.ec2_for(ci)
        if ec2 is not None and _same_group(ci, ec2.auto_scaling_group, group):
            clusters.add(ci.cluster_arn)
    return clusters


def _same_group(ci: ContainerInstance, group_name: str | None, group: AutoScalingGroup) -> bool:
    """An Auto Scaling group is named uniquely only within its account and region: the same
    infrastructure code gives every account of an organisation the same names."""
    return (group_name, ci.account, ci.region) == (group.name, group.account, group.region)


def _awsvpc_daemons(inv: Inventory, clusters: set[str]) -> int:
    return sum(
        1
        for s in inv.snapshot.services
        if s.cluster_arn in clusters
        and s.status == "ACTIVE"
        and s.scheduling_strategy == "DAEMON"
        and inv.is_awsvpc(s) is True
    )


def _group_gets_trunks(inv: Inventory, group: AutoScalingGroup, members: list[ContainerInstance]) -> bool:
    """New instances get a trunk when the group's instances have one; with none to look at, when
    the account's awsvpcTrunking default is enabled and its types support trunking (unknown types:
    assumed to, which counts the larger demand)."""
    if members:
        return any(inv.has_trunk(ci) for ci in members)
    enabled = any(
        s.value == "enabled" and s.asked_for is None
        for s in inv.snapshot.account_settings
        if s.account == group.account and s.region == group.region
    )
    facts = [trunking_facts(t) for t in group.instance_types]
    return enabled and all(f is None or f.trunking_supported for f in facts)


def _zones(inv: Inventory, subnets: Sequence[str]) -> dict[str, str | None]:
    return {s: (inv.subnets[s].availability_zone if s in inv.subnets else None) for s in subnets}


def _auto_scaling_demand(inv: Inventory, demand: Counter[str]) -> None:
    for group in inv.snapshot.auto_scaling_groups:
        room = max(0, group.max_size - group.desired_capacity)
        clusters = _clusters_of_group(inv, group)
        if not room or not clusters:
            continue
        members = [
            ci
            for ci in inv.snapshot.container_instances
            if (ci.account, ci.region) == (group.account, group.region)
            and (
                ci.ec2_instance_id in set(group.instance_ids)
                or ((ec2 := inv.ec2_for(ci)) is not None and _same_group(ci, ec2.auto_scaling_group, group))
            )
        ]
        per_instance = addresses_per_instance(
            _group_gets_trunks(inv, group, members), _awsvpc_daemons(inv, clusters)
        )
        current = Counter(z for z in group.instance_zones if z)
        for subnet, instances in spread_evenly(
            group.subnets, _zones(inv, group.subnets), current, room
        ).items():
            demand[subnet] += instances * per_instance


def _managed_instances_demand(
    inv: Inventory, rows: Sequence[InstanceCapacity], peaks: Mapping[str, Peak], demand: Counter[str]
) -> None:
    by_arn = {r.container_instance_arn: r for r in rows}
    for provider in inv.snapshot.capacity_providers:
        if provider.type != "MANAGED_INSTANCES" or not provider.subnets:
            continue
        members = [
            ci
            for ci in inv.snapshot.container_instances
            if (ci.capacity_provider, ci.account, ci.region)
            == (provider.name, provider.account, provider.region)
        ]
        mine = [by_arn[ci.arn] for ci in members if ci.arn in by_arn]
        free = sum(
            max(0, r.headroom or 0) for r, ci in zip(mine, members, strict=False) if can_take_tasks(ci)
        )
        services = [
            s
            for s in inv.snapshot.services
            if provider.name in s.capacity_providers and s.status == "ACTIVE" and inv.is_awsvpc(s) is True
        ]
        new_tasks = sum(
            max(0, peaks[s.arn].tasks - len(inv.service_tasks(s))) for s in services if s.arn in peaks
        )
        known = [r.eni_task_capacity for r in mine if r.eni_task_capacity]
        allowed = [f.tasks_with_trunk for t in provider.allowed_instance_types if (f := trunking_facts(t))]
        per_instance_tasks = min(known) if known else (min(a for a in allowed if a) if any(allowed) else None)
        launches = managed_instances_to_add(new_tasks, free, per_instance_tasks)
        if not launches:
            continue
        current = Counter(z for ci in members if (z := inv.availability_zone_of(ci)))
        zones = _zones(inv, provider.subnets)
        # each launch: its primary ENI and, for a type that supports trunking, the trunk
        for subnet, instances in spread_evenly(provider.subnets, zones, current, launches).items():
            demand[subnet] += instances * addresses_per_instance(True, 0)


def scale_out_by_subnet(
    inv: Inventory, rows: Sequence[InstanceCapacity], peaks: Mapping[str, Peak]
) -> dict[str, int]:
    """Addresses new container instances will take, per subnet: what Auto Scaling groups can still
    add (`MaxSize − DesiredCapacity`), and what ECS Managed Instances launches for its services'
    peaks beyond its instances' free slots."""
    demand: Counter[str] = Counter()
    _auto_scaling_demand(inv, demand)
    _managed_instances_demand(inv, rows, peaks, demand)
    return dict(demand)
