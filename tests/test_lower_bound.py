"""The lower-bound calculator agrees with what the collectors really do, and its time bound follows
the token buckets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auditor.collect.ratelimits import BUCKETS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import lower_bound as lb  # noqa: E402

from tests.collect.test_collect_moto import EXPECTED_CALLS  # noqa: E402


def test_known_world_matches_the_collectors_measured_calls():
    # the world of tests/collect/test_collect_moto.py: cluster a (2 instances, 12 services, 5 tasks),
    # cluster b (1 instance)
    region = lb.RegionSize(
        clusters=(lb.ClusterSize(2, 12, 5), lb.ClusterSize(1, 0, 0)),
        task_definitions=2,
        instance_types=2,
        instance_profiles=1,
        roles=1,
        network_interfaces=10,
        subnets=1,
        vpcs=1,
        security_groups=1,
        route_tables=1,
        vpcs_in_use=1,
    )
    assert lb.region_calls(region) == EXPECTED_CALLS


@pytest.mark.parametrize(
    ("n", "burst", "refill", "latency", "expected"),
    [
        (50, 50, 20, 0.0, 0.0),  # within the burst
        (250, 50, 20, 0.0, 10.0),  # 200 beyond the burst at 20/s
        (250, 50, 20, 0.1, 10.1),
    ],
)
def test_bucket_bound(n, burst, refill, latency, expected, monkeypatch):
    monkeypatch.setitem(BUCKETS, "ecs-cluster-resource-read", (burst, refill, "test"))
    seconds = lb.region_min_seconds({"ecs:DescribeTasks": n}, latency)
    assert seconds == pytest.approx(max(expected, lb.DEPENDENCY_CHAIN * latency))


def test_ecs_buckets_are_shared_by_category():
    alone = lb.region_min_seconds({"ecs:DescribeTasks": 300}, 0.0)
    shared = lb.region_min_seconds({"ecs:DescribeTasks": 300, "ecs:ListTasks": 300}, 0.0)
    assert shared == pytest.approx((600 - 100) / 20) and shared > alone


def test_large_account_bound():
    size = lb.uniform(
        regions=2, clusters=20, services=400, tasks=8000, instances=600, task_definitions=400, enis=9000
    )
    calls, seconds = lb.account_bound(size, 0.075)
    assert calls["ecs:DescribeTasks"] == 80 and calls["ecs:DescribeServices"] == 40
    assert calls["ec2:DescribeNetworkInterfaces"] == 10  # 4500 a region → 5 pages each
    assert seconds >= 0.075 * (lb.DEPENDENCY_CHAIN + 1)


def test_paged_world_matches_the_calculator(clients):
    """A cluster of 230 tasks and a region of 1,010 ENIs: with moto paging as AWS does (realism),
    ListTasks takes 3 pages of 100 and DescribeNetworkInterfaces 2 of 1000, and the collectors make
    exactly the calls the calculator predicts for every API."""
    import boto3

    from auditor.collect import collect

    ec2 = boto3.client("ec2", region_name="us-east-1")
    ecs = boto3.client("ecs", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20")["Subnet"]["SubnetId"]
    ecs.create_cluster(clusterName="big")
    td = ecs.register_task_definition(
        family="app", networkMode="awsvpc", containerDefinitions=[{"name": "c", "image": "x", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    net = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}}
    for _ in range(23):
        ecs.run_task(
            cluster="big", taskDefinition=td, launchType="FARGATE", count=10, networkConfiguration=net
        )
    for _ in range(1010 - 230):
        ec2.create_network_interface(SubnetId=subnet)
    snapshot = collect(clients, ("us-east-1",))
    assert len(snapshot.tasks) == 230 and len(snapshot.network_interfaces) == 1010
    region = lb.RegionSize(
        clusters=(lb.ClusterSize(0, 0, 230),),
        task_definitions=1,
        instance_types=0,
        instance_profiles=0,
        roles=0,
        network_interfaces=1010,
        subnets=1,
        vpcs=2,  # moto's default VPC and ours
        security_groups=2,
        route_tables=2,
        vpcs_in_use=1,  # the tasks' subnet's
    )
    calls = {c.api: c.calls for c in snapshot.coverage}
    expected = lb.region_calls(region)
    assert expected["ecs:ListTasks"] == 3 and expected["ec2:DescribeNetworkInterfaces"] == 2
    assert calls == expected
