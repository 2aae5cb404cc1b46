"""The demo account's 2025–2026 ECS networking: Managed Instances, per-zone capacity, scale-out,
native blue/green, VPC Lattice, Service Connect, IPv6-only subnets and VPC DNS attributes.

Built after `world._build_primary`/`_build_secondary`, in their VPCs, through the normal API; the
fields moto cannot produce come from `realism`. What each piece is there to show:

us-east-1, cluster `shop`:
  capacity provider `shop-mi` (ECS Managed Instances, subnets private-a and private-b): two
    c6i.large instances in private-a, run with trunking as ECS runs them (10 awsvpc tasks each)
    → capacity rows with `capacity_provider`; service `storefront` (BLUE_GREEN, desired 4, on
    `shop-mi`) runs all 4 tasks in us-east-1a → az-spread; its alternate target group is of type
    `instance` → lb-target-type high; its Service Connect port name matches its task definition
    (service-connect quiet).
  capacity provider `shop-asg` → Auto Scaling group `shop-hosts` (desired 2, max 16) in the /27
    `shop-hosts-c`: 14 more c5.large with trunks need 28 addresses of 25 → subnet-ip-exhaustion
    high, `scale_out_demand` 28.
  service `catalog` (Fargate, private-a and private-b, spread: az-spread quiet): its VPC Lattice
    target group is of type INSTANCE → lb-target-type high, and its Service Connect port name
    `catalog-grpc` names no port mapping → service-connect high.
  service `edge` (Fargate) in the IPv6-only subnet `v6-only` (::/0 to an egress-only gateway, no
    DNS64, no NAT64): no IPv4 to exhaust (subnet-ip-exhaustion quiet), cannot reach IPv4-only
    endpoints.
eu-west-1: interface endpoint `logs` with private DNS while `enableDnsHostnames` is off → vpc-dns
  medium (the subnets leave through NAT: tasks bypass the endpoint); us-east-1's VPC has both
  attributes on (vpc-dns quiet).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from auditor.demo import realism

if TYPE_CHECKING:  # world.py calls this module with its builders
    from auditor.demo.world import ClientFactory, World, _Builder


def _tcp_from(port: int, *, cidr: str | None = None, group: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        rule["UserIdGroupPairs"] = [{"GroupId": group}]
    return rule


def _role(b: _Builder, name: str, service: str) -> str:
    role = b.iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": service}}
                ],
            }
        ),
    )
    return str(role["Role"]["Arn"])


def _register(b: _Builder, cluster: str, instance_id: str) -> str:
    """Register an EC2 instance (launched elsewhere) as a container instance."""
    ci = b.ecs.register_container_instance(
        cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": instance_id})
    )
    return str(ci["containerInstance"]["containerInstanceArn"])


def _private_route_table(b: _Builder, subnet_id: str) -> str:
    tables = b.ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
    return str(tables["RouteTables"][0]["RouteTableId"])


def _target_group(b: _Builder, name: str, vpc_id: str, target_type: str) -> str:
    return str(
        b.elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType=target_type
        )["TargetGroups"][0]["TargetGroupArn"]
    )


def _managed_instances(b: _Builder, world: World, ami: str, sub_a: str, sub_b: str, sg: str) -> None:
    account = world.account
    infra = _role(b, "ecsInfrastructureRole", "ecs.amazonaws.com")
    profile = b.instance_profile("ecsManagedInstanceRole")
    profile_arn = f"arn:aws:iam::{account}:instance-profile/{profile}"
    placeholder = f"arn:aws:autoscaling:{b.region}:{account}:autoScalingGroup:0:autoScalingGroupName/none"
    b.ecs.create_capacity_provider(
        name="shop-mi", autoScalingGroupProvider={"autoScalingGroupArn": placeholder}
    )
    realism.make_managed_instances_provider(
        account, b.region, "shop-mi", "shop", [sub_a, sub_b], [sg], infra, profile_arn, ["c6i.large"]
    )
    hosts = []
    for _ in range(2):
        instance_id = b.ec2.run_instances(
            ImageId=ami,
            MinCount=1,
            MaxCount=1,
            InstanceType="c6i.large",
            SubnetId=sub_a,
            SecurityGroupIds=[sg],
            IamInstanceProfile={"Name": profile},
        )["Instances"][0]["InstanceId"]
        ci_arn = _register(b, "shop", instance_id)
        realism.set_instance_capacity_provider(account, b.region, "shop", ci_arn, "shop-mi")
        hosts.append((instance_id, ci_arn))
    world.ids.update(i_mi_a=hosts[0][0], i_mi_b=hosts[1][0])

    # storefront: native blue/green on the Managed Instances provider, every task in us-east-1a
    td = b.task_definition("storefront", "awsvpc", port=8080)
    _name_port(b, world, "storefront", "storefront-http")
    td = _latest(b, "storefront")
    vpc = world.ids["vpc_primary"]
    blue = _target_group(b, "storefront-blue", vpc, "ip")
    green = _target_group(b, "storefront-green", vpc, "instance")
    for n in range(4):
        b.run_awsvpc("shop", td, "storefront", sub_a, [sg], hosts[n % 2], trunked=True)
    b.ecs.create_service(
        cluster="shop",
        serviceName="storefront",
        taskDefinition=td,
        desiredCount=4,
        capacityProviderStrategy=[{"capacityProvider": "shop-mi", "weight": 1}],
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [sub_a, sub_b],
                "securityGroups": [sg],
                "assignPublicIp": "DISABLED",
            }
        },
        loadBalancers=[{"targetGroupArn": blue, "containerName": "storefront", "containerPort": 8080}],
    )
    realism.set_deployment_configuration(account, b.region, "shop", "storefront", 200, 100)
    realism.set_service_counts(account, b.region, "shop", "storefront", 4)
    realism.set_service_networking(
        account,
        b.region,
        "shop",
        "storefront",
        strategy="BLUE_GREEN",
        alternate_target_group=green,
        service_connect_port_names=("storefront-http",),
        availability_zone_rebalancing="DISABLED",
    )
    world.ids.update(tg_storefront_green=green)


def _name_port(b: _Builder, world: World, family: str, port_name: str) -> None:
    """A new revision whose port mapping carries a name (Service Connect and Lattice refer to it)."""
    current = b.ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    containers = current["containerDefinitions"]
    for mapping in containers[0].get("portMappings", []):
        mapping["name"] = port_name
    keep = ("family", "networkMode", "containerDefinitions", "requiresCompatibilities", "cpu", "memory")
    b.ecs.register_task_definition(**{k: v for k, v in current.items() if k in keep})


def _latest(b: _Builder, family: str) -> str:
    return str(b.ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["taskDefinitionArn"])


def _auto_scaling_group(
    b: _Builder, client: ClientFactory, world: World, ami: str, vpc: str, sub_a: str, sg: str
) -> None:
    account = world.account
    hosts_c = b.subnet(vpc, "10.0.10.0/27", "us-east-1c", "shop-hosts-c")
    b.ec2.associate_route_table(RouteTableId=_private_route_table(b, sub_a), SubnetId=hosts_c)
    b.ec2.create_launch_template(
        LaunchTemplateName="shop-hosts",
        LaunchTemplateData={"ImageId": ami, "InstanceType": "c5.large", "SecurityGroupIds": [sg]},
    )
    autoscaling = client("autoscaling", b.region)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="shop-hosts",
        LaunchTemplate={"LaunchTemplateName": "shop-hosts", "Version": "$Latest"},
        MinSize=1,
        MaxSize=16,
        DesiredCapacity=2,
        VPCZoneIdentifier=hosts_c,
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["shop-hosts"])[
        "AutoScalingGroups"
    ][0]
    b.ecs.create_capacity_provider(
        name="shop-asg",
        autoScalingGroupProvider={
            "autoScalingGroupArn": group["AutoScalingGroupARN"],
            "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
        },
    )
    realism.set_capacity_provider_type(account, b.region, "shop-asg", "EC2_AUTOSCALING")
    for instance in group["Instances"]:
        ci_arn = _register(b, "shop", instance["InstanceId"])
        realism.set_instance_capacity_provider(account, b.region, "shop", ci_arn, "shop-asg")
        eni = b.ec2.create_network_interface(SubnetId=hosts_c, Groups=[sg], Description="trunk ENI for ECS")[
            "NetworkInterface"
        ]["NetworkInterfaceId"]
        b.ec2.attach_network_interface(
            NetworkInterfaceId=eni, InstanceId=instance["InstanceId"], DeviceIndex=1
        )
        realism.make_trunk(account, b.region, eni)
        b.ecs.put_attributes(
            cluster="shop",
            attributes=[
                {
                    "name": "ecs.awsvpc-trunk-id",
                    "value": eni,
                    "targetType": "container-instance",
                    "targetId": ci_arn.rsplit("/", 1)[-1],
                }
            ],
        )
    world.ids.update(subnet_hosts_c=hosts_c)


def _catalog(b: _Builder, client: ClientFactory, world: World, sub_a: str, sub_b: str, sg: str) -> None:
    """Fargate behind VPC Lattice with an INSTANCE target group and an unnamed Service Connect port."""
    account, vpc = world.account, world.ids["vpc_primary"]
    lattice = client("vpc-lattice", b.region)
    group = lattice.create_target_group(
        name="catalog", type="INSTANCE", config={"port": 8080, "protocol": "HTTP", "vpcIdentifier": vpc}
    )["arn"]
    td = b.task_definition("catalog", "awsvpc", port=8080, fargate=True)
    for subnet in (sub_a, sub_b):
        b.run_awsvpc("shop", td, "catalog", subnet, [sg])
    b.service("shop", "catalog", td, 2, launch="FARGATE", subnets=[sub_a, sub_b], groups=[sg], running=2)
    realism.set_service_networking(
        account,
        b.region,
        "shop",
        "catalog",
        lattice_target_group=group,
        lattice_port_name="catalog-grpc",
        service_connect_port_names=("catalog-grpc",),
    )
    world.ids.update(lattice_catalog=group)


def _ipv6_only(b: _Builder, world: World, vpc: str, sg: str) -> None:
    """An IPv6-only subnet whose ::/0 leaves through an egress-only gateway, without DNS64/NAT64."""
    account = world.account
    association = b.ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    block = association["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]
    prefix = block.split("::")[0].rsplit(":", 1)[0]
    v6 = b.ec2.create_subnet(
        VpcId=vpc, Ipv6Native=True, Ipv6CidrBlock=f"{prefix}:d7ff::/64", AvailabilityZone="us-east-1b"
    )["Subnet"]["SubnetId"]
    b.ec2.create_tags(Resources=[v6], Tags=[{"Key": "Name", "Value": "v6-only"}])
    realism.set_ipv6_only_available(account, b.region, v6)
    realism.set_subnet_dns64(account, b.region, v6, False)
    eigw = b.ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    table = b.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    b.ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    b.ec2.associate_route_table(RouteTableId=table, SubnetId=v6)
    td = b.task_definition("edge", "awsvpc", port=443, fargate=True)
    b.service("shop", "edge", td, 2, launch="FARGATE", subnets=[v6], groups=[sg], running=0)
    world.ids.update(subnet_v6_only=v6)


def _vpc_dns(b: _Builder, world: World) -> None:
    """eu-west-1: an interface endpoint with private DNS while the VPC's DNS hostnames are off (turned
    off after the tasks ran: moto's RunTask needs them on)."""
    vpc, subnet = world.ids["vpc_secondary"], world.ids["subnet_eu_a"]
    group = b.group(vpc, "eu-endpoints", [_tcp_from(443, cidr="10.1.0.0/16")])
    b.ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{b.region}.logs",
        VpcEndpointType="Interface",
        SubnetIds=[subnet],
        SecurityGroupIds=[group],
        PrivateDnsEnabled=True,
    )
    b.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})


def build_2025(b: _Builder, eu: _Builder, client: ClientFactory, world: World, ami: str) -> None:
    """Build the pieces above: `b` builds in the primary region, `eu` in the secondary one."""
    vpc, sub_a, sub_b = world.ids["vpc_primary"], world.ids["subnet_a"], world.ids["subnet_b"]
    b.ecs.create_cluster(clusterName="shop")
    sg = b.group(vpc, "shop-tasks", [_tcp_from(8080, group=world.ids["sg_alb"])])
    _managed_instances(b, world, ami, sub_a, sub_b, sg)
    _auto_scaling_group(b, client, world, ami, vpc, sub_a, sg)
    b.ecs.put_cluster_capacity_providers(
        cluster="shop", capacityProviders=["shop-mi", "shop-asg"], defaultCapacityProviderStrategy=[]
    )
    _catalog(b, client, world, sub_a, sub_b, sg)
    _ipv6_only(b, world, vpc, sg)
    _vpc_dns(eu, world)
