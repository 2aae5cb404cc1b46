"""subnet-ip-exhaustion: the contract's figures and the severity ladder."""

from __future__ import annotations

import pytest

from auditor.analysis.capacity import usable_addresses
from auditor.analysis.context import AnalysisContext
from auditor.checks import subnet_ips
from auditor.config import Config, Thresholds
from tests.factories import SnapshotBuilder, run_check


def world(
    cidr: str,
    available: int,
    *,
    desired: int = 0,
    running: int = 0,
    subnets: int = 1,
    scale_max: int | None = None,
    maximum_percent: int = 200,
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    names = tuple(f"subnet-{n}" for n in range(subnets))
    b.subnet(names[0], cidr, available)
    for name in names[1:]:
        b.subnet(name, "10.0.200.0/24", 251)
    td = b.task_definition()
    for n in range(running):
        b.task(cluster, td, subnet=names[n % subnets], service="api")
    b.service(
        cluster,
        "api",
        td,
        desired=desired,
        subnets=names,
        launch_type="FARGATE",
        scale_max=scale_max,
        maximum_percent=maximum_percent,
    )
    return b


@pytest.mark.parametrize(
    ("cidr", "expected"), [("10.0.0.0/24", 251), ("10.0.0.0/28", 11), ("10.0.0.0/16", 65531), (None, None)]
)
def test_usable_addresses(cidr, expected):
    assert usable_addresses(cidr) == expected


def test_projected_demand_follows_the_contract_formula():
    # desired 4, auto-scaling max 6, maximumPercent 200 → peak 12; 2 subnets → 6 each;
    # subnet-0 already holds 2 of the service's tasks → needs 4 more
    rows = {
        r.subnet_id: r
        for r in AnalysisContext.build(
            world("10.0.1.0/24", 200, desired=4, running=4, subnets=2, scale_max=6).build(), Config()
        ).subnets
    }
    assert rows["subnet-0"].projected_demand == 4
    assert rows["subnet-1"].projected_demand == 4
    assert rows["subnet-0"].ecs_ips == 2
    assert rows["subnet-0"].projected_free == 200 - 4
    assert rows["subnet-0"].usable == 251


@pytest.mark.parametrize(
    ("cidr", "available", "desired", "running", "expected"),
    [
        ("10.0.1.0/24", 0, 0, 0, "critical"),  # nothing free
        ("10.0.1.0/28", 3, 4, 3, "high"),  # peak 8, 3 running → 5 needed, 3 free
        ("10.0.1.0/24", 20, 0, 0, "high"),  # 8 % free
        ("10.0.1.0/24", 50, 0, 0, "medium"),  # 20 % free
        ("10.0.1.0/24", 100, 2, 2, None),  # 40 % free, peak fits
        ("10.0.1.0/24", 30, 10, 10, "medium"),  # peak 20 needs 10 more: fits (20 left), 12 % free
        ("10.0.1.0/24", 30, 20, 10, "medium"),  # peak 40 needs 30 more: exactly 0 left is not below 0
        ("10.0.1.0/24", 30, 25, 10, "high"),  # peak 50 needs 40 more: 10 short
    ],
)
def test_severity_ladder(cidr, available, desired, running, expected):
    result = list(
        run_check(subnet_ips, world(cidr, available, desired=desired, running=running).build(), Config())
    )
    assert [f.severity for f in result] == ([expected] if expected else [])


def test_thresholds_are_configurable():
    snapshot = world("10.0.1.0/24", 100).build()  # 40 % free
    config = Config(thresholds=Thresholds(subnet_free_high=0.1, subnet_free_medium=0.5))
    assert [f.severity for f in run_check(subnet_ips, snapshot, config)] == ["medium"]


def test_detail_has_contract_keys():
    (finding,) = run_check(subnet_ips, world("10.0.1.0/28", 3, desired=4, running=3).build(), Config())
    for key in ("cidr", "usable", "available", "ecs_ips", "projected_demand", "projected_free"):
        assert key in finding.detail
    assert finding.detail["projected_free"] == -2
    assert finding.detail["services"] == ["api"]


def test_ipv6_only_subnet_is_not_judged_on_ipv4():
    assert list(run_check(subnet_ips, world(None, 0).build(), Config())) == []


def test_subnet_not_collected_is_unknown():
    b = world("10.0.1.0/24", 100, desired=2, running=2)
    b.records["subnets"] = []
    b.coverage("ec2:DescribeSubnets", "denied", "UnauthorizedOperation")
    (finding,) = run_check(subnet_ips, b.build(), Config())
    assert finding.severity == "info"
    assert finding.detail["missing"] == ["ec2:DescribeSubnets"]


def test_demand_gaps_are_flagged():
    b = world("10.0.1.0/24", 20)
    b.coverage("application-autoscaling:DescribeScalableTargets", "denied", "AccessDenied")
    (finding,) = run_check(subnet_ips, b.build(), Config())
    assert finding.detail["demand_incomplete"] == ["application-autoscaling:DescribeScalableTargets"]
