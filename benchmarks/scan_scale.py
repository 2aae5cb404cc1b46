"""A large synthetic account in moto_server, scanned with per-call latency injected at the client.

Reports, for our scan: calls made against the computed lower bound (`lower_bound.py`), wall time
against the least time for the same latency, peak memory, and the analysis time alone. Run:

    python benchmarks/scan_scale.py --clusters 20 --services 400 --tasks 8000 --instances 600 \\
        --regions 2 --latency-ms 75
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lower_bound as lb  # noqa: E402
from moto_process import MotoProcess  # noqa: E402

from auditor.collect import collect  # noqa: E402
from auditor.collect.session import Clients  # noqa: E402
from auditor.config import Config  # noqa: E402
from auditor.pipeline import analyse  # noqa: E402
from auditor.report import render_all  # noqa: E402

REGION_NAMES = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")


def build(
    url: str,
    regions: int,
    clusters: int,
    services: int,
    tasks: int,
    instances: int,
    extra_enis: int = 0,
    session: boto3.session.Session | None = None,
) -> lb.AccountSize:
    """Clusters with EC2 instances, awsvpc services and their tasks (each task an ENI), spread evenly;
    `extra_enis` unattached ENIs besides (leftovers, as real accounts have). Built with `session`'s
    credentials (another account's, for an organisation), the caller's when not given."""
    session = session or boto3.session.Session()
    sizes = []
    for ri in range(regions):
        region = REGION_NAMES[ri]
        ec2 = session.client("ec2", region_name=region, endpoint_url=url)
        ecs = session.client("ecs", region_name=region, endpoint_url=url)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n * 16}.0/20")["Subnet"]["SubnetId"]
            for n in range(4)
        ]
        group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
        n_clusters = clusters // regions
        cluster_sizes = []
        for ci in range(n_clusters):
            name = f"c{ci:02d}"
            ecs.create_cluster(clusterName=name)
            n_inst = instances // regions // n_clusters
            for _ in range(n_inst):
                iid = ec2.run_instances(
                    ImageId="ami-12345678",
                    MinCount=1,
                    MaxCount=1,
                    InstanceType="c5.xlarge",
                    SubnetId=subnets[0],
                )["Instances"][0]["InstanceId"]
                ecs.register_container_instance(
                    cluster=name, instanceIdentityDocument=json.dumps({"instanceId": iid})
                )
            n_svc = services // regions // n_clusters
            n_tasks = tasks // regions // n_clusters
            td = ecs.register_task_definition(
                family=f"{name}-app",
                networkMode="awsvpc",
                containerDefinitions=[{"name": "app", "image": "x", "memory": 64}],
            )["taskDefinition"]["taskDefinitionArn"]
            net = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}}
            for si in range(n_svc):
                ecs.create_service(
                    cluster=name,
                    serviceName=f"s{si}",
                    taskDefinition=td,
                    desiredCount=1,
                    launchType="FARGATE",
                    networkConfiguration=net,
                )
            remaining = n_tasks
            while remaining:
                count = min(10, remaining)
                ecs.run_task(
                    cluster=name,
                    taskDefinition=td,
                    launchType="FARGATE",
                    count=count,
                    networkConfiguration=net,
                )
                remaining -= count
            cluster_sizes.append(lb.ClusterSize(instances=n_inst, services=n_svc, tasks=n_tasks))
        for _ in range(extra_enis // regions):
            ec2.create_network_interface(SubnetId=subnets[1], Description="leftover")
        enis = sum(
            len(page["NetworkInterfaces"])
            for page in ec2.get_paginator("describe_network_interfaces").paginate(
                PaginationConfig={"PageSize": 1000}
            )
        )
        sizes.append(
            lb.RegionSize(
                clusters=tuple(cluster_sizes),
                task_definitions=n_clusters,
                instance_types=1,
                network_interfaces=enis,
                subnets=4,
                vpcs=2,
                security_groups=3,
                route_tables=2,
                vpcs_in_use=1,  # every task subnet is in the one VPC: two DescribeVpcAttribute calls
            )
        )
    return lb.AccountSize(regions=tuple(sizes))


def main() -> None:
    parser = argparse.ArgumentParser()
    for name, default in (
        ("regions", 2),
        ("clusters", 20),
        ("services", 400),
        ("tasks", 8000),
        ("instances", 600),
        ("extra-enis", 400),
    ):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--latency-ms", type=float, default=75.0)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with MotoProcess() as server:  # its own process: what is traced and timed here is the scan
        started = time.perf_counter()
        size = build(
            server.url,
            args.regions,
            args.clusters,
            args.services,
            args.tasks,
            args.instances,
            args.extra_enis,
        )
        print(f"built the account in {time.perf_counter() - started:.1f} s")
        measure(server, size, args)


def measure(server: MotoProcess, size: lb.AccountSize, args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    clients = Clients(boto3.session.Session(), endpoint_url=server.url, retry_mode="standard", max_attempts=3)
    clients.session.events.register("before-send", lambda **_: time.sleep(latency) if latency else None)
    regions = REGION_NAMES[: args.regions]
    server.phase("scan")
    started, cpu = time.perf_counter(), time.process_time()
    snapshot = collect(clients, regions)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = server.phase("traced scan")["cpu"]["scan"]
    tracemalloc.start()  # a second pass for memory: tracing slows Python down several times
    collect(clients, regions)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    started = time.perf_counter()
    result = analyse(snapshot, Config())
    analysis = time.perf_counter() - started
    started = time.perf_counter()
    rendered = render_all(result, ("html", "json", "csv"))
    render = time.perf_counter() - started
    tracemalloc.start()
    render_all(analyse(snapshot, Config()), ("html", "json", "csv"))
    _, analysis_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    bound, least = lb.account_bound(size, latency)
    made: dict[str, int] = {}
    for c in snapshot.coverage:
        made[c.api] = made.get(c.api, 0) + c.calls
    print(f"{'api':<50} {'calls':>6} {'bound':>6}")
    for api in sorted(set(made) | set(bound)):
        print(f"{api:<50} {made.get(api, 0):>6} {bound.get(api, 0):>6}")
    print(f"{'total':<50} {sum(made.values()) + 1:>6} {sum(bound.values()) + 1:>6}   (+1: sts)")
    print(
        f"tasks {len(snapshot.tasks)}, services {len(snapshot.services)}, instances "
        f"{len(snapshot.container_instances)}, ENIs {len(snapshot.network_interfaces)}, "
        f"findings {len(result.findings)}"
    )
    print(f"scan wall time {wall:.1f} s at {args.latency_ms:.0f} ms/call; least possible {least:.1f} s")
    print(f"CPU during the scan: the scan {cpu:.1f} s, the emulator (its own process) {server_cpu:.1f} s")
    print(f"peak traced memory during the scan {peak / 1e6:.0f} MB; analysis alone {analysis:.2f} s")
    size_mb = sum(len(v) for v in rendered.values()) / 1e6
    print(
        f"rendering html+json+csv {render:.2f} s ({size_mb:.1f} MB); peak traced memory of analysis "
        f"and rendering {analysis_peak / 1e6:.0f} MB"
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"peak resident memory of this process {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
