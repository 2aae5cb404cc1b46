"""The snapshot's records: plain frozen data, linked by id strings, never by object reference.

Every record carries the `account` and `region` it came from, so records of several regions can
sit in one snapshot. Collectors build these from API pages; checks read them; `snapshot.py` saves
and loads them losslessly. Optional fields are `None` when AWS did not return them (which is not
the same as "false" or "zero").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Coverage:
    """One attempted API in one account and region, and how it went."""

    account: str
    region: str
    api: str  # "ecs:DescribeTasks"
    status: str  # ok | denied | error | skipped
    detail: str = ""
    calls: int = 0  # requests made (pages and batches), retries not included
    retries: int = 0  # retries botocore made across those calls
    reason: str = ""  # why a gap, where known: scp | region-disabled | assume-role


@dataclass(frozen=True)
class Cluster:
    arn: str
    name: str
    account: str
    region: str
    status: str = "ACTIVE"
    capacity_providers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """An ECS attachment (task ENI, container-instance ENI) with its name/value details."""

    id: str
    type: str
    status: str
    details: tuple[tuple[str, str], ...] = ()

    def detail(self, name: str) -> str | None:
        """The value of one detail (`networkInterfaceId`, `subnetId`, …) or None."""
        for key, value in self.details:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class ContainerInstance:
    arn: str
    cluster_arn: str
    account: str
    region: str
    ec2_instance_id: str | None
    status: str
    agent_connected: bool
    attributes: tuple[tuple[str, str], ...] = ()  # (name, value); value "" when none
    attachments: tuple[Attachment, ...] = ()
    running_tasks: int = 0
    pending_tasks: int = 0
    status_reason: str | None = None  # why it is REGISTRATION_FAILED, REGISTERING … (ECS `statusReason`)
    registered_at: str | None = None  # ISO time of registration
    capacity_provider: str | None = None  # `capacityProviderName` (an ECS Managed Instances provider, …)

    def attribute(self, name: str) -> str | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None

    @property
    def is_external(self) -> bool:
        """ECS Anywhere: the `ecs.capability.external` attribute, or an SSM managed-instance id."""
        return self.attribute("ecs.capability.external") is not None or (
            self.ec2_instance_id or ""
        ).startswith("mi-")

    @property
    def os_type(self) -> str | None:
        """`linux` or `windows` (the agent's `ecs.os-type` attribute); None when not reported."""
        value = self.attribute("ecs.os-type")
        return value.lower() if value else None


@dataclass(frozen=True)
class PlacementConstraint:
    type: str
    expression: str = ""


@dataclass(frozen=True)
class ServiceLoadBalancer:
    target_group_arn: str | None
    load_balancer_name: str | None
    container_name: str | None
    container_port: int | None
    alternate_target_group_arn: str | None = None  # `advancedConfiguration` (BLUE_GREEN, LINEAR, CANARY)


@dataclass(frozen=True)
class VpcLatticeConfiguration:
    """A service's `vpcLatticeConfigurations` entry: ECS registers its tasks in this target group."""

    target_group_arn: str
    port_name: str | None = None


@dataclass(frozen=True)
class Deployment:
    id: str
    status: str
    task_definition_arn: str
    desired_count: int
    running_count: int


@dataclass(frozen=True)
class TaskSet:
    """A task set of an EXTERNAL or CODE_DEPLOY service: where its tasks run lives here."""

    id: str
    status: str  # PRIMARY | ACTIVE | DRAINING
    task_definition_arn: str | None
    launch_type: str | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    assign_public_ip: str | None = None
    load_balancers: tuple[ServiceLoadBalancer, ...] = ()
    started_by: str | None = None


@dataclass(frozen=True)
class Service:
    arn: str
    name: str
    cluster_arn: str
    account: str
    region: str
    status: str
    task_definition_arn: str | None
    launch_type: str | None  # EC2 | FARGATE | EXTERNAL | None when a capacity provider strategy is used
    capacity_providers: tuple[str, ...] = ()
    scheduling_strategy: str = "REPLICA"
    desired_count: int = 0
    running_count: int = 0
    pending_count: int = 0
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    assign_public_ip: str | None = None  # ENABLED | DISABLED | None (not awsvpc)
    maximum_percent: int | None = None  # None when AWS did not return the deployment config
    minimum_healthy_percent: int | None = None
    load_balancers: tuple[ServiceLoadBalancer, ...] = ()
    placement_constraints: tuple[PlacementConstraint, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    task_set_public_ips: tuple[str, ...] = ()  # assignPublicIp of each task set (EXTERNAL/CODE_DEPLOY)
    deployment_controller: str = "ECS"  # ECS | CODE_DEPLOY | EXTERNAL
    deployment_strategy: str | None = (
        None  # ROLLING | BLUE_GREEN | LINEAR | CANARY (ECS controller); None: not returned
    )
    task_sets: tuple[TaskSet, ...] = ()
    availability_zone_rebalancing: str | None = None  # ENABLED | DISABLED | None (not returned)
    vpc_lattice: tuple[VpcLatticeConfiguration, ...] = ()  # of the primary (newest) deployment
    service_connect_enabled: bool = False
    service_connect_port_names: tuple[str, ...] = ()  # `services[].portName` of its Service Connect config

    @property
    def group(self) -> str:
        """The task `group` the ECS scheduler gives this service's tasks."""
        return f"service:{self.name}"


@dataclass(frozen=True)
class PortMapping:
    container_port: int | None
    host_port: int | None  # None: not given (awsvpc/host: = containerPort; bridge: dynamic)
    protocol: str = "tcp"
    container_port_range: str | None = None  # "10000-10099": a range mapping (no containerPort then)
    name: str | None = None  # the mapping's name (Service Connect and VPC Lattice refer to it)


@dataclass(frozen=True)
class ContainerDefinition:
    """A container of a task definition. Values of `environment` and `secrets` are never kept."""

    name: str
    image: str
    port_mappings: tuple[PortMapping, ...] = ()
    user: str | None = None
    privileged: bool | None = None
    log_driver: str | None = None
    environment_count: int = 0
    secrets_count: int = 0
    secret_sources: tuple[str, ...] = ()  # "secretsmanager" / "ssm": which service holds them, never what


@dataclass(frozen=True)
class TaskDefinition:
    arn: str
    family: str
    revision: int
    account: str
    region: str
    network_mode: str  # awsvpc | bridge | host | none | default (Windows without networkMode: NAT)
    requires_compatibilities: tuple[str, ...] = ()
    containers: tuple[ContainerDefinition, ...] = ()
    placement_constraints: tuple[PlacementConstraint, ...] = ()
    os_family: str | None = None  # runtimePlatform.operatingSystemFamily (LINUX, WINDOWS_SERVER_2022_FULL …)


@dataclass(frozen=True)
class NetworkBinding:
    container_name: str
    container_port: int | None
    host_port: int | None
    protocol: str = "tcp"
    bind_ip: str | None = None  # "0.0.0.0", "::" …: one port bound for IPv4 and IPv6 is two bindings
    container_port_range: str | None = None
    host_port_range: str | None = None


@dataclass(frozen=True)
class Task:
    arn: str
    cluster_arn: str
    account: str
    region: str
    task_definition_arn: str
    last_status: str
    desired_status: str
    launch_type: str | None
    container_instance_arn: str | None
    group: str | None
    started_by: str | None
    availability_zone: str | None = None
    eni_attachments: tuple[Attachment, ...] = ()
    network_bindings: tuple[NetworkBinding, ...] = ()

    @property
    def eni_ids(self) -> tuple[str, ...]:
        ids = (a.detail("networkInterfaceId") for a in self.eni_attachments)
        return tuple(i for i in ids if i)

    @property
    def subnet_ids(self) -> tuple[str, ...]:
        ids = (a.detail("subnetId") for a in self.eni_attachments)
        return tuple(i for i in ids if i)


@dataclass(frozen=True)
class Ec2Instance:
    instance_id: str
    account: str
    region: str
    instance_type: str
    state: str
    subnet_id: str | None
    vpc_id: str | None
    instance_profile_arn: str | None
    primary_eni_id: str | None
    security_group_ids: tuple[str, ...] = ()
    launch_time: str | None = None
    auto_scaling_group: str | None = None  # its `aws:autoscaling:groupName` tag


@dataclass(frozen=True)
class InstanceProfile:
    arn: str
    account: str
    role_arns: tuple[str, ...]


@dataclass(frozen=True)
class InstanceTypeInfo:
    instance_type: str
    region: str
    max_enis: int
    ipv4_per_eni: int | None = None


@dataclass(frozen=True)
class AccountSetting:
    """`awsvpcTrunking` as ECS reports it, effective for `principal_arn` (None: for the caller)."""

    account: str
    region: str
    name: str
    value: str
    principal_arn: str | None
    asked_for: str | None  # the principal we asked about; None = the caller / account default


@dataclass(frozen=True)
class NetworkInterface:
    eni_id: str
    account: str
    region: str
    subnet_id: str | None
    vpc_id: str | None
    availability_zone: str | None
    interface_type: str
    status: str
    description: str = ""
    requester_managed: bool = False
    requester_id: str | None = None
    private_ips: tuple[str, ...] = ()
    ipv6_count: int = 0
    security_group_ids: tuple[str, ...] = ()
    attached_instance_id: str | None = None
    device_index: int | None = None
    public_ip: str | None = None


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    account: str
    region: str
    vpc_id: str
    availability_zone: str
    cidr: str | None  # None for IPv6-only subnets
    available_ips: int
    ipv6_cidrs: tuple[str, ...] = ()
    map_public_ip_on_launch: bool = False
    ipv6_native: bool = False  # an IPv6-only subnet: no IPv4 CIDR at all
    enable_dns64: bool = False


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    account: str
    region: str
    cidrs: tuple[str, ...] = ()
    ipv6_cidrs: tuple[str, ...] = ()
    enable_dns_support: bool | None = None  # ec2:DescribeVpcAttribute; None when not asked or not answered
    enable_dns_hostnames: bool | None = None


@dataclass(frozen=True)
class SecurityGroupRule:
    """One inbound or outbound permission for one source (AWS groups several in one entry)."""

    protocol: str  # "tcp", "udp", "icmp", "-1" (all) or a protocol number
    from_port: int | None
    to_port: int | None
    cidr: str | None = None  # IPv4 or IPv6 CIDR
    group_id: str | None = None
    group_owner: str | None = None
    prefix_list_id: str | None = None
    description: str = ""


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    account: str
    region: str
    name: str
    vpc_id: str | None
    ingress: tuple[SecurityGroupRule, ...] = ()
    egress: tuple[SecurityGroupRule, ...] = ()


@dataclass(frozen=True)
class Route:
    destination: str  # CIDR or prefix list id
    target_type: str  # gateway | nat-gateway | transit-gateway | instance | network-interface | ...
    target_id: str
    state: str = "active"


@dataclass(frozen=True)
class RouteTable:
    route_table_id: str
    account: str
    region: str
    vpc_id: str
    main: bool
    subnet_ids: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True)
class VpcEndpoint:
    endpoint_id: str
    account: str
    region: str
    vpc_id: str
    service_name: str
    endpoint_type: str  # Interface | Gateway | GatewayLoadBalancer
    state: str
    route_table_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    private_dns_enabled: bool | None = None


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    account: str
    region: str
    name: str
    type: str
    vpc_id: str | None
    security_group_ids: tuple[str, ...] = ()
    scheme: str | None = None  # internet-facing | internal


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    account: str
    region: str
    name: str
    target_type: str  # instance | ip | lambda | alb
    port: int | None
    protocol: str | None
    vpc_id: str | None
    load_balancer_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class LatticeTargetGroup:
    """A VPC Lattice target group (vpc-lattice:GetTargetGroup); `type` is IP, INSTANCE, LAMBDA or ALB."""

    arn: str
    account: str
    region: str
    name: str
    type: str
    vpc_id: str | None = None
    port: int | None = None
    ip_address_type: str | None = None  # IPV4 | IPV6


@dataclass(frozen=True)
class CapacityProvider:
    """An ECS capacity provider: an Auto Scaling group's, or ECS Managed Instances' own."""

    arn: str
    name: str
    account: str
    region: str
    status: str
    type: str | None  # EC2_AUTOSCALING | MANAGED_INSTANCES | FARGATE | FARGATE_SPOT | None (not returned)
    cluster: str | None = None  # the cluster a Managed Instances provider belongs to
    auto_scaling_group_arn: str | None = None
    managed_scaling: str | None = None  # ENABLED | DISABLED (Auto Scaling group providers)
    subnets: tuple[str, ...] = ()  # Managed Instances: where ECS launches its instances
    security_groups: tuple[str, ...] = ()
    infrastructure_role_arn: str | None = None
    instance_profile_arn: str | None = None
    allowed_instance_types: tuple[str, ...] = ()  # its instance requirements' allowedInstanceTypes
    instance_requirements: str = ""  # the rest of its instanceRequirements, as compact JSON

    @property
    def auto_scaling_group_name(self) -> str | None:
        arn = self.auto_scaling_group_arn
        if not arn:
            return None
        return arn.split(":autoScalingGroupName/", 1)[-1] if ":autoScalingGroupName/" in arn else arn


@dataclass(frozen=True)
class AutoScalingGroup:
    """An Auto Scaling group behind container instances (autoscaling:DescribeAutoScalingGroups)."""

    name: str
    arn: str
    account: str
    region: str
    min_size: int
    max_size: int
    desired_capacity: int
    subnets: tuple[str, ...] = ()  # VPCZoneIdentifier
    availability_zones: tuple[str, ...] = ()
    instance_ids: tuple[str, ...] = ()
    instance_zones: tuple[str, ...] = ()  # the zone of each instance in `instance_ids`, in order
    instance_types: tuple[str, ...] = ()  # of its instances, and its launch template overrides


@dataclass(frozen=True)
class ScalableTarget:
    """An application-auto-scaling target of an ECS service (`service/<cluster>/<service>`)."""

    resource_id: str
    account: str
    region: str
    min_capacity: int
    max_capacity: int


@dataclass(frozen=True)
class Quota:
    account: str
    region: str
    service_code: str
    quota_code: str
    value: float
    source: str  # "service-quotas" | "default" (not readable: AWS's documented default used)


@dataclass(frozen=True)
class PlannedAccount:
    """An account a many-account run (`--org`, `--account`) attempted, whatever came of it."""

    account: str
    name: str = ""  # its name in the organisation; empty when the accounts were named by id


@dataclass(frozen=True)
class MissingCluster:
    """A cluster named with `--cluster` that the region did not have."""

    account: str
    region: str
    name: str


@dataclass(frozen=True)
class Snapshot:
    """Everything collected in one audit, for every account and region it covered."""

    generated_at: str
    tool_version: str
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    cluster_filter: tuple[str, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    container_instances: tuple[ContainerInstance, ...] = ()
    services: tuple[Service, ...] = ()
    tasks: tuple[Task, ...] = ()
    task_definitions: tuple[TaskDefinition, ...] = ()
    ec2_instances: tuple[Ec2Instance, ...] = ()
    instance_profiles: tuple[InstanceProfile, ...] = ()
    instance_types: tuple[InstanceTypeInfo, ...] = ()
    account_settings: tuple[AccountSetting, ...] = ()
    network_interfaces: tuple[NetworkInterface, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    vpcs: tuple[Vpc, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    vpc_endpoints: tuple[VpcEndpoint, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()
    scalable_targets: tuple[ScalableTarget, ...] = ()
    quotas: tuple[Quota, ...] = ()
    capacity_providers: tuple[CapacityProvider, ...] = ()
    auto_scaling_groups: tuple[AutoScalingGroup, ...] = ()
    lattice_target_groups: tuple[LatticeTargetGroup, ...] = ()
    missing_clusters: tuple[MissingCluster, ...] = ()
    planned_accounts: tuple[PlannedAccount, ...] = ()  # many-account runs only
