"""eni-headroom: a service finding says which zones of its subnets fall short at its peak."""

from __future__ import annotations

from dataclasses import replace

from auditor.checks import eni_headroom
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(desired: int, *, full_b: bool = True) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    for subnet_id, zone in (("subnet-a", "us-east-1a"), ("subnet-b", "us-east-1b")):
        b.subnet(subnet_id)
        b.records["subnets"][-1] = replace(b.records["subnets"][-1], availability_zone=zone)
    td = b.task_definition()
    b.instance(cluster, "c5.large", subnet="subnet-a")  # 2 free slots in zone a
    host_b = b.instance(cluster, "c5.large", subnet="subnet-b")
    if full_b:
        for _ in range(2):
            b.task(cluster, td, instance=host_b, subnet="subnet-b", service="other")
    b.service(cluster, "api", td, desired=desired, subnets=("subnet-a", "subnet-b"), maximum_percent=100)
    return b


def service_finding(b: SnapshotBuilder):
    return [f for f in run_check(eni_headroom, b.build(), Config()) if f.resource_type == "service"]


def test_short_zones_named():
    (finding,) = service_finding(world(4))  # 2 a zone; a has 2 free, b none
    assert finding.detail["short_zones"] == [
        {"availability_zone": "us-east-1b", "needed": 2, "free": 0, "shortfall": 2}
    ]
    assert "short in us-east-1b" in finding.title


def test_every_short_zone_named_and_quiet_when_all_fit():
    (finding,) = service_finding(world(5, full_b=False))  # 3 a zone, 2 free each: both short
    assert [z["availability_zone"] for z in finding.detail["short_zones"]] == ["us-east-1a", "us-east-1b"]
    assert service_finding(world(2, full_b=False)) == []  # 1 a zone: quiet
