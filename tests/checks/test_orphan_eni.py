"""orphan-eni: available ENIs in ECS subnets, AWS-managed ones left out, pressure raises severity."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.checks import orphan_eni
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(available: int = 200, **eni) -> tuple[SnapshotBuilder, str]:
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet("subnet-a", "10.0.1.0/24", available)
    b.subnet("subnet-other", "10.0.7.0/24", 200)
    b.task(cluster, b.task_definition(), subnet="subnet-a")
    eni_id = b.eni(
        eni.pop("subnet", "subnet-a"), status=eni.pop("status", "available"), ips=eni.pop("ips", 1)
    )
    if eni:
        b.records["network_interfaces"][-1] = replace(b.records["network_interfaces"][-1], **eni)
    return b, eni_id


@pytest.mark.parametrize(
    ("available", "eni", "expected"),
    [
        (200, {}, "low"),
        (20, {"ips": 3}, "medium"),  # subnet under pressure
        (200, {"status": "in-use"}, None),
        (200, {"subnet": "subnet-other"}, None),  # not an ECS subnet
        (200, {"requester_managed": True}, None),
        (200, {"interface_type": "nat_gateway"}, None),
        (200, {"interface_type": "vpc_endpoint"}, None),
        (200, {"description": "ELB app/web/123"}, None),
    ],
)
def test_verdicts(available, eni, expected):
    b, _ = world(available, **eni)
    result = list(run_check(orphan_eni, b.build(), Config()))
    assert [f.severity for f in result] == ([expected] if expected else [])


def test_detail_and_origin_hint():
    b, eni_id = world(200, description="arn:aws:ecs:us-east-1:1:attachment/abc", ips=2)
    (finding,) = run_check(orphan_eni, b.build(), Config())
    assert finding.resource_id == eni_id
    assert finding.detail["interface_type"] == "interface"
    assert len(finding.detail["private_ips"]) == 2
    assert "left by an ECS task" in finding.detail["origin"]
    assert f"--network-interface-id {eni_id}" in finding.recommendation
