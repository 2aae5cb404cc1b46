"""eni-headroom and capacity providers: a service short of awsvpc ENI slots whose providers can
launch instances (managed scaling up to MaxSize, ECS Managed Instances) is one step lower."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.checks import eni_headroom
from auditor.config import Config
from auditor.findings import finding_id
from tests.factories import ACCOUNT, REGION, SnapshotBuilder, run_check, with_provider

ASG = "autoscaling:DescribeAutoScalingGroups"
CP = "ecs:DescribeCapacityProviders"


def world(desired: int = 2, running: int = 2, scale_max: int | None = 10, extra: int = 0) -> SnapshotBuilder:
    """One m5.4xlarge (7 awsvpc slots without a trunk) running `running` tasks of service api.
    Defaults: peak 20 (MaxCapacity 10 × 200 %), 5 free → 13 short, 3 short even at MaxCapacity."""
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    td = b.task_definition()
    host = b.instance(cluster, "m5.4xlarge", extra_enis=extra)
    for _ in range(running):
        b.task(cluster, td, instance=host, service="api")
    b.service(cluster, "api", td, desired=desired, subnets=("subnet-a",), scale_max=scale_max)
    return b


def service_finding(b: SnapshotBuilder):
    (finding,) = [f for f in run_check(eni_headroom, b.build(), Config()) if f.resource_type == "service"]
    return finding


def provider_not_returned(b: SnapshotBuilder) -> SnapshotBuilder:
    b = with_provider(b)
    b.records["capacity_providers"] = []
    b.coverage(CP, "denied", "AccessDenied")
    return b


def scaling_off(b: SnapshotBuilder) -> SnapshotBuilder:
    return with_provider(b, managed_scaling="DISABLED")


G, MI, NO, UNK = "auto-scaling-group", "managed-instances", "none", "unknown"
CASES = {
    # name: (builder, severity, capacity_growth, instances_can_add, slots_can_add, covers, to_launch)
    "covered": (lambda: with_provider(world()), "medium", G, 3, 21, True, 2),
    "covered-medium": (lambda: with_provider(world(4, 4, None)), "low", G, 3, 21, True, 1),
    "not-covered": (lambda: with_provider(world(), group=(4, 3)), "high", G, 1, 7, False, None),
    "at-max-size": (lambda: with_provider(world(), group=(3, 3)), "high", G, 0, 0, False, None),
    "extra-enis": (lambda: with_provider(world(extra=3), group=(5, 3)), "high", G, 2, 8, False, None),
    "scaling-off": (lambda: scaling_off(world()), "high", NO, 0, 0, False, None),
    # Managed Instances run trunked: a larger peak to fall short
    "managed-instances": (
        lambda: with_provider(world(scale_max=100), provider_type="MANAGED_INSTANCES"),
        "medium", MI, None, None, True, None,
    ),
    "group-not-collected": (lambda: with_provider(world(), group=None), "high", UNK, None, None, None, None),
    "provider-not-collected": (lambda: provider_not_returned(world()), "high", UNK, None, None, None, None),
    "no-strategy": (world, "high", NO, 0, 0, False, None),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_capacity_growth_verdict(case):
    build, severity, kind, can_add, slots, covers, to_launch = CASES[case]
    finding = service_finding(build())
    d = finding.detail
    assert finding.severity == severity
    assert (d["capacity_growth"], d["instances_can_add"], d["slots_can_add"]) == (kind, can_add, slots)
    assert (d["growth_covers_shortfall"], d["instances_to_launch"]) == (covers, to_launch)
    # the figures of today's verdict stand whatever the growth
    assert d["shortfall"] == d["peak_tasks"] - d["running_tasks"] - d["cluster_headroom"] > 0
    if covers:
        assert "will have to launch" in finding.title and "wait for them" in finding.title
        assert "will launch them" in finding.recommendation
    else:
        assert "launch" not in finding.title and finding.recommendation.startswith("Add container instances")
    if to_launch:
        assert f"ECS will have to launch {to_launch} instance" in finding.title
    if kind == G and not covers:
        assert f"managed scaling can add only {slots} slots" in finding.title
    if kind == MI:
        assert "capacity depends on the provider's limits" in finding.title
    if kind == UNK:
        assert d["growth_missing"] == ([ASG] if case == "group-not-collected" else [CP])
    else:
        assert "growth_missing" not in d


def test_no_strategy_keeps_todays_title():
    finding = service_finding(world())
    assert finding.title == (
        "service api needs 18 more awsvpc ENI slots at its peak; instances that can take it have 5 free "
        "(13 short); short in us-east-1a"
    )


def test_slots_per_new_instance_follow_the_groups_instances():
    d = service_finding(with_provider(world(extra=3), group=(5, 3))).detail
    assert d["slots_per_new_instance"] == {"asg": 4}  # 7 slots less the 3 extra ENIs each instance has


def test_group_without_a_current_instance_has_unknown_slots():
    b = with_provider(world())
    # no instance of the cluster came from the provider's group: what a new one holds is not known
    b.records["container_instances"] = [
        replace(ci, capacity_provider=None) for ci in b.records["container_instances"]
    ]
    finding = service_finding(b)
    d = finding.detail
    assert finding.severity == "high"  # never eased on a guess
    assert (d["capacity_growth"], d["instances_can_add"], d["slots_can_add"]) == (
        "auto-scaling-group",
        3,
        None,
    )
    assert d["growth_covers_shortfall"] is None and d["slots_per_new_instance"] == {"asg": None}


def test_one_stable_id_whichever_the_growth():
    ids = {service_finding(build()).id for build, *_ in CASES.values()}
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/api"
    assert ids == {finding_id("eni-headroom", ACCOUNT, REGION, arn)}
