"""The physical limit of an audit: the fewest API calls an account of a given size needs, and the
least time they can take within AWS's rate limits at a given per-call latency.

Calls follow from the APIs' page and batch sizes (ListX 100 a page, DescribeServices 10 a call,
DescribeTasks/DescribeContainerInstances/DescribeClusters 100, EC2 describes 1000 a page,
DescribeInstanceTypes 100, ELBv2 400, Application Auto Scaling 50, DescribeCapacityProviders 100,
DescribeAutoScalingGroups 50 names) and from what the audit must read (each referenced task
definition and instance profile once, the trunking setting for the caller and each
container-instance role, each VPC Lattice target group once, two DNS attributes per VPC in use).
The buckets are those of `auditor/collect/ratelimits.py`.
Time is bounded below by each rate-limit bucket (burst
B, refill R tokens/s: N calls need at least max(0, N − B) / R seconds; buckets are per account and
region, so regions run side by side) and by the chain of calls that depend on each other (list the
clusters, describe them, list their tasks, describe the tasks, then their task definitions), each
costing one round trip.

    python benchmarks/lower_bound.py --regions 2 --clusters 20 --services 400 --tasks 8000 \\
        --instances 600 --task-definitions 400 --enis 9000 --latency-ms 75
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from dataclasses import dataclass, field

from auditor.collect.ratelimits import bucket_of, limits
from auditor.collect.specs import BY_FIELD, REGION_WIDE

DEPENDENCY_CHAIN = (
    6  # sts → ListClusters → DescribeClusters → ListTasks → DescribeTasks → DescribeTaskDefinition
)


@dataclass(frozen=True)
class ClusterSize:
    instances: int = 0
    services: int = 0
    tasks: int = 0


@dataclass(frozen=True)
class RegionSize:
    clusters: tuple[ClusterSize, ...] = ()
    task_definitions: int = 0  # distinct, referenced by services and tasks
    instance_types: int = 0  # distinct, in use
    instance_profiles: int = 0  # distinct, of container instances
    roles: int = 0  # distinct roles behind those profiles
    network_interfaces: int = 0  # every ENI in the region
    subnets: int = 0
    vpcs: int = 0
    security_groups: int = 0
    route_tables: int = 0
    vpc_endpoints: int = 0
    target_groups: int = 0
    load_balancers: int = 0
    scalable_targets: int = 0
    quotas: int = 1
    capacity_providers: int = 0  # distinct, named by clusters, services or instances (not Fargate's)
    auto_scaling_groups: int = 0  # distinct, behind providers and container instances
    vpcs_in_use: int = 0  # VPCs of the subnets ECS uses: two DescribeVpcAttribute calls each
    lattice_target_groups: int = 0  # distinct, in services' vpcLatticeConfigurations


@dataclass(frozen=True)
class AccountSize:
    regions: tuple[RegionSize, ...] = field(default_factory=tuple)


def pages(items: int, size: int) -> int:
    """Calls to page through `items`: at least one, even when empty."""
    return max(1, math.ceil(items / size))


def batches(items: int, size: int) -> int:
    """Calls to describe `items` in batches: none when there is nothing to describe."""
    return math.ceil(items / size)


def _list_describe(field: str, items: int) -> dict[str, int]:
    """A list-then-describe collector of the table: its list API pages, its describe API batches."""
    spec = BY_FIELD[field]
    list_api, describe_api = spec.apis
    return {list_api: pages(items, spec.page), describe_api: batches(items, spec.batch)}


def region_calls(r: RegionSize) -> dict[str, int]:
    """The fewest calls per API for one region, as the collectors of `auditor/collect/specs.py`
    make them (their page and batch sizes)."""
    c: dict[str, int] = defaultdict(int)
    c.update(_list_describe("clusters", len(r.clusters)))
    for cl in r.clusters:
        for name, items in (
            ("container_instances", cl.instances),
            ("services", cl.services),
            ("tasks", cl.tasks),
        ):
            for api, n in _list_describe(name, items).items():
                c[api] += n
    c["ecs:DescribeTaskDefinition"] = r.task_definitions
    c["ecs:ListAccountSettings"] = 1 + r.roles
    instances = sum(cl.instances for cl in r.clusters)
    c["ec2:DescribeInstances"] = batches(instances, BY_FIELD["ec2_instances"].batch)
    c["ec2:DescribeInstanceTypes"] = batches(r.instance_types, BY_FIELD["instance_types"].batch)
    c["iam:GetInstanceProfile"] = r.instance_profiles
    for spec in REGION_WIDE:  # one paged inventory each (the quota: one call)
        (api,) = spec.apis
        c[api] = pages(getattr(r, spec.field), spec.page) if spec.page else 1
    if sum(cl.services for cl in r.clusters):
        spec = BY_FIELD["scalable_targets"]
        c[spec.apis[0]] = pages(r.scalable_targets, spec.page)
    c["vpc-lattice:GetTargetGroup"] = r.lattice_target_groups
    c["ec2:DescribeVpcAttribute"] = 2 * r.vpcs_in_use  # enableDnsSupport and enableDnsHostnames
    for name, items in (
        ("capacity_providers", r.capacity_providers),
        ("auto_scaling_groups", r.auto_scaling_groups),
    ):
        spec = BY_FIELD[name]
        c[spec.apis[0]] = batches(items, spec.batch)
    return {api: n for api, n in c.items() if n}


def region_min_seconds(calls: dict[str, int], latency_s: float) -> float:
    """At least the dependency chain's round trips, and at least what each bucket lets through."""
    per_bucket: dict[str, int] = defaultdict(int)
    for api, n in calls.items():
        per_bucket[bucket_of(api)] += n  # ECS: shared per category; EC2: each action its own
    worst = 0.0
    for bucket, n in per_bucket.items():
        burst, refill = limits(bucket)
        worst = max(worst, max(0.0, (n - burst) / refill) + latency_s)
    return max(DEPENDENCY_CHAIN * latency_s, worst)


def account_bound(size: AccountSize, latency_s: float) -> tuple[dict[str, int], float]:
    """(calls per API over all regions, least wall time); regions have their own buckets."""
    total: dict[str, int] = defaultdict(int)
    seconds = 0.0
    for r in size.regions:
        calls = region_calls(r)
        for api, n in calls.items():
            total[api] += n
        seconds = max(seconds, region_min_seconds(calls, latency_s))
    return dict(total), seconds + latency_s  # + sts:GetCallerIdentity before any region starts


def uniform(
    regions: int,
    clusters: int,
    services: int,
    tasks: int,
    instances: int,
    task_definitions: int,
    enis: int,
    security_groups: int = 200,
    target_groups: int = 100,
    instance_types: int = 4,
) -> AccountSize:
    """Totals spread evenly over regions and clusters (remainders to the first ones)."""

    def share(total: int, parts: int, i: int) -> int:
        return total // parts + (1 if i < total % parts else 0)

    region_sizes = []
    for ri in range(regions):
        n_clusters = share(clusters, regions, ri)
        cl = tuple(
            ClusterSize(
                instances=share(share(instances, regions, ri), n_clusters, ci),
                services=share(share(services, regions, ri), n_clusters, ci),
                tasks=share(share(tasks, regions, ri), n_clusters, ci),
            )
            for ci in range(n_clusters)
        )
        region_sizes.append(
            RegionSize(
                clusters=cl,
                task_definitions=share(task_definitions, regions, ri),
                instance_types=instance_types,
                instance_profiles=1,
                roles=1,
                network_interfaces=share(enis, regions, ri),
                subnets=20,
                vpcs=2,
                security_groups=share(security_groups, regions, ri),
                route_tables=10,
                vpc_endpoints=10,
                target_groups=share(target_groups, regions, ri),
                load_balancers=10,
                scalable_targets=share(services, regions, ri),
                vpcs_in_use=1,
            )
        )
    return AccountSize(regions=tuple(region_sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in (
        ("regions", 2),
        ("clusters", 20),
        ("services", 400),
        ("tasks", 8000),
        ("instances", 600),
        ("task-definitions", 400),
        ("enis", 9000),
    ):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--latency-ms", type=float, default=75.0)
    args = parser.parse_args()
    size = uniform(
        args.regions,
        args.clusters,
        args.services,
        args.tasks,
        args.instances,
        args.task_definitions,
        args.enis,
    )
    calls, seconds = account_bound(size, args.latency_ms / 1000)
    for api, n in sorted(calls.items()):
        print(f"{api:<50} {n:>6}")
    print(f"{'total calls':<50} {sum(calls.values()):>6}")
    label = f"least wall time at {args.latency_ms:.0f} ms per call"
    print(f"{label:<50} {seconds:>6.2f} s")


if __name__ == "__main__":
    main()
