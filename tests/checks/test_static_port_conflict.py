"""static-port-conflict: counts against eligible instances, deployments, port claims."""

from __future__ import annotations

import pytest

from auditor.checks import static_port_conflict
from auditor.config import Config
from auditor.model import PlacementConstraint
from tests.factories import SnapshotBuilder, run_check


def world(
    desired: int,
    instances: int,
    *,
    mode: str = "bridge",
    host_port: int | None = 8081,
    maximum_percent: int = 200,
    minimum_healthy: int = 100,
    placement=(),
    types=None,
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    for n in range(instances):
        b.instance(cluster, (types or ["c5.large"])[n % len(types or ["c5.large"])])
    td = b.task_definition("admin", mode, host_port=host_port, container_port=8080)
    b.service(
        cluster,
        "admin",
        td,
        desired=desired,
        maximum_percent=maximum_percent,
        minimum_healthy=minimum_healthy,
        placement=placement,
    )
    return b


def run(b: SnapshotBuilder):
    return list(run_check(static_port_conflict, b.build(), Config()))


@pytest.mark.parametrize(
    ("desired", "instances", "kwargs", "expected"),
    [
        (4, 3, {}, "high"),  # cannot place the 4th
        (3, 3, {}, "medium"),  # fits, deployment deadlocks (100/200)
        (2, 3, {}, "medium"),  # peak 4 > 3; waves, not a deadlock
        (1, 3, {}, None),  # peak 2 fits
        (3, 3, {"maximum_percent": 100}, None),  # no surge: replaces in place
        (4, 3, {"mode": "host", "host_port": None}, "high"),  # host mode binds the container port
        (9, 3, {"host_port": 0}, None),  # dynamic port: not this check
        (9, 3, {"mode": "awsvpc", "host_port": None}, None),  # awsvpc: no host port
    ],
)
def test_counts(desired, instances, kwargs, expected):
    result = run(world(desired, instances, **kwargs))
    assert [f.severity for f in result] == ([expected] if expected else [])


def test_deadlock_flag_follows_minimum_healthy():
    (stalled,) = run(world(3, 3))
    assert stalled.detail["deployment_deadlock"] is True
    (waves,) = run(world(3, 3, minimum_healthy=50))
    assert waves.detail["deployment_deadlock"] is False
    for key in (
        "network_mode",
        "host_ports",
        "desired_count",
        "peak_tasks",
        "eligible_instances",
        "conflicting_services",
    ):
        assert key in stalled.detail


def test_member_of_constraints_narrow_eligible_instances():
    placement = (PlacementConstraint("memberOf", "attribute:ecs.instance-type == t3.medium"),)
    b = world(2, 3, placement=placement, types=["c5.large", "t3.medium", "c5.large"])
    (finding,) = run(b)
    assert finding.detail["eligible_instances"] == 1 and finding.severity == "high"
    placement = (PlacementConstraint("memberOf", "attribute:ecs.instance-type in [t3.medium, c5.large]"),)
    assert run(world(1, 3, placement=placement, types=["c5.large", "t3.medium", "m5.xlarge"])) == []


def test_unreadable_expression_is_unknown():
    placement = (PlacementConstraint("memberOf", "task:group == web and attribute:x == y"),)
    (finding,) = run(world(2, 3, placement=placement))
    assert finding.severity == "info" and finding.detail["unknown"] is True


def test_two_services_on_one_host_port():
    b = SnapshotBuilder()
    cluster = b.cluster()
    for _ in range(3):
        b.instance(cluster)
    exporter = b.task_definition("exporter", "host", container_port=9100)
    sidecar = b.task_definition("sidecar", "bridge", host_port=9100, container_port=9100)
    b.service(cluster, "exporter", exporter, desired=0, scheduling="DAEMON")
    b.service(cluster, "sidecar", sidecar, desired=1)
    (finding,) = run(b)
    assert finding.severity == "medium"
    assert finding.detail["conflicting_services"] == ["exporter", "sidecar"]
    assert finding.detail["host_ports"] == ["9100/tcp"]


def test_same_port_in_different_clusters_is_fine():
    b = SnapshotBuilder()
    for name in ("a", "b"):
        cluster = b.cluster(name)
        b.instance(cluster)
        b.instance(cluster)  # room for the deployment surge: only the port claim is under test
        b.service(
            cluster, f"svc-{name}", b.task_definition(f"td-{name}", "host", container_port=9100), desired=1
        )
    assert run(b) == []


def test_daemons_are_not_judged_by_count():
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.instance(cluster)
    b.service(
        cluster, "d", b.task_definition("d", "host", container_port=9100), desired=5, scheduling="DAEMON"
    )
    assert run(b) == []
