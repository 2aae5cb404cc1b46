"""static-port-conflict — services that cannot place, or cannot deploy, because of static host ports.

Why: in `host` mode every container port is bound on the instance, and in `bridge` mode a
non-zero `hostPort` is too. Either way only one copy of the task fits on an instance, per port.
A service that wants more copies than there are instances that can take it leaves tasks PENDING
forever. Worse and more common: a service that fits exactly (desired = instances) cannot deploy,
because the new tasks need free instances while `minimumHealthyPercent` 100 keeps every old one
running — the classic minimumHealthyPercent 100 / maximumPercent 200 deadlock. Two services that
bind the same host port in one cluster compete for the same instances.

What, for EC2 services whose task definition binds static host ports, with the instances that can
take the task (ACTIVE with a connected agent in the cluster; ECS Anywhere ones only for EXTERNAL
services; matching `memberOf` constraints on instance attributes): desired count above them →
high; deployment peak (from the desired count: `floor(desired × maximumPercent / 100)`, or two
full revisions for blue/green-like deployments) above them →
medium (`deployment_deadlock` says whether it cannot progress at all); two services in one cluster
claiming the same host port and protocol → medium. DAEMON services are judged per instance, so
only by their port claims. A placement expression this check cannot read → unknown.

Fix: use dynamic host ports (`hostPort: 0`) behind a load balancer, or awsvpc; add instances;
or lower `minimumHealthyPercent` (e.g. 50) so deployments can stop old tasks first.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis import placement
from auditor.analysis.capacity import peak_tasks
from auditor.analysis.context import AnalysisContext
from auditor.analysis.placement import HostPort, static_host_ports
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service

ID = "static-port-conflict"


def _port_text(ports: list[HostPort]) -> list[str]:
    return sorted({p.text for p in ports})


def _count_findings(
    ctx: AnalysisContext, service: Service, ports: list[HostPort], mode: str
) -> Iterator[Finding]:
    inv = ctx.inventory
    where = ctx.at_service(service)
    eligible = placement.eligible_for(inv, service)
    if eligible is None:
        yield CHECK.unknown(
            where,
            f"instances that can run {service.name} are unknown (placement expression not read)",
            [c.expression for c in placement.service_constraints(inv, service) if c.type == "memberOf"],
        )
        return
    peak = peak_tasks(service.desired_count, service)
    count = len(eligible)
    detail: dict[str, object] = {
        "network_mode": mode,
        "host_ports": _port_text(ports),
        "desired_count": service.desired_count,
        "peak_tasks": peak,
        "eligible_instances": count,
        "conflicting_services": [],
        "maximum_percent": service.maximum_percent or placement.DEFAULT_MAXIMUM_PERCENT,
        "minimum_healthy_percent": placement.minimum_healthy_percent(service),
        "deployment_deadlock": count <= placement.kept_while_deploying(service),
    }
    ports_text = ", ".join(_port_text(ports))
    if service.desired_count > count:
        yield CHECK.finding(
            where,
            "high",
            f"service {service.name} wants {service.desired_count} tasks but only {count} instances "
            f"can take one (static host port {ports_text})",
            detail,
            "Use dynamic host ports (hostPort 0) behind the load balancer or awsvpc mode, "
            f"or run at least {service.desired_count} eligible instances.",
        )
    elif peak > count:
        stall = "cannot progress" if detail["deployment_deadlock"] else "run in slow waves"
        yield CHECK.finding(
            where,
            "medium",
            f"deployments of {service.name} {stall}: {peak} tasks at peak, {count} instances "
            f"(static host port {ports_text})",
            detail,
            "Set minimumHealthyPercent below 100 (e.g. aws ecs update-service --cluster "
            f"{inv.cluster_name(service.cluster_arn)} --service {service.name} --deployment-configuration "
            "minimumHealthyPercent=50,maximumPercent=100), add an instance, or move to dynamic ports.",
        )


def _claims(ctx: AnalysisContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for (cluster_arn, text), services in placement.host_port_claims(inv).items():
        port, _, protocol = text.partition("/")
        names = [s.name for s in services]
        first = services[0]
        td = inv.task_definition_of(first)
        yield CHECK.finding(
            ctx.at_service(first, f"port:{port}/{protocol}"),
            "medium",
            f"services {', '.join(names)} all bind host port {port}/{protocol} in cluster "
            f"{inv.cluster_name(cluster_arn)}: at most one of them per instance",
            {
                "network_mode": td.network_mode if td else None,
                "host_ports": [f"{port}/{protocol}"],
                "desired_count": sum(s.desired_count for s in services),
                "peak_tasks": None,
                "eligible_instances": None,
                "conflicting_services": names,
            },
            "Give each service its own host port, or use dynamic host ports (hostPort 0) "
            "or awsvpc mode so they no longer compete for the same instances.",
        )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for service in ctx.snapshot.services:
        if service.status != "ACTIVE" or inv.is_fargate(service) or service.scheduling_strategy == "DAEMON":
            continue
        td = inv.task_definition_of(service)
        if td is None:
            if ctx.missing(service.account, service.region, "ecs:DescribeTaskDefinition"):
                title = f"host ports of service {service.name} are unknown"
                yield CHECK.unknown(ctx.at_service(service), title, ["ecs:DescribeTaskDefinition"])
            continue
        ports = static_host_ports(td)
        if ports:
            yield from _count_findings(ctx, service, ports, td.network_mode)
    yield from _claims(ctx)


CHECK = Check(
    id=ID,
    title="Static host ports: tasks that cannot place or deploy",
    severity="high",
    resource_types=("service",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html",
    needs=needs(*ECS_INVENTORY),
)
