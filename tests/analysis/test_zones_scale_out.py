"""Per-zone capacity and scale-out demand: the pure rules, over small records."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from auditor.analysis.scale_out import addresses_per_instance, managed_instances_to_add, spread_evenly
from auditor.analysis.zones import zone_capacity, zone_shortfalls


@dataclass(frozen=True)
class Row:
    cluster: str
    zone: str | None
    eni_task_capacity: int | None
    awsvpc_tasks: int | None
    headroom: int | None
    can_take: bool = True
    account: str = "1"
    region: str = "r"


def zones(rows):
    return {z.availability_zone: z for z in zone_capacity(rows, lambda r: r.zone, lambda r: r.can_take)}


def test_zone_rows_sum_only_instances_that_can_take_a_task():
    got = zones(
        [
            Row("c", "a", 10, 3, 7),
            Row("c", "a", 2, 2, 0),
            Row("c", "a", 10, 0, 10, can_take=False),  # disconnected agent: no free slot
            Row("c", "b", 2, 3, -1),
        ]
    )
    a, b = got["a"], got["b"]
    assert (a.instances, a.eni_task_capacity, a.awsvpc_tasks, a.headroom, a.free_slots) == (2, 12, 5, 7, 7)
    assert (b.headroom, b.free_slots) == (-1, 0)  # over-full frees nothing for other tasks


def test_zone_with_an_unknown_instance_is_unknown_not_smaller():
    (row,) = zone_capacity(
        [Row("c", "a", 10, 1, 9), Row("c", "a", None, 1, None)], lambda r: r.zone, lambda r: True
    )
    assert row.headroom is None and row.free_slots is None and row.instances == 2


def test_zone_rows_split_by_cluster_and_skip_unknown_zones():
    rows = zone_capacity(
        [Row("x", "a", 2, 0, 2), Row("y", "a", 2, 0, 2), Row("x", None, 2, 0, 2)],
        lambda r: r.zone,
        lambda r: True,
    )
    assert [(r.cluster, r.availability_zone, r.instances) for r in rows] == [("x", "a", 1), ("y", "a", 1)]


def test_zone_with_no_able_instance_has_a_row_of_zeroes():
    (row,) = zone_capacity([Row("c", "a", 10, 0, 10, can_take=False)], lambda r: r.zone, lambda r: r.can_take)
    assert (row.instances, row.free_slots) == (0, 0)


@pytest.mark.parametrize(
    ("peak", "subnet_zones", "running", "free", "expected"),
    [
        # 8 over two zones: 4 each; a has 1 running and 1 free → 2 short; b fits
        (8, ["a", "b"], {"a": 1, "b": 2}, {"a": 1, "b": 5}, [("a", 3, 1, 2)]),
        (8, ["a", "b"], {"a": 4, "b": 4}, {"a": 0, "b": 0}, []),  # already there
        (3, ["a", "a", "b"], {}, {"a": 2, "b": 1}, []),  # ceil(3/3)=1 a subnet: a needs 2, b 1
        (4, ["a", "b"], {}, {"a": None, "b": 9}, [("a", 2, None, None)]),  # unknown is said
        (0, ["a"], {}, {}, []),
        (5, [], {}, {}, []),
    ],
)
def test_zone_shortfalls(peak, subnet_zones, running, free, expected):
    got = [
        (z.availability_zone, z.needed, z.free, z.shortfall)
        for z in zone_shortfalls(peak, subnet_zones, running, free)
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("trunk", "daemons", "expected"), [(False, 0, 1), (True, 0, 2), (True, 2, 4), (False, -1, 1)]
)
def test_addresses_per_instance(trunk, daemons, expected):
    assert addresses_per_instance(trunk, daemons) == expected


@pytest.mark.parametrize(
    ("subnets", "zone_of", "current", "add", "expected"),
    [
        # 30 more over two zones that hold 2 and 1: zone b catches up first, then alternate
        (["s1", "s2"], {"s1": "a", "s2": "b"}, {"a": 2, "b": 1}, 30, {"s1": 15, "s2": 15}),
        (["s1", "s2"], {"s1": "a", "s2": "b"}, {"a": 5, "b": 0}, 3, {"s2": 3}),
        (["s1", "s2", "s3"], {"s1": "a", "s2": "b", "s3": "c"}, {}, 4, {"s1": 2, "s2": 1, "s3": 1}),
        # two subnets in one zone share that zone's instances round-robin
        (["s1", "s2", "s3"], {"s1": "a", "s2": "a", "s3": "b"}, {}, 4, {"s1": 1, "s2": 1, "s3": 2}),
        (["s1"], {}, {}, 2, {"s1": 2}),  # unknown zone: its own
        (["s1"], {"s1": "a"}, {}, 0, {}),
        ([], {}, {}, 5, {}),
    ],
)
def test_spread_evenly(subnets, zone_of, current, add, expected):
    assert spread_evenly(subnets, zone_of, current, add) == expected


@pytest.mark.parametrize(
    ("new_tasks", "free", "per_instance", "expected"),
    [(10, 4, 3, 2), (3, 4, 3, 0), (5, 0, None, 5), (5, -2, 10, 1), (0, 0, 2, 0)],
)
def test_managed_instances_to_add(new_tasks, free, per_instance, expected):
    assert managed_instances_to_add(new_tasks, free, per_instance) == expected
