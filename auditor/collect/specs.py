"""The collector table: for each Snapshot field, the APIs (= IAM actions) that fill it, the fields
it needs first, and the function that collects it.

Everything that depends on what is collected derives from this one table: the IAM policy
(`PERMISSIONS`), each check's declared needs (`needs(...)`), which APIs are recorded as skipped
when one fails (`dependents(...)`), the region-wide inventories the orchestrator asks for at once,
and the benchmark's lower-bound calculator (page and batch sizes). Importing it loads no boto3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.collect import autoscaling, ec2, ecs, elbv2, iam, lattice, quotas


@dataclass(frozen=True)
class CollectorSpec:
    """One Snapshot field and how it is collected."""

    field: str  # the Snapshot field it fills
    apis: tuple[str, ...]  # the API calls it makes, named as IAM actions
    depends: tuple[str, ...]  # fields whose records say what to ask for
    fn: Callable[..., Any]  # (Recorder, …inputs) → records
    scope: str  # "region": once per region, no input; "cluster": once per cluster; "derived": from records
    page: int = 0  # list page size (0: not paged by the audit)
    batch: int = 0  # describe batch size (0: one item per call, or not batched)


SPECS: tuple[CollectorSpec, ...] = (
    CollectorSpec(
        "clusters",
        ("ecs:ListClusters", "ecs:DescribeClusters"),
        (),
        ecs.collect_clusters,
        "derived",
        ecs.LIST_PAGE,
        ecs.DESCRIBE_BATCH["clusters"],
    ),
    CollectorSpec(
        "container_instances",
        ("ecs:ListContainerInstances", "ecs:DescribeContainerInstances"),
        ("clusters",),
        ecs.collect_container_instances,
        "cluster",
        ecs.LIST_PAGE,
        ecs.DESCRIBE_BATCH["containerInstances"],
    ),
    CollectorSpec(
        "services",
        ("ecs:ListServices", "ecs:DescribeServices"),
        ("clusters",),
        ecs.collect_services,
        "cluster",
        ecs.LIST_PAGE,
        ecs.DESCRIBE_BATCH["services"],
    ),
    CollectorSpec(
        "tasks",
        ("ecs:ListTasks", "ecs:DescribeTasks"),
        ("clusters",),
        ecs.collect_tasks,
        "cluster",
        ecs.LIST_PAGE,
        ecs.DESCRIBE_BATCH["tasks"],
    ),
    CollectorSpec(
        "task_definitions",
        ("ecs:DescribeTaskDefinition",),
        ("services", "tasks"),
        ecs.collect_task_definitions,
        "derived",
    ),
    CollectorSpec(
        "ec2_instances",
        ("ec2:DescribeInstances",),
        ("container_instances",),
        ec2.collect_instances,
        "derived",
        batch=ec2.INSTANCE_BATCH,
    ),
    CollectorSpec(
        "instance_types",
        ("ec2:DescribeInstanceTypes",),
        ("ec2_instances",),
        ec2.collect_instance_types,
        "derived",
        batch=ec2.INSTANCE_TYPE_BATCH,
    ),
    CollectorSpec(
        "instance_profiles",
        ("iam:GetInstanceProfile",),
        ("ec2_instances",),
        iam.collect_instance_profiles,
        "derived",
    ),
    # The caller's own setting is asked for even with no role, so it needs nothing to start.
    CollectorSpec(
        "account_settings", ("ecs:ListAccountSettings",), (), ecs.collect_account_settings, "derived"
    ),
    CollectorSpec(
        "scalable_targets",
        ("application-autoscaling:DescribeScalableTargets",),
        ("services",),
        autoscaling.collect_scalable_targets,
        "derived",
        autoscaling.PAGE,
    ),
    CollectorSpec(
        "network_interfaces",
        ("ec2:DescribeNetworkInterfaces",),
        (),
        ec2.collect_network_interfaces,
        "region",
        ec2.PAGE_SIZE,
    ),
    CollectorSpec("subnets", ("ec2:DescribeSubnets",), (), ec2.collect_subnets, "region", ec2.PAGE_SIZE),
    CollectorSpec("vpcs", ("ec2:DescribeVpcs",), (), ec2.collect_vpcs, "region", ec2.PAGE_SIZE),
    CollectorSpec(
        "security_groups",
        ("ec2:DescribeSecurityGroups",),
        (),
        ec2.collect_security_groups,
        "region",
        ec2.PAGE_SIZE,
    ),
    CollectorSpec(
        "route_tables", ("ec2:DescribeRouteTables",), (), ec2.collect_route_tables, "region", ec2.PAGE_SIZE
    ),
    CollectorSpec(
        "vpc_endpoints", ("ec2:DescribeVpcEndpoints",), (), ec2.collect_vpc_endpoints, "region", ec2.PAGE_SIZE
    ),
    CollectorSpec(
        "target_groups",
        ("elasticloadbalancing:DescribeTargetGroups",),
        (),
        elbv2.collect_target_groups,
        "region",
        elbv2.PAGE,
    ),
    CollectorSpec(
        "load_balancers",
        ("elasticloadbalancing:DescribeLoadBalancers",),
        (),
        elbv2.collect_load_balancers,
        "region",
        elbv2.PAGE,
    ),
    CollectorSpec("quotas", ("servicequotas:GetServiceQuota",), (), quotas.collect_eni_quota, "region"),
    # What decides capacity beyond the instances (2025–2026): the providers clusters, services and
    # instances name (ECS Managed Instances' network), the Auto Scaling groups behind providers and
    # instances, the VPC Lattice target groups of services, and the DNS attributes of the VPCs in use.
    CollectorSpec(
        "capacity_providers",
        ("ecs:DescribeCapacityProviders",),
        ("clusters", "services", "container_instances"),
        ecs.collect_capacity_providers,
        "derived",
        batch=ecs.DESCRIBE_BATCH["capacityProviders"],
    ),
    CollectorSpec(
        "auto_scaling_groups",
        ("autoscaling:DescribeAutoScalingGroups",),
        ("capacity_providers", "ec2_instances"),
        autoscaling.collect_auto_scaling_groups,
        "derived",
        batch=autoscaling.ASG_NAMES_PER_CALL,
    ),
    CollectorSpec(
        "lattice_target_groups",
        ("vpc-lattice:GetTargetGroup",),
        ("services",),
        lattice.collect_lattice_target_groups,
        "derived",
    ),
    CollectorSpec(
        "vpc_dns_attributes",  # not a field of its own: it fills the `vpcs` records' DNS attributes
        ("ec2:DescribeVpcAttribute",),
        ("vpcs", "subnets", "services", "tasks", "ec2_instances", "capacity_providers"),
        ec2.collect_vpc_dns_attributes,
        "derived",
    ),
)
BY_FIELD = {spec.field: spec for spec in SPECS}
ACCOUNT_APIS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")  # once per run, not per region
PERMISSIONS: tuple[str, ...] = tuple(sorted({a for s in SPECS for a in s.apis} | set(ACCOUNT_APIS)))
REGION_WIDE = tuple(s for s in SPECS if s.scope == "region")


def needs(*fields: str) -> tuple[str, ...]:
    """The APIs that fields rest on, their own and those of the fields they depend on, in table
    order: a check that reads these fields declares these needs."""
    wanted: set[str] = set()
    stack = list(fields)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(BY_FIELD[name].field)
            stack.extend(BY_FIELD[name].depends)
    return tuple(api for spec in SPECS if spec.field in wanted for api in spec.apis)


def dependents(field: str) -> tuple[str, ...]:
    """The APIs of every field that depends, directly or not, on `field`: what cannot be asked
    when `field` could not be collected."""
    found: list[str] = []
    frontier = [field]
    while frontier:
        name = frontier.pop()
        for spec in SPECS:
            if name in spec.depends and spec.field not in found:
                found.append(spec.field)
                frontier.append(spec.field)
    return tuple(api for spec in SPECS if spec.field in found for api in spec.apis)
