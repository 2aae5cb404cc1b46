"""Hostile and odd data from AWS: markup, quotes, unicode and very long strings; missing optional
fields; empty accounts, clusters without instances, services with zero desired; IPv6-only subnets;
prefix-list references (cross-account group references: moto refuses them, so the parser and
check tests cover those). Nothing crashes, and everything is escaped."""

from __future__ import annotations

import csv
import io
import json

import boto3
import pytest

from auditor.collect import collect, ec2, ecs
from auditor.config import Config
from auditor.pipeline import analyse
from auditor.report import render_all
from auditor.snapshot import dumps, loads

NASTY = "<img src=x onerror=alert(1)>\"'&ünïcødé🚀" + "x" * 3000


def build_odd_world() -> None:
    ec2c = boto3.client("ec2", region_name="us-east-1")
    ecsc = boto3.client("ecs", region_name="us-east-1")
    vpc = ec2c.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2c.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    v6 = ec2c.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    subnet = ec2c.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    ipv6_block = v6["Ipv6CidrBlockAssociation"].get("Ipv6CidrBlock")
    if ipv6_block:
        ec2c.create_subnet(VpcId=vpc, Ipv6Native=True, Ipv6CidrBlock=ipv6_block.replace("/56", "/64"))
    pl = ec2c.create_managed_prefix_list(
        PrefixListName="corp", MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": "198.51.100.0/24"}]
    )["PrefixList"]["PrefixListId"]
    group = ec2c.create_security_group(
        GroupName="odd", Description=NASTY[:255].encode("ascii", "ignore").decode(), VpcId=vpc
    )["GroupId"]
    ec2c.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "PrefixListIds": [{"PrefixListId": pl}]},
            {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 65535, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        ],
    )
    ec2c.create_tags(Resources=[subnet, group], Tags=[{"Key": "Name", "Value": NASTY[:250]}])
    ecsc.create_cluster(clusterName="empty-cluster")
    ecsc.create_cluster(clusterName="x" * 255)
    td = ecsc.register_task_definition(
        family="odd",
        networkMode="awsvpc",
        containerDefinitions=[{"name": "c", "image": "nginx", "memory": 64}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecsc.create_service(
        cluster="empty-cluster",
        serviceName="zero",
        taskDefinition=td,
        desiredCount=0,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [subnet],
                "securityGroups": [group],
                "assignPublicIp": "ENABLED",
            }
        },
    )
    ecsc.run_task(
        cluster="empty-cluster",
        taskDefinition=td,
        launchType="FARGATE",
        group="family:odd",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
    )


@pytest.mark.parametrize("populated", [False, True])
def test_odd_accounts_collect_analyse_and_render(clients, populated):
    if populated:
        build_odd_world()
    result = analyse(collect(clients, ("us-east-1",)), Config())
    assert loads(dumps(result.snapshot)) == result.snapshot
    files = render_all(result, ("html", "json", "csv"))
    html = files["report.html"]
    assert "<img src=x" not in html
    json.loads(files["findings.json"])
    for name in ("findings.csv", "capacity_instances.csv", "capacity_subnets.csv", "capacity_zones.csv"):
        list(csv.DictReader(io.StringIO(files[name])))
    if populated:
        kinds = {f.detail.get("source_kind") for f in result.findings if f.check == "wide-port-range"}
        assert kinds == {"prefix-list", "internet"}
        assert any(f.check == "public-ip" for f in result.findings)
        assert any(s.cidr is None for s in result.snapshot.subnets)  # the IPv6-only subnet


@pytest.mark.parametrize(
    "raw",
    [
        {"serviceArn": "s", "serviceName": "n"},
        {
            "serviceArn": "s",
            "serviceName": "n",
            "networkConfiguration": {},
            "loadBalancers": [{}],
            "deployments": [{}],
            "placementConstraints": [{}],
            "taskSets": [{}],
        },
    ],
)
def test_services_with_missing_optional_fields(raw):
    service = ecs.parse_service(raw, "1", "r")
    assert service.desired_count == 0 and service.subnets == ()


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (ecs.parse_task, {"taskArn": "t"}),
        (
            ecs.parse_task,
            {"taskArn": "t", "containers": [{}], "attachments": [{"type": "ElasticNetworkInterface"}]},
        ),
        (ecs.parse_container_instance, {"containerInstanceArn": "ci"}),
        (ecs.parse_task_definition, {"taskDefinitionArn": "td", "containerDefinitions": [{}]}),
        (ec2.parse_instance, {"InstanceId": "i-1"}),
        (ec2.parse_network_interface, {"NetworkInterfaceId": "eni-1"}),
        (ec2.parse_subnet, {"SubnetId": "subnet-1"}),
        (ec2.parse_vpc, {"VpcId": "vpc-1"}),
        (ec2.parse_security_group, {"GroupId": "sg-1", "IpPermissions": [{}]}),
        (ec2.parse_route_table, {"RouteTableId": "rtb-1", "Routes": [{}]}),
        (ec2.parse_vpc_endpoint, {"VpcEndpointId": "vpce-1"}),
    ],
)
def test_parsers_accept_minimal_records(parse, raw):
    record = parse(raw, "1", "r") if parse is not ecs.parse_container_instance else parse(raw, "c", "1", "r")
    assert record is not None
