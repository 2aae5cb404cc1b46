"""IPv6 paths: what an IPv6-only subnet needs to get out, and which dual-stack subnets expose their
tasks to the internet.

An IPv6-only subnet has no IPv4 address to run out of, but its tasks leave only over IPv6: a `::/0`
route to an internet gateway or an egress-only internet gateway (or another IPv6 egress target),
and — to reach endpoints that have only IPv4 names, such as ECR's default ones
(aws/containers-roadmap#2792) — DNS64 on the subnet with a `64:ff9b::/96` route to a NAT gateway
(NAT64). Routes through an internet gateway make a task's IPv6 address reachable from the internet
wherever its security groups allow: IPv6 addresses are public.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.analysis.routes import is_ipv6_only
from auditor.model import Route, RouteTable, Subnet

__all__ = ["NAT64_PREFIX", "Ipv6Egress", "ipv6_internet_routed", "ipv6_only_egress", "is_ipv6_only"]

NAT64_PREFIX = "64:ff9b::/96"
IPV6_EGRESS_TARGETS = {"transit-gateway", "network-interface", "instance", "core-network", "local-gateway"}


def ipv6_default_route(table: RouteTable) -> Route | None:
    return next((r for r in table.routes if r.destination == "::/0" and r.state == "active"), None)


def ipv6_route_kind(route: Route | None) -> str:
    """`internet-gateway`, `egress-only-gateway`, `egress` (TGW, appliance, firewall endpoint), `none`."""
    if route is None:
        return "none"
    if route.target_id.startswith("igw-"):
        return "internet-gateway"
    if route.target_type == "egress-only-gateway" or route.target_id.startswith("eigw-"):
        return "egress-only-gateway"
    if route.target_type in IPV6_EGRESS_TARGETS or route.target_id.startswith("vpce-"):
        return "egress"
    return "none"


def has_nat64(table: RouteTable) -> bool:
    """A `64:ff9b::/96` route to a NAT gateway (or a transit gateway that leads to one)."""
    return any(
        r.destination == NAT64_PREFIX
        and r.state == "active"
        and r.target_type in ("nat-gateway", "transit-gateway")
        for r in table.routes
    )


@dataclass(frozen=True)
class Ipv6Egress:
    """How an IPv6-only subnet gets out, and what it lacks."""

    route_kind: str  # of its ::/0 route
    dns64: bool
    nat64: bool
    missing: tuple[str, ...]  # in words, for a finding's `missing_endpoints`


def ipv6_only_egress(subnet: Subnet, table: RouteTable) -> Ipv6Egress:
    kind = ipv6_route_kind(ipv6_default_route(table))
    nat64 = has_nat64(table)
    missing = []
    if kind == "none":
        missing.append("a ::/0 route to an internet or egress-only internet gateway")
    if not subnet.enable_dns64:
        missing.append("DNS64 on the subnet (for IPv4-only endpoints, ECR's default names among them)")
    if not nat64:
        missing.append(f"a {NAT64_PREFIX} route to a NAT gateway (NAT64, for IPv4-only endpoints)")
    return Ipv6Egress(route_kind=kind, dns64=subnet.enable_dns64, nat64=nat64, missing=tuple(missing))


def ipv6_internet_routed(subnet: Subnet, table: RouteTable | None) -> bool:
    """A subnet with IPv6 addresses whose `::/0` goes to an internet gateway: its IPv6 addresses are
    reachable from the internet where security groups allow."""
    if not subnet.ipv6_cidrs or table is None:
        return False
    return ipv6_route_kind(ipv6_default_route(table)) == "internet-gateway"
