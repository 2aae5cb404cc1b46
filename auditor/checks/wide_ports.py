"""wide-port-range — security groups on ECS hosts and tasks that open wide port ranges.

Why: in bridge mode with dynamic host ports (`hostPort: 0`), Docker picks each task's host port
from the ephemeral range, so the load balancer must reach a wide range on the instances. Teams
open that range — often to 0.0.0.0/0 or the whole private network — instead of to the load
balancer's security group. Every container port on every instance is then reachable from there.

What: inbound rules of the security groups attached to container instances and task ENIs that
open at least `thresholds.wide_port_min_ports` ports (protocol `-1` counts as all 65,536), with
the source classified: internet → critical, another public CIDR → high, a private CIDR wider than
the group's VPC → medium, inside the VPC → low, another security group, itself or a prefix list
→ low, the load balancer's own group → info (the recommended pattern for dynamic host ports).
The finding names the bridge services with dynamic host ports that run behind the group.

Fix: allow the ECS dynamic port range (tcp 32768-65535) only from the load balancer's security
group: `aws ec2 authorize-security-group-ingress --group-id <sg> --ip-permissions
IpProtocol=tcp,FromPort=32768,ToPort=65535,UserIdGroupPairs=[{GroupId=<lb-sg>}]`, then revoke the
wide rule.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator

from auditor.checks.base import ECS_INVENTORY, Check
from auditor.config import Config
from auditor.findings import Finding, unknown
from auditor.inventory import Inventory
from auditor.model import SecurityGroup, SecurityGroupRule, Service, Snapshot

ID = "wide-port-range"
EPHEMERAL = (32768, 65535)  # Linux ip_local_port_range start … ECS's classic 49153-65535 end
SEVERITY_BY_SOURCE = {
    "internet": "critical",
    "public-cidr": "high",
    "private-cidr": "medium",
    "vpc-cidr": "low",
    "security-group": "low",
    "self": "low",
    "prefix-list": "low",
    "load-balancer-sg": "info",
}
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
    if protocol in ("-1", "all"):
        return 0, 65535
    if protocol not in ("tcp", "udp", "6", "17"):
        return None
    if rule.from_port is None or rule.to_port is None or rule.from_port < 0:
        return 0, 65535
    return rule.from_port, rule.to_port


def classify_source(
    rule: SecurityGroupRule, group: SecurityGroup, inv: Inventory, lb_groups: set[str]
) -> str:
    """One of the contract's `source_kind` values."""
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
    vpc = inv.vpcs.get(group.vpc_id or "")
    vpc_cidrs = (vpc.cidrs + vpc.ipv6_cidrs) if vpc else ()
    for cidr in vpc_cidrs:
        vpc_net = ipaddress.ip_network(cidr, strict=False)
        if vpc_net.version == network.version and network.subnet_of(vpc_net):  # type: ignore[arg-type]
            return "vpc-cidr"
    if any(p.version == network.version and network.subnet_of(p) for p in PRIVATE_RANGES):  # type: ignore[arg-type]
        return "private-cidr"
    return "public-cidr"


def _source_text(rule: SecurityGroupRule) -> str:
    return rule.cidr or rule.group_id or rule.prefix_list_id or "?"


def _dynamic_port_services(inv: Inventory, snapshot: Snapshot) -> dict[str, list[Service]]:
    """Bridge services with a dynamic host port, by cluster ARN."""
    out: dict[str, list[Service]] = defaultdict(list)
    for service in snapshot.services:
        td = inv.task_definitions.get(service.task_definition_arn or "")
        if (
            td
            and td.network_mode == "bridge"
            and any(pm.host_port in (0, None) for c in td.containers for pm in c.port_mappings)
        ):
            out[service.cluster_arn].append(service)
    return out


def _lb_groups_of(service: Service, inv: Inventory) -> list[str]:
    groups: list[str] = []
    for lb in service.load_balancers:
        tg = inv.target_groups.get(lb.target_group_arn or "")
        for lb_arn in tg.load_balancer_arns if tg else ():
            balancer = inv.load_balancers.get(lb_arn)
            groups.extend(g for g in (balancer.security_group_ids if balancer else ()) if g not in groups)
    return groups


def _attachments(snapshot: Snapshot, inv: Inventory) -> dict[str, dict[str, set[str]]]:
    """Security group id → {"attached_to": ids of instances/ENIs, "clusters": cluster ARNs}."""
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


def run(snapshot: Snapshot, config: Config) -> Iterator[Finding]:
    inv = Inventory.of(snapshot)
    lb_groups = {g for lb in snapshot.load_balancers for g in lb.security_group_ids}
    dynamic = _dynamic_port_services(inv, snapshot)
    for group_id, used in sorted(_attachments(snapshot, inv).items()):
        group = inv.security_groups.get(group_id)
        if group is None:
            cluster = inv.clusters.get(next(iter(sorted(used["clusters"]))))
            if cluster:
                yield unknown(
                    check=ID,
                    account=cluster.account,
                    region=cluster.region,
                    resource_type="security-group",
                    resource_id=group_id,
                    cluster=cluster.name,
                    title=f"inbound rules of {group_id} are unknown",
                    missing=inv.missing(cluster.account, cluster.region, "ec2:DescribeSecurityGroups")
                    or ["ec2:DescribeSecurityGroups (group not returned)"],
                )
            continue
        services = sorted(
            {s.name: s for c in used["clusters"] for s in dynamic.get(c, [])}.values(), key=lambda s: s.name
        )
        for rule in group.ingress:
            span = port_span(rule)
            if span is None or span[1] - span[0] + 1 < config.thresholds.wide_port_min_ports:
                continue
            yield _finding(group, rule, span, inv, lb_groups, used, services)


def _finding(
    group: SecurityGroup,
    rule: SecurityGroupRule,
    span: tuple[int, int],
    inv: Inventory,
    lb_groups: set[str],
    used: dict[str, set[str]],
    services: list[Service],
) -> Finding:
    kind = classify_source(rule, group, inv, lb_groups)
    count = span[1] - span[0] + 1
    source = _source_text(rule)
    suggested = sorted({g for s in services for g in _lb_groups_of(s, inv)})
    clusters = sorted(inv.cluster_name(c) for c in used["clusters"])
    detail = {
        "group_id": group.group_id,
        "group_name": group.name,
        "protocol": rule.protocol,
        "from_port": span[0],
        "to_port": span[1],
        "port_count": count,
        "source": source,
        "source_kind": kind,
        "overlaps_ephemeral": span[0] <= EPHEMERAL[1] and span[1] >= EPHEMERAL[0],
        "attached_to": sorted(used["attached_to"])[:50],
        "attached_count": len(used["attached_to"]),
        "dynamic_port_services": [s.name for s in services],
        "load_balancer_groups": suggested,
    }
    if kind == "load-balancer-sg":
        recommendation = (
            "This is the recommended pattern for dynamic host ports; narrow it to tcp "
            f"{EPHEMERAL[0]}-{EPHEMERAL[1]} if it is wider."
        )
    else:
        lb = suggested[0] if suggested else "<load-balancer-sg>"
        recommendation = (
            f"Allow only the dynamic port range from the load balancer's group: aws ec2 "
            f"authorize-security-group-ingress --group-id {group.group_id} --ip-permissions "
            f"'IpProtocol=tcp,FromPort={EPHEMERAL[0]},ToPort={EPHEMERAL[1]},UserIdGroupPairs=[{{GroupId={lb}}}]'"
            f", then revoke the rule for {source}."
        )
    proto = "all protocols" if rule.protocol == "-1" else rule.protocol
    return Finding(
        check=ID,
        severity=SEVERITY_BY_SOURCE[kind],
        account=group.account,
        region=group.region,
        resource_type="security-group",
        resource_id=group.group_id,
        cluster=clusters[0] if len(clusters) == 1 else None,
        title=f"{group.group_id} ({group.name}) opens {count} ports ({proto} {span[0]}-{span[1]}) to {source}"
        f" [{kind}]",
        detail=detail,
        recommendation=recommendation,
        sub_key=f"{rule.protocol}:{span[0]}-{span[1]}:{source}",
    )


CHECK = Check(
    id=ID,
    title="Wide port ranges open on ECS hosts and tasks",
    severity="critical",
    resource_types=("security-group",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-bridge.html",
    needs=(
        *ECS_INVENTORY,
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeLoadBalancers",
    ),
)
