"""static-port-conflict — services that cannot place, or cannot deploy, because of static host ports.

Why: `host` mode binds every container port on the instance, `bridge` every non-zero `hostPort`:
one copy of the task per instance. Wanting more copies than instances leaves tasks PENDING; a
MaxCapacity above them fails the scale-out when the load comes. Worse and common: a service that
fits exactly cannot deploy while `minimumHealthyPercent` 100 keeps every old task running (the
100/200 deadlock). Two services on one host port in a cluster compete for the same instances.

What, for EC2 services binding static host ports, against the instances that can take the task
(ACTIVE, agent connected, in the cluster; ECS Anywhere ones only for EXTERNAL services; matching
`memberOf` constraints), one finding per service whichever the verdict (so its id is stable):
desired count above them → high; auto-scaling MaxCapacity above them plus what the service's
capacity providers can still add → medium; deployment peak from the desired count (`floor(desired
× maximumPercent / 100)`, or 2 × desired for blue/green-like ones) above them → medium
(`deployment_deadlock`: cannot progress at all); the contract's peak, from `max(desired,
MaxCapacity)`, above what there can be → low. Two services on one host port in a cluster → medium.
DAEMON services: port claims only. Unreadable placement, or scaling not collected → unknown.

Severity of the scale-out: a MaxCapacity that does not fit breaks nothing today, only a scale-out
(when the service needs the tasks most): below the desired-count conflict, which leaves tasks
PENDING now, and level with a stalled deployment, which also breaks under one event.

Fix: dynamic host ports (`hostPort: 0`) behind a load balancer, or awsvpc; more instances (or a
lower MaxCapacity); `minimumHealthyPercent` below 100 (e.g. 50) so deployments stop old tasks first.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis import placement
from auditor.analysis.context import AnalysisContext
from auditor.analysis.placement import HostPort, static_host_ports
from auditor.analysis.port_fit import cap_scaling_command, port_fit
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
    where = ctx.at_service(service)  # one finding per service, whichever verdict: a stable id
    eligible = placement.eligible_for(inv, service)
    if eligible is None:
        yield CHECK.unknown(
            where,
            f"instances that can run {service.name} are unknown (placement expression not read)",
            [c.expression for c in placement.service_constraints(inv, service) if c.type == "memberOf"],
        )
        return
    fit = port_fit(inv, service, len(eligible), ctx.peaks[service.arn])
    detail = {"network_mode": mode, "host_ports": _port_text(ports), "conflicting_services": []}
    detail |= fit.detail()
    count, name, ports_text = fit.eligible, service.name, ", ".join(_port_text(ports))
    stall = "cannot progress" if fit.deployment_deadlock else "run in slow waves"
    if service.desired_count > count:
        yield CHECK.finding(
            where,
            "high",
            f"service {name} wants {service.desired_count} tasks but only {count} instances "
            f"can take one (static host port {ports_text})",
            detail,
            "Use dynamic host ports (hostPort 0) behind the load balancer or awsvpc mode, "
            f"or run at least {service.desired_count} eligible instances.",
        )
    elif fit.scale_out_shortfall:
        hosts = fit.hosts_at_scale_out
        yield CHECK.finding(
            where,
            "medium",
            f"service {name} cannot scale out to its auto-scaling maximum of {fit.max_capacity} tasks: "
            f"at most {hosts} instances can take one (static host port {ports_text})"
            + (f"; deployments also {stall}" if fit.deployment_peak > count else ""),
            detail,
            "Use dynamic host ports (hostPort 0) behind the load balancer or awsvpc mode, let the cluster "
            f"grow to {fit.max_capacity} eligible instances, or cap the scaling at what fits: "
            + cap_scaling_command(inv, service, hosts),
        )
    elif fit.deployment_peak > count:
        yield CHECK.finding(
            where,
            "medium",
            f"deployments of {name} {stall}: {fit.deployment_peak} tasks at peak, {count} instances "
            f"(static host port {ports_text})",
            detail,
            "Set minimumHealthyPercent below 100 (e.g. aws ecs update-service --cluster "
            f"{inv.cluster_name(service.cluster_arn)} --service {name} --deployment-configuration "
            "minimumHealthyPercent=50,maximumPercent=100), add an instance, or move to dynamic ports.",
        )
    elif fit.scaled_out_deployment_stalls:
        yield CHECK.finding(
            where,
            "low",
            f"deployments of {name} scaled out to {fit.max_capacity} tasks need {fit.peak} at peak; "
            f"at most {fit.hosts_at_scale_out} instances can take one (static host port {ports_text})",
            detail,
            "Set minimumHealthyPercent below 100 so deployments at full scale can stop old tasks first, "
            "or move to dynamic host ports (hostPort 0) or awsvpc mode.",
        )
    elif fit.scale_out_shortfall is None:
        title = f"whether {name} can scale out to its auto-scaling maximum is unknown"
        yield CHECK.unknown(where, title, fit.missing)


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
            {"network_mode": td.network_mode if td else None, "host_ports": [f"{port}/{protocol}"]}
            | {"desired_count": sum(s.desired_count for s in services), "conflicting_services": names}
            | dict.fromkeys(("peak_tasks", "eligible_instances")),
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
    needs=needs(*ECS_INVENTORY, "scalable_targets"),
)
