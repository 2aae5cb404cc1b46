"""eni-trunking: setting × trunk × type, and unknowns."""

from __future__ import annotations

import pytest

from auditor.analysis.instance_facts import effective_setting
from auditor.analysis.inventory import Inventory
from auditor.checks import eni_trunking
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(
    instance_type: str = "c5.large",
    *,
    setting: str | None = "enabled",
    trunk: bool = False,
    tasks: int = 1,
    profile: bool = True,
) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    td = b.task_definition()
    kwargs = {} if profile else {"profile": None}
    host = b.instance(cluster, instance_type, trunk=trunk, **kwargs)
    for _ in range(tasks):
        b.task(cluster, td, instance=host, trunked=trunk)
    if setting:
        b.trunking(setting)
    b.coverage("ecs:ListAccountSettings")
    return b


def run(b: SnapshotBuilder):
    return list(run_check(eni_trunking, b.build(), Config()))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"setting": "enabled", "trunk": True}, []),  # all good
        ({"setting": "enabled", "trunk": False, "tasks": 1}, ["medium"]),  # launched before opt-in
        ({"setting": "enabled", "trunk": False, "tasks": 2}, ["high"]),  # … and already out of slots
        ({"setting": "disabled", "tasks": 2}, ["medium"]),  # near the limit, would gain 2 → 10
        ({"setting": "disabled", "tasks": 1}, []),  # 50 %: not near the limit
        ({"setting": None, "tasks": 2}, ["medium"]),  # never set = disabled
        ({"instance_type": "t3.medium", "setting": "enabled"}, ["low"]),  # type without trunking
    ],
)
def test_verdicts(kwargs, expected):
    assert [f.severity for f in run(world(**kwargs))] == expected


def test_detail_says_how_capacity_would_change():
    (finding,) = run(world(setting="disabled", tasks=2))
    assert finding.detail["setting"] == "disabled"
    assert finding.detail["capacity_without_trunk"] == 2
    assert finding.detail["capacity_with_trunk"] == 10
    assert finding.detail["type_supports_trunking"] is True
    assert finding.detail["trunk_attached"] is False
    assert "2 → 10" in finding.title


def test_setting_of_another_role_does_not_count():
    b = world(setting=None, tasks=1)
    b.trunking("enabled", role="arn:aws:iam::111122223333:role/someone-else")
    snapshot = b.build()
    inventory = Inventory(snapshot)
    assert effective_setting(inventory, snapshot.container_instances[0]) == "disabled"


def test_setting_denied_is_unknown_not_a_pass():
    b = world(setting=None, tasks=2)
    b.records["coverage"] = []
    b.coverage("ecs:ListAccountSettings", "denied", "AccessDeniedException")
    result = run(b)
    assert {f.severity for f in result} == {"info"}
    assert all(f.detail["unknown"] for f in result)
    assert {f.resource_type for f in result} == {"container-instance", "region"}


def test_unresolvable_role_is_unknown():
    result = run(world(setting="enabled", profile=False))
    assert [f.severity for f in result] == ["info"]
    assert result[0].detail["unknown"] is True


def test_quiet_for_clusters_without_awsvpc_on_ec2():
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.instance(cluster, "t3.medium")
    b.trunking("disabled")
    assert run(b) == []
