"""eni-quota: ENIs in the region against L-DF5E4CA3, the default when unreadable, unknowns."""

from __future__ import annotations

import pytest

from auditor.checks import eni_quota
from auditor.config import Config, Thresholds
from tests.factories import SnapshotBuilder, run_check


def world(enis: int, quota: float, source: str = "service-quotas") -> SnapshotBuilder:
    b = SnapshotBuilder()
    for n in range(enis):
        b.eni("subnet-a", status="in-use" if n % 2 else "available")
    b.quota(quota, source)
    return b


@pytest.mark.parametrize(
    ("enis", "quota", "expected"),
    [
        (79, 100, None),
        (80, 100, "medium"),
        (94, 100, "medium"),
        (95, 100, "high"),
        (120, 100, "high"),
    ],
)
def test_thresholds(enis, quota, expected):
    result = list(run_check(eni_quota, world(enis, quota).build(), Config()))
    assert [f.severity for f in result] == ([expected] if expected else [])
    if expected:
        assert result[0].detail["enis_in_use"] == enis
        assert result[0].detail["quota"] == quota
        assert result[0].detail["utilization"] == round(enis / quota, 3)


def test_configurable():
    config = Config(thresholds=Thresholds(eni_quota_medium=0.5, eni_quota_high=0.6))
    assert [f.severity for f in run_check(eni_quota, world(55, 100).build(), config)] == ["medium"]


def test_default_quota_is_said():
    (finding,) = run_check(eni_quota, world(4800, 5000, source="default").build(), Config())
    assert finding.detail["quota_source"] == "default"
    assert "default 5,000 assumed" in finding.title


def test_enis_not_listed_is_unknown():
    b = world(0, 5000)
    b.coverage("ec2:DescribeNetworkInterfaces", "denied", "UnauthorizedOperation")
    (finding,) = run_check(eni_quota, b.build(), Config())
    assert finding.severity == "info" and finding.resource_type == "region"


def test_unreadable_quota_below_threshold_is_not_silent():
    (finding,) = run_check(eni_quota, world(7, 5000, source="default").build(), Config())
    assert finding.severity == "info" and finding.detail["unknown"] is True
    assert finding.detail["enis_in_use"] == 7 and finding.detail["quota_source"] == "default"
