"""az-spread: every running task of a multi-task service in one zone while its subnets span several."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.checks import az_spread
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(
    task_subnets, *, zones=("us-east-1a", "us-east-1b"), rebalancing=None, status="RUNNING", fargate=True
):
    b = SnapshotBuilder()
    cluster = b.cluster()
    for n, zone in enumerate(zones):
        b.subnet(f"subnet-{n}")
        b.records["subnets"][-1] = replace(b.records["subnets"][-1], availability_zone=zone)
    td = b.task_definition()
    subnets = tuple(f"subnet-{n}" for n in range(len(zones)))
    b.service(
        cluster,
        "api",
        td,
        desired=len(task_subnets),
        subnets=subnets,
        launch_type="FARGATE" if fargate else "EC2",
    )
    b.records["services"][-1] = replace(b.records["services"][-1], availability_zone_rebalancing=rebalancing)
    for subnet in task_subnets:
        b.task(cluster, td, subnet=subnet, service="api", status=status)
    return b


@pytest.mark.parametrize(
    ("task_subnets", "zones", "fires"),
    [
        (["subnet-0", "subnet-0", "subnet-0"], ("us-east-1a", "us-east-1b"), True),  # positive
        (["subnet-0", "subnet-1"], ("us-east-1a", "us-east-1b"), False),  # spread
        (["subnet-0"], ("us-east-1a", "us-east-1b"), False),  # one task: nothing to spread
        (["subnet-0", "subnet-1"], ("us-east-1a", "us-east-1a"), False),  # subnets in one zone
    ],
)
def test_decision(task_subnets, zones, fires):
    findings = list(run_check(az_spread, world(task_subnets, zones=zones).build(), Config()))
    assert bool(findings) is fires


def test_detail_and_cause():
    (finding,) = run_check(
        az_spread, world(["subnet-1", "subnet-1"], rebalancing="DISABLED").build(), Config()
    )
    assert finding.severity == "medium" and finding.resource_type == "service"
    assert finding.detail["subnet_zones"] == ["us-east-1a", "us-east-1b"]
    assert finding.detail["task_zones"] == ["us-east-1b"] and finding.detail["running_tasks"] == 2
    assert "rebalancing is off" in finding.title


def test_pending_tasks_do_not_count():
    assert (
        list(run_check(az_spread, world(["subnet-0", "subnet-0"], status="PENDING").build(), Config())) == []
    )


def test_unknown_subnet_zone_is_unknown_not_quiet():
    b = world(["subnet-0", "subnet-0"])
    b.records["subnets"] = b.records["subnets"][:1]  # subnet-1 was not collected
    (finding,) = run_check(az_spread, b.build(), Config())
    assert finding.severity == "info" and finding.detail["unknown"] is True


def test_daemon_services_are_not_judged():
    b = world(["subnet-0", "subnet-0"])
    b.records["services"][-1] = replace(b.records["services"][-1], scheduling_strategy="DAEMON")
    assert list(run_check(az_spread, b.build(), Config())) == []


def test_capacity_in_one_zone_is_named_as_the_cause():
    b = world(["subnet-0", "subnet-0"], fargate=False)
    cluster = b.records["clusters"][0].arn
    b.instance(cluster, subnet="subnet-0")
    ci = b.records["container_instances"][-1]
    b.records["container_instances"][-1] = replace(
        ci, attributes=(*ci.attributes, ("ecs.availability-zone", "us-east-1a"))
    )
    (finding,) = run_check(az_spread, b.build(), Config())
    assert finding.detail["instance_zones"] == ["us-east-1a"]
    assert "only in us-east-1a" in finding.title
