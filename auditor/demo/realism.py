"""Close moto's gaps (see MOTO_NOTES) so the emulated account answers like real AWS.

Everything is first built through the normal API; this module then adjusts moto's in-memory
backend objects, so the auditor's collectors still read it all through boto3. Each adjustment
says which moto gap it closes. It works in-process (`mock_aws`) and for a `ThreadedMotoServer`
running in the same process (they share the backends).
"""

from __future__ import annotations

import ipaddress
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from moto.backends import get_backend
from moto.moto_api import state_manager


@dataclass
class TaskPlan:
    """Where a task built through `run_task` really runs, as the ECS scheduler would have put it."""

    region: str
    cluster: str
    task_arn: str
    container_instance_arn: str | None = None  # None: Fargate
    instance_id: str | None = None
    trunked: bool = False
    device_index: int | None = None  # EC2 without trunk: the ENI's slot on the instance
    host_ports: list[tuple[str, int, int]] = field(
        default_factory=list
    )  # (container, container port, host port)


def _paged(original: Any, key: str, size: str, token: str, default: int | None, maximum: int) -> Any:
    """`original` answering one page: `size` items at most (`default` when not asked; None: all),
    from the offset that `token` carries, with the next offset as the token while more remain."""
    from moto.core.responses import ActionResult

    def method(self: Any) -> Any:
        answer = dict(original(self).result)
        items = answer[key]
        start = int(self._get_param(token) or 0)
        asked = self._get_param(size)
        count = min(int(asked), maximum) if asked else (default or len(items) or 1)
        answer[key] = items[start : start + count]
        answer[token] = str(start + count) if start + count < len(items) else None
        return ActionResult(answer)

    return method


def _instances_by_id_unpaged(original: Any) -> Any:
    """DescribeInstances with instance ids: every one in one answer, as AWS does (it forbids
    MaxResults with ids); moto pages them at 100 reservations."""
    from moto.core.responses import ActionResult

    def method(self: Any) -> Any:
        ids = self._get_param("InstanceIds", [])
        if not ids:
            return original(self)
        filters = self._filters_from_querystring()
        return ActionResult({"Reservations": self.ec2_backend.get_reservations_by_instance_ids(ids, filters)})

    return method


def _describe_tasks_by_id(original: Any) -> Any:
    """moto's DescribeTasks compares every task of every cluster with every ARN asked, by substring
    (seconds per call past a few thousand tasks). Same answer, one set look-up per task: by task
    id, which a full ARN and a bare id both end in."""
    from moto.ecs.exceptions import InvalidParameterException

    def describe_tasks(self: Any, cluster_str: str, tasks: list[str]) -> list[Any]:
        self._get_cluster(cluster_str)
        if not tasks:
            raise InvalidParameterException("Tasks cannot be empty.")
        wanted = {t.rsplit("/", 1)[-1] for t in tasks}
        found = []
        for cluster_tasks in self.tasks.values():
            for task_arn, task in cluster_tasks.items():
                if task_arn.rsplit("/", 1)[-1] in wanted:
                    task.advance()
                    found.append(task)
        return found

    return describe_tasks


TASK_MODEL = "ecs::task"
_KEEP_RUNNING = {"progression": "manual", "times": 10**9}
_depth = 0  # how many `moto_like_aws` blocks are open: the first installs, the last undoes
_lock = threading.Lock()


def _stand_ins() -> list[tuple[Any, str, Callable[[Any], Any]]]:
    """(class, method, wrap): where moto's answers differ from AWS's in shape or cost, not content.
    moto answers ListTasks and DescribeNetworkInterfaces in one page whatever was asked, and pages
    DescribeInstances by id; AWS pages the first two (ListTasks 100 ARNs by default and at most,
    DescribeNetworkInterfaces up to MaxResults 1000) and not the third. moto's DescribeTasks costs
    seconds per call in a large account (the emulator, not the caller, would set a scan's pace)."""
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    return [
        (
            EC2ContainerServiceResponse,
            "list_tasks",
            lambda m: _paged(m, "taskArns", "maxResults", "nextToken", 100, 100),
        ),
        (
            ElasticNetworkInterfaces,
            "describe_network_interfaces",
            lambda m: _paged(m, "NetworkInterfaces", "MaxResults", "NextToken", None, 1000),
        ),
        (InstanceResponse, "describe_instances", _instances_by_id_unpaged),
        (EC2ContainerServiceBackend, "describe_tasks", _describe_tasks_by_id),
    ]


@contextmanager
def moto_like_aws() -> Iterator[None]:
    """Make moto answer like AWS for the block, and undo it afterwards: tasks stay RUNNING (moto
    moves a task one step towards STOPPED on every DescribeTasks), and the stand-ins of
    `_stand_ins` replace moto's methods. For the whole process while open (`mock_aws` and an
    in-process ThreadedMotoServer share these classes); nested blocks install once."""
    global _depth
    undo: list[Callable[[], None]] = []
    with _lock:
        _depth += 1
        first = _depth == 1
    if first:
        saved_transition = state_manager._transitions.get(TASK_MODEL)
        state_manager.set_transition(model_name=TASK_MODEL, transition=_KEEP_RUNNING)

        def restore_transition() -> None:
            if saved_transition is None:
                state_manager.unset_transition(TASK_MODEL)
            else:
                state_manager.set_transition(TASK_MODEL, saved_transition)

        undo.append(restore_transition)
        _seed_tag_transformers()  # not undone: it only adds the keys moto itself adds on first use
        for cls, name, wrap in _stand_ins():
            original = cls.__dict__[name]
            replacement = wrap(original)
            replacement.__wrapped__ = original
            setattr(cls, name, replacement)
            undo.append(partial(setattr, cls, name, original))
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
        for step in reversed(undo):
            step()


def _seed_tag_transformers() -> None:
    """moto's ECS Describe* answers add a key to a dict that every ECS answer reads (the class's
    `RESPONSE_KEY_PATH_TO_TRANSFORMER`) the first time they run, while other threads' answers
    iterate over it: concurrent collection could then fail with "dictionary
    changed size during iteration". With the keys there from the start, later calls only replace
    values, never resize the dict."""
    from moto.core.responses import never_return
    from moto.ecs import responses as ecs_responses

    shared = ecs_responses.EC2ContainerServiceResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER
    for name in (
        "DESCRIBE_CLUSTERS_TAGS",
        "DESCRIBE_SERVICES_TAGS",
        "DESCRIBE_TASKS_TAGS",
        "DESCRIBE_TASK_SETS_TAGS",
    ):
        key = getattr(ecs_responses, name, None)
        if key is not None:
            shared.setdefault(key, never_return)


def _next_free_ip(ec2: Any, subnet: Any) -> str:
    taken = {
        a["PrivateIpAddress"] for eni in ec2.get_all_network_interfaces() for a in eni.private_ip_addresses
    }
    network = ipaddress.ip_network(subnet.cidr_block)
    for offset, address in enumerate(network.hosts()):
        if offset >= 3 and str(address) not in taken:  # .1-.3 are AWS's reserves (with .0 and the last)
            return str(address)
    raise RuntimeError(f"demo world: subnet {subnet.id} is full")


def _find_task(ecs: Any, cluster: str, task_arn: str) -> Any:
    for task in ecs.tasks.get(cluster, {}).values():
        if task.task_arn == task_arn:
            return task
    raise KeyError(task_arn)


def place_task(account: str, plan: TaskPlan) -> None:
    """Put a task on its instance with a realistic ENI, IP and port bindings."""
    ecs = get_backend("ecs")[account][plan.region]
    ec2 = get_backend("ec2")[account][plan.region]
    task = _find_task(ecs, plan.cluster, plan.task_arn)
    task.container_instance_arn = plan.container_instance_arn  # moto places tasks at random
    task.launch_type = "EC2" if plan.container_instance_arn else "FARGATE"  # start_task leaves it empty
    task.availability_zone = None
    for attachment in task.attachments:
        details = {d["name"]: d for d in attachment["details"]}
        eni = ec2.get_network_interface(details["networkInterfaceId"]["value"])
        # moto gives the task ENI a random 10.x address outside its subnet
        ip = _next_free_ip(ec2, eni.subnet)
        eni.private_ip_address = ip
        eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": ip}]
        details["privateIPv4Address"]["value"] = ip
        task.availability_zone = eni.subnet.availability_zone
        # real ECS describes task ENIs with the attachment ARN, and attaches or trunks them
        eni.description = f"arn:aws:ecs:{plan.region}:{account}:attachment/{uuid.uuid4()}"
        if plan.container_instance_arn is None:
            eni.requester_managed = True  # Fargate ENIs belong to AWS
            eni.interface_type = "interface"
        elif plan.trunked:
            eni.interface_type = "branch"
        else:
            eni.device_index = None
            ec2.attach_network_interface(eni.id, str(plan.instance_id), int(plan.device_index or 1))
    if plan.host_ports:  # moto returns no networkBindings for bridge/host tasks
        container = task.containers[0]
        container.network_bindings = [
            {"bindIP": "0.0.0.0", "containerPort": cport, "hostPort": hport, "protocol": "tcp"}
            for _, cport, hport in plan.host_ports
        ]


def make_trunk(account: str, region: str, eni_id: str) -> None:
    """moto has no trunk ENIs: give an attached ENI the `trunk` interface type."""
    get_backend("ec2")[account][region].get_network_interface(eni_id).interface_type = "trunk"


def set_deployment_configuration(
    account: str,
    region: str,
    cluster: str,
    service: str,
    maximum_percent: int,
    minimum_healthy_percent: int,
    strategy: str | None = None,
) -> None:
    """moto neither stores nor returns `deploymentConfiguration` (its 2025 `strategy` included)."""
    backend = get_backend("ecs")[account][region]
    svc = backend.services[f"{cluster}:{service}"]
    config: dict[str, Any] = {
        "maximumPercent": maximum_percent,
        "minimumHealthyPercent": minimum_healthy_percent,
    }
    if strategy:
        config.update(strategy=strategy, bakeTimeInMinutes=10)
    svc.deployment_configuration = config  # type: ignore[attr-defined]


def omit_network_mode(account: str, region: str, task_definition_arn: str) -> None:
    """moto fills in `bridge` for a task definition without `networkMode`; ECS returns none (on
    Windows that means its NAT `default`)."""
    family, revision = task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)
    backend = get_backend("ecs")[account][region]
    backend.task_definitions[family][int(revision)].network_mode = None


def set_registration(
    account: str, region: str, cluster: str, container_instance_arn: str, status: str, reason: str
) -> None:
    """moto registers every instance ACTIVE at once: give one the state and reason ECS reports."""
    backend = get_backend("ecs")[account][region]
    ci = backend.container_instances[cluster][container_instance_arn.rsplit("/", 1)[-1]]
    ci.status = status
    ci.status_reason = reason  # type: ignore[attr-defined]
    ci.agent_connected = False


def make_external(
    account: str, region: str, cluster: str, container_instance_arn: str, managed_id: str
) -> None:
    """moto cannot register an ECS Anywhere instance: turn a registered one into what ECS reports
    for an external instance (an SSM managed-instance id, `ecs.capability.external`, no EC2 type)."""
    backend = get_backend("ecs")[account][region]
    ci = backend.container_instances[cluster][container_instance_arn.rsplit("/", 1)[-1]]
    ci.ec2_instance_id = managed_id
    ci.attributes = {"ecs.os-type": "linux", "ecs.os-family": "LINUX", "ecs.capability.external": None}


def set_service_counts(account: str, region: str, cluster: str, service: str, running: int) -> None:
    """moto's services never run tasks: report the scheduler's counts."""
    svc = get_backend("ecs")[account][region].services[f"{cluster}:{service}"]
    svc.running_count = running
    svc.pending_count = max(0, svc.desired_count - running)


def mark_managed(account: str, region: str, eni_id: str, interface_type: str, description: str) -> None:
    """moto gives NAT gateway and endpoint ENIs `interface` type and no description."""
    eni = get_backend("ec2")[account][region].get_network_interface(eni_id)
    eni.interface_type = interface_type
    eni.description = description
    eni.requester_managed = True
    eni.status = "in-use"


def detach(account: str, region: str, eni_id: str) -> None:
    """An ENI left `available` (moto creates ENIs in that state; make sure it stays so)."""
    eni = get_backend("ec2")[account][region].get_network_interface(eni_id)
    eni.status = "available"


def set_eni_quota(account: str, region: str, value: float) -> None:
    """moto answers the ENI quota with the global default 5000 everywhere: give one region its own."""
    backend = get_backend("service-quotas")[account][region]
    original = backend.get_service_quota

    def get_service_quota(service_code: str, quota_code: str) -> dict[str, Any]:
        quota = dict(original(service_code, quota_code))
        if (service_code, quota_code) == ("vpc", "L-DF5E4CA3"):
            quota["Value"] = value
        return quota

    setattr(backend, "get_service_quota", get_service_quota)  # noqa: B010 - instance override


# ------------------------------------------------------------ 2025–2026 ECS features moto lacks


def _give(model: Any, **fields: Any) -> None:
    """Set fields moto's model objects lack: its serializer answers with any attribute named after a
    member of the API's response shape (snake_case), so this is how a field appears in the answer."""
    for name, value in fields.items():
        setattr(model, name, value)


def make_managed_instances_provider(
    account: str,
    region: str,
    name: str,
    cluster: str,
    subnets: list[str],
    groups: list[str],
    infrastructure_role: str,
    instance_profile: str,
    allowed_types: list[str],
) -> None:
    """moto's capacity providers are Auto Scaling group providers only: turn one (created through
    the API with a placeholder group) into an ECS Managed Instances provider, answered in AWS's shape."""
    provider = get_backend("ecs")[account][region].capacity_providers[name]
    managed = {
        "infrastructureRoleArn": infrastructure_role,
        "instanceLaunchTemplate": {
            "ec2InstanceProfileArn": instance_profile,
            "networkConfiguration": {"subnets": subnets, "securityGroups": groups},
            "monitoring": "BASIC",
            "instanceRequirements": {
                "vCpuCount": {"min": 2, "max": 4},
                "memoryMiB": {"min": 4096},
                "allowedInstanceTypes": allowed_types,
            },
        },
        "propagateTags": "NONE",
    }
    _give(
        provider,
        auto_scaling_group_provider=None,
        type="MANAGED_INSTANCES",
        cluster=cluster,
        managed_instances_provider=managed,
    )


def set_capacity_provider_type(account: str, region: str, name: str, provider_type: str) -> None:
    """moto does not return a capacity provider's `type`."""
    _give(get_backend("ecs")[account][region].capacity_providers[name], type=provider_type)


def set_instance_capacity_provider(
    account: str, region: str, cluster: str, container_instance_arn: str, provider: str
) -> None:
    """moto's container instances never name the capacity provider that launched them."""
    instances = get_backend("ecs")[account][region].container_instances[cluster]
    instance = next(i for i in instances.values() if i.container_instance_arn == container_instance_arn)
    _give(instance, capacity_provider_name=provider)


def set_service_networking(
    account: str,
    region: str,
    cluster: str,
    service: str,
    *,
    strategy: str | None = None,
    alternate_target_group: str | None = None,
    lattice_target_group: str | None = None,
    lattice_port_name: str | None = None,
    service_connect_port_names: tuple[str, ...] = (),
    availability_zone_rebalancing: str | None = None,
) -> None:
    """moto drops the deployment strategy, `advancedConfiguration`, VPC Lattice and Service Connect
    configurations and availability-zone rebalancing: put them where AWS returns them."""
    svc = get_backend("ecs")[account][region].services[f"{cluster}:{service}"]
    if strategy:
        config = dict(getattr(svc, "deployment_configuration", None) or {})
        _give(
            svc,
            deployment_configuration={**config, "strategy": strategy, "bakeTimeInMinutes": 10},
            deployment_controller={"type": "ECS"},
        )
    if alternate_target_group:
        for lb in svc.load_balancers:
            lb["advancedConfiguration"] = {
                "alternateTargetGroupArn": alternate_target_group,
                "productionListenerRule": f"arn:aws:elasticloadbalancing:{region}:{account}:"
                f"listener-rule/app/{service}/50dc6c495c0c9188/f2f7dc8efc522ab2/9ac2f5b4c8a1e3d7",
                "roleArn": f"arn:aws:iam::{account}:role/ecsInfrastructureRoleForLoadBalancers",
            }
    primary = svc.deployments[0] if svc.deployments else None
    if primary is not None and lattice_target_group:
        primary["vpcLatticeConfigurations"] = [
            {
                "roleArn": f"arn:aws:iam::{account}:role/ecsInfrastructureRoleForVpcLattice",
                "targetGroupArn": lattice_target_group,
                "portName": lattice_port_name or "",
            }
        ]
    if primary is not None and service_connect_port_names:
        primary["serviceConnectConfiguration"] = {
            "enabled": True,
            "namespace": f"arn:aws:servicediscovery:{region}:{account}:namespace/ns-demo",
            "services": [{"portName": name} for name in service_connect_port_names],
        }
    if availability_zone_rebalancing:
        _give(svc, availability_zone_rebalancing=availability_zone_rebalancing)


def set_subnet_dns64(account: str, region: str, subnet_id: str, enabled: bool) -> None:
    """moto accepts ModifySubnetAttribute EnableDns64 but does not return it."""
    _give(get_backend("ec2")[account][region].get_subnet(subnet_id), enable_dns64=enabled)


def set_ipv6_only_available(account: str, region: str, subnet_id: str) -> None:
    """An IPv6-only subnet has no IPv4 addresses: AWS says 0 available; moto underflows the count."""
    get_backend("ec2")[account][region].get_subnet(subnet_id)._available_ip_addresses = 0
