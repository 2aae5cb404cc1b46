"""static-port-conflict and auto scaling: a MaxCapacity that the instances able to hold a static
host port (plus what the capacity providers can still add) cannot hold."""

from __future__ import annotations

import pytest

from auditor.checks import static_port_conflict
from auditor.config import Config
from auditor.findings import finding_id
from auditor.model import PlacementConstraint
from tests.factories import ACCOUNT, REGION, SnapshotBuilder, run_check, with_provider

AAS = "application-autoscaling:DescribeScalableTargets"
ASG = "autoscaling:DescribeAutoScalingGroups"


def world(
    desired: int,
    instances: int,
    scale_max: int | None,
    *,
    mode: str = "bridge",
    host_port: int | None = 8081,
    maximum_percent: int = 200,
    scaling: str = "ok",
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    for _ in range(instances):
        b.instance(cluster)
    td = b.task_definition("admin", mode, host_port=host_port, container_port=8080)
    b.service(cluster, "admin", td, desired=desired, maximum_percent=maximum_percent, scale_max=scale_max)
    b.coverage(AAS, scaling, "" if scaling == "ok" else "AccessDenied")
    return b


def run(b: SnapshotBuilder):
    return list(run_check(static_port_conflict, b.build(), Config()))


def one(b: SnapshotBuilder):
    findings = run(b)
    assert len(findings) <= 1, findings
    return findings[0] if findings else None


@pytest.mark.parametrize(
    ("desired", "instances", "scale_max", "kwargs", "severity", "shortfall"),
    [
        # positive: the scale-out cannot place
        (2, 3, 5, {"maximum_percent": 100}, "medium", 2),
        (1, 3, 4, {}, "medium", 1),  # deployments from desired 1 fit (peak 2); the scale-out does not
        (3, 3, 5, {}, "medium", 2),  # and deployments deadlock too: one finding, the scale-out's
        (1, 2, 3, {"mode": "host", "host_port": None}, "medium", 1),  # host mode binds the port
        (0, 3, 4, {"maximum_percent": 100}, "medium", 1),  # scaled to zero now, still capped by hosts
        (4, 3, 6, {}, "high", 3),  # desired already does not fit: the desired-count verdict wins
        # edge: MaxCapacity == hosts fits; a deployment at full scale surges past them → low
        (1, 3, 3, {"maximum_percent": 100}, None, 0),
        (1, 3, 3, {}, "low", 0),
        # negative
        (1, 3, None, {}, None, 0),  # no scalable target: nothing to scale out to
        (1, 3, 2, {"maximum_percent": 100}, None, 0),
        (1, 3, 9, {"host_port": 0}, None, None),  # dynamic host port: not this check
        (1, 3, 9, {"mode": "awsvpc", "host_port": None}, None, None),
    ],
)
def test_max_capacity_against_eligible_instances(desired, instances, scale_max, kwargs, severity, shortfall):
    finding = one(world(desired, instances, scale_max, **kwargs))
    assert (finding.severity if finding else None) == severity
    if finding is None:
        return
    d = finding.detail
    assert d["scale_out_shortfall"] == shortfall
    assert d["max_capacity"] == scale_max and d["eligible_instances"] == instances
    assert d["instances_at_scale_out"] == instances and d["capacity_growth"] == "none"
    assert d["autoscaling_known"] is True
    if severity == "medium":
        assert f"maximum of {scale_max} tasks" in finding.title
        assert f"--max-capacity {instances}" in finding.recommendation
        assert "--resource-id service/prod/admin" in finding.recommendation


def test_peak_tasks_is_the_contract_peak_and_the_deployment_peak_is_kept():
    d = one(world(1, 3, 4)).detail
    assert (d["desired_count"], d["deployment_peak_tasks"], d["peak_tasks"]) == (1, 2, 8)
    d = one(world(3, 3, None)).detail  # without scaling both are the same rule from desired
    assert d["deployment_peak_tasks"] == d["peak_tasks"] == 6


def test_deadlock_alongside_the_scale_out_is_named():
    finding = one(world(3, 3, 5))
    assert finding.detail["deployment_deadlock"] is True
    assert "deployments also cannot progress" in finding.title


def test_one_stable_id_whichever_the_verdict():
    """The id is the contract's hash of check, account, region and service ARN: a service that moves
    from a deployment stall to a blocked scale-out (or to unknown) keeps its finding's id."""
    verdicts = {
        "deploy": one(world(2, 3, None)),
        "scale-out": one(world(2, 3, 5)),
        "scaled-deploy": one(world(1, 3, 3)),
        "unknown": one(world(1, 3, None, scaling="denied")),
        "high": one(world(4, 3, 6)),
    }
    assert [f.severity for f in verdicts.values()] == ["medium", "medium", "low", "info", "high"]
    arn = verdicts["deploy"].resource_id
    assert {f.id for f in verdicts.values()} == {finding_id("static-port-conflict", ACCOUNT, REGION, arn)}


@pytest.mark.parametrize("status", ["denied", "error", "skipped"])
def test_scaling_not_collected_is_unknown_never_all_clear(status):
    finding = one(world(1, 3, None, scaling=status))
    assert finding.severity == "info" and finding.detail["unknown"] is True
    assert finding.detail["missing"] == [AAS]


def test_scaling_not_collected_keeps_what_is_known():
    finding = one(world(4, 3, None, scaling="denied"))
    assert finding.severity == "high"
    assert finding.detail["autoscaling_known"] is False and finding.detail["max_capacity"] is None
    assert finding.detail["scale_out_shortfall"] is None
    finding = one(world(2, 3, None, scaling="denied"))  # the deployment stall stands on its own
    assert finding.severity == "medium" and "deployments of admin" in finding.title


@pytest.mark.parametrize(
    ("scale_max", "provider", "severity", "at_scale_out", "shortfall"),
    [
        # managed scaling can add MaxSize − DesiredCapacity = 3: 6 hosts hold 5; a deployment at 5
        # (peak 10) cannot → low
        (5, {}, "low", 6, 0),
        (6, {}, "low", 6, 0),
        (7, {}, "medium", 6, 1),
        (5, {"group": (4, 3)}, "medium", 4, 1),  # the group can add only one
        (5, {"managed_scaling": "DISABLED"}, "medium", 3, 2),  # ECS does not grow it for pending tasks
    ],
)
def test_capacity_provider_growth_counts(scale_max, provider, severity, at_scale_out, shortfall):
    finding = one(with_provider(world(1, 3, scale_max), **provider))
    assert finding.severity == severity
    assert finding.detail["instances_at_scale_out"] == at_scale_out
    assert finding.detail["scale_out_shortfall"] == shortfall
    expected_growth = "none" if provider.get("managed_scaling") == "DISABLED" else "auto-scaling-group"
    assert finding.detail["capacity_growth"] == expected_growth


def test_capacity_provider_growth_fits_everything():
    assert one(with_provider(world(1, 3, 5, maximum_percent=100))) is None


def test_group_not_collected_is_unknown():
    finding = one(with_provider(world(1, 3, 5, maximum_percent=100), group=None))
    assert finding.severity == "info" and finding.detail["missing"] == [ASG]
    # a MaxCapacity the current instances hold needs no group
    assert one(with_provider(world(1, 3, 3, maximum_percent=100), group=None)) is None


def test_managed_instances_have_no_maximum():
    assert one(with_provider(world(1, 3, 50, maximum_percent=100), provider_type="MANAGED_INSTANCES")) is None


def test_member_of_constraints_and_new_instances():
    """New instances of a group count when every current one matches the constraint."""
    matching = (PlacementConstraint("memberOf", "attribute:ecs.instance-type == c5.large"),)
    b = with_provider(world(1, 3, 5, maximum_percent=100), placement=matching)
    assert one(b) is None
    other = (PlacementConstraint("memberOf", "attribute:ecs.instance-type == t3.medium"),)
    finding = one(with_provider(world(0, 3, 5, maximum_percent=100), placement=other))
    # none of the instances matches: desired 0 fits, whether new ones would is unknown
    assert finding.severity == "info" and "memberOf" in finding.detail["missing"][0]
