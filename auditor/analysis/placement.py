"""Where ECS can place a task: which instances can take one, static host ports, memberOf
constraints."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from auditor.analysis.inventory import Inventory
from auditor.model import ContainerInstance, PlacementConstraint, Service, TaskDefinition

DEFAULT_MAXIMUM_PERCENT = 200  # ECS's default for REPLICA services with the ECS deployment controller
DEFAULT_MINIMUM_HEALTHY_PERCENT = 100
_EXPRESSION = re.compile(
    r"^\s*attribute:(?P<name>[\w.\-]+)\s*(?P<op>==|!=|=~|!~|in|not_in)\s*(?P<value>.+?)\s*$", re.IGNORECASE
)


def can_take_tasks(ci: ContainerInstance) -> bool:
    """Whether ECS places new tasks on the instance — ACTIVE with its agent connected: the one
    definition the capacity pool, the placement of static ports and every check share."""
    return ci.status == "ACTIVE" and ci.agent_connected


def in_zones(zone: str | None, zones: frozenset[str] | None) -> bool:
    """Whether an instance in `zone` can hold an awsvpc task whose subnets span `zones` (an ENI
    attaches only in its own subnet's zone). `zones` None: not an awsvpc placement, any zone."""
    return zones is None or zone in zones


def runs_here(ci: ContainerInstance, service: Service) -> bool:
    """ECS Anywhere (external) instances take only EXTERNAL launch-type tasks, and only they do."""
    return ci.is_external == (service.launch_type == "EXTERNAL")


@dataclass(frozen=True)
class HostPort:
    """A host port (or port range) a task definition binds statically: one copy per instance."""

    container: str
    port: int
    protocol: str
    last: int | None = None  # the last port of a range; None for one port

    @property
    def text(self) -> str:
        """`8080/tcp`, or `10000-10099/udp` for a range."""
        span = (
            f"{self.port}-{self.last}" if self.last is not None and self.last != self.port else str(self.port)
        )
        return f"{span}/{self.protocol}"


def port_range(text: str | None) -> tuple[int, int] | None:
    """(first, last) of a `containerPortRange`/`hostPortRange` such as "10000-10099"."""
    if not text:
        return None
    first, _, last = text.partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        return None


def static_host_ports(td: TaskDefinition) -> list[HostPort]:
    """host mode: every container port and port range; bridge (and Windows' NAT `default`): every
    non-zero hostPort (a bridge port range gets dynamic host ports). awsvpc/none: none."""
    ports = []
    for c in td.containers:
        for pm in c.port_mappings:
            protocol = pm.protocol or "tcp"
            if td.network_mode == "host":
                span = port_range(pm.container_port_range)
                if span:
                    ports.append(HostPort(container=c.name, port=span[0], protocol=protocol, last=span[1]))
                    continue
                port = pm.host_port or pm.container_port
            elif td.network_mode in ("bridge", "default"):
                port = pm.host_port
            else:
                port = None
            if port:
                ports.append(HostPort(container=c.name, port=port, protocol=protocol))
    return ports


def matches(ci: ContainerInstance, expression: str) -> bool | None:
    """Whether the instance satisfies a simple `attribute:` expression; None when not readable."""
    if re.search(r"\s(and|or)\s", expression, re.IGNORECASE):
        return None
    m = _EXPRESSION.match(expression)
    if not m:
        return None
    actual = ci.attribute(m["name"])
    op, value = m["op"].lower(), m["value"].strip()
    if op in ("in", "not_in"):
        if not (value.startswith("[") and value.endswith("]")):
            return None
        options = {v.strip() for v in value[1:-1].split(",")}
        return (actual in options) == (op == "in")
    if op in ("=~", "!~"):
        try:
            found = actual is not None and re.fullmatch(value.replace("*", ".*"), actual) is not None
        except re.error:
            return None
        return found == (op == "=~")
    return (actual == value) == (op == "==")


def eligible_instances(
    instances: list[ContainerInstance], constraints: tuple[PlacementConstraint, ...]
) -> list[ContainerInstance] | None:
    """The instances (of one cluster) that can take a task and satisfy its memberOf constraints;
    None when a constraint cannot be read."""
    result = []
    for ci in instances:
        if not can_take_tasks(ci):
            continue
        ok = True
        for c in constraints:
            if c.type != "memberOf":
                continue
            verdict = matches(ci, c.expression)
            if verdict is None:
                return None
            ok = ok and verdict
        if ok:
            result.append(ci)
    return result


def registered_host_port(
    td: TaskDefinition, container_name: str | None, container_port: int | None
) -> int | None:
    """The host port ECS registers a bridge task's load-balanced container on: that container port's
    mapping, else the first static host port of the container (of any container when none is named)."""
    host_ports = [p.port for p in static_host_ports(td) if container_name in (None, p.container)]
    mapped = next(
        (
            pm.host_port
            for c in td.containers
            if c.name == container_name
            for pm in c.port_mappings
            if pm.container_port == container_port
        ),
        None,
    )
    return mapped if mapped else (host_ports[0] if host_ports else None)


def service_constraints(inv: Inventory, service: Service) -> tuple[PlacementConstraint, ...]:
    """The service's placement constraints and its task definition's."""
    td = inv.task_definition_of(service)
    return service.placement_constraints + (td.placement_constraints if td else ())


def eligible_for(inv: Inventory, service: Service) -> list[ContainerInstance] | None:
    """The instances of the service's cluster that can take its tasks (`eligible_instances`)."""
    instances = [ci for ci in inv.instances_by_cluster.get(service.cluster_arn, []) if runs_here(ci, service)]
    return eligible_instances(instances, service_constraints(inv, service))


def minimum_healthy_percent(service: Service) -> int:
    if service.minimum_healthy_percent is not None:
        return service.minimum_healthy_percent
    return DEFAULT_MINIMUM_HEALTHY_PERCENT


def kept_while_deploying(service: Service) -> int:
    """Tasks a deployment must keep running: `ceil(desired × minimumHealthyPercent / 100)`."""
    return math.ceil(service.desired_count * minimum_healthy_percent(service) / 100)


def host_port_claims(inv: Inventory) -> dict[tuple[str, str], list[Service]]:
    """(cluster ARN, "port/protocol") → the ACTIVE services (two or more, by name) that bind that
    static host port there."""
    by_port: dict[tuple[str, str], list[Service]] = defaultdict(list)
    for service in inv.snapshot.services:
        td = inv.task_definition_of(service)
        if td is None or service.status != "ACTIVE":
            continue
        for text in {p.text for p in static_host_ports(td)}:
            by_port[(service.cluster_arn, text)].append(service)
    return {
        key: sorted(services, key=lambda s: s.name)
        for key, services in sorted(by_port.items())
        if len(services) >= 2
    }


def dynamic_port_services(inv: Inventory) -> dict[str, list[Service]]:
    """Bridge services with a dynamic host port, by cluster ARN."""
    out: dict[str, list[Service]] = defaultdict(list)
    for service in inv.snapshot.services:
        td = inv.task_definitions.get(service.task_definition_arn or "")
        if (
            td
            and td.network_mode == "bridge"
            and any(pm.host_port in (0, None) for c in td.containers for pm in c.port_mappings)
        ):
            out[service.cluster_arn].append(service)
    return out
