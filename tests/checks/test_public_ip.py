"""public-ip: services and task sets with assignPublicIp ENABLED."""

from __future__ import annotations

from dataclasses import replace

from auditor.checks import public_ip
from auditor.config import Config
from tests.factories import SnapshotBuilder, rule, run_check


def world(public: bool, group_rules) -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet()
    b.security_group("sg-task", group_rules)
    b.service(
        cluster,
        "api",
        b.task_definition(),
        subnets=("subnet-a",),
        groups=("sg-task",),
        public_ip=public,
        launch_type="FARGATE",
    )
    return b


def test_public_ip_with_internet_exposure():
    (finding,) = run_check(
        public_ip, world(True, [rule("tcp", 443, 443, cidr="0.0.0.0/0")]).build(), Config()
    )
    assert finding.severity == "medium"
    assert finding.detail["admits_internet"] is True
    assert finding.detail["subnets"] == ["subnet-a"] and finding.detail["security_groups"] == ["sg-task"]


def test_public_ip_without_open_groups_still_flagged():
    (finding,) = run_check(public_ip, world(True, [rule("tcp", 443, 443, group="sg-alb")]).build(), Config())
    assert finding.detail["admits_internet"] is False


def test_disabled_is_quiet():
    assert list(run_check(public_ip, world(False, []).build(), Config())) == []


def test_unknown_group_gives_null_exposure():
    b = world(True, [])
    b.records["security_groups"] = []
    (finding,) = run_check(public_ip, b.build(), Config())
    assert finding.detail["admits_internet"] is None


def test_task_sets_with_public_ip():
    b = world(False, [])
    b.records["services"][0] = replace(b.records["services"][0], task_set_public_ips=("ENABLED", "DISABLED"))
    (finding,) = run_check(public_ip, b.build(), Config())
    assert finding.detail["task_sets_with_public_ip"] == 1
