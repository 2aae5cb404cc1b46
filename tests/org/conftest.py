"""An organisation in in-process moto: the management account (moto's default) and members, each
with a small ECS world, built once per module. Refusals (roles that cannot be assumed, SCP denies,
disabled regions) are registered per test and cleared after it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from auditor.collect.accounts import assume_role_session
from auditor.demo import refusals

MANAGEMENT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")


@dataclass
class Org:
    base: boto3.Session
    members: dict[str, str]  # name → account id
    suspended: str


def small_world(session: boto3.Session, region: str) -> None:
    """One Fargate awsvpc service in one subnet, and an unattached ENI in that subnet (an
    `orphan-eni` finding): enough for each account to yield data and a finding of its own."""
    ec2 = session.client("ec2", region_name=region)
    ecs = session.client("ecs", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.create_network_interface(SubnetId=subnet, Description="left behind")
    ecs.create_cluster(clusterName="app")
    ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512}],
    )
    ecs.create_service(
        cluster="app",
        serviceName="web",
        taskDefinition="web",
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [subnet],
                "securityGroups": [group],
                "assignPublicIp": "DISABLED",
            }
        },
    )


@pytest.fixture(scope="package")
def org() -> Iterator[Org]:
    from moto import mock_aws

    env = pytest.MonkeyPatch()  # undone at teardown, whatever the test did meanwhile
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.setenv(key, "testing")
    try:
        with mock_aws():
            base = boto3.session.Session(region_name="us-east-1")
            client = base.client("organizations")
            client.create_organization(FeatureSet="ALL")
            members = {
                name: client.create_account(AccountName=name, Email=f"{name}@example.com")[
                    "CreateAccountStatus"
                ]["AccountId"]
                for name in ("prod", "dev", "old")
            }
            for region in REGIONS:
                small_world(base, region)
            for name in ("prod", "dev"):
                member = assume_role_session(base, members[name], "OrganizationAccountAccessRole")
                for region in REGIONS:
                    small_world(member, region)
            suspended = members.pop("old")
            client.close_account(AccountId=suspended)
            yield Org(base=base, members=members, suspended=suspended)
    finally:
        env.undo()


@pytest.fixture
def refuse() -> Iterator[type[refusals.Refusal]]:
    """Refusals registered in a test last for that test only."""
    refusals.clear()
    yield refusals.Refusal
    refusals.clear()
