"""Collectors read the fields moto cannot produce: fed AWS-shaped answers through botocore's Stubber."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from auditor.collect import ec2, ecs
from auditor.collect.session import Clients, Recorder

CLUSTER = "arn:aws:ecs:us-east-1:111122223333:cluster/prod"


def recorder_with(service: str) -> tuple[Recorder, Stubber]:
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    clients = Clients(session, retry_mode="standard", max_attempts=1)
    client = clients.get(service, "us-east-1")
    return Recorder(clients, "111122223333", "us-east-1"), Stubber(client)


def test_list_pages_and_describe_batches_of_100():
    rec, stub = recorder_with("ecs")
    arns = [f"arn:aws:ecs:us-east-1:111122223333:task/prod/{n:032x}" for n in range(150)]
    stub.add_response(
        "list_tasks", {"taskArns": arns[:100], "nextToken": "t"}, {"cluster": CLUSTER, "maxResults": 100}
    )
    stub.add_response(
        "list_tasks", {"taskArns": arns[100:]}, {"cluster": CLUSTER, "maxResults": 100, "nextToken": "t"}
    )
    # The two DescribeTasks batches run in parallel and reach the stub in either order: each stub
    # answer is checked against whichever batch asked (sizes and contents), not a fixed order.
    asked: list[list[str]] = []

    def describe(params, **_):
        asked.append(list(params["tasks"]))

    rec.clients.get("ecs", "us-east-1").meta.events.register(
        "provide-client-params.ecs.DescribeTasks", describe
    )
    for _ in range(2):
        stub.add_response("describe_tasks", {"tasks": []})
    with stub:
        tasks = ecs.collect_tasks(rec, ecs.Cluster(arn=CLUSTER, name="prod", account="1", region="us-east-1"))
        stub.assert_no_pending_responses()
    assert sorted(asked, key=len) == [arns[100:], arns[:100]]  # batches of the API's maximum, 100
    assert tasks == []
    assert {c.api: c.calls for c in rec.coverage()} == {"ecs:ListTasks": 2, "ecs:DescribeTasks": 2}


def test_task_network_bindings_and_attachments():
    raw = {
        "taskArn": "t1",
        "clusterArn": CLUSTER,
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "taskDefinitionArn": "td:1",
        "launchType": "EC2",
        "group": "service:web",
        "containerInstanceArn": "ci-1",
        "availabilityZone": "us-east-1a",
        "containers": [
            {
                "name": "web",
                "networkBindings": [
                    {"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 49153, "protocol": "tcp"}
                ],
            }
        ],
        "attachments": [
            {
                "id": "a1",
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": "subnet-1"},
                    {"name": "networkInterfaceId", "value": "eni-1"},
                    {"name": "privateIPv4Address", "value": "10.0.1.9"},
                ],
            },
            {"id": "a2", "type": "ServiceConnect", "status": "ATTACHED", "details": []},
        ],
    }
    task = ecs.parse_task(raw, "111122223333", "us-east-1")
    assert task.network_bindings[0].host_port == 49153
    assert task.eni_ids == ("eni-1",) and task.subnet_ids == ("subnet-1",)
    assert len(task.eni_attachments) == 1


def test_service_deployment_configuration_and_strategy():
    raw = {
        "serviceArn": "s",
        "serviceName": "api",
        "clusterArn": CLUSTER,
        "status": "ACTIVE",
        "desiredCount": 4,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "deploymentConfiguration": {"maximumPercent": 150, "minimumHealthyPercent": 50},
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-1"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "ENABLED",
            }
        },
        "placementConstraints": [{"type": "distinctInstance"}],
    }
    service = ecs.parse_service(raw, "1", "us-east-1")
    assert service.maximum_percent == 150 and service.minimum_healthy_percent == 50
    assert service.launch_type is None and service.capacity_providers == ("FARGATE_SPOT",)
    assert service.assign_public_ip == "ENABLED"
    assert service.placement_constraints[0].type == "distinctInstance"
    missing = ecs.parse_service({"serviceArn": "s", "serviceName": "x"}, "1", "us-east-1")
    assert missing.maximum_percent is None  # not returned: unknown, not 0


def test_task_definition_keeps_no_secret_values():
    raw = {
        "taskDefinitionArn": "td:1",
        "family": "f",
        "revision": 1,
        "networkMode": "host",
        "containerDefinitions": [
            {
                "name": "c",
                "image": "i",
                "user": "root",
                "environment": [{"name": "PASSWORD", "value": "hunter2"}],
                "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:...:parameter/t"}],
                "logConfiguration": {"logDriver": "awslogs"},
            }
        ],
    }
    td = ecs.parse_task_definition(raw, "1", "us-east-1")
    assert "hunter2" not in repr(td) and "parameter/t" not in repr(td) and "PASSWORD" not in repr(td)
    assert td.containers[0].environment_count == 1 and td.containers[0].secrets_count == 1
    assert td.containers[0].user == "root" and td.containers[0].log_driver == "awslogs"
    assert ecs.parse_task_definition({"taskDefinitionArn": "x"}, "1", "r").network_mode == "bridge"


def test_trunk_and_branch_enis_and_managed_ones():
    raw = {
        "NetworkInterfaceId": "eni-t",
        "SubnetId": "subnet-1",
        "VpcId": "vpc-1",
        "InterfaceType": "trunk",
        "Status": "in-use",
        "Attachment": {"InstanceId": "i-1", "DeviceIndex": 1},
        "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.5"}, {"PrivateIpAddress": "10.0.1.6"}],
        "Groups": [{"GroupId": "sg-1"}],
        "RequesterManaged": False,
    }
    eni = ec2.parse_network_interface(raw, "1", "us-east-1")
    assert eni.interface_type == "trunk" and eni.attached_instance_id == "i-1" and eni.device_index == 1
    assert eni.private_ips == ("10.0.1.5", "10.0.1.6")


def test_security_group_entries_split_per_source():
    raw = {
        "GroupId": "sg-1",
        "GroupName": "g",
        "VpcId": "vpc-1",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 32768,
                "ToPort": 65535,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                "UserIdGroupPairs": [{"GroupId": "sg-9", "UserId": "999988887777"}],
                "PrefixListIds": [{"PrefixListId": "pl-1"}],
            },
            {"IpProtocol": "-1"},
        ],
    }
    group = ec2.parse_security_group(raw, "1", "us-east-1")
    sources = [(r.cidr, r.group_id, r.group_owner, r.prefix_list_id) for r in group.ingress]
    assert sources == [
        ("0.0.0.0/0", None, None, None),
        ("10.0.0.0/8", None, None, None),
        ("::/0", None, None, None),
        (None, "sg-9", "999988887777", None),
        (None, None, None, "pl-1"),
    ]


def test_route_targets():
    raw = {
        "RouteTableId": "rtb-1",
        "VpcId": "vpc-1",
        "Associations": [{"Main": True}, {"SubnetId": "subnet-1"}],
        "Routes": [
            {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
            {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
            {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-1"},
        ],
    }
    table = ec2.parse_route_table(raw, "1", "us-east-1")
    assert table.main and table.subnet_ids == ("subnet-1",)
    assert [(r.destination, r.target_type) for r in table.routes] == [
        ("10.0.0.0/16", "local"),
        ("0.0.0.0/0", "nat-gateway"),
        ("pl-s3", "gateway"),
    ]


def test_task_definition_placement_and_secret_sources():
    raw = {
        "taskDefinitionArn": "td:2",
        "networkMode": "bridge",
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ t3.*"}],
        "containerDefinitions": [
            {
                "name": "c",
                "image": "i",
                "secrets": [
                    {"name": "A", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db-AbC"},
                    {"name": "B", "valueFrom": "/prod/api/token"},
                ],
            }
        ],
    }
    td = ecs.parse_task_definition(raw, "1", "us-east-1")
    assert td.placement_constraints[0].expression == "attribute:ecs.instance-type =~ t3.*"
    assert td.containers[0].secret_sources == ("secretsmanager", "ssm")
    assert "db-AbC" not in repr(td) and "/prod/api/token" not in repr(td)


def test_task_sets_public_ip():
    raw = {
        "serviceArn": "s",
        "serviceName": "blue-green",
        "taskSets": [
            {
                "networkConfiguration": {
                    "awsvpcConfiguration": {"subnets": ["s1"], "assignPublicIp": "ENABLED"}
                }
            },
            {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s1"]}}},
        ],
    }
    assert ecs.parse_service(raw, "1", "us-east-1").task_set_public_ips == ("ENABLED", "DISABLED")
