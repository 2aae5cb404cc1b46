"""Reading security-group rules: the ports a rule opens, whom it admits, and where from."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping

from auditor.analysis.inventory import Inventory
from auditor.model import SecurityGroup, SecurityGroupRule, Vpc

ALL_PROTOCOLS = ("-1", "all")
PORTED_PROTOCOLS = ("tcp", "udp", "6", "17")
INTERNET = ("0.0.0.0/0", "::/0")
PRIVATE_RANGES = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598), used for secondary VPC CIDRs
        "fc00::/7",  # IPv6 unique local
    )
)


def port_span(rule: SecurityGroupRule) -> tuple[int, int] | None:
    """(first, last) port the rule opens; None for ICMP and other port-less protocols."""
    protocol = rule.protocol.lower()
    if protocol in ALL_PROTOCOLS:
        return 0, 65535
    if protocol not in PORTED_PROTOCOLS:
        return None
    if rule.from_port is None or rule.to_port is None or rule.from_port < 0:
        return 0, 65535
    return rule.from_port, rule.to_port


def opens_tcp_port(rule: SecurityGroupRule, port: int) -> bool:
    """Whether the rule admits tcp traffic to `port` (all protocols, or tcp over a range with it)."""
    protocol = rule.protocol.lower()
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "6"):
        return False
    return (rule.from_port or 0) <= port <= (rule.to_port or 65535)


def admits_internet(rule: SecurityGroupRule) -> bool:
    return rule.cidr in INTERNET


def admits_cidr(rule: SecurityGroupRule, cidr: str | None) -> bool:
    """Whether the rule's CIDR source contains the whole of `cidr`."""
    if not rule.cidr or not cidr:
        return False
    try:
        return ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network(rule.cidr, strict=False))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


def groups_admit_internet(groups: Mapping[str, SecurityGroup], group_ids: tuple[str, ...]) -> bool | None:
    """Whether any of the groups admits 0.0.0.0/0 or ::/0 inbound; None if a group is unknown."""
    seen = False
    for gid in group_ids:
        group = groups.get(gid)
        if group is None:
            return None
        seen = seen or any(admits_internet(r) for r in group.ingress)
    return seen


def source_text(rule: SecurityGroupRule) -> str:
    return rule.cidr or rule.group_id or rule.prefix_list_id or "?"


def classify_source(
    rule: SecurityGroupRule, group: SecurityGroup, vpc: Vpc | None, lb_groups: set[str]
) -> str:
    """One of the contract's `source_kind` values for an inbound rule of `group`."""
    if rule.prefix_list_id:
        return "prefix-list"
    if rule.group_id:
        if rule.group_id == group.group_id:
            return "self"
        return "load-balancer-sg" if rule.group_id in lb_groups else "security-group"
    try:
        network = ipaddress.ip_network(rule.cidr or "", strict=False)
    except ValueError:
        return "public-cidr"
    if network.prefixlen == 0:
        return "internet"
    for cidr in (vpc.cidrs + vpc.ipv6_cidrs) if vpc else ():
        vpc_net = ipaddress.ip_network(cidr, strict=False)
        if vpc_net.version == network.version and network.subnet_of(vpc_net):  # type: ignore[arg-type]
            return "vpc-cidr"
    if any(p.version == network.version and network.subnet_of(p) for p in PRIVATE_RANGES):  # type: ignore[arg-type]
        return "private-cidr"
    return "public-cidr"


def group_attachments(inv: Inventory) -> dict[str, dict[str, set[str]]]:
    """Security groups on ECS hosts, task ENIs and awsvpc services: group id →
    {"attached_to": ids of instances/ENIs, "clusters": cluster ARNs}."""
    snapshot = inv.snapshot
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"attached_to": set(), "clusters": set()})
    for ci in snapshot.container_instances:
        ec2 = inv.ec2_for(ci)
        groups = set(ec2.security_group_ids if ec2 else ())
        for eni in inv.enis_by_instance.get(ci.ec2_instance_id or "", []):
            groups |= set(eni.security_group_ids)
        for g in groups:
            out[g]["attached_to"].add(ci.ec2_instance_id or ci.arn)
            out[g]["clusters"].add(ci.cluster_arn)
    for task in snapshot.tasks:
        for eni_id in task.eni_ids:
            task_eni = inv.enis.get(eni_id)
            for g in task_eni.security_group_ids if task_eni else ():
                out[g]["attached_to"].add(eni_id)
                out[g]["clusters"].add(task.cluster_arn)
    for service in snapshot.services:
        for g in service.security_groups:
            out[g]["attached_to"].add(f"service/{service.name}")
            out[g]["clusters"].add(service.cluster_arn)
    return out
