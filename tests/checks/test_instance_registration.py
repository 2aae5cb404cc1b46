"""instance-registration: failed, stuck and deregistering container instances, with ECS's reason."""

from __future__ import annotations

import pytest

from auditor.analysis.context import AnalysisContext
from auditor.checks import instance_registration, run_checks
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check

NOW = "2026-11-25T10:00:00Z"  # SnapshotBuilder's generated_at
TRUNK = "Unable to provision the ENI trunk: InsufficientFreeAddressesInSubnet"


def world(**instance) -> SnapshotBuilder:
    b = SnapshotBuilder()
    b.instance(b.cluster(), **instance)
    return b


def run(b: SnapshotBuilder):
    return list(run_check(instance_registration, b.build(), Config()))


@pytest.mark.parametrize(
    ("instance", "severity"),
    [
        # positive
        ({"status": "REGISTRATION_FAILED", "status_reason": TRUNK, "agent_connected": False}, "high"),
        ({"status": "REGISTERING", "registered_at": "2026-11-25T09:00:00+00:00"}, "medium"),
        ({"status": "DEREGISTERING", "running_tasks": 3}, "medium"),
        # negative
        ({"status": "ACTIVE", "registered_at": "2026-11-01T09:00:00+00:00"}, None),
        ({"status": "DRAINING", "running_tasks": 3}, None),
        ({"status": "DEREGISTERING", "running_tasks": 0}, None),
        ({"status": "INACTIVE"}, None),
        # edge: registering for less than the grace period, or exactly at it
        ({"status": "REGISTERING", "registered_at": "2026-11-25T09:50:00Z"}, None),
        ({"status": "REGISTERING", "registered_at": "2026-11-25T09:45:00Z"}, None),
        ({"status": "REGISTERING", "registered_at": "2026-11-25T09:44:00Z"}, "medium"),
        # edge: since when is not known (absent, unreadable, no time zone)
        ({"status": "REGISTERING"}, "low"),
        ({"status": "REGISTERING", "registered_at": "yesterday"}, "low"),
        ({"status": "REGISTERING", "registered_at": "2026-11-25T09:00:00"}, "low"),
    ],
)
def test_verdicts(instance, severity):
    findings = run(world(**instance))
    if severity is None:
        assert findings == []
        return
    (finding,) = findings
    assert finding.severity == severity
    assert finding.resource_type == "container-instance" and finding.resource_id.startswith("i-")
    assert finding.detail["status"] == instance["status"]
    assert finding.detail["status_reason"] == instance.get("status_reason")


def test_reason_is_quoted_and_trunk_advice_given():
    (finding,) = run(world(status="REGISTRATION_FAILED", status_reason=TRUNK))
    assert TRUNK in finding.title
    assert "subnet" in finding.recommendation and "quota" in finding.recommendation


def test_other_reasons_get_generic_advice():
    (finding,) = run(
        world(status="REGISTRATION_FAILED", status_reason="Agent could not reach the ECS endpoint")
    )
    assert "ecs-agent.log" in finding.recommendation


def test_no_reason_is_said():
    (finding,) = run(world(status="REGISTRATION_FAILED"))
    assert "no statusReason" in finding.title


def test_minutes_in_state():
    (finding,) = run(world(status="REGISTERING", registered_at="2026-11-25T08:00:00+00:00"))
    assert finding.detail["minutes_in_state"] == 120


def test_unknown_when_container_instances_were_not_collected():
    b = SnapshotBuilder()
    b.cluster()
    b.coverage("ecs:DescribeContainerInstances", "denied", "AccessDeniedException")
    findings = [
        f
        for f in run_checks(AnalysisContext.build(b.build(), Config()))
        if f.check == "instance-registration"
    ]
    (finding,) = findings
    assert finding.severity == "info" and finding.detail["unknown"] is True
    assert finding.detail["missing"] == ["ecs:DescribeContainerInstances"]
