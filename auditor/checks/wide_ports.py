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

from auditor.analysis.context import AnalysisContext
from auditor.analysis.placement import dynamic_port_services
from auditor.analysis.sg_rules import EPHEMERAL, Exposure, UnseenGroup, WideRule, exposure, wide_rules
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service

ID = "wide-port-range"
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
    dynamic = dynamic_port_services(ctx.inventory)
    for wide in wide_rules(ctx.inventory, ctx.config.thresholds.wide_port_min_ports):
        if isinstance(wide, UnseenGroup):
            c = wide.cluster
            yield CHECK.unknown(
                ctx.at_uncollected("security-group", wide.group_id, c.account, c.region, c.name),
                f"inbound rules of {wide.group_id} are unknown",
                ctx.missing(c.account, c.region, "ec2:DescribeSecurityGroups")
                or ["ec2:DescribeSecurityGroups (group not returned)"],
            )
            continue
        services = {s.name: s for c in wide.clusters for s in dynamic.get(c, [])}
        yield _finding(ctx, wide, sorted(services.values(), key=lambda s: s.name))


def _reach_text(reach: Exposure | None) -> str:
    if reach is None or reach.reachable is None:
        return ""
    if reach.load_balancers:
        nlbs = ", ".join(reach.load_balancers)
        return f"; internet-facing NLB {nlbs} has no security group and keeps client IPs"
    if reach.public_enis:
        return f"; {len(reach.public_enis)} ENI(s) in the group have a public address"
    return "; no ENI in the group has a public address"


def _finding(ctx: AnalysisContext, wide: WideRule, services: list[Service]) -> Finding:
    inv, group, rule, span, kind = ctx.inventory, wide.group, wide.rule, wide.span, wide.source_kind
    severity = SEVERITY_BY_SOURCE[kind]
    reach: Exposure | None = None
    if kind in ("internet", "public-cidr"):
        reach = exposure(inv, group, wide.clusters)
        if reach.reachable is False:
            severity = "medium"
    source = wide.source
    suggested = sorted({g for s in services for g in inv.load_balancer_groups_of(s)})
    clusters = sorted(inv.cluster_name(c) for c in wide.clusters)
    detail = {
        "group_id": group.group_id,
        "group_name": group.name,
        "protocol": rule.protocol,
        "from_port": span[0],
        "to_port": span[1],
        "port_count": wide.port_count,
        "source": source,
        "source_kind": kind,
        "overlaps_ephemeral": wide.overlaps_ephemeral,
        "attached_to": sorted(wide.attached_to)[:50],
        "attached_count": len(wide.attached_to),
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
    ports = f"{wide.port_count} ports ({proto} {span[0]}-{span[1]})"
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
