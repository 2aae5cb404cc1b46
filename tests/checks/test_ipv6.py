"""IPv6: IPv6-only subnets' way out (::/0, DNS64, NAT64), no IPv4 exhaustion for them, and public-ip
counting IPv6 addresses in internet-gateway-routed subnets as reachable from the internet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.analysis.ipv6 import ipv6_internet_routed, ipv6_only_egress, ipv6_route_kind
from auditor.checks import egress_path, public_ip, subnet_ips
from auditor.config import Config
from auditor.model import Route, RouteTable, Subnet
from tests.factories import ACCOUNT, REGION, SnapshotBuilder, run_check

V6 = "2600:1f18:abcd:1200::/64"


def subnet(*, native=True, dns64=True, cidr=None, ipv6=(V6,)) -> Subnet:
    return Subnet("subnet-6", ACCOUNT, REGION, "vpc-1", "us-east-1a", cidr, 0, ipv6, False, native, dns64)


def table(*routes: tuple[str, str, str]) -> RouteTable:
    return RouteTable(
        "rtb-6", ACCOUNT, REGION, "vpc-1", False, ("subnet-6",), tuple(Route(*r) for r in routes)
    )


EIGW = ("::/0", "egress-only-gateway", "eigw-1")
IGW = ("::/0", "gateway", "igw-1")
NAT64 = ("64:ff9b::/96", "nat-gateway", "nat-1")


@pytest.mark.parametrize(
    ("routes", "dns64", "kind", "missing"),
    [
        ((EIGW, NAT64), True, "egress-only-gateway", 0),  # negative: complete
        ((IGW, NAT64), True, "internet-gateway", 0),
        ((EIGW,), True, "egress-only-gateway", 1),  # no NAT64: IPv4-only endpoints unreachable
        ((EIGW, NAT64), False, "egress-only-gateway", 1),  # no DNS64
        ((), False, "none", 3),  # isolated IPv6-only
        ((("::/0", "transit-gateway", "tgw-1"), NAT64), True, "egress", 0),
    ],
)
def test_ipv6_only_egress(routes, dns64, kind, missing):
    egress = ipv6_only_egress(subnet(dns64=dns64), table(*routes))
    assert egress.route_kind == kind and len(egress.missing) == missing


def test_blackholed_ipv6_route_is_no_route():
    route = Route("::/0", "egress-only-gateway", "eigw-1", state="blackhole")
    assert ipv6_route_kind(None) == "none"
    assert (
        ipv6_only_egress(subnet(), RouteTable("r", ACCOUNT, REGION, "v", False, (), (route,))).route_kind
        == "none"
    )


@pytest.mark.parametrize(
    ("ipv6", "routes", "expected"),
    [((V6,), (IGW,), True), ((V6,), (EIGW,), False), ((), (IGW,), False)],
)
def test_ipv6_internet_routed(ipv6, routes, expected):
    assert (
        ipv6_internet_routed(subnet(ipv6=ipv6, native=False, cidr="10.0.1.0/24"), table(*routes)) is expected
    )


def test_ipv6_only_subnet_has_no_ipv4_exhaustion():
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.records["subnets"] = [subnet()]
    b.service(cluster, "api", b.task_definition(), subnets=("subnet-6",), desired=50, launch_type="FARGATE")
    assert list(run_check(subnet_ips, b.build(), Config())) == []


def public_world(route, *, task_ipv6: int, native=False, assign=False):
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.records["subnets"] = [subnet(native=native, cidr=None if native else "10.0.1.0/24")]
    b.route_table("rtb-6", [route], subnets=("subnet-6",))
    td = b.task_definition()
    b.service(cluster, "api", td, subnets=("subnet-6",), launch_type="FARGATE", public_ip=assign)
    b.task(cluster, td, subnet="subnet-6", service="api")
    eni = b.records["network_interfaces"][-1]
    b.records["network_interfaces"][-1] = replace(eni, ipv6_count=task_ipv6)
    return b


@pytest.mark.parametrize(
    ("route", "task_ipv6", "native", "fires"),
    [
        (IGW, 1, False, True),  # dual-stack task behind an internet gateway
        (IGW, 0, True, True),  # IPv6-only subnet: its tasks hold IPv6 addresses
        (EIGW, 1, False, False),  # egress-only: not reachable from outside
        (IGW, 0, False, False),  # no IPv6 on the tasks
    ],
)
def test_public_ip_counts_ipv6(route, task_ipv6, native, fires):
    findings = list(
        run_check(public_ip, public_world(route, task_ipv6=task_ipv6, native=native).build(), Config())
    )
    assert bool(findings) is fires
    if fires:
        assert findings[0].detail["ipv6_internet_subnets"] == ["subnet-6"]
        assert "reachable from the internet" in findings[0].title


def test_public_ipv4_finding_also_names_ipv6_subnets():
    (finding,) = run_check(public_ip, public_world(IGW, task_ipv6=1, assign=True).build(), Config())
    assert "public IP addresses" in finding.title and finding.detail["ipv6_internet_subnets"] == ["subnet-6"]


def egress_world(routes, *, dns64: bool, endpoints: tuple[str, ...] = ()):
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.records["subnets"] = [subnet(dns64=dns64)]
    b.route_table("rtb-6", list(routes), subnets=("subnet-6",))
    for name in endpoints:
        b.endpoint(name, kind="Gateway" if name == "s3" else "Interface", route_tables=("rtb-6",))
    td = b.task_definition()
    b.service(cluster, "edge", td, subnets=("subnet-6",), launch_type="FARGATE")
    return b


@pytest.mark.parametrize(
    ("routes", "dns64", "endpoints", "expected"),
    [
        ((EIGW,), False, (), "high"),  # no DNS64, no NAT64: ECR's IPv4 names unreachable
        ((EIGW, NAT64), True, (), None),  # negative: the full IPv6 path
        ((IGW, NAT64), False, (), "high"),  # NAT64 without DNS64 is never used
        ((), False, ("ecr.api", "ecr.dkr", "s3"), None),  # edge: every endpoint it needs, no route
    ],
)
def test_egress_path_judges_ipv6_only_subnets(routes, dns64, endpoints, expected):
    findings = run_check(
        egress_path, egress_world(routes, dns64=dns64, endpoints=endpoints).build(), Config()
    )
    assert [f.severity for f in findings] == ([expected] if expected else [])
    if expected:
        (finding,) = findings
        assert finding.detail["ipv6_only"] is True and finding.detail["dns64"] is dns64
        assert "IPv4-only endpoints" in finding.title


def test_egress_path_ipv6_only_without_route_table_is_unknown():
    b = egress_world((EIGW,), dns64=True)
    b.records["route_tables"] = []
    b.coverage("ec2:DescribeRouteTables", "denied")
    (finding,) = run_check(egress_path, b.build(), Config())
    assert finding.detail["unknown"] is True
