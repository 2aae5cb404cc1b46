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
An internet or public source reaches the group only where something gives it a path: an ENI in
the group with a public address, or an internet-facing Network Load Balancer without security
groups that keeps client IPs (instance targets by default; UDP ip targets) in front of a service
of the clusters behind the group. Without either (`publicly_reachable` false) such a rule is
medium: open to every private network and one public IP away from the internet. ENIs not
collected: the severity stays as if reachable. The finding names the bridge services with
dynamic host ports that run behind the group.

Fix: allow the ECS dynamic port range (tcp 32768-65535) only from the load balancer's security
group: `aws ec2 authorize-security-group-ingress --group-id <sg> --ip-permissions
IpProtocol=tcp,FromPort=32768,ToPort=65535,UserIdGroupPairs=[{GroupId=<lb-sg>}]`, then revoke the
wide rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.analysis.context import AnalysisContext
from auditor.analysis.placement import dynamic_port_services
from auditor.analysis.sg_rules import classify_source, group_attachments, port_span, source_text
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import SecurityGroup, SecurityGroupRule, Service

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


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    snapshot, inv = ctx.snapshot, ctx.inventory
    lb_groups = {g for lb in snapshot.load_balancers for g in lb.security_group_ids}
    dynamic = dynamic_port_services(inv)
    for group_id, used in sorted(group_attachments(inv).items()):
        group = inv.security_groups.get(group_id)
        if group is None:
            cluster = inv.clusters.get(next(iter(sorted(used["clusters"]))))
            if cluster:
                where = ctx.at_uncollected(
                    "security-group", group_id, cluster.account, cluster.region, cluster.name
                )
                yield CHECK.unknown(
                    where,
                    f"inbound rules of {group_id} are unknown",
                    ctx.missing(cluster.account, cluster.region, "ec2:DescribeSecurityGroups")
                    or ["ec2:DescribeSecurityGroups (group not returned)"],
                )
            continue
        services = sorted(
            {s.name: s for c in used["clusters"] for s in dynamic.get(c, [])}.values(), key=lambda s: s.name
        )
        for rule in group.ingress:
            span = port_span(rule)
            if span is None or span[1] - span[0] + 1 < ctx.config.thresholds.wide_port_min_ports:
                continue
            yield _finding(ctx, group, rule, span, lb_groups, used, services)


@dataclass(frozen=True)
class Exposure:
    """How the internet could reach ENIs in a group; `reachable` None when ENIs were not collected."""

    reachable: bool | None
    public_enis: tuple[str, ...] = ()
    load_balancers: tuple[str, ...] = ()


def _preserving_nlbs(ctx: AnalysisContext, clusters: set[str]) -> tuple[str, ...]:
    """Internet-facing NLBs without security groups that keep client IPs, in front of services of
    these clusters: their targets see internet sources directly."""
    inv = ctx.inventory
    names = set()
    for service in ctx.snapshot.services:
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


def exposure(ctx: AnalysisContext, group: SecurityGroup, clusters: set[str]) -> Exposure:
    if ctx.missing(group.account, group.region, "ec2:DescribeNetworkInterfaces"):
        return Exposure(reachable=None)
    public = tuple(
        sorted(
            e.eni_id
            for e in ctx.snapshot.network_interfaces
            if group.group_id in e.security_group_ids and e.public_ip
        )
    )
    nlbs = _preserving_nlbs(ctx, clusters)
    return Exposure(reachable=bool(public or nlbs), public_enis=public, load_balancers=nlbs)


def _reach_text(reach: Exposure | None) -> str:
    if reach is None or reach.reachable is None:
        return ""
    if reach.load_balancers:
        nlbs = ", ".join(reach.load_balancers)
        return f"; internet-facing NLB {nlbs} has no security group and keeps client IPs"
    if reach.public_enis:
        return f"; {len(reach.public_enis)} ENI(s) in the group have a public address"
    return "; no ENI in the group has a public address"


def _finding(
    ctx: AnalysisContext,
    group: SecurityGroup,
    rule: SecurityGroupRule,
    span: tuple[int, int],
    lb_groups: set[str],
    used: dict[str, set[str]],
    services: list[Service],
) -> Finding:
    inv = ctx.inventory
    kind = classify_source(rule, group, inv.vpcs.get(group.vpc_id or ""), lb_groups)
    severity = SEVERITY_BY_SOURCE[kind]
    reach: Exposure | None = None
    if kind in ("internet", "public-cidr"):
        reach = exposure(ctx, group, used["clusters"])
        if reach.reachable is False:
            severity = "medium"
    count = span[1] - span[0] + 1
    source = source_text(rule)
    suggested = sorted({g for s in services for g in inv.load_balancer_groups_of(s)})
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
    if reach is not None:
        detail["publicly_reachable"] = reach.reachable
        detail["public_enis"] = list(reach.public_enis)
        detail["client_ip_preserving_nlbs"] = list(reach.load_balancers)
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
    where = ctx.at_group(group, clusters, f"{rule.protocol}:{span[0]}-{span[1]}:{source}")
    ports = f"{count} ports ({proto} {span[0]}-{span[1]})"
    title = f"{group.group_id} ({group.name}) opens {ports} to {source} [{kind}]{_reach_text(reach)}"
    return CHECK.finding(where, severity, title, detail, recommendation)


CHECK = Check(
    id=ID,
    title="Wide port ranges open on ECS hosts and tasks",
    severity="critical",
    resource_types=("security-group",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-bridge.html",
    needs=needs(
        *ECS_INVENTORY,
        "ec2_instances",
        "network_interfaces",
        "security_groups",
        "vpcs",
        "target_groups",
        "load_balancers",
    ),
)
