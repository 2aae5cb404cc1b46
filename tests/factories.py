"""Small in-memory snapshots for check tests: a builder that links records by id as AWS would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from auditor.config import Config
from auditor.findings import Finding
from auditor.model import (
    AccountSetting,
    Attachment,
    AutoScalingGroup,
    CapacityProvider,
    Cluster,
    ContainerDefinition,
    ContainerInstance,
    Coverage,
    Ec2Instance,
    InstanceProfile,
    InstanceTypeInfo,
    LoadBalancer,
    NetworkInterface,
    PlacementConstraint,
    PortMapping,
    Quota,
    Route,
    RouteTable,
    ScalableTarget,
    SecurityGroup,
    SecurityGroupRule,
    Service,
    ServiceLoadBalancer,
    Snapshot,
    Subnet,
    TargetGroup,
    Task,
    TaskDefinition,
    Vpc,
    VpcEndpoint,
)

ACCOUNT = "111122223333"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInstanceRole"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/ecsInstanceRole"
MAX_ENIS = {"c5.large": 3, "c5.xlarge": 4, "m5.xlarge": 4, "t3.medium": 3, "m5.4xlarge": 8}


@dataclass
class SnapshotBuilder:
    """Accumulates records; `build()` returns the frozen Snapshot."""

    region: str = REGION
    records: dict[str, list[Any]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _next(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):017x}"

    def _add(self, name: str, item: Any) -> Any:
        self.records.setdefault(name, []).append(item)
        return item

    # ------------------------------------------------------------ records

    def cluster(self, name: str = "prod") -> str:
        arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:cluster/{name}"
        self._add("clusters", Cluster(arn=arn, name=name, account=ACCOUNT, region=self.region))
        return arn

    def trunking(self, value: str, role: str = ROLE) -> None:
        self._add(
            "account_settings",
            AccountSetting(
                account=ACCOUNT,
                region=self.region,
                name="awsvpcTrunking",
                value=value,
                principal_arn=role,
                asked_for=role,
            ),
        )

    def instance(
        self,
        cluster: str,
        instance_type: str = "c5.large",
        *,
        trunk: bool = False,
        subnet: str = "subnet-a",
        groups: tuple[str, ...] = (),
        extra_enis: int = 0,
        profile: str | None = PROFILE,
        status: str = "ACTIVE",
        status_reason: str | None = None,
        registered_at: str | None = None,
        running_tasks: int = 0,
        agent_connected: bool = True,
        public_ip: str | None = None,
    ) -> tuple[str, str]:
        """A container instance with its EC2 instance, primary ENI and optional trunk/extra ENIs."""
        instance_id = self._next("i")
        cluster_name = cluster.rsplit("/", 1)[-1]
        ci_arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:container-instance/{cluster_name}/{instance_id}"
        primary = self.eni(
            subnet, attached_to=instance_id, device_index=0, groups=groups, public_ip=public_ip
        )
        attributes: tuple[tuple[str, str], ...] = (("ecs.instance-type", instance_type),)
        if trunk:
            trunk_eni = self.eni(subnet, attached_to=instance_id, device_index=1, interface_type="trunk")
            attributes += (("ecs.awsvpc-trunk-id", trunk_eni),)
        for n in range(extra_enis):
            self.eni(subnet, attached_to=instance_id, device_index=2 + n + (1 if trunk else 0))
        self._add(
            "container_instances",
            ContainerInstance(
                arn=ci_arn,
                cluster_arn=cluster,
                account=ACCOUNT,
                region=self.region,
                ec2_instance_id=instance_id,
                status=status,
                agent_connected=agent_connected,
                attributes=attributes,
                status_reason=status_reason,
                registered_at=registered_at,
                running_tasks=running_tasks,
            ),
        )
        self._add(
            "ec2_instances",
            Ec2Instance(
                instance_id=instance_id,
                account=ACCOUNT,
                region=self.region,
                instance_type=instance_type,
                state="running",
                subnet_id=subnet,
                vpc_id="vpc-1",
                instance_profile_arn=profile,
                primary_eni_id=primary,
                security_group_ids=groups,
            ),
        )
        if not any(t.instance_type == instance_type for t in self.records.get("instance_types", [])):
            self._add(
                "instance_types",
                InstanceTypeInfo(
                    instance_type=instance_type, region=self.region, max_enis=MAX_ENIS[instance_type]
                ),
            )
        if profile and not any(p.arn == profile for p in self.records.get("instance_profiles", [])):
            self._add("instance_profiles", InstanceProfile(arn=profile, account=ACCOUNT, role_arns=(ROLE,)))
        return ci_arn, instance_id

    def eni(
        self,
        subnet: str,
        *,
        attached_to: str | None = None,
        device_index: int | None = None,
        interface_type: str = "interface",
        status: str = "in-use",
        ips: int = 1,
        groups: tuple[str, ...] = (),
        public_ip: str | None = None,
    ) -> str:
        eni_id = self._next("eni")
        self._add(
            "network_interfaces",
            NetworkInterface(
                eni_id=eni_id,
                account=ACCOUNT,
                region=self.region,
                subnet_id=subnet,
                vpc_id="vpc-1",
                availability_zone="us-east-1a",
                interface_type=interface_type,
                status=status,
                private_ips=tuple(f"10.0.{n // 250}.{n % 250 + 4}" for n in range(ips)),
                security_group_ids=groups,
                attached_instance_id=attached_to,
                device_index=device_index,
                public_ip=public_ip,
            ),
        )
        return eni_id

    def task_definition(
        self,
        family: str = "app",
        mode: str = "awsvpc",
        *,
        host_port: int | None = None,
        container_port: int | None = 8080,
        user: str | None = "1000",
        privileged: bool | None = None,
        image: str = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1",
        log_driver: str | None = None,
        secret_sources: tuple[str, ...] = (),
        placement: tuple[PlacementConstraint, ...] = (),
    ) -> str:
        arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:task-definition/{family}:1"
        mappings = (
            (PortMapping(container_port=container_port, host_port=host_port),) if container_port else ()
        )
        self._add(
            "task_definitions",
            TaskDefinition(
                arn=arn,
                family=family,
                revision=1,
                account=ACCOUNT,
                region=self.region,
                network_mode=mode,
                containers=(
                    ContainerDefinition(
                        name=family,
                        image=image,
                        port_mappings=mappings,
                        user=user,
                        privileged=privileged,
                        log_driver=log_driver,
                        secrets_count=len(secret_sources),
                        secret_sources=secret_sources,
                    ),
                ),
                placement_constraints=placement,
            ),
        )
        return arn

    def task(
        self,
        cluster: str,
        td: str,
        *,
        instance: tuple[str, str] | None = None,
        subnet: str | None = "subnet-a",
        service: str | None = None,
        trunked: bool = False,
        groups: tuple[str, ...] = (),
        status: str = "RUNNING",
    ) -> str:
        """A task; with `subnet`, an awsvpc ENI in it (attached to the instance unless trunked)."""
        arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:task/{self._next('t')}"
        attachments: tuple[Attachment, ...] = ()
        if subnet:
            attached = instance[1] if instance and not trunked else None
            index = (
                len(
                    [
                        e
                        for e in self.records.get("network_interfaces", [])
                        if e.attached_instance_id == attached
                    ]
                )
                if attached
                else None
            )
            eni_id = self.eni(
                subnet,
                attached_to=attached,
                device_index=index,
                groups=groups,
                interface_type="branch" if trunked else "interface",
            )
            attachments = (
                Attachment(
                    id="att",
                    type="ElasticNetworkInterface",
                    status="ATTACHED",
                    details=(("subnetId", subnet), ("networkInterfaceId", eni_id)),
                ),
            )
        self._add(
            "tasks",
            Task(
                arn=arn,
                cluster_arn=cluster,
                account=ACCOUNT,
                region=self.region,
                task_definition_arn=td,
                last_status=status,
                desired_status="RUNNING",
                launch_type="EC2" if instance else "FARGATE",
                container_instance_arn=instance[0] if instance else None,
                group=f"service:{service}" if service else None,
                started_by=None,
                eni_attachments=attachments,
            ),
        )
        return arn

    def service(
        self,
        cluster: str,
        name: str,
        td: str,
        *,
        desired: int = 2,
        subnets: tuple[str, ...] = (),
        launch_type: str | None = "EC2",
        maximum_percent: int | None = 200,
        scale_max: int | None = None,
        groups: tuple[str, ...] = (),
        target_group: str | None = None,
        scheduling: str = "REPLICA",
        public_ip: bool = False,
        minimum_healthy: int | None = 100,
        placement: tuple[PlacementConstraint, ...] = (),
        container_port: int = 80,
    ) -> str:
        arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:service/{cluster.rsplit('/', 1)[-1]}/{name}"
        lbs = (
            (
                ServiceLoadBalancer(
                    target_group_arn=target_group,
                    load_balancer_name=None,
                    container_name=name,
                    container_port=container_port,
                ),
            )
            if target_group
            else ()
        )
        self._add(
            "services",
            Service(
                arn=arn,
                name=name,
                cluster_arn=cluster,
                account=ACCOUNT,
                region=self.region,
                status="ACTIVE",
                task_definition_arn=td,
                launch_type=launch_type,
                desired_count=desired,
                subnets=subnets,
                security_groups=groups,
                assign_public_ip=("ENABLED" if public_ip else "DISABLED") if subnets else None,
                maximum_percent=maximum_percent,
                minimum_healthy_percent=minimum_healthy,
                placement_constraints=placement,
                load_balancers=lbs,
                scheduling_strategy=scheduling,
            ),
        )
        if scale_max is not None:
            self._add(
                "scalable_targets",
                ScalableTarget(
                    resource_id=f"service/{cluster.rsplit('/', 1)[-1]}/{name}",
                    account=ACCOUNT,
                    region=self.region,
                    min_capacity=desired,
                    max_capacity=scale_max,
                ),
            )
        return arn

    def subnet(
        self,
        subnet_id: str = "subnet-a",
        cidr: str | None = "10.0.1.0/24",
        available: int = 200,
        vpc: str = "vpc-1",
    ) -> str:
        self._add(
            "subnets",
            Subnet(
                subnet_id=subnet_id,
                account=ACCOUNT,
                region=self.region,
                vpc_id=vpc,
                availability_zone="us-east-1a",
                cidr=cidr,
                available_ips=available,
            ),
        )
        return subnet_id

    def vpc(self, vpc_id: str = "vpc-1", cidr: str = "10.0.0.0/16") -> str:
        self._add("vpcs", Vpc(vpc_id=vpc_id, account=ACCOUNT, region=self.region, cidrs=(cidr,)))
        return vpc_id

    def security_group(
        self, group_id: str, rules: list[SecurityGroupRule], name: str = "sg", vpc: str = "vpc-1"
    ) -> str:
        self._add(
            "security_groups",
            SecurityGroup(
                group_id=group_id,
                account=ACCOUNT,
                region=self.region,
                name=name,
                vpc_id=vpc,
                ingress=tuple(rules),
            ),
        )
        return group_id

    def load_balancer(self, group_id: str, target_type: str = "instance", port: int = 80) -> str:
        lb_arn = f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT}:loadbalancer/app/lb/1"
        self._add(
            "load_balancers",
            LoadBalancer(
                arn=lb_arn,
                account=ACCOUNT,
                region=self.region,
                name="lb",
                type="application",
                vpc_id="vpc-1",
                security_group_ids=(group_id,),
            ),
        )
        tg_arn = f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT}:targetgroup/tg/1"
        self._add(
            "target_groups",
            TargetGroup(
                arn=tg_arn,
                account=ACCOUNT,
                region=self.region,
                name="tg",
                target_type=target_type,
                port=port,
                protocol="HTTP",
                vpc_id="vpc-1",
                load_balancer_arns=(lb_arn,),
            ),
        )
        return tg_arn

    def route_table(
        self,
        table_id: str,
        routes: list[tuple[str, str, str]],
        *,
        subnets: tuple[str, ...] = (),
        main: bool = False,
        vpc: str = "vpc-1",
    ) -> str:
        """Routes as (destination, target type, target id)."""
        self._add(
            "route_tables",
            RouteTable(
                route_table_id=table_id,
                account=ACCOUNT,
                region=self.region,
                vpc_id=vpc,
                main=main,
                subnet_ids=subnets,
                routes=tuple(Route(destination=d, target_type=t, target_id=i) for d, t, i in routes),
            ),
        )
        return table_id

    def endpoint(
        self,
        name: str,
        *,
        kind: str = "Interface",
        route_tables: tuple[str, ...] = (),
        groups: tuple[str, ...] = (),
        private_dns: bool | None = True,
        vpc: str = "vpc-1",
    ) -> str:
        endpoint_id = self._next("vpce")
        self._add(
            "vpc_endpoints",
            VpcEndpoint(
                endpoint_id=endpoint_id,
                account=ACCOUNT,
                region=self.region,
                vpc_id=vpc,
                service_name=f"com.amazonaws.{self.region}.{name}",
                endpoint_type=kind,
                state="available",
                route_table_ids=route_tables,
                security_group_ids=groups,
                private_dns_enabled=private_dns if kind == "Interface" else None,
            ),
        )
        return endpoint_id

    def quota(self, value: float, source: str = "service-quotas") -> None:
        self._add(
            "quotas",
            Quota(
                account=ACCOUNT,
                region=self.region,
                service_code="vpc",
                quota_code="L-DF5E4CA3",
                value=value,
                source=source,
            ),
        )

    def coverage(self, api: str, status: str = "ok", detail: str = "") -> None:
        self._add(
            "coverage",
            Coverage(account=ACCOUNT, region=self.region, api=api, status=status, detail=detail, calls=1),
        )

    def build(self) -> Snapshot:
        return Snapshot(
            generated_at="2026-11-25T10:00:00Z",
            tool_version="test",
            accounts=(ACCOUNT,),
            regions=(self.region,),
            **{k: tuple(v) for k, v in self.records.items()},
        )


def rule(
    protocol: str = "tcp",
    from_port: int | None = 32768,
    to_port: int | None = 65535,
    *,
    cidr: str | None = None,
    group: str | None = None,
    prefix_list: str | None = None,
) -> SecurityGroupRule:
    return SecurityGroupRule(
        protocol=protocol,
        from_port=from_port,
        to_port=to_port,
        cidr=cidr,
        group_id=group,
        prefix_list_id=prefix_list,
    )


def run_check(module: Any, snapshot: Snapshot, config: Config | None = None) -> list[Finding]:
    """A check module's findings on a snapshot, through the analysis context `analyse` builds."""
    from auditor.analysis.context import AnalysisContext

    return list(module.run(AnalysisContext.build(snapshot, config or Config())))


def with_provider(
    b: SnapshotBuilder,
    *,
    provider_type: str = "EC2_AUTOSCALING",
    managed_scaling: str = "ENABLED",
    group: tuple[int, int] | None = (6, 3),  # (MaxSize, DesiredCapacity); None: not collected
    placement: tuple[PlacementConstraint, ...] = (),
) -> SnapshotBuilder:
    """The service places through a capacity provider (launch type none) backed by group `asg`."""
    b.records["services"] = [
        replace(s, launch_type=None, capacity_providers=("cp",), placement_constraints=placement)
        for s in b.records["services"]
    ]
    b.records["container_instances"] = [
        replace(ci, capacity_provider="cp") for ci in b.records["container_instances"]
    ]
    asg_arn = f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1:autoScalingGroupName/asg"
    b._add(
        "capacity_providers",
        CapacityProvider(
            arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/cp",
            name="cp",
            account=ACCOUNT,
            region=REGION,
            status="ACTIVE",
            type=provider_type,
            auto_scaling_group_arn=asg_arn if provider_type == "EC2_AUTOSCALING" else None,
            managed_scaling=managed_scaling if provider_type == "EC2_AUTOSCALING" else None,
        ),
    )
    if group is None:
        b.coverage("autoscaling:DescribeAutoScalingGroups", "denied", "AccessDenied")
    else:
        b.coverage("autoscaling:DescribeAutoScalingGroups")
        b._add(
            "auto_scaling_groups",
            AutoScalingGroup("asg", asg_arn, ACCOUNT, REGION, 0, group[0], group[1]),
        )
    return b
