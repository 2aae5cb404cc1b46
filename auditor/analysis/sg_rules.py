"""Reading security-group rules: the ports a rule opens, whom it admits, where from, and whether the
internet can reach the group at all."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from auditor.analysis.inventory import Inventory
from auditor.model import Cluster, SecurityGroup, SecurityGroupRule, Vpc

ALL_PROTOCOLS = ("-1", "all")
PORTED_PROTOCOLS = ("tcp", "udp", "6", "17")
INTERNET = ("0.0.0.0/0", "::/0")
EPHEMERAL = (32768, 65535)  # Linux ip_local_port_range start … ECS's classic 49153-65535 end
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


@dataclass(frozen=True)
class Exposure:
    """How the internet could reach ENIs in a group; `reachable` None when ENIs were not collected."""

    reachable: bool | None
    public_enis: tuple[str, ...] = ()
    load_balancers: tuple[str, ...] = ()


def preserving_nlbs(inv: Inventory, clusters: set[str]) -> tuple[str, ...]:
    """Internet-facing NLBs without security groups that keep client IPs, in front of services of
    these clusters: their targets see internet sources directly."""
    names = set()
    for service in inv.snapshot.services:
        if service.cluster_arn not in clusters:
            continue
        for lb in service.load_balancers:
            tg = inv.target_groups.get(lb.target_group_arn or "")
            if tg is None:
                continue
            preserves = tg.target_type == "instance" or (tg.protocol or "").upper() in ("UDP", "TCP_UDP")
            for arn in tg.load_balancer_arns:
                balancer = inv.load_balancers.get(arn)
                if (
                    balancer
                    and preserves
                    and balancer.type == "network"
                    and not balancer.security_group_ids
                    and balancer.scheme == "internet-facing"
                ):
                    names.add(balancer.name)
    return tuple(sorted(names))


def exposure(inv: Inventory, group: SecurityGroup, clusters: set[str]) -> Exposure:
    """Whether an internet source in the group's rules has a path in: an ENI in the group with a
    public address, or a client-IP-preserving internet-facing NLB in front of these clusters."""
    if inv.missing(group.account, group.region, "ec2:DescribeNetworkInterfaces"):
        return Exposure(reachable=None)
    public = tuple(
        sorted(
            e.eni_id
            for e in inv.snapshot.network_interfaces
            if group.group_id in e.security_group_ids and e.public_ip
        )
    )
    nlbs = preserving_nlbs(inv, clusters)
    return Exposure(reachable=bool(public or nlbs), public_enis=public, load_balancers=nlbs)


@dataclass(frozen=True)
class WideRule:
    """An inbound rule opening at least the threshold's number of ports, on a group attached to
    ECS hosts, task ENIs or awsvpc services (`group_attachments`)."""

    group: SecurityGroup
    rule: SecurityGroupRule
    span: tuple[int, int]
    source_kind: str  # classify_source
    attached_to: set[str]  # instance, ENI and service ids
    clusters: set[str]  # cluster ARNs

    @property
    def source(self) -> str:
        return source_text(self.rule)

    @property
    def port_count(self) -> int:
        return self.span[1] - self.span[0] + 1

    @property
    def overlaps_ephemeral(self) -> bool:
        return self.span[0] <= EPHEMERAL[1] and self.span[1] >= EPHEMERAL[0]


@dataclass(frozen=True)
class UnseenGroup:
    """A group attached to ECS that was not collected, with the (first) cluster it serves."""

    group_id: str
    cluster: Cluster


def wide_rules(inv: Inventory, min_ports: int) -> Iterator[WideRule | UnseenGroup]:
    """The wide inbound rules of the groups on ECS hosts and tasks, group by group."""
    lb_groups = {g for lb in inv.snapshot.load_balancers for g in lb.security_group_ids}
    for group_id, used in sorted(group_attachments(inv).items()):
        group = inv.security_groups.get(group_id)
        if group is None:
            cluster = inv.clusters.get(next(iter(sorted(used["clusters"]))))
            if cluster:
                yield UnseenGroup(group_id, cluster)
            continue
        for rule in group.ingress:
            span = port_span(rule)
            if span is None or span[1] - span[0] + 1 < min_ports:
                continue
            kind = classify_source(rule, group, inv.vpcs.get(group.vpc_id or ""), lb_groups)
            yield WideRule(group, rule, span, kind, used["attached_to"], used["clusters"])
