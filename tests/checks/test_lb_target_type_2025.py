"""lb-target-type, 2025: the alternate target group of the native blue/green, linear and canary
strategies, and VPC Lattice target groups (type IP for awsvpc tasks)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.checks import lb_target_type
from auditor.config import Config
from auditor.model import LatticeTargetGroup, TargetGroup, VpcLatticeConfiguration
from tests.factories import ACCOUNT, REGION, SnapshotBuilder, run_check

ALT = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/green/2"
LATTICE = f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:targetgroup/tg-0123456789abcdef0"


def world(alternate_type: str | None, *, mode: str = "awsvpc") -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    tg = b.load_balancer("sg-alb", target_type="ip" if mode == "awsvpc" else "instance")
    td = b.task_definition("web", mode, container_port=80)
    b.service(cluster, "web", td, target_group=tg, subnets=("subnet-a",) if mode == "awsvpc" else ())
    (lb,) = b.records["services"][-1].load_balancers
    b.records["services"][-1] = replace(
        b.records["services"][-1], load_balancers=(replace(lb, alternate_target_group_arn=ALT),)
    )
    if alternate_type is not None:
        primary = b.records["target_groups"][-1]
        b.records["target_groups"].append(replace(primary, arn=ALT, name="green", target_type=alternate_type))
    return b


@pytest.mark.parametrize(
    ("mode", "alternate_type", "severity"),
    [
        ("awsvpc", "instance", "high"),  # the green side cannot take awsvpc tasks
        ("awsvpc", "ip", None),
        ("bridge", "ip", "high"),
        ("awsvpc", None, "info"),  # alternate group not collected: unknown
    ],
)
def test_alternate_target_group(mode, alternate_type, severity):
    findings = list(run_check(lb_target_type, world(alternate_type, mode=mode).build(), Config()))
    assert [f.severity for f in findings] == ([severity] if severity else [])
    if severity == "high":
        (finding,) = findings
        assert finding.detail["role"] == "alternate" and finding.detail["target_group"] == ALT
        assert "alternate" in finding.title


def test_alternate_and_primary_findings_have_distinct_ids():
    b = world("instance")
    b.records["target_groups"][0] = replace(b.records["target_groups"][0], target_type="instance")
    findings = list(run_check(lb_target_type, b.build(), Config()))
    assert len({f.id for f in findings}) == 2


def lattice_world(group_type: str | None, *, mode: str = "awsvpc") -> SnapshotBuilder:
    b = SnapshotBuilder()
    cluster = b.cluster()
    td = b.task_definition("web", mode, container_port=80)
    b.service(cluster, "web", td, subnets=("subnet-a",) if mode == "awsvpc" else ())
    b.records["services"][-1] = replace(
        b.records["services"][-1], vpc_lattice=(VpcLatticeConfiguration(LATTICE, "web-http"),)
    )
    if group_type is not None:
        b.records["lattice_target_groups"] = [
            LatticeTargetGroup(
                arn=LATTICE,
                account=ACCOUNT,
                region=REGION,
                name="web",
                type=group_type,
                vpc_id="vpc-1",
                port=80,
            )
        ]
    return b


@pytest.mark.parametrize(
    ("group_type", "mode", "severity"),
    [
        ("INSTANCE", "awsvpc", "high"),
        ("ALB", "awsvpc", "high"),
        ("IP", "awsvpc", None),
        ("INSTANCE", "bridge", None),  # the contract judges awsvpc tasks only
        (None, "awsvpc", "info"),
    ],
)
def test_lattice_target_group(group_type, mode, severity):
    findings = list(run_check(lb_target_type, lattice_world(group_type, mode=mode).build(), Config()))
    assert [f.severity for f in findings] == ([severity] if severity else [])
    if severity == "high":
        assert findings[0].detail["expected_target_type"] == "IP"
        assert findings[0].detail["role"] == "vpc-lattice"


def test_lattice_unknown_names_the_denied_api():
    b = lattice_world(None)
    b.coverage("vpc-lattice:GetTargetGroup", "denied")
    (finding,) = run_check(lb_target_type, b.build(), Config())
    assert finding.detail["missing"] == ["vpc-lattice:GetTargetGroup"]


def test_elb_target_group_is_not_taken_for_a_lattice_one():
    b = lattice_world(None)
    b.records["target_groups"] = [
        TargetGroup(
            arn=LATTICE,
            account=ACCOUNT,
            region=REGION,
            name="x",
            target_type="ip",
            port=80,
            protocol="HTTP",
            vpc_id="v",
        )
    ]
    (finding,) = run_check(lb_target_type, b.build(), Config())
    assert finding.severity == "info"
