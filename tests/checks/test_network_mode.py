"""network-mode: bridge/host in use, the cost of awsvpc, host mode as root."""

from __future__ import annotations

import pytest

from auditor.checks import network_mode
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(
    mode: str, *, user: str | None = "1000", privileged: bool | None = None, used: bool = True, tasks: int = 2
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    host = b.instance(cluster, "m5.4xlarge")
    td = b.task_definition(
        "svc", mode, host_port=8080 if mode != "awsvpc" else None, user=user, privileged=privileged
    )
    if used:
        b.service(cluster, "svc", td, desired=tasks)
        for _ in range(tasks):
            b.task(cluster, td, instance=host, subnet=None, service="svc")
    return b


@pytest.mark.parametrize(
    ("mode", "kwargs", "expected"),
    [
        ("bridge", {}, "low"),
        ("host", {}, "low"),  # non-root user
        ("host", {"user": None}, "medium"),  # no user: root
        ("host", {"user": "0:0"}, "medium"),
        ("host", {"user": "root"}, "medium"),
        ("host", {"user": None, "privileged": True}, "low"),  # declared need: review, not medium
        ("bridge", {"user": None}, "low"),  # root matters in host mode
        ("awsvpc", {}, None),
        ("none", {}, None),  # inventory only
        ("bridge", {"used": False}, None),  # not in use
    ],
)
def test_verdicts(mode, kwargs, expected):
    result = list(run_check(network_mode, world(mode, **kwargs).build(), Config()))
    assert [f.severity for f in result] == ([expected] if expected else [])


def test_detail_says_what_awsvpc_would_cost():
    (finding,) = run_check(network_mode, world("bridge", tasks=3).build(), Config())
    assert finding.detail["network_mode"] == "bridge"
    assert finding.detail["services"] == ["svc"]
    assert finding.detail["runs_as_root"] is False
    assert finding.detail["eni_slots_needed"] == 3
    assert finding.detail["cluster_eni_headroom"] == 7  # m5.4xlarge: 8 ENIs - 1, no awsvpc task yet
    assert "3 ENI slots (7 free" in finding.recommendation
