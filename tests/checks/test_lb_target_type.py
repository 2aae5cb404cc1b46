"""lb-target-type: ip for awsvpc, instance for bridge/host; static host port vs group port."""

from __future__ import annotations

import pytest

from auditor.checks import lb_target_type
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(mode: str, target_type: str, *, host_port: int | None = None, tg_port: int = 80) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    tg = b.load_balancer("sg-alb", target_type=target_type, port=tg_port)
    td = b.task_definition("web", mode, host_port=host_port, container_port=80)
    b.service(
        cluster,
        "web",
        td,
        target_group=tg,
        subnets=("subnet-a",) if mode == "awsvpc" else (),
        container_port=80,
    )
    return b


@pytest.mark.parametrize(
    ("mode", "target_type", "host_port", "tg_port", "expected"),
    [
        ("awsvpc", "ip", None, 80, None),
        ("awsvpc", "instance", None, 80, "high"),
        ("bridge", "instance", 0, 80, None),
        ("bridge", "ip", 0, 80, "high"),
        ("host", "instance", None, 80, None),
        ("host", "ip", None, 80, "high"),
        ("bridge", "instance", 8081, 80, "low"),  # the group's port is ignored
        ("bridge", "instance", 8081, 8081, None),
    ],
)
def test_verdicts(mode, target_type, host_port, tg_port, expected):
    result = list(
        run_check(
            lb_target_type, world(mode, target_type, host_port=host_port, tg_port=tg_port).build(), Config()
        )
    )
    assert [f.severity for f in result] == ([expected] if expected else [])
    if expected == "high":
        detail = result[0].detail
        assert detail["target_type"] == target_type
        assert detail["expected_target_type"] == ("ip" if mode == "awsvpc" else "instance")
        assert f"--target-type {detail['expected_target_type']}" in result[0].recommendation


def test_target_group_not_collected_is_unknown():
    b = world("awsvpc", "ip")
    b.records["target_groups"] = []
    b.coverage("elasticloadbalancing:DescribeTargetGroups", "denied", "AccessDenied")
    (finding,) = run_check(lb_target_type, b.build(), Config())
    assert finding.severity == "info" and finding.detail["unknown"] is True
