"""Reading route tables and VPC endpoints: which table a subnet uses, where its default route
leads, and which endpoints awsvpc tasks need without one."""

from __future__ import annotations

from auditor.analysis.inventory import Inventory
from auditor.analysis.sg_rules import admits_cidr, opens_tcp_port
from auditor.model import Route, RouteTable, Snapshot, Subnet, TaskDefinition, VpcEndpoint

# Route targets that carry traffic out of the VPC without a public IP on the task.
EGRESS_TARGETS = {
    "nat-gateway",
    "transit-gateway",
    "instance",
    "network-interface",
    "local-gateway",
    "core-network",
    "carrier-gateway",
}


class Routes:
    """The route table of each subnet: its explicit association, else its VPC's main table."""

    def __init__(self, snapshot: Snapshot):
        self._explicit = {sid: rt for rt in snapshot.route_tables for sid in rt.subnet_ids}
        self._main = {rt.vpc_id: rt for rt in snapshot.route_tables if rt.main}

    def table_for(self, subnet: Subnet) -> RouteTable | None:
        return self._explicit.get(subnet.subnet_id) or self._main.get(subnet.vpc_id)


def is_ipv6_only(subnet: Subnet) -> bool:
    """An IPv6-only subnet (EC2's `Ipv6Native`, or no IPv4 CIDR beside an IPv6 one)."""
    return subnet.ipv6_native or (subnet.cidr is None and bool(subnet.ipv6_cidrs))


def default_route(table: RouteTable, ipv6_only: bool = False) -> Route | None:
    """The active default route: `0.0.0.0/0`, or `::/0` for an IPv6-only subnet."""
    destination = "::/0" if ipv6_only else "0.0.0.0/0"
    return next((r for r in table.routes if r.destination == destination and r.state == "active"), None)


def route_kind(route: Route | None, ipv6_only: bool = False) -> str:
    """`internet-gateway`, `egress` (NAT, TGW, a Gateway Load Balancer or Network Firewall endpoint,
    …) or `none`. IPv6 addresses are global: for an IPv6-only subnet `::/0` to an internet or
    egress-only gateway is a route out."""
    if route is None:
        return "none"
    if route.target_type == "gateway" and route.target_id.startswith("igw-"):
        return "egress" if ipv6_only else "internet-gateway"
    if route.target_type == "gateway" and route.target_id.startswith("vpce-"):
        return "egress"  # inspected by a GWLB or firewall endpoint, then out
    if route.target_type == "egress-only-gateway" or route.target_id.startswith("eigw-"):
        return "egress" if ipv6_only else "none"
    if route.target_type in EGRESS_TARGETS or route.target_id.startswith("vgw-"):
        return "egress"
    return "none"


def needed_endpoints(td: TaskDefinition | None, ec2_launch: bool) -> list[str]:
    needed = ["ecr.api", "ecr.dkr", "s3"]
    if td is None:
        return needed
    if any(c.log_driver == "awslogs" for c in td.containers):
        needed.append("logs")
    for source in sorted({s for c in td.containers for s in c.secret_sources}):
        needed.append(source)
    if ec2_launch:
        needed += ["ecs", "ecs-agent", "ecs-telemetry"]
    return needed


def _admits_443(
    inv: Inventory, endpoint: VpcEndpoint, subnet: Subnet, task_groups: tuple[str, ...]
) -> bool | None:
    """Whether the endpoint's groups admit tcp 443 from the given groups (the tasks', or on EC2 the
    instances'), their subnet's CIDR, or a prefix list (its entries are not collected: taken as
    admitting, so no false alarm); None when a group is unknown."""
    if not endpoint.security_group_ids:
        return None
    for gid in endpoint.security_group_ids:
        group = inv.security_groups.get(gid)
        if group is None:
            return None
        for rule in group.ingress:
            if not opens_tcp_port(rule, 443):
                continue
            if (rule.group_id and rule.group_id in task_groups) or admits_cidr(rule, subnet.cidr):
                return True
            if rule.prefix_list_id:
                return True
    return False


def missing_endpoints(
    inv: Inventory, groups: tuple[str, ...], subnet: Subnet, table: RouteTable, needed: list[str]
) -> list[str]:
    """The needed endpoints the VPC lacks, with why for those present but unusable."""
    prefix = f"com.amazonaws.{subnet.region}."
    endpoints = [
        e
        for e in inv.snapshot.vpc_endpoints
        if e.vpc_id == subnet.vpc_id and e.state.lower() in ("available", "pendingacceptance", "pending")
    ]
    missing = []
    for name in needed:
        candidates = [e for e in endpoints if e.service_name == prefix + name]
        if name == "s3":
            if any(
                e.endpoint_type == "Gateway" and table.route_table_id in e.route_table_ids for e in candidates
            ) or any(e.endpoint_type == "Interface" for e in candidates):
                continue
            missing.append("s3 (gateway endpoint on this route table)")
            continue
        interface = [e for e in candidates if e.endpoint_type == "Interface"]
        if not interface:
            missing.append(name)
        elif not any(e.private_dns_enabled is not False for e in interface):
            missing.append(f"{name} (private DNS off)")
        elif not any(_admits_443(inv, e, subnet, groups) is not False for e in interface):
            missing.append(
                f"{name} (its security groups do not admit tcp 443 from {', '.join(groups) or 'here'})"
            )
    return missing
