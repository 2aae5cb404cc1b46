"""How many copies of a static-host-port service fit: now, while it deploys, and when it scales out.

A static host port (host mode, or a non-zero bridge `hostPort`) lets one copy of the task run per
container instance, so the instances that can take the task bound three figures: the desired count
(now), a deployment's peak, and Application Auto Scaling's MaxCapacity (the scale-out, which fails
exactly when the service needs the tasks). For the scale-out, instances a capacity provider can
still add count too (`growth.py`: ECS managed scaling counts host ports when it sizes an Auto
Scaling group for tasks it cannot place). A figure that rests on data not collected is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.analysis.capacity import Peak, peak_tasks
from auditor.analysis.growth import GROWTH_MANAGED_INSTANCES, Growth, capacity_growth
from auditor.analysis.inventory import Inventory
from auditor.analysis.placement import kept_while_deploying, minimum_healthy_percent
from auditor.model import Service


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
