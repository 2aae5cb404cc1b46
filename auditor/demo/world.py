"""The built-in sample account: two regions, several clusters, every network mode, every check.

Built through boto3 against any moto endpoint (in-process `mock_aws` or a `ThreadedMotoServer` in
this process), then made realistic with `realism`. What each piece is there to show:

us-east-1 — trunking enabled account-wide (VPC 10.0.0.0/16)
  cluster `prod-web` (EC2):
    i-trunked   c5.large with a trunk ENI, 3 awsvpc tasks of 10 ........ eni-* quiet
    i-pre-optin c5.large launched before the opt-in, no trunk, 2 of 2 .. eni-headroom high,
                                                                         eni-trunking high
    i-t3        t3.medium (no trunking), 1 of 2 ......................... eni-trunking low
    service `api` (awsvpc, desired 6, auto scaling max 8, maximumPercent 200) → peak 16:
      eni-headroom service shortfall
    service `web` (bridge, hostPort 0) behind an ALB target group; hosts' security groups:
      `hosts-open` tcp 32768-65535 from 0.0.0.0/0 (critical), `hosts-from-alb` from the ALB (info)
    service `node-exporter` (host mode, DAEMON); a standalone `none`-mode task
  cluster `batch` (Fargate): service `payments` (awsvpc) in the nearly full /28 `tight` subnet
    → subnet-ip-exhaustion; the /24 subnets stay quiet
  security group `legacy-any-private`: all traffic from 10.0.0.0/8 (medium)
  services `legacy-admin` (bridge, static host port 8081, 4 wanted on 3 instances, target group port
    8080) → static-port-conflict high, lb-target-type low; `status-page` (static port, fits) quiet;
    `node-exporter` (host mode, root) and `metrics-sidecar` both on host port 9100 → network-mode
    medium, static-port-conflict medium; `metrics-sidecar` scales up to 4 on 3 instances →
    static-port-conflict medium (the scale-out cannot place)
  `public-api` (Fargate, public IPs, `instance` target group) → public-ip, lb-target-type high;
    `payments` in `tight`, which has only ecr endpoints → egress-path high (logs, secretsmanager);
    private subnets leave through a NAT gateway (quiet); a leftover task ENI → orphan-eni, an ELB's
    detached ENI is AWS-managed (quiet)
eu-west-1 — trunking disabled (VPC 10.1.0.0/16)
  cluster `eu-app` (EC2): two m5.xlarge without trunk, one at 3 of 3 awsvpc tasks
    → eni-headroom high and eni-trunking "would raise 3 → 20"; tasks' group open to the VPC (low)
  its ENI quota view is lowered to 8 → eni-quota; us-east-1 (quota 5000) stays quiet
us-east-1, real-fleet shapes (issue 12)
  service `checkout` (awsvpc, ECS strategy BLUE_GREEN, us-east-1b only) peaks at 2 × desired; the
    only 1b instance is full, slots in 1a do not count → eni-headroom service high
  an ECS Anywhere instance (`mi-…`) in `prod-web`: no capacity row, never sent to EC2
  a c5.large in `prod-web` REGISTRATION_FAILED (trunk not provisioned) → instance-registration high
  cluster `win-apps`: a Windows c5.large (trunking enabled, no trunk: Linux-only, so no finding)
    running `iis-api` (awsvpc); `iis-legacy` without networkMode (Windows NAT `default`)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditor.demo import realism
from auditor.demo.realism import TaskPlan
from auditor.demo.world_2025 import build_2025

ClientFactory = Callable[[str, str], Any]

PRIMARY = "us-east-1"
SECONDARY = "eu-west-1"
AMI = "ami-0abcdef1234567890"
WINDOWS_AMI = "ami-03cf127a"  # one of moto's built-in Windows images: the agent reports ecs.os-type windows


@dataclass
class World:
    """Handles to what was built, for tests to assert against."""

    account: str
    regions: tuple[str, ...]
    ids: dict[str, str] = field(default_factory=dict)
    plans: list[TaskPlan] = field(default_factory=list)


class _Builder:
    def __init__(self, client: ClientFactory, region: str, world: World):
        self.region = region
        self.world = world
        self.ec2 = client("ec2", region)
        self.ecs = client("ecs", region)
        self.iam = client("iam", region)
        self.elbv2 = client("elbv2", region)
        self.aas = client("application-autoscaling", region)

    # ---------------------------------------------------------------- network

    def vpc(self, cidr: str) -> str:
        vpc_id = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        main = self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "RouteTables"
        ][0]["RouteTableId"]
        self.ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        return vpc_id

    def subnet(self, vpc_id: str, cidr: str, az: str, name: str) -> str:
        subnet_id = self.ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az)["Subnet"][
            "SubnetId"
        ]
        self.ec2.create_tags(Resources=[subnet_id], Tags=[{"Key": "Name", "Value": name}])
        return subnet_id

    def group(self, vpc_id: str, name: str, rules: list[dict[str, Any]]) -> str:
        group_id = self.ec2.create_security_group(GroupName=name, Description=f"demo {name}", VpcId=vpc_id)[
            "GroupId"
        ]
        if rules:
            self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=rules)
        return group_id

    def nat_route_table(self, vpc_id: str, public_subnet: str, subnets: list[str]) -> str:
        """A NAT gateway in a public subnet and a route table sending the subnets' egress to it."""
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=public_subnet, AllocationId=allocation)["NatGateway"]
        for address in nat.get("NatGatewayAddresses", []):
            if address.get("NetworkInterfaceId"):
                realism.mark_managed(
                    self.world.account,
                    self.region,
                    address["NetworkInterfaceId"],
                    "nat_gateway",
                    f"Interface for NAT Gateway {nat['NatGatewayId']}",
                )
        table = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        self.ec2.create_route(
            RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"]
        )
        for subnet in subnets:
            self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        return str(table)

    def isolated_route_table(self, vpc_id: str, subnets: list[str]) -> str:
        """A route table with only the local route: egress through VPC endpoints or not at all."""
        table = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        for subnet in subnets:
            self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        return str(table)

    def endpoints(self, vpc_id: str, names: list[str], subnet: str, group: str, route_table: str) -> None:
        """Interface endpoints (private DNS on) in one subnet, and the S3 gateway endpoint."""
        for name in names:
            endpoint = self.ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                ServiceName=f"com.amazonaws.{self.region}.{name}",
                VpcEndpointType="Interface",
                SubnetIds=[subnet],
                SecurityGroupIds=[group],
                PrivateDnsEnabled=True,
            )["VpcEndpoint"]
            for eni_id in endpoint.get("NetworkInterfaceIds", []):
                realism.mark_managed(
                    self.world.account,
                    self.region,
                    eni_id,
                    "vpc_endpoint",
                    f"VPC Endpoint Interface {endpoint['VpcEndpointId']}",
                )
        self.ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{self.region}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[route_table],
        )

    def filler(self, subnet_id: str, count: int, description: str) -> None:
        """Other workloads' addresses in a subnet (one ENI with secondary IPs)."""
        self.ec2.create_network_interface(
            SubnetId=subnet_id, Description=description, SecondaryPrivateIpAddressCount=count - 1
        )

    # ---------------------------------------------------------------- compute

    def instance_profile(self, name: str) -> str:
        self.iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                        }
                    ],
                }
            ),
        )
        self.iam.create_instance_profile(InstanceProfileName=name)
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return name

    def container_instance(
        self,
        cluster: str,
        instance_type: str,
        subnet_id: str,
        groups: list[str],
        profile: str,
        trunk: bool = False,
        image: str = AMI,
    ) -> tuple[str, str]:
        instance = self.ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType=instance_type,
            SubnetId=subnet_id,
            SecurityGroupIds=groups,
            IamInstanceProfile={"Name": profile},
        )["Instances"][0]
        instance_id = instance["InstanceId"]
        ci = self.ecs.register_container_instance(
            cluster=cluster, instanceIdentityDocument=json.dumps({"instanceId": instance_id})
        )
        ci_arn = ci["containerInstance"]["containerInstanceArn"]
        if trunk:
            eni = self.ec2.create_network_interface(
                SubnetId=subnet_id, Groups=groups, Description="trunk ENI for ECS"
            )["NetworkInterface"]
            self.ec2.attach_network_interface(
                NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=instance_id, DeviceIndex=1
            )
            realism.make_trunk(self.world.account, self.region, eni["NetworkInterfaceId"])
            self.ecs.put_attributes(
                cluster=cluster,
                attributes=[
                    {
                        "name": "ecs.awsvpc-trunk-id",
                        "value": eni["NetworkInterfaceId"],
                        "targetType": "container-instance",
                        "targetId": ci_arn.rsplit("/", 1)[-1],
                    }
                ],
            )
        return instance_id, ci_arn

    def task_definition(
        self,
        family: str,
        mode: str,
        port: int | None = None,
        host_port: int | None = None,
        fargate: bool = False,
        user: str | None = None,
        windows: bool = False,
    ) -> str:
        container: dict[str, Any] = {
            "name": family,
            "image": f"{self.world.account}.dkr.ecr.{self.region}.amazonaws.com/{family}:1",
            "memory": 256,
            "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/{family}"}},
            # Values that must never leave the account: the auditor keeps only their count.
            "environment": [{"name": "DB_PASSWORD", "value": "demo-env-secret-value"}],
            "secrets": [
                {
                    "name": "API_TOKEN",
                    "valueFrom": f"arn:aws:secretsmanager:{self.region}:{self.world.account}:secret:demo",
                }
            ],
        }
        if port is not None:
            mapping: dict[str, Any] = {"containerPort": port, "protocol": "tcp"}
            if host_port is not None:
                mapping["hostPort"] = host_port
            container["portMappings"] = [mapping]
        if user:
            container["user"] = user
        kwargs: dict[str, Any] = {"family": family, "containerDefinitions": [container]}
        if mode != "default":  # Windows without networkMode: ECS's NAT "default"
            kwargs["networkMode"] = mode
        if windows:
            kwargs["runtimePlatform"] = {
                "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE",
                "cpuArchitecture": "X86_64",
            }
        if fargate:
            kwargs.update(requiresCompatibilities=["FARGATE"], cpu="256", memory="512")
        arn = str(self.ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"])
        if mode == "default":
            realism.omit_network_mode(self.world.account, self.region, arn)
        return arn

    def run_awsvpc(
        self,
        cluster: str,
        td: str,
        service: str,
        subnet_id: str,
        groups: list[str],
        instance: tuple[str, str] | None = None,
        trunked: bool = False,
        device_index: int | None = None,
    ) -> None:
        launch = "EC2" if instance else "FARGATE"
        task = self.ecs.run_task(
            cluster=cluster,
            taskDefinition=td,
            launchType=launch,
            group=f"service:{service}",
            startedBy="ecs-svc/demo",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": [subnet_id],
                    "securityGroups": groups,
                    "assignPublicIp": "DISABLED",
                }
            },
        )["tasks"][0]
        self.world.plans.append(
            TaskPlan(
                region=self.region,
                cluster=cluster,
                task_arn=task["taskArn"],
                container_instance_arn=instance[1] if instance else None,
                instance_id=instance[0] if instance else None,
                trunked=trunked,
                device_index=device_index,
            )
        )

    def run_on_host(
        self,
        cluster: str,
        td: str,
        group: str,
        instance: tuple[str, str],
        container: str,
        container_port: int | None,
        host_port: int | None,
    ) -> None:
        task = self.ecs.start_task(
            cluster=cluster,
            taskDefinition=td,
            containerInstances=[instance[1]],
            group=group,
            startedBy="ecs-svc/demo",
        )["tasks"][0]
        ports = [(container, container_port, host_port)] if container_port and host_port else []
        self.world.plans.append(
            TaskPlan(
                region=self.region,
                cluster=cluster,
                task_arn=task["taskArn"],
                container_instance_arn=instance[1],
                instance_id=instance[0],
                host_ports=ports,
            )
        )

    def service(
        self,
        cluster: str,
        name: str,
        td: str,
        desired: int,
        *,
        launch: str = "EC2",
        subnets: list[str] | None = None,
        groups: list[str] | None = None,
        public_ip: bool = False,
        target_group: str | None = None,
        container: str | None = None,
        port: int | None = None,
        daemon: bool = False,
        maximum_percent: int = 200,
        minimum_healthy: int = 100,
        running: int = 0,
        scale_max: int | None = None,
        strategy: str | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "cluster": cluster,
            "serviceName": name,
            "taskDefinition": td,
            "desiredCount": desired,
            "launchType": launch,
        }
        if subnets:
            kwargs["networkConfiguration"] = {
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": groups or [],
                    "assignPublicIp": "ENABLED" if public_ip else "DISABLED",
                }
            }
        if target_group:
            kwargs["loadBalancers"] = [
                {"targetGroupArn": target_group, "containerName": container, "containerPort": port}
            ]
        if daemon:
            kwargs["schedulingStrategy"] = "DAEMON"
            kwargs.pop("desiredCount")
        self.ecs.create_service(**kwargs)
        realism.set_deployment_configuration(
            self.world.account, self.region, cluster, name, maximum_percent, minimum_healthy, strategy
        )
        realism.set_service_counts(self.world.account, self.region, cluster, name, running)
        if scale_max is not None:
            self.aas.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=f"service/{cluster}/{name}",
                ScalableDimension="ecs:service:DesiredCount",
                MinCapacity=desired,
                MaxCapacity=scale_max,
            )

    def alb(self, name: str, subnets: list[str], group: str, vpc_id: str, target_type: str, port: int) -> str:
        lb = self.elbv2.create_load_balancer(
            Name=name, Subnets=subnets, SecurityGroups=[group], Scheme="internet-facing", Type="application"
        )
        lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        tg = self.elbv2.create_target_group(
            Name=f"{name}-tg", Protocol="HTTP", Port=port, VpcId=vpc_id, TargetType=target_type
        )["TargetGroups"][0]["TargetGroupArn"]
        self.elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
        return str(tg)


def _tcp(
    port_from: int, port_to: int, *, cidr: str | None = None, group: str | None = None
) -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port_from, "ToPort": port_to}
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        rule["UserIdGroupPairs"] = [{"GroupId": group}]
    return rule


def _build_primary(client: ClientFactory, world: World) -> None:
    b = _Builder(client, PRIMARY, world)
    b.ecs.put_account_setting(name="awsvpcTrunking", value="enabled")
    vpc = b.vpc("10.0.0.0/16")
    sub_a = b.subnet(vpc, "10.0.1.0/24", "us-east-1a", "private-a")
    sub_b = b.subnet(vpc, "10.0.2.0/24", "us-east-1b", "private-b")
    tight = b.subnet(vpc, "10.0.9.0/28", "us-east-1c", "tight")
    public_a = b.subnet(vpc, "10.0.100.0/24", "us-east-1a", "public-a")
    public_b = b.subnet(vpc, "10.0.101.0/24", "us-east-1b", "public-b")
    world.ids.update(
        vpc_primary=vpc, subnet_a=sub_a, subnet_b=sub_b, subnet_tight=tight, subnet_public_a=public_a
    )

    # Private subnets leave through a NAT gateway; `tight` has only VPC endpoints (not all it needs).
    b.nat_route_table(vpc, public_a, [sub_a, sub_b])
    isolated = b.isolated_route_table(vpc, [tight])
    endpoints_sg = b.group(vpc, "endpoints", [_tcp(443, 443, cidr="10.0.0.0/16")])
    b.endpoints(vpc, ["ecr.api", "ecr.dkr"], sub_a, endpoints_sg, isolated)

    alb_sg = b.group(vpc, "alb", [_tcp(443, 443, cidr="0.0.0.0/0")])
    hosts_open = b.group(
        vpc,
        "hosts-open",
        [
            {
                "IpProtocol": "tcp",
                "FromPort": 32768,
                "ToPort": 65535,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "dynamic ports <for the ALB>"}],
            }
        ],
    )
    hosts_alb = b.group(vpc, "hosts-from-alb", [_tcp(32768, 65535, group=alb_sg)])
    tasks_sg = b.group(vpc, "api-tasks", [_tcp(8080, 8080, group=alb_sg)])
    public_sg = b.group(vpc, "public-api", [_tcp(443, 443, cidr="0.0.0.0/0")])
    legacy = b.group(
        vpc, "legacy-any-private", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
    )
    world.ids.update(
        sg_alb=alb_sg,
        sg_hosts_open=hosts_open,
        sg_hosts_alb=hosts_alb,
        sg_tasks=tasks_sg,
        sg_legacy=legacy,
        sg_public=public_sg,
    )

    profile = b.instance_profile("ecsInstanceRole")
    b.ecs.create_cluster(clusterName="prod-web")
    b.ecs.create_cluster(clusterName="batch", capacityProviders=["FARGATE"])
    trunked = b.container_instance("prod-web", "c5.large", sub_a, [hosts_alb], profile, trunk=True)
    pre_optin = b.container_instance("prod-web", "c5.large", sub_b, [hosts_alb, legacy], profile)
    small = b.container_instance("prod-web", "t3.medium", sub_a, [hosts_open], profile)
    # an Elastic IP on the host with the world-open group: the internet reaches it (critical)
    address = b.ec2.allocate_address(Domain="vpc")["AllocationId"]
    b.ec2.associate_address(AllocationId=address, InstanceId=small[0])
    hosts = (trunked, pre_optin, small)
    world.ids.update(i_trunked=trunked[0], i_pre_optin=pre_optin[0], i_t3=small[0])

    # awsvpc on EC2: fills the untrunked c5.large; its peak (8 × 200 %) does not fit the cluster.
    api_td = b.task_definition("api", "awsvpc", port=8080)
    for _ in range(3):
        b.run_awsvpc("prod-web", api_td, "api", sub_a, [tasks_sg], trunked, trunked=True)
    for slot in (1, 2):
        b.run_awsvpc("prod-web", api_td, "api", sub_b, [tasks_sg], pre_optin, device_index=slot)
    b.run_awsvpc("prod-web", api_td, "api", sub_a, [tasks_sg], small, device_index=1)
    b.service("prod-web", "api", api_td, 6, subnets=[sub_a, sub_b], groups=[tasks_sg], running=6, scale_max=8)

    # bridge with dynamic ports behind an `instance` target group: the recommended bridge setup.
    web_tg = b.alb("web", [public_a, public_b], alb_sg, vpc, "instance", 80)
    web_td = b.task_definition("web", "bridge", port=80, host_port=0)
    for n, host in enumerate((trunked, pre_optin)):
        b.run_on_host("prod-web", web_td, "service:web", host, "web", 80, 49153 + n)
    b.service("prod-web", "web", web_td, 2, target_group=web_tg, container="web", port=80, running=2)

    # bridge with a static host port: 4 wanted, 3 instances; its target group says 8080, tasks bind 8081.
    admin_tg = b.alb("admin", [public_a, public_b], alb_sg, vpc, "instance", 8080)
    admin_td = b.task_definition("legacy-admin", "bridge", port=8080, host_port=8081)
    for host in hosts:
        b.run_on_host("prod-web", admin_td, "service:legacy-admin", host, "legacy-admin", 8080, 8081)
    b.service(
        "prod-web",
        "legacy-admin",
        admin_td,
        4,
        target_group=admin_tg,
        container="legacy-admin",
        port=8080,
        running=3,
    )
    # a static port that fits, deployments included (1 × 200 % = 2 of 3 instances)
    status_td = b.task_definition("status-page", "bridge", port=80, host_port=8082, user="nobody")
    b.run_on_host("prod-web", status_td, "service:status-page", small, "status-page", 80, 8082)
    b.service("prod-web", "status-page", status_td, 1, running=1)

    # host mode daemon running as root, and a sidecar claiming the same host port
    exporter_td = b.task_definition("node-exporter", "host", port=9100, host_port=9100)
    for host in hosts:
        b.run_on_host("prod-web", exporter_td, "service:node-exporter", host, "node-exporter", 9100, 9100)
    b.service("prod-web", "node-exporter", exporter_td, 0, daemon=True, running=3)
    sidecar_td = b.task_definition("metrics-sidecar", "bridge", port=9100, host_port=9100, user="1000")
    # ... and auto scaling may take it to 4 copies of its static port on 3 instances: the scale-out fails
    b.service("prod-web", "metrics-sidecar", sidecar_td, 1, running=0, scale_max=4)

    batch_td = b.task_definition("nightly-report", "none")
    b.run_on_host("prod-web", batch_td, "family:nightly-report", small, "nightly-report", None, None)

    # Fargate in the nearly full /28 without the endpoints its logs and secrets need
    pay_td = b.task_definition("payments", "awsvpc", port=8443, fargate=True)
    for _ in range(3):
        b.run_awsvpc("batch", pay_td, "payments", tight, [tasks_sg])
    b.filler(tight, 5, "reserved for the payments database proxy")
    b.service(
        "batch",
        "payments",
        pay_td,
        3,
        launch="FARGATE",
        subnets=[tight],
        groups=[tasks_sg],
        running=3,
        scale_max=4,
    )

    # Fargate with public IPs in public subnets, wrongly behind an `instance` target group
    public_tg = b.alb("public", [public_a, public_b], alb_sg, vpc, "instance", 443)
    public_td = b.task_definition("public-api", "awsvpc", port=443, fargate=True)
    for subnet in (public_a, public_b):
        b.run_awsvpc("batch", public_td, "public-api", subnet, [public_sg])
    b.service(
        "batch",
        "public-api",
        public_td,
        2,
        launch="FARGATE",
        subnets=[public_a, public_b],
        groups=[public_sg],
        public_ip=True,
        target_group=public_tg,
        container="public-api",
        port=443,
        running=2,
    )

    # Blue/green (ECS's own strategy) in us-east-1b only: two full revisions at once, so its peak is
    # 2 × desired; the only instance in its zone is full and free slots in 1a do not count.
    checkout_td = b.task_definition("checkout", "awsvpc", port=8080)
    b.service(
        "prod-web",
        "checkout",
        checkout_td,
        1,
        subnets=[sub_b],
        groups=[tasks_sg],
        running=0,
        maximum_percent=100,
        strategy="BLUE_GREEN",
    )

    # An ECS Anywhere (external) instance in the same cluster: never sent to EC2, no ENI verdict.
    onprem = b.container_instance("prod-web", "t3.medium", sub_a, [hosts_alb], profile)
    realism.make_external(world.account, PRIMARY, "prod-web", onprem[1], "mi-0a1b2c3d4e5f60718")
    b.ec2.terminate_instances(InstanceIds=[onprem[0]])
    world.ids.update(ci_external=onprem[1])

    # An instance whose trunk ENI could not be provisioned: REGISTRATION_FAILED → instance-registration
    failed = b.container_instance("prod-web", "c5.large", sub_b, [hosts_alb], profile)
    realism.set_registration(
        world.account,
        PRIMARY,
        "prod-web",
        failed[1],
        "REGISTRATION_FAILED",
        "Unable to provision an ENI trunk: the subnet has insufficient free IPv4 addresses",
    )
    world.ids.update(i_registration_failed=failed[0])

    # A Windows cluster: ENI trunking is Linux-only, so its host is never told to get a trunk; its
    # task definition has no networkMode (Windows' NAT `default`, not bridge).
    b.ecs.create_cluster(clusterName="win-apps")
    windows = b.container_instance("win-apps", "c5.large", sub_b, [hosts_alb], profile, image=WINDOWS_AMI)
    world.ids.update(i_windows=windows[0])
    iis_td = b.task_definition("iis-api", "awsvpc", port=80, windows=True)
    b.run_awsvpc("win-apps", iis_td, "iis-api", sub_b, [tasks_sg], windows, device_index=1)
    b.service(
        "win-apps", "iis-api", iis_td, 1, subnets=[sub_b], groups=[tasks_sg], running=1, maximum_percent=100
    )
    legacy_td = b.task_definition("iis-legacy", "default", windows=True)
    b.service("win-apps", "iis-legacy", legacy_td, 0)

    # ENIs nobody uses: a leftover task ENI (orphan) and a load balancer's (AWS-managed, left alone)
    leftover = b.ec2.create_network_interface(
        SubnetId=sub_a, Description=f"arn:aws:ecs:{PRIMARY}:{world.account}:attachment/5f2c9e1d-demo"
    )
    managed = b.ec2.create_network_interface(SubnetId=sub_b, Description="ELB app/web/50dc6c495c0c9188")
    realism.mark_managed(
        world.account,
        PRIMARY,
        managed["NetworkInterface"]["NetworkInterfaceId"],
        "interface",
        "ELB app/web/50dc6c495c0c9188",
    )
    realism.detach(world.account, PRIMARY, managed["NetworkInterface"]["NetworkInterfaceId"])
    world.ids.update(
        eni_leftover=leftover["NetworkInterface"]["NetworkInterfaceId"],
        eni_managed=managed["NetworkInterface"]["NetworkInterfaceId"],
    )


def _build_secondary(client: ClientFactory, world: World) -> None:
    b = _Builder(client, SECONDARY, world)
    b.ecs.put_account_setting(name="awsvpcTrunking", value="disabled")
    vpc = b.vpc("10.1.0.0/16")
    sub_a = b.subnet(vpc, "10.1.1.0/24", "eu-west-1a", "eu-private-a")
    sub_b = b.subnet(vpc, "10.1.2.0/24", "eu-west-1b", "eu-private-b")
    public = b.subnet(vpc, "10.1.100.0/24", "eu-west-1a", "eu-public")
    b.nat_route_table(vpc, public, [sub_a, sub_b])
    hosts = b.group(vpc, "eu-hosts", [_tcp(22, 22, cidr="10.1.0.0/16")])
    tasks_sg = b.group(vpc, "eu-tasks", [_tcp(0, 65535, cidr="10.1.0.0/16")])
    world.ids.update(vpc_secondary=vpc, sg_eu_tasks=tasks_sg, subnet_eu_a=sub_a)
    profile = b.instance_profile("ecsInstanceRoleEu")
    b.ecs.create_cluster(clusterName="eu-app")
    full = b.container_instance("eu-app", "m5.xlarge", sub_a, [hosts], profile)
    spare = b.container_instance("eu-app", "m5.xlarge", sub_b, [hosts], profile)
    world.ids.update(i_eu_full=full[0], i_eu_spare=spare[0])
    td = b.task_definition("orders", "awsvpc", port=8080)
    for slot in (1, 2, 3):
        b.run_awsvpc("eu-app", td, "orders", sub_a, [tasks_sg], full, device_index=slot)
    b.run_awsvpc("eu-app", td, "orders", sub_b, [tasks_sg], spare, device_index=1)
    b.service(
        "eu-app",
        "orders",
        td,
        4,
        subnets=[sub_a, sub_b],
        groups=[tasks_sg],
        running=4,
        maximum_percent=150,
        minimum_healthy=100,
    )
    # A small account's quota view: stands in for a region with thousands of ENIs near its quota.
    realism.set_eni_quota(world.account, SECONDARY, 8)


def build_demo_world(client: ClientFactory, account: str) -> World:
    """Build the sample account through `client(service, region)` and make it realistic. Call it
    inside `realism.moto_like_aws()`, and collect inside it too (tasks stay RUNNING, pages as AWS's)."""
    with realism.moto_like_aws():
        world = World(account=account, regions=(PRIMARY, SECONDARY))
        _build_primary(client, world)
        _build_secondary(client, world)
        build_2025(_Builder(client, PRIMARY, world), _Builder(client, SECONDARY, world), client, world, AMI)
        for plan in world.plans:
            realism.place_task(account, plan)
    return world
