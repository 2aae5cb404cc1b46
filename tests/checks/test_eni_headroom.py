"""eni-headroom: instance slots and service peaks, on small hand-built snapshots."""

from __future__ import annotations

import pytest

from auditor.checks import eni_headroom
from auditor.config import Config, Thresholds
from tests.factories import SnapshotBuilder, run_check


def findings(snapshot, config=None):
    return list(run_check(eni_headroom, snapshot, config or Config()))


def instance_world(instance_type: str, tasks: int, *, trunk: bool = False, extra: int = 0) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    td = b.task_definition()
    host = b.instance(cluster, instance_type, trunk=trunk, extra_enis=extra)
    for _ in range(tasks):
        b.task(cluster, td, instance=host, trunked=trunk)
    return b


@pytest.mark.parametrize(
    ("instance_type", "tasks", "trunk", "extra", "expected"),
    [
        ("c5.large", 2, False, 0, "high"),  # 3 ENIs - 1 = 2 slots, both used
        ("c5.large", 1, False, 1, "high"),  # an extra ENI takes the second slot
        ("c5.large", 1, False, 0, None),  # 50 %: below the 80 % default
        ("m5.4xlarge", 6, False, 0, "medium"),  # 6 of 7 = 86 %
        ("m5.4xlarge", 5, False, 0, None),  # 5 of 7 = 71 %
        ("c5.large", 2, True, 0, None),  # a trunk raises c5.large to 10
        ("c5.large", 8, True, 0, "medium"),  # 8 of 10
        ("c5.large", 10, True, 0, "high"),  # 10 of 10
    ],
)
def test_instance_severity(instance_type, tasks, trunk, extra, expected):
    result = [
        f
        for f in findings(instance_world(instance_type, tasks, trunk=trunk, extra=extra).build())
        if f.resource_type == "container-instance"
    ]
    assert [f.severity for f in result] == ([expected] if expected else [])


def test_instance_detail_matches_contract_keys():
    (finding,) = findings(instance_world("c5.large", 2).build())
    for key in ("instance_type", "trunking", "eni_task_capacity", "awsvpc_tasks", "extra_enis", "headroom"):
        assert key in finding.detail
    assert finding.detail["eni_task_capacity"] == 2
    assert finding.detail["headroom"] == 0
    assert finding.detail["trunking"] == "off"


def test_threshold_is_configurable():
    snapshot = instance_world("m5.4xlarge", 5).build()  # 71 %
    config = Config(thresholds=Thresholds(eni_utilization=0.7))
    assert [f.severity for f in findings(snapshot, config)] == ["medium"]


def test_stopped_tasks_do_not_count():
    b = instance_world("c5.large", 1)
    cluster = b.records["clusters"][0].arn
    host = (b.records["container_instances"][0].arn, b.records["ec2_instances"][0].instance_id)
    # the collector drops STOPPED tasks; a task still DEPROVISIONING holds its ENI and counts
    b.task(cluster, b.records["task_definitions"][0].arn, instance=host, status="DEPROVISIONING")
    assert [f.severity for f in findings(b.build())] == ["high"]


def test_unknown_when_instance_types_not_collected():
    b = instance_world("c5.large", 2)
    b.records["instance_types"] = []
    b.coverage("ec2:DescribeInstanceTypes", "denied", "AccessDenied")
    (finding,) = findings(b.build())
    assert finding.severity == "info"
    assert finding.detail["unknown"] is True
    assert "ec2:DescribeInstanceTypes" in finding.detail["missing"]


def test_unknown_when_tasks_not_collected():
    b = instance_world("c5.large", 0)
    b.coverage("ecs:DescribeTasks", "error", "InternalError")
    (finding,) = [f for f in findings(b.build()) if f.resource_type == "container-instance"] or [None]
    # no awsvpc task is visible, but the cluster's tasks are unknown: no verdict, never a pass
    assert finding is None or finding.severity == "info"


def service_world(
    desired: int,
    running: int,
    *,
    scale_max: int | None = None,
    maximum_percent: int | None = 200,
    hosts: int = 1,
    instance_type: str = "m5.4xlarge",
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    td = b.task_definition()
    instances = [b.instance(cluster, instance_type) for _ in range(hosts)]
    for n in range(running):
        b.task(cluster, td, instance=instances[n % hosts], service="api")
    b.service(
        cluster,
        "api",
        td,
        desired=desired,
        subnets=("subnet-a",),
        scale_max=scale_max,
        maximum_percent=maximum_percent,
    )
    return b


@pytest.mark.parametrize(
    ("desired", "running", "scale_max", "maximum_percent", "hosts", "expected"),
    [
        (2, 2, None, 200, 1, None),  # peak 4: needs 2 more, 5 free
        (3, 3, None, 200, 1, None),  # peak 6: needs 3, 4 free
        (4, 4, None, 200, 1, "medium"),  # peak 8: needs 4, 3 free → short at deployment only
        (4, 2, None, 100, 1, None),  # peak 4: needs 2, 5 free
        (2, 2, 10, 200, 1, "high"),  # auto-scaling max 10 → even the base (10) does not fit
        (4, 4, None, None, 1, "medium"),  # maximumPercent not returned → ECS default 200
        (4, 4, None, 100, 1, None),  # maximumPercent 100: peak 4, nothing more needed
        (4, 4, None, 200, 2, None),  # two hosts: 10 free
    ],
)
def test_service_peak(desired, running, scale_max, maximum_percent, hosts, expected):
    result = [
        f
        for f in findings(
            service_world(
                desired, running, scale_max=scale_max, maximum_percent=maximum_percent, hosts=hosts
            ).build()
        )
        if f.resource_type == "service"
    ]
    assert [f.severity for f in result] == ([expected] if expected else [])
    if expected:
        detail = result[0].detail
        assert (
            detail["shortfall"] == detail["peak_tasks"] - detail["running_tasks"] - detail["cluster_headroom"]
        )
        assert detail["shortfall"] > 0


def test_fargate_and_bridge_services_are_not_judged_by_eni_slots():
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    b.instance(cluster, "c5.large")
    td = b.task_definition()
    bridge = b.task_definition("web", "bridge", host_port=0)
    b.service(cluster, "fg", td, desired=50, subnets=("subnet-a",), launch_type="FARGATE")
    b.service(cluster, "web", bridge, desired=50)
    assert [f for f in findings(b.build()) if f.resource_type == "service"] == []
