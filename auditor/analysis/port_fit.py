"""How many copies of a static-host-port service fit: now, while it deploys, and when it scales out.

A static host port (host mode, or a non-zero bridge `hostPort`) lets one copy of the task run per
container instance, so the instances that can take the task bound three figures: the desired count
(now), a deployment's peak, and Application Auto Scaling's MaxCapacity (the scale-out, which fails
exactly when the service needs the tasks). For the scale-out, instances a capacity provider can
still add count too: ECS managed scaling counts host ports when it sizes an Auto Scaling group for
tasks it cannot place, up to the group's MaxSize; an ECS Managed Instances provider launches what
is needed and has no maximum to read. A figure that rests on data not collected is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.analysis.capacity import Peak, peak_tasks
from auditor.analysis.inventory import FARGATE_PROVIDERS, Inventory
from auditor.analysis.placement import (
    can_take_tasks,
    eligible_instances,
    kept_while_deploying,
    minimum_healthy_percent,
    service_constraints,
)
from auditor.model import AutoScalingGroup, CapacityProvider, ContainerInstance, PlacementConstraint, Service

GROWTH_NONE = "none"  # no capacity provider adds instances for tasks ECS cannot place
GROWTH_GROUP = "auto-scaling-group"  # managed scaling, up to the groups' MaxSize
GROWTH_MANAGED_INSTANCES = "managed-instances"  # ECS Managed Instances: no maximum to read
GROWTH_UNKNOWN = "unknown"


@dataclass(frozen=True)
class Growth:
    """Container instances the service's capacity providers can still add for its pending tasks."""

    kind: str  # none | auto-scaling-group | managed-instances | unknown
    instances: int | None  # None: unknown, or no maximum (managed-instances)
    missing: tuple[str, ...] = ()  # what an unknown rests on


@dataclass(frozen=True)
class PortFit:
    """A static-host-port service's counts against the instances that can hold one copy each."""

    eligible: int  # instances that can take a copy now
    desired: int
    deployment_peak: int  # a deployment's peak from the desired count
    max_capacity: int | None  # Application Auto Scaling MaxCapacity; None: no target, or not collected
    autoscaling_known: bool  # DescribeScalableTargets answered in the service's region
    base: int  # max(desired, MaxCapacity)
    peak: int  # the contract's peak, from `base`
    growth: Growth
    maximum_percent: int  # ECS's default 200 when AWS did not return it
    minimum_healthy_percent: int
    kept_while_deploying: int  # tasks a deployment must keep running

    @property
    def deployment_deadlock(self) -> bool:
        """A deployment cannot start a new task at all: every instance keeps an old one."""
        return self.eligible <= self.kept_while_deploying

    def detail(self) -> dict[str, Any]:
        """The finding's figures (docs/OUTPUT.md, `static-port-conflict`)."""
        return {
            "desired_count": self.desired,
            "peak_tasks": self.peak,
            "eligible_instances": self.eligible,
            "maximum_percent": self.maximum_percent,
            "minimum_healthy_percent": self.minimum_healthy_percent,
            "deployment_peak_tasks": self.deployment_peak,
            "deployment_deadlock": self.deployment_deadlock,
            "max_capacity": self.max_capacity,
            "autoscaling_known": self.autoscaling_known,
            "capacity_growth": self.growth.kind,
            "instances_can_add": self.growth.instances,
            "instances_at_scale_out": self.hosts_at_scale_out,
            "scale_out_shortfall": self.scale_out_shortfall,
        }

    @property
    def hosts_at_scale_out(self) -> int | None:
        """Instances that can hold a copy once the capacity providers have grown as far as they can;
        None when unknown or without a maximum."""
        return None if self.growth.instances is None else self.eligible + self.growth.instances

    @property
    def scale_out_shortfall(self) -> int | None:
        """Copies of MaxCapacity that no instance can hold: 0 when the scale-out fits, None when
        that cannot be told (scalable targets or the capacity providers' groups not collected)."""
        if self.growth.kind == GROWTH_MANAGED_INSTANCES:
            return 0
        if self.max_capacity is None:
            return 0 if self.autoscaling_known else None
        if self.max_capacity <= self.eligible:
            return 0
        hosts = self.hosts_at_scale_out
        return None if hosts is None else max(0, self.max_capacity - hosts)

    @property
    def scaled_out_deployment_stalls(self) -> bool:
        """Whether a deployment while scaled out to MaxCapacity needs more instances than there can
        be (the scale-out itself fitting)."""
        hosts = self.hosts_at_scale_out
        return (
            self.max_capacity is not None
            and self.max_capacity > self.desired
            and self.scale_out_shortfall == 0
            and hosts is not None
            and self.peak > hosts
        )

    @property
    def missing(self) -> list[str]:
        """What an unknown scale-out verdict rests on."""
        if self.scale_out_shortfall is not None:
            return []
        if not self.autoscaling_known:
            return ["application-autoscaling:DescribeScalableTargets"]
        return list(self.growth.missing)


def _group_members(
    inv: Inventory, service: Service, provider: CapacityProvider, group: AutoScalingGroup
) -> list[ContainerInstance]:
    """The cluster's instances that can take a task and came from the provider's group."""
    members = []
    for ci in inv.instances_by_cluster.get(service.cluster_arn, []):
        ec2 = inv.ec2_for(ci)
        from_group = ec2 is not None and ec2.auto_scaling_group == group.name
        if can_take_tasks(ci) and (ci.capacity_provider == provider.name or from_group):
            members.append(ci)
    return members


def _new_instances_match(
    members: list[ContainerInstance], constraints: tuple[PlacementConstraint, ...]
) -> bool:
    """New instances of a group are taken to match `memberOf` constraints when all its current
    ones do (they come from the same launch template); with none to look at, that is unknown."""
    matching = eligible_instances(members, constraints)
    return bool(members) and matching is not None and len(matching) == len(members)


def capacity_growth(inv: Inventory, service: Service) -> Growth:
    """What the service's capacity provider strategy can still add. A provider without managed
    scaling adds nothing for pending tasks; a provider, group or constraint match not collected
    makes the growth unknown."""
    constraints = tuple(c for c in service_constraints(inv, service) if c.type == "memberOf")
    kinds: set[str] = set()
    room = 0
    missing: list[str] = []
    for name in service.capacity_providers:
        if name in FARGATE_PROVIDERS:
            continue
        provider = inv.capacity_providers.get((service.account, service.region, name))
        if provider is None:
            missing += inv.missing(service.account, service.region, "ecs:DescribeCapacityProviders") or [
                f"capacity provider {name} (not returned)"
            ]
            continue
        if provider.type == "MANAGED_INSTANCES":
            kinds.add(GROWTH_MANAGED_INSTANCES)
            continue
        group_name = provider.auto_scaling_group_name
        if provider.managed_scaling != "ENABLED" or not group_name:
            continue  # the group does not grow for tasks ECS cannot place
        group = inv.auto_scaling_groups.get((service.account, service.region, group_name))
        if group is None:
            missing += inv.missing(
                service.account, service.region, "autoscaling:DescribeAutoScalingGroups"
            ) or [f"Auto Scaling group {group_name} (not returned)"]
            continue
        if constraints and not _new_instances_match(
            _group_members(inv, service, provider, group), constraints
        ):
            missing.append(f"whether new instances of {group_name} match the service's memberOf constraints")
            continue
        kinds.add(GROWTH_GROUP)
        room += max(0, group.max_size - group.desired_capacity)
    if missing:
        return Growth(GROWTH_UNKNOWN, None, tuple(missing))
    if GROWTH_MANAGED_INSTANCES in kinds:
        return Growth(GROWTH_MANAGED_INSTANCES, None)
    if GROWTH_GROUP in kinds:
        return Growth(GROWTH_GROUP, room)
    return Growth(GROWTH_NONE, 0)


def port_fit(inv: Inventory, service: Service, eligible: int, peak: Peak) -> PortFit:
    """The service's counts against `eligible` instances; `peak` is its contract peak (from
    `max(desired, MaxCapacity)`); a deployment today peaks by the same rule from the desired count."""
    target = inv.scalable_targets.get((service.account, service.region, scaling_resource_id(inv, service)))
    return PortFit(
        eligible=eligible,
        desired=service.desired_count,
        deployment_peak=peak_tasks(service.desired_count, service),
        max_capacity=target.max_capacity if target else None,
        autoscaling_known=peak.autoscaling_known,
        base=peak.base,
        peak=peak.tasks,
        growth=capacity_growth(inv, service),
        maximum_percent=peak.maximum_percent,
        minimum_healthy_percent=minimum_healthy_percent(service),
        kept_while_deploying=kept_while_deploying(service),
    )


def scaling_resource_id(inv: Inventory, service: Service) -> str:
    """The service's Application Auto Scaling resource id."""
    return f"service/{inv.cluster_name(service.cluster_arn)}/{service.name}"


def cap_scaling_command(inv: Inventory, service: Service, max_capacity: int | None) -> str:
    """The AWS CLI command that lowers the service's auto-scaling MaxCapacity."""
    resource = scaling_resource_id(inv, service)
    return (
        "aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension "
        f"ecs:service:DesiredCount --resource-id {resource} --max-capacity {max_capacity}"
    )
