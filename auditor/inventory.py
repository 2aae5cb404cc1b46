"""Lookups over a Snapshot that several checks share, built once per snapshot.

Nothing here calls AWS: it indexes what was collected and answers "was this collected?", so a
check can say "unknown" instead of passing a resource it never saw.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from auditor.model import (
    ContainerInstance,
    Ec2Instance,
    NetworkInterface,
    RouteTable,
    ScalableTarget,
    SecurityGroup,
    Service,
    Snapshot,
    Subnet,
    Task,
    TaskDefinition,
)

DEFAULT_MAXIMUM_PERCENT = 200  # ECS's default for REPLICA services with the ECS deployment controller
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


@dataclass(frozen=True)
class HostPort:
    """A host port a task definition binds statically: one copy per instance per port."""

    container: str
    port: int
    protocol: str


def static_host_ports(td: TaskDefinition) -> list[HostPort]:
    """host mode: every container port; bridge: every non-zero hostPort. awsvpc/none: none."""
    ports = []
    for c in td.containers:
        for pm in c.port_mappings:
            if td.network_mode == "host":
                port = pm.host_port or pm.container_port
            elif td.network_mode == "bridge":
                port = pm.host_port
            else:
                port = None
            if port:
                ports.append(HostPort(container=c.name, port=port, protocol=pm.protocol or "tcp"))
    return ports


@dataclass(frozen=True)
class Peak:
    """A service's task count at its peak, and what that figure rests on."""

    tasks: int
    base: int  # max(desired, auto-scaling max)
    maximum_percent: int
    maximum_percent_known: bool
    autoscaling_known: bool


class Inventory:
    """Indexes of one snapshot. Build with `Inventory.of(snapshot)` (cached for the last few)."""

    _cache: list[tuple[Snapshot, Inventory]] = []

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        s = snapshot
        self.clusters = {c.arn: c for c in s.clusters}
        self.task_definitions: dict[str, TaskDefinition] = {td.arn: td for td in s.task_definitions}
        self.container_instances: dict[str, ContainerInstance] = {ci.arn: ci for ci in s.container_instances}
        self.ec2_instances: dict[str, Ec2Instance] = {i.instance_id: i for i in s.ec2_instances}
        self.instance_types = {(t.region, t.instance_type): t for t in s.instance_types}
        self.enis: dict[str, NetworkInterface] = {e.eni_id: e for e in s.network_interfaces}
        self.subnets: dict[str, Subnet] = {sn.subnet_id: sn for sn in s.subnets}
        self.vpcs = {v.vpc_id: v for v in s.vpcs}
        self.security_groups: dict[str, SecurityGroup] = {g.group_id: g for g in s.security_groups}
        self.profiles = {p.arn: p for p in s.instance_profiles}
        self.target_groups = {t.arn: t for t in s.target_groups}
        self.load_balancers = {lb.arn: lb for lb in s.load_balancers}
        self.scalable_targets: dict[tuple[str, str, str], ScalableTarget] = {
            (t.account, t.region, t.resource_id): t for t in s.scalable_targets
        }
        self._coverage = {(c.account, c.region, c.api): c for c in s.coverage}

    @classmethod
    def of(cls, snapshot: Snapshot) -> Inventory:
        for cached_snapshot, inventory in cls._cache:
            if cached_snapshot is snapshot:
                return inventory
        inventory = cls(snapshot)
        cls._cache[:] = [*cls._cache[-3:], (snapshot, inventory)]
        return inventory

    # ------------------------------------------------------------ coverage

    def missing(self, account: str, region: str, *apis: str) -> list[str]:
        """The APIs among `apis` that were attempted in that region and did not succeed."""
        out = []
        for api in apis:
            row = self._coverage.get((account, region, api))
            if row is not None and row.status != "ok":
                out.append(api)
        return out

    # ------------------------------------------------------------ tasks

    @cached_property
    def tasks_by_instance(self) -> dict[str, list[Task]]:
        index: dict[str, list[Task]] = defaultdict(list)
        for t in self.snapshot.tasks:
            if t.container_instance_arn:
                index[t.container_instance_arn].append(t)
        return index

    @cached_property
    def tasks_by_group(self) -> dict[tuple[str, str], list[Task]]:
        index: dict[tuple[str, str], list[Task]] = defaultdict(list)
        for t in self.snapshot.tasks:
            if t.group:
                index[(t.cluster_arn, t.group)].append(t)
        return index

    @cached_property
    def task_eni_ids(self) -> frozenset[str]:
        return frozenset(e for t in self.snapshot.tasks for e in t.eni_ids)

    def network_mode(self, task_definition_arn: str | None) -> str | None:
        """The task definition's network mode, or None when it was not collected."""
        td = self.task_definitions.get(task_definition_arn or "")
        return td.network_mode if td else None

    def task_definition_of(self, service: Service) -> TaskDefinition | None:
        return self.task_definitions.get(service.task_definition_arn or "")

    @cached_property
    def services_by_task_definition(self) -> dict[str, list[Service]]:
        index: dict[str, list[Service]] = defaultdict(list)
        for s in self.snapshot.services:
            if s.task_definition_arn:
                index[s.task_definition_arn].append(s)
        return index

    def service_tasks(self, service: Service) -> list[Task]:
        return self.tasks_by_group.get((service.cluster_arn, service.group), [])

    def at_service(self, check: str, service: Service, sub_key: str = "") -> dict[str, Any]:
        """Where a finding about a service stands: the Finding fields that locate it."""
        return {
            "check": check,
            "account": service.account,
            "region": service.region,
            "resource_type": "service",
            "resource_id": service.arn,
            "cluster": self.cluster_name(service.cluster_arn),
            "sub_key": sub_key,
        }

    def cluster_name(self, cluster_arn: str) -> str:
        cluster = self.clusters.get(cluster_arn)
        return cluster.name if cluster else cluster_arn.rsplit("/", 1)[-1]

    # ------------------------------------------------------------ services

    @staticmethod
    def is_fargate(service: Service) -> bool:
        if service.launch_type:
            return service.launch_type == "FARGATE"
        return bool(service.capacity_providers) and all(
            p in FARGATE_PROVIDERS for p in service.capacity_providers
        )

    def is_awsvpc(self, service: Service) -> bool | None:
        """awsvpc services carry an awsvpcConfiguration; else ask the task definition."""
        if service.subnets:
            return True
        mode = self.network_mode(service.task_definition_arn)
        return None if mode is None else mode == "awsvpc"

    def peak(self, service: Service) -> Peak:
        """`ceil(max(desired, auto-scaling max) × maximumPercent / 100)` (CONTRACT.md)."""
        target = self.scalable_targets.get(
            (
                service.account,
                service.region,
                f"service/{self.cluster_name(service.cluster_arn)}/{service.name}",
            )
        )
        base = max(service.desired_count, target.max_capacity if target else 0)
        percent = service.maximum_percent if service.maximum_percent is not None else DEFAULT_MAXIMUM_PERCENT
        autoscaling_known = not self.missing(
            service.account, service.region, "application-autoscaling:DescribeScalableTargets"
        )
        return Peak(
            tasks=math.ceil(base * percent / 100),
            base=base,
            maximum_percent=percent,
            maximum_percent_known=service.maximum_percent is not None,
            autoscaling_known=autoscaling_known,
        )

    @cached_property
    def clusters_with_awsvpc_ec2(self) -> frozenset[str]:
        """Clusters that run (or have services for) awsvpc tasks on EC2 container instances."""
        arns = {
            t.cluster_arn
            for t in self.snapshot.tasks
            if t.container_instance_arn
            and t.launch_type != "FARGATE"
            and (t.eni_attachments or self.network_mode(t.task_definition_arn) == "awsvpc")
        }
        arns |= {
            s.cluster_arn for s in self.snapshot.services if self.is_awsvpc(s) and not self.is_fargate(s)
        }
        return frozenset(arns)

    # ------------------------------------------------------------ network

    @cached_property
    def _route_tables(self) -> tuple[dict[str, RouteTable], dict[str, RouteTable]]:
        explicit = {sid: rt for rt in self.snapshot.route_tables for sid in rt.subnet_ids}
        main = {rt.vpc_id: rt for rt in self.snapshot.route_tables if rt.main}
        return explicit, main

    def route_table_for(self, subnet: Subnet) -> RouteTable | None:
        """The subnet's explicit association, else its VPC's main route table."""
        explicit, main = self._route_tables
        return explicit.get(subnet.subnet_id) or main.get(subnet.vpc_id)

    def admits_internet(self, group_ids: tuple[str, ...]) -> bool | None:
        """Whether any of the groups admits 0.0.0.0/0 or ::/0 inbound; None if a group is unknown."""
        seen = False
        for gid in group_ids:
            group = self.security_groups.get(gid)
            if group is None:
                return None
            seen = seen or any(r.cidr in ("0.0.0.0/0", "::/0") for r in group.ingress)
        return seen

    # ------------------------------------------------------------ instances

    def ec2_for(self, ci: ContainerInstance) -> Ec2Instance | None:
        return self.ec2_instances.get(ci.ec2_instance_id or "")

    def instance_type_of(self, ci: ContainerInstance) -> str | None:
        """From EC2, else the ECS `ecs.instance-type` attribute."""
        ec2 = self.ec2_for(ci)
        return ec2.instance_type if ec2 else ci.attribute("ecs.instance-type")

    @cached_property
    def enis_by_instance(self) -> dict[str, list[NetworkInterface]]:
        index: dict[str, list[NetworkInterface]] = defaultdict(list)
        for e in self.snapshot.network_interfaces:
            if e.attached_instance_id:
                index[e.attached_instance_id].append(e)
        return index

    def has_trunk(self, ci: ContainerInstance) -> bool:
        """A trunk ENI: the `ecs.awsvpc-trunk-id` attribute, or an attached ENI of type trunk."""
        if ci.attribute("ecs.awsvpc-trunk-id"):
            return True
        return any(
            e.interface_type == "trunk" for e in self.enis_by_instance.get(ci.ec2_instance_id or "", [])
        )

    def role_arns_of(self, ci: ContainerInstance) -> tuple[str, ...] | None:
        """The IAM roles of the instance's profile; None when that could not be resolved."""
        ec2 = self.ec2_for(ci)
        if ec2 is None or ec2.instance_profile_arn is None:
            return None
        profile = self.profiles.get(ec2.instance_profile_arn)
        return profile.role_arns if profile else None
