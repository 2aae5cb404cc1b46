"""vpc-dns: interface endpoints with private DNS in a VPC whose DNS attributes are off."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.checks import vpc_dns
from auditor.config import Config
from tests.factories import SnapshotBuilder, run_check


def world(support, hostnames, *, route=("0.0.0.0/0", "nat-gateway", "nat-1"), private_dns=True):
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.subnet("subnet-a")
    b.vpc()
    b.records["vpcs"][-1] = replace(
        b.records["vpcs"][-1], enable_dns_support=support, enable_dns_hostnames=hostnames
    )
    b.route_table("rtb-1", [route] if route else [], subnets=("subnet-a",))
    b.endpoint("ecr.dkr", private_dns=private_dns)
    b.endpoint("ecr.api", private_dns=private_dns)
    td = b.task_definition()
    b.service(cluster, "api", td, subnets=("subnet-a",), launch_type="FARGATE")
    return b


@pytest.mark.parametrize(
    ("support", "hostnames", "route", "expected"),
    [
        (True, False, ("0.0.0.0/0", "nat-gateway", "nat-1"), "medium"),  # bypasses the endpoints
        (False, True, None, "high"),  # isolated: pulls fail
        (True, True, None, None),  # negative: both on
        (None, None, None, "info"),  # not collected: unknown
        (None, False, None, "high"),  # one known off is enough
    ],
)
def test_decision(support, hostnames, route, expected):
    findings = list(run_check(vpc_dns, world(support, hostnames, route=route).build(), Config()))
    assert [f.severity for f in findings] == ([expected] if expected else [])


def test_detail():
    (finding,) = run_check(vpc_dns, world(True, False, route=None).build(), Config())
    assert finding.resource_type == "vpc" and finding.resource_id == "vpc-1"
    assert finding.detail["enable_dns_support"] is True and finding.detail["enable_dns_hostnames"] is False
    assert finding.detail["private_dns_endpoints"] == ["ecr.api", "ecr.dkr"]
    assert finding.detail["isolated_subnets"] == ["subnet-a"]
    assert "--enable-dns-hostnames" in finding.recommendation
    assert "--enable-dns-support" not in finding.recommendation


def test_no_private_dns_endpoint_is_quiet():
    assert list(run_check(vpc_dns, world(False, False, private_dns=False).build(), Config())) == []


def test_vpc_nobody_in_ecs_uses_is_not_judged():
    b = world(False, False)
    b.records["services"] = []
    assert list(run_check(vpc_dns, b.build(), Config())) == []


def test_unknown_names_the_failed_api():
    b = world(None, None)
    b.coverage("ec2:DescribeVpcAttribute", "denied")
    (finding,) = run_check(vpc_dns, b.build(), Config())
    assert finding.detail["missing"] == ["ec2:DescribeVpcAttribute"]
