"""Free awsvpc ENI slots per cluster and Availability Zone (`capacity.zones`), and where a service's
peak falls short of them.

An awsvpc task's ENI attaches only in its own subnet's zone, and ECS spreads a service's tasks over
the zones of its subnets: a cluster with free slots in one zone cannot absorb a full zone elsewhere.
Pure functions over capacity rows; which instances can take a task is decided by the caller.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from auditor.analysis.placement import can_take_tasks

PEAK_DETAIL = ("maximum_percent", "maximum_percent_known", "two_revisions", "autoscaling_known")

if TYPE_CHECKING:
    from auditor.analysis.capacity import EniPool, InstanceCapacity, Peak
    from auditor.analysis.inventory import Inventory
    from auditor.model import Service, Task


class SlotRow(Protocol):
    """What a zone row needs of a container instance's capacity row."""

    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def cluster(self) -> str: ...
    @property
    def eni_task_capacity(self) -> int | None: ...
    @property
    def awsvpc_tasks(self) -> int | None: ...
    @property
    def headroom(self) -> int | None: ...


@dataclass(frozen=True)
class ZoneCapacity:
    """One row of `capacity.zones`: the instances of a cluster in one zone that can take a task."""

    account: str
    region: str
    cluster: str
    availability_zone: str
    instances: int  # that can take a task (ACTIVE, agent connected)
    eni_task_capacity: int | None  # summed over those instances; None when one of them is unknown
    awsvpc_tasks: int | None
    headroom: int | None
    free_slots: int | None  # headroom counting each instance at 0 or above: an over-full one frees nothing

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sum(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def zone_capacity(
    rows: Iterable[SlotRow],
    zone_of: Callable[[SlotRow], str | None],
    can_take_task: Callable[[SlotRow], bool],
) -> list[ZoneCapacity]:
    """One row per (account, region, cluster, zone) that has container instances; the figures sum
    the instances that can take a task. An instance whose zone is unknown has no row to count in."""
    groups: dict[tuple[str, str, str, str], list[SlotRow]] = defaultdict(list)
    for row in rows:
        zone = zone_of(row)
        if zone:
            groups[(row.account, row.region, row.cluster, zone)].append(row)
    result = []
    for (account, region, cluster, zone), members in sorted(groups.items()):
        able = [r for r in members if can_take_task(r)]
        result.append(
            ZoneCapacity(
                account=account,
                region=region,
                cluster=cluster,
                availability_zone=zone,
                instances=len(able),
                eni_task_capacity=_sum([r.eni_task_capacity for r in able]),
                awsvpc_tasks=_sum([r.awsvpc_tasks for r in able]),
                headroom=_sum([r.headroom for r in able]),
                free_slots=_sum([None if r.headroom is None else max(0, r.headroom) for r in able]),
            )
        )
    return result


@dataclass(frozen=True)
class ZoneShortfall:
    """A zone of a service's subnets that cannot hold its share of the service's peak."""

    availability_zone: str
    needed: int  # more tasks the zone must take at the peak
    free: int | None  # free slots there (None: unknown)
    shortfall: int | None  # needed − free (None: unknown)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def zone_shortfalls(
    peak_tasks: int,
    subnet_zones: list[str],
    running_by_zone: Mapping[str, int],
    free_by_zone: Mapping[str, int | None],
) -> list[ZoneShortfall]:
    """The zones where the service's share of its peak does not fit, and those whose free slots are
    unknown. ECS spreads a service over its subnets' zones; each subnet carries
    `ceil(peak / number of subnets)` (CONTRACT.md's subnet demand), so a zone with two of the
    service's subnets carries two shares."""
    if not subnet_zones or peak_tasks <= 0:
        return []
    share = math.ceil(peak_tasks / len(subnet_zones))
    out = []
    for zone, subnets in sorted(Counter(subnet_zones).items()):
        needed = max(0, share * subnets - running_by_zone.get(zone, 0))
        if needed == 0:
            continue
        free = free_by_zone.get(zone, 0)
        if free is None:
            out.append(ZoneShortfall(zone, needed, None, None))
        elif needed > free:
            out.append(ZoneShortfall(zone, needed, free, needed - free))
    return out


def zone_rows(inv: Inventory, rows: Iterable[InstanceCapacity]) -> list[ZoneCapacity]:
    """`capacity.zones`: the container-instance rows by cluster and zone, counting the instances
    that can take a task (ACTIVE, agent connected: `placement.can_take_tasks`)."""
    instances = inv.container_instances

    def zone_of(row: SlotRow) -> str | None:
        ci = instances.get(getattr(row, "container_instance_arn", ""))
        return inv.availability_zone_of(ci) if ci is not None else None

    def can_take(row: SlotRow) -> bool:
        ci = instances.get(getattr(row, "container_instance_arn", ""))
        return ci is not None and can_take_tasks(ci)

    return zone_capacity(rows, zone_of, can_take)


def task_zone(inv: Inventory, task: Task) -> str | None:
    """A task's zone: its own field, its ENI's subnet, or its container instance's."""
    if task.availability_zone:
        return task.availability_zone
    for subnet_id in task.subnet_ids:
        subnet = inv.subnets.get(subnet_id)
        if subnet is not None:
            return subnet.availability_zone
    ci = inv.container_instances.get(task.container_instance_arn or "")
    return inv.availability_zone_of(ci) if ci is not None else None


@dataclass(frozen=True)
class EniShortfall:
    """An awsvpc EC2 service's peak against the free ENI slots of the instances that can take its
    tasks (those in its zones; each service judged alone against that pool)."""

    running: int  # tasks it already runs
    headroom: int  # free slots in its zones
    shortfall: int  # peak − running − headroom
    steady_shortfall: int  # the same from max(desired, auto-scaling max), without deployment extras
    free_by_zone: dict[str, int]  # free slots per zone of its subnets
    elsewhere: int  # free slots in the cluster's other zones, which do not count
    short_zones: list[ZoneShortfall]

    def detail(self, service: Service, peak: Peak) -> dict[str, Any]:
        """`eni-headroom`'s service figures (docs/OUTPUT.md)."""
        return {
            "peak_tasks": peak.tasks,
            "running_tasks": self.running,
            "cluster_headroom": self.headroom,
            "shortfall": self.shortfall,
            "desired_count": service.desired_count,
            **{field: getattr(peak, field) for field in PEAK_DETAIL},
            "zones": self.free_by_zone,
            "free_in_other_zones": self.elsewhere,
            "short_zones": [z.to_dict() for z in self.short_zones],
        }


def eni_shortfall(
    inv: Inventory, pool: EniPool, service: Service, zones: frozenset[str], peak: Peak
) -> EniShortfall | None:
    """None when the service's peak fits the free slots of its zones."""
    running = len(inv.service_tasks(service))
    headroom = pool.cluster_free(service.cluster_arn, zones)
    shortfall = peak.tasks - running - headroom
    if shortfall <= 0:
        return None
    by_zone = pool.zone_free(service.cluster_arn)
    short_zones = zone_shortfalls(
        peak.tasks,
        [inv.subnets[s].availability_zone for s in service.subnets if s in inv.subnets],
        Counter(z for t in inv.service_tasks(service) if (z := task_zone(inv, t))),
        by_zone,
    )
    return EniShortfall(
        running=running,
        headroom=headroom,
        shortfall=shortfall,
        steady_shortfall=peak.base - running - headroom,
        free_by_zone={z: by_zone.get(z, 0) for z in sorted(zones)},
        elsewhere=pool.cluster_free(service.cluster_arn) - headroom,
        short_zones=short_zones,
    )
