"""ECS: clusters, container instances, services, tasks, task definitions, account settings.

Batches at the APIs' maxima: ListX pages of 100, DescribeServices 10, DescribeTasks and
DescribeContainerInstances 100, DescribeClusters 100. Task definitions are fetched once each, only
those that services and tasks reference. The values of `environment` and `secrets` are never kept.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from auditor.errors import ApiFailure
from auditor.model import (
    AccountSetting,
    Attachment,
    CapacityProvider,
    Cluster,
    ContainerDefinition,
    ContainerInstance,
    Deployment,
    NetworkBinding,
    PlacementConstraint,
    PortMapping,
    Service,
    ServiceLoadBalancer,
    Task,
    TaskDefinition,
    TaskSet,
    VpcLatticeConfiguration,
)

if TYPE_CHECKING:
    from auditor.collect.session import Recorder

TRUNKING_SETTING = "awsvpcTrunking"
LIST_PAGE = 100  # the List APIs' maximum page size
# The Describe APIs' maximum batch per call, by what they describe.
DESCRIBE_BATCH = {
    "clusters": 100,
    "containerInstances": 100,
    "services": 10,
    "tasks": 100,
    "capacityProviders": 100,
}


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------- parsing (pure)


def _attachment(raw: dict[str, Any]) -> Attachment:
    details = tuple((str(d.get("name", "")), str(d.get("value", ""))) for d in raw.get("details", []))
    return Attachment(
        id=raw.get("id", ""), type=raw.get("type", ""), status=raw.get("status", ""), details=details
    )


def parse_cluster(raw: dict[str, Any], account: str, region: str) -> Cluster:
    return Cluster(
        arn=raw["clusterArn"],
        name=raw.get("clusterName", raw["clusterArn"].split("/")[-1]),
        account=account,
        region=region,
        status=raw.get("status", "ACTIVE"),
        capacity_providers=tuple(raw.get("capacityProviders", [])),
    )


def parse_container_instance(
    raw: dict[str, Any], cluster_arn: str, account: str, region: str
) -> ContainerInstance:
    attributes = tuple((a["name"], str(a.get("value", ""))) for a in raw.get("attributes", []))
    return ContainerInstance(
        arn=raw["containerInstanceArn"],
        cluster_arn=cluster_arn,
        account=account,
        region=region,
        ec2_instance_id=raw.get("ec2InstanceId"),
        status=raw.get("status", ""),
        agent_connected=bool(raw.get("agentConnected", False)),
        attributes=attributes,
        attachments=tuple(_attachment(a) for a in raw.get("attachments", [])),
        running_tasks=int(raw.get("runningTasksCount", 0)),
        pending_tasks=int(raw.get("pendingTasksCount", 0)),
        status_reason=raw.get("statusReason") or None,
        registered_at=_iso(raw.get("registeredAt")),
        capacity_provider=raw.get("capacityProviderName") or None,
    )


def _iso(value: Any) -> str | None:
    """An API timestamp (datetime from botocore, or text) as ISO 8601 text; None when absent."""
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _load_balancers(raw: list[dict[str, Any]]) -> tuple[ServiceLoadBalancer, ...]:
    return tuple(
        ServiceLoadBalancer(
            target_group_arn=lb.get("targetGroupArn"),
            load_balancer_name=lb.get("loadBalancerName"),
            container_name=lb.get("containerName"),
            container_port=lb.get("containerPort"),
            alternate_target_group_arn=(lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn"),
        )
        for lb in raw
    )


def parse_task_set(raw: dict[str, Any]) -> TaskSet:
    awsvpc = (raw.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return TaskSet(
        id=raw.get("id", ""),
        status=raw.get("status", ""),
        task_definition_arn=raw.get("taskDefinition"),
        launch_type=raw.get("launchType") or None,
        subnets=tuple(awsvpc.get("subnets", [])),
        security_groups=tuple(awsvpc.get("securityGroups", [])),
        assign_public_ip=awsvpc.get("assignPublicIp", "DISABLED") if awsvpc else None,
        load_balancers=_load_balancers(raw.get("loadBalancers", [])),
        started_by=raw.get("startedBy"),
    )


def _primary(task_sets: tuple[TaskSet, ...]) -> TaskSet | None:
    """The task set that carries the service's traffic: PRIMARY, else the first ACTIVE one."""
    return next((t for t in task_sets if t.status == "PRIMARY"), None) or next(
        (t for t in task_sets if t.status == "ACTIVE"), None
    )


def parse_service(raw: dict[str, Any], account: str, region: str) -> Service:
    """A service. For EXTERNAL and CODE_DEPLOY services the network configuration, task definition
    and load balancers live on the task sets: the primary task set's fill what the service lacks,
    and the service's subnets and groups are the union over its task sets."""
    awsvpc = raw.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
    deployment_config = raw.get("deploymentConfiguration") or {}
    task_sets = tuple(parse_task_set(ts) for ts in raw.get("taskSets", []))
    primary = _primary(task_sets)
    subnets = tuple(awsvpc.get("subnets", [])) or tuple(
        dict.fromkeys(s for t in task_sets for s in t.subnets)
    )
    groups = tuple(awsvpc.get("securityGroups", [])) or tuple(
        dict.fromkeys(g for t in task_sets for g in t.security_groups)
    )
    public_ip = awsvpc.get("assignPublicIp") if awsvpc else (primary.assign_public_ip if primary else None)
    load_balancers = _load_balancers(raw.get("loadBalancers", [])) or tuple(
        lb for t in task_sets for lb in t.load_balancers
    )
    return Service(
        arn=raw["serviceArn"],
        name=raw["serviceName"],
        cluster_arn=raw.get("clusterArn", ""),
        account=account,
        region=region,
        status=raw.get("status", ""),
        task_definition_arn=raw.get("taskDefinition") or (primary.task_definition_arn if primary else None),
        launch_type=raw.get("launchType") or (primary.launch_type if primary else None),
        capacity_providers=tuple(s["capacityProvider"] for s in raw.get("capacityProviderStrategy", [])),
        scheduling_strategy=raw.get("schedulingStrategy", "REPLICA"),
        desired_count=int(raw.get("desiredCount", 0)),
        running_count=int(raw.get("runningCount", 0)),
        pending_count=int(raw.get("pendingCount", 0)),
        subnets=subnets,
        security_groups=groups,
        assign_public_ip=public_ip,
        maximum_percent=deployment_config.get("maximumPercent"),
        minimum_healthy_percent=deployment_config.get("minimumHealthyPercent"),
        load_balancers=load_balancers,
        placement_constraints=tuple(
            PlacementConstraint(type=c.get("type", ""), expression=c.get("expression", ""))
            for c in raw.get("placementConstraints", [])
        ),
        deployments=tuple(
            Deployment(
                id=d.get("id", ""),
                status=d.get("status", ""),
                task_definition_arn=d.get("taskDefinition", ""),
                desired_count=int(d.get("desiredCount", 0)),
                running_count=int(d.get("runningCount", 0)),
            )
            for d in raw.get("deployments", [])
        ),
        task_set_public_ips=tuple(
            ts.get("networkConfiguration", {})
            .get("awsvpcConfiguration", {})
            .get("assignPublicIp", "DISABLED")
            for ts in raw.get("taskSets", [])
            if ts.get("networkConfiguration", {}).get("awsvpcConfiguration")
        ),
        deployment_controller=(raw.get("deploymentController") or {}).get("type") or "ECS",
        deployment_strategy=deployment_config.get("strategy"),
        task_sets=task_sets,
        availability_zone_rebalancing=raw.get("availabilityZoneRebalancing"),
        **_deployment_networking(raw.get("deployments", [])),
    )


def _deployment_networking(deployments: list[dict[str, Any]]) -> dict[str, Any]:
    """VPC Lattice and Service Connect live on a service's deployments: read the PRIMARY one's (the
    configuration the scheduler is rolling out), else the first listed."""
    primary = next(
        (d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {}
    )
    connect = primary.get("serviceConnectConfiguration") or {}
    return {
        "vpc_lattice": tuple(
            VpcLatticeConfiguration(target_group_arn=c["targetGroupArn"], port_name=c.get("portName"))
            for c in primary.get("vpcLatticeConfigurations") or []
            if c.get("targetGroupArn")
        ),
        "service_connect_enabled": bool(connect.get("enabled", False)),
        "service_connect_port_names": tuple(
            str(s["portName"]) for s in connect.get("services") or [] if s.get("portName")
        ),
    }


def parse_task(raw: dict[str, Any], account: str, region: str) -> Task:
    bindings = tuple(
        NetworkBinding(
            container_name=c.get("name", ""),
            container_port=b.get("containerPort"),
            host_port=b.get("hostPort"),
            protocol=b.get("protocol", "tcp"),
            bind_ip=b.get("bindIP"),
            container_port_range=b.get("containerPortRange"),
            host_port_range=b.get("hostPortRange"),
        )
        for c in raw.get("containers", [])
        for b in c.get("networkBindings", [])
    )
    return Task(
        arn=raw["taskArn"],
        cluster_arn=raw.get("clusterArn", ""),
        account=account,
        region=region,
        task_definition_arn=raw.get("taskDefinitionArn", ""),
        last_status=raw.get("lastStatus", ""),
        desired_status=raw.get("desiredStatus", ""),
        launch_type=raw.get("launchType") or None,
        container_instance_arn=raw.get("containerInstanceArn"),
        group=raw.get("group"),
        started_by=raw.get("startedBy"),
        availability_zone=raw.get("availabilityZone"),
        eni_attachments=tuple(
            _attachment(a) for a in raw.get("attachments", []) if a.get("type") == "ElasticNetworkInterface"
        ),
        network_bindings=bindings,
    )


def secret_source(value_from: str) -> str:
    """The AWS service a secret reference points at; the reference itself is not kept."""
    return "secretsmanager" if value_from.startswith("arn:") and ":secretsmanager:" in value_from else "ssm"


def parse_task_definition(raw: dict[str, Any], account: str, region: str) -> TaskDefinition:
    """A task definition with its network facts. Only the *counts* of environment and secrets.
    Without `networkMode`, ECS uses `bridge` on Linux and its NAT `default` on Windows."""
    os_family = str((raw.get("runtimePlatform") or {}).get("operatingSystemFamily") or "")
    containers: list[ContainerDefinition] = []
    for c in raw.get("containerDefinitions", []):
        log = c.get("logConfiguration") or {}
        containers.append(
            ContainerDefinition(
                name=c.get("name", ""),
                image=c.get("image", ""),
                port_mappings=tuple(
                    PortMapping(
                        container_port=p.get("containerPort"),
                        host_port=p.get("hostPort"),
                        protocol=p.get("protocol", "tcp"),
                        container_port_range=p.get("containerPortRange"),
                        name=p.get("name") or None,
                    )
                    for p in c.get("portMappings", [])
                ),
                user=c.get("user"),
                privileged=c.get("privileged"),
                log_driver=log.get("logDriver"),
                environment_count=len(c.get("environment", []) or []),
                secrets_count=len(c.get("secrets", []) or []),
                secret_sources=tuple(
                    sorted({secret_source(str(s.get("valueFrom", ""))) for s in c.get("secrets") or []})
                ),
            )
        )
    return TaskDefinition(
        arn=raw["taskDefinitionArn"],
        family=raw.get("family", ""),
        revision=int(raw.get("revision", 0)),
        account=account,
        region=region,
        network_mode=raw.get("networkMode") or ("default" if os_family.startswith("WINDOWS") else "bridge"),
        requires_compatibilities=tuple(raw.get("requiresCompatibilities", [])),
        containers=tuple(containers),
        placement_constraints=tuple(
            PlacementConstraint(type=c.get("type", ""), expression=c.get("expression", ""))
            for c in raw.get("placementConstraints", [])
        ),
        os_family=os_family or None,
    )


def parse_capacity_provider(raw: dict[str, Any], account: str, region: str) -> CapacityProvider:
    """An Auto Scaling group provider, or an ECS Managed Instances provider with its network."""
    asg = raw.get("autoScalingGroupProvider") or {}
    managed = raw.get("managedInstancesProvider") or {}
    template = managed.get("instanceLaunchTemplate") or {}
    network = template.get("networkConfiguration") or {}
    requirements = dict(template.get("instanceRequirements") or {})
    allowed = tuple(requirements.pop("allowedInstanceTypes", None) or ())
    return CapacityProvider(
        arn=raw.get("capacityProviderArn", ""),
        name=raw.get("name", ""),
        account=account,
        region=region,
        status=raw.get("status", ""),
        type=raw.get("type") or ("EC2_AUTOSCALING" if asg else "MANAGED_INSTANCES" if managed else None),
        cluster=raw.get("cluster") or None,
        auto_scaling_group_arn=asg.get("autoScalingGroupArn"),
        managed_scaling=(asg.get("managedScaling") or {}).get("status"),
        subnets=tuple(network.get("subnets") or ()),
        security_groups=tuple(network.get("securityGroups") or ()),
        infrastructure_role_arn=managed.get("infrastructureRoleArn"),
        instance_profile_arn=template.get("ec2InstanceProfileArn"),
        allowed_instance_types=allowed,
        instance_requirements=json.dumps(requirements, sort_keys=True, separators=(",", ":"), default=str)
        if requirements
        else "",
    )


# ---------------------------------------------------------------- collection


def collect_clusters(rec: Recorder, names: Iterable[str] = ()) -> list[Cluster]:
    """The clusters named, or every cluster in the region; each once (a name and its ARN, or a
    name given twice, are one cluster)."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        for page in rec.pages("ecs", "list_clusters", PaginationConfig={"PageSize": LIST_PAGE}):
            wanted.extend(page.get("clusterArns", []))
    clusters: list[Cluster] = []
    for batch in chunks(wanted, DESCRIBE_BATCH["clusters"]):
        response = rec.call("ecs", "describe_clusters", clusters=batch)
        clusters.extend(parse_cluster(c, rec.account, rec.region) for c in response.get("clusters", []))
    unique = {c.arn: c for c in clusters}
    return [c for c in unique.values() if c.status != "INACTIVE"]


def list_then_describe(rec: Recorder, noun: str, batch: int, cluster: Cluster) -> list[dict[str, Any]]:
    """Every `noun` of a cluster: `List<Noun>` page by page, then `Describe<Noun>` in batches of
    `batch`, the batches in parallel. `noun` is the API's plural (`services`, `tasks`, …)."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in noun)
    arns: list[str] = []
    for page in rec.pages(
        "ecs", f"list_{snake}", cluster=cluster.arn, PaginationConfig={"PageSize": LIST_PAGE}
    ):
        arns.extend(page.get(f"{noun[:-1]}Arns", []))
    responses = rec.fan_out(
        lambda chunk: rec.call("ecs", f"describe_{snake}", cluster=cluster.arn, **{noun: chunk}),
        list(chunks(arns, batch)),
    )
    return [raw for response in responses for raw in response.get(noun, [])]


def collect_container_instances(rec: Recorder, cluster: Cluster) -> list[ContainerInstance]:
    raws = list_then_describe(rec, "containerInstances", DESCRIBE_BATCH["containerInstances"], cluster)
    return [parse_container_instance(ci, cluster.arn, rec.account, rec.region) for ci in raws]


def collect_services(rec: Recorder, cluster: Cluster) -> list[Service]:
    raws = list_then_describe(rec, "services", DESCRIBE_BATCH["services"], cluster)
    return [parse_service(s, rec.account, rec.region) for s in raws]


def collect_tasks(rec: Recorder, cluster: Cluster) -> list[Task]:
    """Tasks that are not STOPPED: `desiredStatus` RUNNING (ECS's default list), then described."""
    raws = list_then_describe(rec, "tasks", DESCRIBE_BATCH["tasks"], cluster)
    tasks = [parse_task(t, rec.account, rec.region) for t in raws]
    return [t for t in tasks if t.last_status != "STOPPED"]


def collect_task_definitions(rec: Recorder, arns: Iterable[str]) -> list[TaskDefinition]:
    """Each referenced task definition once, in parallel. A failure on one does not stop the
    others; after a denial no more are asked (the answer would be the same)."""
    denied = threading.Event()

    def describe(arn: str) -> TaskDefinition | ApiFailure | None:
        if denied.is_set():
            return None
        try:
            response = rec.call("ecs", "describe_task_definition", taskDefinition=arn)
        except ApiFailure as exc:
            if exc.status == "denied":
                denied.set()
            return exc
        return parse_task_definition(response["taskDefinition"], rec.account, rec.region)

    ordered = sorted(set(arns))
    answers = rec.fan_out(describe, ordered)
    result = [a for a in answers if isinstance(a, TaskDefinition)]
    failures = [a for a in answers if isinstance(a, ApiFailure)]
    if failures and not result:
        raise failures[0]
    return result


def collect_account_settings(rec: Recorder, role_arns: Iterable[str]) -> list[AccountSetting]:
    """`awsvpcTrunking` effective for the caller (the account default) and for each role."""
    settings: list[AccountSetting] = []
    for asked in (None, *sorted(set(role_arns))):
        kwargs: dict[str, Any] = {"name": TRUNKING_SETTING, "effectiveSettings": True}
        if asked:
            kwargs["principalArn"] = asked
        for page in rec.pages("ecs", "list_account_settings", **kwargs):
            for s in page.get("settings", []):
                if s.get("name") == TRUNKING_SETTING:
                    settings.append(
                        AccountSetting(
                            account=rec.account,
                            region=rec.region,
                            name=s["name"],
                            value=s.get("value", ""),
                            principal_arn=s.get("principalArn"),
                            asked_for=asked,
                        )
                    )
    return settings


FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def collect_capacity_providers(rec: Recorder, names: Iterable[str]) -> list[CapacityProvider]:
    """The capacity providers the clusters name (Fargate's are built in and not asked for), 100 a
    call — the API's maximum — so one call per region in practice."""
    wanted = sorted({n for n in names if n and n not in FARGATE_PROVIDERS})
    providers: list[CapacityProvider] = []
    for batch in chunks(wanted, DESCRIBE_BATCH["capacityProviders"]):
        response = rec.call("ecs", "describe_capacity_providers", capacityProviders=batch)
        for failure in response.get("failures", []):  # asked for and not answered: a gap, not "none"
            rec.error(
                "ecs:DescribeCapacityProviders",
                f"{failure.get('arn', '?')}: {failure.get('reason', 'failure')}",
            )
        providers.extend(
            parse_capacity_provider(p, rec.account, rec.region) for p in response.get("capacityProviders", [])
        )
    return providers
