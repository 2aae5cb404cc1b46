"""Capacity of 2025–2026 fleets over small snapshots: ECS Managed Instances rows (trunking as ECS
runs them), `capacity.zones`, and scale-out in the subnet demand (Auto Scaling groups, Managed
Instances), as the analysis context builds them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.analysis.context import AnalysisContext
from auditor.config import Config
from auditor.model import AccountSetting, AutoScalingGroup, CapacityProvider
from tests.factories import ACCOUNT, REGION, SnapshotBuilder


def context(b: SnapshotBuilder) -> AnalysisContext:
    return AnalysisContext.build(b.build(), Config())


def zone(
    b: SnapshotBuilder, subnet_id: str, az: str, cidr: str = "10.0.1.0/24", available: int = 200
) -> None:
    b.subnet(subnet_id, cidr=cidr, available=available)
    b.records["subnets"][-1] = replace(b.records["subnets"][-1], availability_zone=az)


def managed(b: SnapshotBuilder, cluster: str, subnets: tuple[str, ...], *, name: str = "mi") -> None:
    b.records.setdefault("capacity_providers", []).append(
        CapacityProvider(
            arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/{name}",
            name=name,
            account=ACCOUNT,
            region=REGION,
            status="ACTIVE",
            type="MANAGED_INSTANCES",
            cluster=cluster,
            subnets=subnets,
            allowed_instance_types=("c5.large",),
        )
    )


def mi_instance(b: SnapshotBuilder, cluster: str, subnet: str, provider: str = "mi", **kw) -> tuple[str, str]:
    ci_arn, instance_id = b.instance(cluster, "c5.large", subnet=subnet, **kw)
    b.records["container_instances"][-1] = replace(
        b.records["container_instances"][-1], capacity_provider=provider
    )
    return ci_arn, instance_id


@pytest.mark.parametrize(("trunking_type", "expected"), [("c5.large", ("on", 10)), ("t3.medium", ("off", 2))])
def test_managed_instances_are_judged_with_trunking_as_ecs_runs_them(trunking_type, expected):
    b = SnapshotBuilder()
    cluster = b.cluster()
    zone(b, "subnet-a", "us-east-1a")
    managed(b, cluster, ("subnet-a",))
    b.instance(cluster, trunking_type, subnet="subnet-a")  # no trunk ENI seen, setting never enabled
    b.records["container_instances"][-1] = replace(
        b.records["container_instances"][-1], capacity_provider="mi"
    )
    (row,) = context(b).instances
    assert (row.trunking, row.eni_task_capacity) == expected and row.capacity_provider == "mi"


def test_plain_ec2_instance_without_trunk_stays_off():
    b = SnapshotBuilder()
    cluster = b.cluster()
    zone(b, "subnet-a", "us-east-1a")
    b.instance(cluster, "c5.large", subnet="subnet-a")
    (row,) = context(b).instances
    assert (row.trunking, row.eni_task_capacity, row.capacity_provider) == ("off", 2, None)


def test_zone_rows_per_cluster_and_zone():
    b = SnapshotBuilder()
    cluster = b.cluster()
    zone(b, "subnet-a", "us-east-1a")
    zone(b, "subnet-b", "us-east-1b", cidr="10.0.2.0/24")
    td = b.task_definition()
    full = b.instance(cluster, "c5.large", subnet="subnet-a")
    b.instance(cluster, "c5.large", subnet="subnet-b")
    b.instance(cluster, "c5.large", subnet="subnet-b", status="DRAINING")  # cannot take a task
    for _ in range(2):
        b.task(cluster, td, instance=full, subnet="subnet-a", service="api")
    rows = {z.availability_zone: z for z in context(b).zones}
    assert (rows["us-east-1a"].instances, rows["us-east-1a"].headroom, rows["us-east-1a"].free_slots) == (
        1,
        0,
        0,
    )
    assert (
        rows["us-east-1b"].instances,
        rows["us-east-1b"].eni_task_capacity,
        rows["us-east-1b"].free_slots,
    ) == (
        1,
        2,
        2,
    )


def asg_world(
    *, max_size: int, desired: int, trunk: bool, daemons: int = 0, zones=("us-east-1a", "us-east-1b")
):
    b = SnapshotBuilder()
    cluster = b.cluster()
    subnets = []
    for n, az in enumerate(zones):
        zone(b, f"subnet-{n}", az, cidr=f"10.0.{n}.0/27", available=20)
        subnets.append(f"subnet-{n}")
    ci_arn, instance_id = b.instance(cluster, "c5.large", subnet="subnet-0", trunk=trunk)
    b.records["ec2_instances"][-1] = replace(b.records["ec2_instances"][-1], auto_scaling_group="hosts")
    b.records["auto_scaling_groups"] = [
        AutoScalingGroup(
            name="hosts",
            arn="arn:aws:autoscaling:…:autoScalingGroupName/hosts",
            account=ACCOUNT,
            region=REGION,
            min_size=1,
            max_size=max_size,
            desired_capacity=desired,
            subnets=tuple(subnets),
            instance_ids=(instance_id,),
            instance_zones=(zones[0],),
            instance_types=("c5.large",),
        )
    ]
    for n in range(daemons):
        td = b.task_definition(f"agent{n}")
        b.service(cluster, f"agent{n}", td, subnets=("subnet-0",), scheduling="DAEMON")
    return b


@pytest.mark.parametrize(
    ("max_size", "desired", "trunk", "daemons", "expected"),
    [
        # 9 more: zone b (1 fewer) first → b 5, a 4; 2 addresses each with a trunk
        (10, 1, True, 0, {"subnet-0": 8, "subnet-1": 10}),
        (10, 1, False, 0, {"subnet-0": 4, "subnet-1": 5}),
        (10, 1, True, 1, {"subnet-0": 12, "subnet-1": 15}),  # + one awsvpc daemon task each
        (3, 3, True, 0, {"subnet-0": 0, "subnet-1": 0}),  # at its maximum: no scale-out
    ],
)
def test_auto_scaling_group_scale_out_in_the_subnet_rows(max_size, desired, trunk, daemons, expected):
    rows = {
        s.subnet_id: s
        for s in context(asg_world(max_size=max_size, desired=desired, trunk=trunk, daemons=daemons)).subnets
    }
    assert {k: rows[k].scale_out_demand for k in expected} == expected
    for subnet_id, extra in expected.items():
        row = rows[subnet_id]
        assert row.projected_demand >= extra and row.projected_free == row.available - row.projected_demand


def test_a_group_nobody_in_ecs_uses_adds_nothing():
    b = asg_world(max_size=10, desired=1, trunk=True)
    b.records["ec2_instances"][-1] = replace(b.records["ec2_instances"][-1], auto_scaling_group=None)
    assert all(s.scale_out_demand == 0 for s in context(b).subnets)


def test_a_group_of_the_same_name_in_another_account_feeds_no_cluster_here():
    # Infrastructure code gives every account of an organisation the same group names: a group is
    # matched to container instances only within its own account and region.
    b = asg_world(max_size=10, desired=1, trunk=True)
    assert any(s.scale_out_demand for s in context(b).subnets)
    b.records["auto_scaling_groups"][0] = replace(b.records["auto_scaling_groups"][0], account="210987654321")
    assert all(s.scale_out_demand == 0 for s in context(b).subnets)


def test_a_group_behind_a_capacity_provider_without_instances_uses_the_account_setting():
    b = asg_world(max_size=4, desired=0, trunk=False)
    b.records["container_instances"] = []
    b.records["ec2_instances"] = []
    b.records["auto_scaling_groups"][0] = replace(
        b.records["auto_scaling_groups"][0], instance_ids=(), instance_zones=()
    )
    b.records["capacity_providers"] = [
        CapacityProvider(
            arn="arn:cp/hosts",
            name="hosts-cp",
            account=ACCOUNT,
            region=REGION,
            status="ACTIVE",
            type="EC2_AUTOSCALING",
            auto_scaling_group_arn="arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/hosts",
        )
    ]
    b.records["clusters"][0] = replace(b.records["clusters"][0], capacity_providers=("hosts-cp",))
    b.records["account_settings"] = [AccountSetting(ACCOUNT, REGION, "awsvpcTrunking", "enabled", None, None)]
    rows = {s.subnet_id: s.scale_out_demand for s in context(b).subnets}
    assert rows == {"subnet-0": 4, "subnet-1": 4}  # 2 instances each, primary + trunk


def test_managed_instances_launch_for_the_peak_beyond_free_slots():
    b = SnapshotBuilder()
    cluster = b.cluster()
    zone(b, "subnet-a", "us-east-1a")
    zone(b, "subnet-b", "us-east-1b", cidr="10.0.2.0/24")
    managed(b, cluster, ("subnet-a", "subnet-b"))
    host = mi_instance(b, cluster, "subnet-a")  # c5.large with trunking: 10 slots
    td = b.task_definition()
    b.service(cluster, "api", td, desired=20, subnets=("subnet-a", "subnet-b"), launch_type=None)
    b.records["services"][-1] = replace(b.records["services"][-1], capacity_providers=("mi",))
    for _ in range(4):
        b.task(cluster, td, instance=host, subnet="subnet-a", service="api", trunked=True)
    ctx = context(b)
    # peak 40 (200 %), 4 running → 36 new tasks; 6 free slots → 30 more → 3 instances of 10,
    # spread to the zone with fewer first: b 2, a 1; 2 addresses each
    rows = {s.subnet_id: s.scale_out_demand for s in ctx.subnets}
    assert rows == {"subnet-a": 2, "subnet-b": 4}


def test_managed_instances_subnets_count_in_the_subnet_table():
    b = SnapshotBuilder()
    cluster = b.cluster()
    zone(b, "subnet-a", "us-east-1a")
    managed(b, cluster, ("subnet-a",))
    assert [s.subnet_id for s in context(b).subnets] == ["subnet-a"]
