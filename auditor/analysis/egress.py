"""Egress of an awsvpc service's start-up traffic (image pulls, secrets, logs): the paths it leaves
through — the task's subnet on Fargate, the subnets of the instances that can take its tasks on
EC2 — and what a path lacks to get out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.analysis.inventory import Inventory
from auditor.analysis.ipv6 import Ipv6Egress, ipv6_only_egress
from auditor.analysis.placement import can_take_tasks, in_zones, runs_here
from auditor.analysis.routes import (
    default_route,
    is_ipv6_only,
    missing_endpoints,
    needed_endpoints,
    route_kind,
)
from auditor.model import Route, RouteTable, Service, Subnet, TaskDefinition

PRIVATE_ECR = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")


def foreign_images(td: TaskDefinition | None) -> list[str]:
    """Registries of the images outside the account's private ECR: they need the internet."""
    if td is None:
        return []
    return sorted(
        {
            c.image.split("/", 1)[0] if "/" in c.image else "docker.io"
            for c in td.containers
            if c.image and not PRIVATE_ECR.match(c.image)
        }
    )


@dataclass(frozen=True)
class Path:
    """Where a service's start-up traffic leaves: a subnet, with the groups of the interfaces it
    leaves through and whether they have public addresses."""

    kind: str  # task (Fargate: the task ENI) | instance (EC2: the instance's primary ENI)
    subnet: Subnet
    groups: tuple[str, ...]
    public: bool
    instances: tuple[str, ...] = ()

    @property
    def sub_key(self) -> str:
        return self.subnet.subnet_id if self.kind == "task" else f"instance:{self.subnet.subnet_id}"


@dataclass(frozen=True)
class Unseen:
    """A path whose subnet was not collected: an instance's (`instance_id`) or a task subnet."""

    subnet_id: str | None
    instance_id: str | None = None

    @property
    def sub_key(self) -> str:
        return self.subnet_id if self.subnet_id is not None else f"instance:{self.instance_id}"


def instance_paths(inv: Inventory, service: Service) -> Iterator[Path | Unseen]:
    """The subnets of the EC2 instances that can take the service's tasks (ACTIVE, agent connected,
    in the service's zones); an instance whose subnet was not collected is Unseen."""
    zones = inv.service_zones(service)
    hosts: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
    for ci in inv.instances_by_cluster.get(service.cluster_arn, []):
        if not can_take_tasks(ci) or not runs_here(ci, service):
            continue
        if not in_zones(inv.availability_zone_of(ci), zones):
            continue
        ec2 = inv.ec2_for(ci)
        if ec2 is None or ec2.subnet_id not in inv.subnets:
            yield Unseen(None, ci.ec2_instance_id)
            continue
        primary = inv.enis.get(ec2.primary_eni_id or "")
        public = bool(primary and primary.public_ip)
        hosts.setdefault(str(ec2.subnet_id), []).append((ec2.instance_id, ec2.security_group_ids, public))
    for subnet_id, found in sorted(hosts.items()):
        groups = tuple(dict.fromkeys(g for _, gs, _ in found for g in gs))
        public = all(p for _, _, p in found)
        yield Path("instance", inv.subnets[subnet_id], groups, public, tuple(sorted(i for i, _, _ in found)))


def task_paths(inv: Inventory, service: Service) -> Iterator[Path | Unseen]:
    """The service's own subnets with its security groups (Fargate)."""
    for subnet_id in service.subnets:
        subnet = inv.subnets.get(subnet_id)
        if subnet is None:
            yield Unseen(subnet_id)
            continue
        yield Path("task", subnet, service.security_groups, service.assign_public_ip == "ENABLED")


def egress_paths(inv: Inventory, service: Service) -> Iterator[Path | Unseen]:
    return task_paths(inv, service) if inv.is_fargate(service) else instance_paths(inv, service)


@dataclass(frozen=True)
class EgressGap:
    """What keeps a path from getting out: its default route and what it lacks."""

    route: Route | None
    route_kind: str
    missing: list[str]  # endpoints (IPv6-only: DNS64/NAT64 first) and internet needs
    ipv6: Ipv6Egress | None = None  # set for an IPv6-only subnet


def egress_gap(inv: Inventory, path: Path, table: RouteTable, td: TaskDefinition | None) -> EgressGap | None:
    """None when the path gets out: a route out (an internet gateway with public addresses), or VPC
    endpoints for every need. An IPv6-only subnet leaves over `::/0` only; IPv4-only endpoints
    (ECR's default names among them) need DNS64 on the subnet and a NAT64 route."""
    subnet = path.subnet
    needed = needed_endpoints(td, path.kind == "instance")
    if is_ipv6_only(subnet):
        egress = ipv6_only_egress(subnet, table)
        if not egress.missing:
            return None
        endpoints = missing_endpoints(inv, path.groups, subnet, table, needed)
        if not endpoints and not foreign_images(td):
            return None
        missing = [*egress.missing, *(f"VPC endpoint {e}" for e in endpoints)]
        return EgressGap(default_route(table, ipv6_only=True), egress.route_kind, missing, egress)
    route = default_route(table)
    kind = route_kind(route)
    if kind == "egress" or (kind == "internet-gateway" and path.public):
        return None
    missing = missing_endpoints(inv, path.groups, subnet, table, needed)
    foreign = foreign_images(td)
    if foreign:
        missing.append(f"internet access for images from {', '.join(foreign)}")
    return EgressGap(route, kind, missing) if missing else None
