"""Lookups over a Snapshot that several checks share, built once per snapshot.

Nothing here calls AWS: it indexes what was collected and answers "was this collected?", so a
check can say "unknown" instead of passing a resource it never saw.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from auditor.analysis.instance_facts import trunking_facts
from auditor.model import (
    AutoScalingGroup,
    CapacityProvider,
    ContainerInstance,
    Ec2Instance,
    NetworkInterface,
    ScalableTarget,
    SecurityGroup,
    Service,
    Snapshot,
    Subnet,
    Task,
    TaskDefinition,
)

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


class Inventory:
    """Indexes of one snapshot, built once per run by the analysis context."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        s = snapshot
        self.clusters = {c.arn: c for c in s.clusters}
        self.task_definitions: dict[str, TaskDefinition] = {td.arn: td for td in s.task_definitions}
        self.container_instances: dict[str, ContainerInstance] = {ci.arn: ci for ci in s.container_instances}
        self.ec2_instances: dict[str, Ec2Instance] = {i.instance_id: i for i in s.ec2_instances}
        self.instance_types = {(t.region, t.instance_type): t for t in s.instance_types}
        self.enis: dict[str, NetworkInterface] = {e.eni_id: e for e in s.network_interfaces}
        # a subnet shared between accounts (VPC sharing) is in each one's records: one subnet, named
        # by the lowest account id, as a many-account run's join of the accounts does (combine.py)
        self.subnets: dict[str, Subnet] = {
            sn.subnet_id: sn for sn in sorted(s.subnets, key=lambda sn: sn.account, reverse=True)
        }
        self.vpcs = {v.vpc_id: v for v in s.vpcs}
        self.security_groups: dict[str, SecurityGroup] = {g.group_id: g for g in s.security_groups}
        self.profiles = {p.arn: p for p in s.instance_profiles}
        self.target_groups = {t.arn: t for t in s.target_groups}
        self.lattice_target_groups = {t.arn: t for t in s.lattice_target_groups}
        self.load_balancers = {lb.arn: lb for lb in s.load_balancers}
        self.scalable_targets: dict[tuple[str, str, str], ScalableTarget] = {
            (t.account, t.region, t.resource_id): t for t in s.scalable_targets
        }
        self.capacity_providers: dict[tuple[str, str, str], CapacityProvider] = {
            (p.account, p.region, p.name): p for p in s.capacity_providers
        }
        self.auto_scaling_groups: dict[tuple[str, str, str], AutoScalingGroup] = {
            (g.account, g.region, g.name): g for g in s.auto_scaling_groups
        }
        self._coverage = {(c.account, c.region, c.api): c for c in s.coverage}

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
    def instances_by_cluster(self) -> dict[str, list[ContainerInstance]]:
        index: dict[str, list[ContainerInstance]] = defaultdict(list)
        for ci in self.snapshot.container_instances:
            index[ci.cluster_arn].append(ci)
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

    def is_awsvpc_task(self, task: Task) -> bool:
        """A task with an ENI attachment, or whose task definition is in awsvpc mode."""
        return bool(task.eni_attachments) or self.network_mode(task.task_definition_arn) == "awsvpc"

    def task_definition_of(self, service: Service) -> TaskDefinition | None:
        return self.task_definitions.get(service.task_definition_arn or "")

    def service_tasks(self, service: Service) -> list[Task]:
        return self.tasks_by_group.get((service.cluster_arn, service.group), [])

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

    def service_network_mode(self, service: Service) -> str | None:
        """awsvpc when the service carries an awsvpcConfiguration, else its task definition's mode;
        None when neither says."""
        if service.subnets:
            return "awsvpc"
        return self.network_mode(service.task_definition_arn)

    def service_zones(self, service: Service) -> frozenset[str] | None:
        """Availability Zones of an awsvpc service's subnets (an ENI attaches only there); None
        when it has no subnets or one of them was not collected."""
        zones = set()
        for subnet_id in service.subnets:
            subnet = self.subnets.get(subnet_id)
            if subnet is None:
                return None
            zones.add(subnet.availability_zone)
        return frozenset(zones) if zones else None

    def is_awsvpc(self, service: Service) -> bool | None:
        """Whether the service's tasks take an ENI each; None when its mode is unknown."""
        mode = self.service_network_mode(service)
        return None if mode is None else mode == "awsvpc"

    def takes_instance_enis(self, service: Service) -> bool:
        """An ACTIVE awsvpc REPLICA service on EC2 container instances: each of its tasks takes one of
        an instance's ENI slots (DAEMON services are judged per instance)."""
        return (
            self.is_awsvpc(service) is True
            and not self.is_fargate(service)
            and service.launch_type != "EXTERNAL"
            and service.scheduling_strategy != "DAEMON"
            and service.status == "ACTIVE"
        )

    @cached_property
    def clusters_with_awsvpc_ec2(self) -> frozenset[str]:
        """Clusters that run (or have services for) awsvpc tasks on EC2 container instances."""
        arns = {
            t.cluster_arn
            for t in self.snapshot.tasks
            if t.container_instance_arn and t.launch_type != "FARGATE" and self.is_awsvpc_task(t)
        }
        arns |= {
            s.cluster_arn for s in self.snapshot.services if self.is_awsvpc(s) and not self.is_fargate(s)
        }
        return frozenset(arns)

    # ------------------------------------------------------------ instances

    def ec2_for(self, ci: ContainerInstance) -> Ec2Instance | None:
        return self.ec2_instances.get(ci.ec2_instance_id or "")

    def instance_type_of(self, ci: ContainerInstance) -> str | None:
        """From EC2, else the ECS `ecs.instance-type` attribute."""
        ec2 = self.ec2_for(ci)
        return ec2.instance_type if ec2 else ci.attribute("ecs.instance-type")

    def availability_zone_of(self, ci: ContainerInstance) -> str | None:
        """From the ECS `ecs.availability-zone` attribute, else the instance's subnet."""
        zone = ci.attribute("ecs.availability-zone")
        if zone:
            return zone
        ec2 = self.ec2_for(ci)
        subnet = self.subnets.get(ec2.subnet_id or "") if ec2 else None
        return subnet.availability_zone if subnet else None

    @cached_property
    def enis_by_instance(self) -> dict[str, list[NetworkInterface]]:
        index: dict[str, list[NetworkInterface]] = defaultdict(list)
        for e in self.snapshot.network_interfaces:
            if e.attached_instance_id:
                index[e.attached_instance_id].append(e)
        return index

    def managed_instances_provider(self, ci: ContainerInstance) -> CapacityProvider | None:
        """The ECS Managed Instances capacity provider that launched the instance, if one did."""
        provider = self.capacity_providers.get((ci.account, ci.region, ci.capacity_provider or ""))
        return provider if provider is not None and provider.type == "MANAGED_INSTANCES" else None

    def has_trunk(self, ci: ContainerInstance) -> bool:
        """A trunk ENI: the `ecs.awsvpc-trunk-id` attribute, or an attached ENI of type trunk. ECS
        Managed Instances launches every instance of a type that supports trunking with a trunk (as
        its primary ENI), whatever the account setting: trunking as ECS runs them."""
        if ci.attribute("ecs.awsvpc-trunk-id"):
            return True
        if self.managed_instances_provider(ci) is not None:
            facts = trunking_facts(self.instance_type_of(ci) or "")
            return bool(facts and facts.trunking_supported)
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

    def load_balancer_groups_of(self, service: Service) -> list[str]:
        """The security groups of the load balancers in front of the service's target groups."""
        groups: list[str] = []
        for lb in service.load_balancers:
            tg = self.target_groups.get(lb.target_group_arn or "")
            for lb_arn in tg.load_balancer_arns if tg else ():
                balancer = self.load_balancers.get(lb_arn)
                groups.extend(g for g in (balancer.security_group_ids if balancer else ()) if g not in groups)
        return groups
