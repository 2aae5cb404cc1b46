"""The analysis context: built once per run by `analyse`, read by every check and reporter.

It holds the indexes, the capacity tables, the one free-capacity pool, each service's peak and the
config, so that no check recomputes them and all agree on the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from auditor.analysis.capacity import (
    EniPool,
    InstanceCapacity,
    Peak,
    SubnetCapacity,
    ecs_subnet_ids,
    eni_pool,
    instance_capacity,
    service_peak,
    subnet_capacity,
)
from auditor.analysis.inventory import Inventory
from auditor.analysis.routes import Routes
from auditor.analysis.scale_out import scale_out_by_subnet
from auditor.analysis.zones import ZoneCapacity, zone_rows
from auditor.config import Config
from auditor.findings import Location
from auditor.model import (
    ContainerInstance,
    NetworkInterface,
    SecurityGroup,
    Service,
    Snapshot,
    Subnet,
    TaskDefinition,
)


@dataclass(frozen=True)
class AnalysisContext:
    """One run's shared view of a snapshot."""

    snapshot: Snapshot
    config: Config
    inventory: Inventory
    instances: tuple[InstanceCapacity, ...]
    subnets: tuple[SubnetCapacity, ...]
    ecs_subnet_ids: frozenset[str]  # subnets that an ECS task, instance or awsvpc service uses
    pool: EniPool
    peaks: dict[str, Peak]  # by service ARN
    routes: Routes
    zones: tuple[ZoneCapacity, ...] = ()  # free awsvpc slots per cluster and Availability Zone

    @classmethod
    def build(cls, snapshot: Snapshot, config: Config) -> AnalysisContext:
        inv = Inventory(snapshot)
        peaks = {s.arn: service_peak(inv, s) for s in snapshot.services}
        instances = instance_capacity(inv)
        used = ecs_subnet_ids(inv)
        scale_out = scale_out_by_subnet(inv, instances, peaks)
        return cls(
            snapshot=snapshot,
            config=config,
            inventory=inv,
            instances=tuple(instances),
            subnets=tuple(subnet_capacity(inv, used, peaks, scale_out)),
            ecs_subnet_ids=frozenset(used),
            pool=eni_pool(inv, instances),
            peaks=peaks,
            routes=Routes(snapshot),
            zones=tuple(zone_rows(inv, instances)),
        )

    @cached_property
    def subnet_rows(self) -> dict[str, SubnetCapacity]:
        return {r.subnet_id: r for r in self.subnets}

    @cached_property
    def instance_rows(self) -> dict[str, InstanceCapacity]:
        """The capacity rows by container instance ARN."""
        return {r.container_instance_arn: r for r in self.instances}

    @cached_property
    def awsvpc_instances(self) -> tuple[InstanceCapacity, ...]:
        """The container-instance rows that get an ENI verdict: those running awsvpc tasks, or in a
        cluster that runs awsvpc tasks on EC2."""
        inv = self.inventory
        clusters = inv.clusters_with_awsvpc_ec2
        return tuple(
            row
            for row in self.instances
            if row.awsvpc_tasks or inv.container_instances[row.container_instance_arn].cluster_arn in clusters
        )

    def missing(self, account: str, region: str, *apis: str) -> list[str]:
        """The APIs among `apis` that were attempted in that region and did not succeed."""
        return self.inventory.missing(account, region, *apis)

    # ------------------------------------------------------------ where a finding stands

    def at_service(self, service: Service, sub_key: str = "") -> Location:
        cluster = self.inventory.cluster_name(service.cluster_arn)
        return Location(service.account, service.region, "service", service.arn, cluster, sub_key)

    def at_instance(self, row: InstanceCapacity) -> Location:
        """A container instance, by its EC2 id (its ARN when it has none)."""
        rid = row.instance_id or row.container_instance_arn
        return Location(row.account, row.region, "container-instance", rid, row.cluster)

    def at_container_instance(self, ci: ContainerInstance) -> Location:
        rid = ci.ec2_instance_id or ci.arn
        return Location(
            ci.account, ci.region, "container-instance", rid, self.inventory.cluster_name(ci.cluster_arn)
        )

    def at_task_definition(self, td: TaskDefinition, cluster_arns: list[str]) -> Location:
        """A task definition; its cluster named when exactly one cluster uses it."""
        cluster = self.inventory.cluster_name(cluster_arns[0]) if len(cluster_arns) == 1 else None
        return Location(td.account, td.region, "task-definition", td.arn, cluster)

    def at_group(self, group: SecurityGroup, cluster_names: list[str], sub_key: str = "") -> Location:
        cluster = cluster_names[0] if len(cluster_names) == 1 else None
        return Location(group.account, group.region, "security-group", group.group_id, cluster, sub_key)

    def at_subnet(self, subnet: Subnet | SubnetCapacity) -> Location:
        return Location(subnet.account, subnet.region, "subnet", subnet.subnet_id)

    def at_eni(self, eni: NetworkInterface) -> Location:
        return Location(eni.account, eni.region, "network-interface", eni.eni_id)

    @staticmethod
    def at_region(account: str, region: str, sub_key: str = "") -> Location:
        return Location(account, region, "region", region, None, sub_key)

    @staticmethod
    def at_uncollected(
        resource_type: str, resource_id: str, account: str, region: str, cluster: str | None = None
    ) -> Location:
        """A resource the snapshot names but does not hold (a group or subnet not returned)."""
        return Location(account, region, resource_type, resource_id, cluster)
