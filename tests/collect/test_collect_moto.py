"""Collectors against in-process moto: exact calls per API, batch sizes, and what they read."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest

from auditor.collect import PERMISSIONS, collect
from auditor.demo.world import build_demo_world


def build_known_world(region: str = "us-east-1") -> dict[str, int]:
    """2 clusters, 3 container instances of 2 types, 12 services, 5 tasks, 2 task definitions."""
    ec2 = boto3.client("ec2", region_name=region)
    ecs = boto3.client("ecs", region_name=region)
    iam = boto3.client("iam", region_name=region)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="p")
    iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="r")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    for name in ("a", "b"):
        ecs.create_cluster(clusterName=name)
    for cluster, itype in (("a", "c5.large"), ("a", "t3.medium"), ("b", "c5.large")):
        iid = ec2.run_instances(
            ImageId="ami-12345678",
            MinCount=1,
            MaxCount=1,
            InstanceType=itype,
            SubnetId=subnet,
            IamInstanceProfile={"Name": "p"},
        )["Instances"][0]["InstanceId"]
        ecs.register_container_instance(
            cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": iid})
        )
    tds = [
        ecs.register_task_definition(
            family=f, networkMode="awsvpc", containerDefinitions=[{"name": f, "image": "x", "memory": 128}]
        )["taskDefinition"]["taskDefinitionArn"]
        for f in ("f1", "f2")
    ]
    for n in range(12):
        ecs.create_service(
            cluster="a",
            serviceName=f"s{n}",
            taskDefinition=tds[n % 2],
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}},
        )
    for _ in range(5):
        ecs.run_task(
            cluster="a",
            taskDefinition=tds[0],
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}},
        )
    return {"clusters": 2, "instances": 3, "services": 12, "tasks": 5}


# The lower bound for that world, from the APIs' page and batch sizes.
EXPECTED_CALLS = {
    "ecs:ListClusters": 1,
    "ecs:DescribeClusters": 1,
    "ecs:ListContainerInstances": 2,
    "ecs:DescribeContainerInstances": 2,  # one per cluster
    "ecs:ListServices": 2,
    "ecs:DescribeServices": 2,  # 12 services in a: batches of 10 → 2; b has none
    "ecs:ListTasks": 2,
    "ecs:DescribeTasks": 1,  # 5 tasks in a → 1 batch; b has none
    "ecs:DescribeTaskDefinition": 2,  # 2 distinct, each once
    "ecs:ListAccountSettings": 2,  # the caller's (account default) + the one container-instance role
    "ec2:DescribeInstances": 1,
    "ec2:DescribeInstanceTypes": 1,  # 3 instances, 2 types: one call each
    "iam:GetInstanceProfile": 1,
    "ec2:DescribeNetworkInterfaces": 1,
    "ec2:DescribeSubnets": 1,
    "ec2:DescribeVpcs": 1,
    "ec2:DescribeSecurityGroups": 1,
    "ec2:DescribeRouteTables": 1,
    "ec2:DescribeVpcEndpoints": 1,
    "elasticloadbalancing:DescribeTargetGroups": 1,
    "elasticloadbalancing:DescribeLoadBalancers": 1,
    "application-autoscaling:DescribeScalableTargets": 1,
    "servicequotas:GetServiceQuota": 1,
    "ec2:DescribeVpcAttribute": 2,  # the one VPC in use: enableDnsSupport, enableDnsHostnames
}


def record_requests(clients) -> list[tuple[str, dict]]:
    """Every request the clients send, as (iam action, params), via a botocore event hook."""
    seen: list[tuple[str, dict]] = []

    def hook(model, params, **_):
        seen.append((f"{model.service_model.signing_name}:{model.name}", params))

    clients.session.events.register("provide-client-params", hook)
    return seen


def test_calls_per_api_are_the_lower_bound(clients):
    build_known_world()
    requests = record_requests(clients)
    snapshot = collect(clients, ("us-east-1",))
    calls = {c.api: c.calls for c in snapshot.coverage}
    assert calls == EXPECTED_CALLS
    assert all(c.status == "ok" for c in snapshot.coverage)
    sent = Counter(api for api, _ in requests)
    assert sent == Counter({**EXPECTED_CALLS, "sts:GetCallerIdentity": 1})
    assert len(snapshot.clusters) == 2 and len(snapshot.container_instances) == 3
    assert len(snapshot.services) == 12 and len(snapshot.tasks) == 5
    assert len(snapshot.task_definitions) == 2


def test_batches_use_the_largest_size_each_api_allows(clients):
    build_known_world()
    requests = record_requests(clients)
    collect(clients, ("us-east-1",))
    sizes = {
        "ecs:DescribeServices": ("services", 10),
        "ecs:DescribeTasks": ("tasks", 100),
        "ecs:DescribeContainerInstances": ("containerInstances", 100),
    }
    for api, params in requests:
        if api in sizes:
            key, limit = sizes[api]
            assert len(params[key]) <= limit
        if api in ("ecs:ListServices", "ecs:ListTasks", "ecs:ListContainerInstances"):
            assert params["maxResults"] == 100
        if api in ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"):
            assert params["MaxResults"] == 1000
    described_services = [len(p["services"]) for api, p in requests if api == "ecs:DescribeServices"]
    assert sorted(described_services) == [2, 10]


def test_only_read_operations_and_all_in_the_policy(clients):
    build_demo_world(lambda s, r: boto3.client(s, region_name=r), "123456789012")
    requests = record_requests(clients)
    collect(clients, ("us-east-1", "eu-west-1"))
    actions = {api for api, _ in requests}
    for action in actions:
        verb = action.split(":", 1)[1]
        assert verb.startswith(("Describe", "List", "Get")), action
    assert actions <= set(PERMISSIONS)
    assert set(PERMISSIONS) - actions == {"ec2:DescribeRegions"}  # only with --all-regions


def test_task_definitions_fetched_once_and_without_secret_values(clients):
    build_demo_world(lambda s, r: boto3.client(s, region_name=r), "123456789012")
    snapshot = collect(clients, ("us-east-1", "eu-west-1"))
    arns = [td.arn for td in snapshot.task_definitions]
    assert len(arns) == len(set(arns))
    from auditor.snapshot import dumps

    text = dumps(snapshot)
    assert "demo-env-secret-value" not in text
    assert ":secret:demo" not in text  # the reference itself is not kept, only which service holds it
    api = next(td for td in snapshot.task_definitions if td.family == "api")
    assert api.containers[0].environment_count == 1 and api.containers[0].secrets_count == 1
    assert api.containers[0].secret_sources == ("secretsmanager",)


def test_cluster_filter_asks_only_for_named_clusters(clients):
    build_known_world()
    requests = record_requests(clients)
    snapshot = collect(clients, ("us-east-1",), ("b", "missing"))
    assert [c.name for c in snapshot.clusters] == ["b"]
    assert "ecs:ListClusters" not in {api for api, _ in requests}
    assert [(m.region, m.name) for m in snapshot.missing_clusters] == [("us-east-1", "missing")]


@pytest.mark.parametrize(
    "failing",
    ["ecs:DescribeTasks", "ec2:DescribeInstanceTypes", "ec2:DescribeNetworkInterfaces", "ecs:ListClusters"],
)
def test_one_denied_api_is_recorded_and_the_audit_goes_on(clients, failing):
    build_known_world()
    from botocore.exceptions import ClientError

    def deny(model, **_):
        if f"{model.service_model.signing_name}:{model.name}" == failing:
            raise ClientError(
                {
                    "Error": {"Code": "AccessDeniedException", "Message": "no"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                model.name,
            )

    clients.session.events.register("provide-client-params", deny)
    snapshot = collect(clients, ("us-east-1",))
    statuses = {c.api: c.status for c in snapshot.coverage}
    assert statuses[failing] == "denied"
    assert statuses["ec2:DescribeSubnets"] == "ok"  # the rest went on
    if failing == "ecs:ListClusters":
        assert statuses["ecs:DescribeTasks"] == "skipped"
