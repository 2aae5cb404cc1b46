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
