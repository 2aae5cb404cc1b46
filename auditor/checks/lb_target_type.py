"""lb-target-type — load-balancer target groups of the wrong type for the service's network mode.

Why: ECS registers awsvpc tasks by their ENI's IP, so their target group must be of type `ip`;
bridge and host tasks are registered as the instance plus a host port, so theirs must be
`instance`. With the wrong type, `CreateService` fails, or (after a task-definition change of
network mode) new tasks never become healthy targets and the deployment rolls back or hangs.
Separately, for bridge tasks with a static host port the target group's own port is ignored: ECS
registers each target with the host port, which surprises people reading the console.

What: for each service's target group — and, for the native BLUE_GREEN, LINEAR and CANARY
strategies, the alternate target group of `advancedConfiguration`, which the new revision's tasks
register in — the type against the task definition's network mode:
mismatch → high; a bridge service with a static host port whose target group port differs
from that host port → low (traffic goes to the registered host port; say so). A target group or
network mode that was not collected → unknown. VPC Lattice: the target groups of a service's
`vpcLatticeConfigurations` must be of type `IP` for awsvpc tasks (ECS registers each task's IP) →
high otherwise.

Fix: create a target group of the expected type (`aws elbv2 create-target-group --target-type
ip|instance …`; for VPC Lattice `aws vpc-lattice create-target-group --type IP …`), point the
listener rule at it, and update the service's load balancer (or its Lattice configuration).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.placement import registered_host_port
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service, ServiceLoadBalancer, VpcLatticeConfiguration

ID = "lb-target-type"
API = "elasticloadbalancing:DescribeTargetGroups"
LATTICE_API = "vpc-lattice:GetTargetGroup"


def _judge(ctx: AnalysisContext, service: Service, lb: ServiceLoadBalancer, tg_arn: str) -> Finding | None:
    inv = ctx.inventory
    where = ctx.at_service(service, tg_arn)
    tg = inv.target_groups.get(tg_arn)
    td = inv.task_definition_of(service)
    mode = inv.service_network_mode(service)
    if tg is None or mode is None:
        missing = ctx.missing(service.account, service.region, API, "ecs:DescribeTaskDefinition")
        missing = missing or ([f"target group {tg_arn}"] if tg is None else ["task definition"])
        return CHECK.unknown(where, f"target group type of {service.name} is unknown", missing)
    expected = "ip" if mode == "awsvpc" else "instance"
    detail: dict[str, object] = {
        "network_mode": mode,
        "target_group": tg.arn,
        "target_type": tg.target_type,
        "expected_target_type": expected,
        "target_group_port": tg.port,
        "role": "alternate" if tg_arn == lb.alternate_target_group_arn else "primary",
    }
    role_words = "the alternate (blue/green, linear, canary) " if detail["role"] == "alternate" else ""
    if tg.target_type != expected:
        return CHECK.finding(
            where,
            "high",
            f"service {service.name} ({mode}) is behind {role_words}target group {tg.name} of type "
            f"{tg.target_type}; {mode} tasks need type {expected}",
            detail,
            f"Create a target group with --target-type {expected} (aws elbv2 "
            f"create-target-group --name {tg.name}-{expected} --target-type {expected} --protocol "
            f"{tg.protocol or 'HTTP'} --port {tg.port or 80} --vpc-id {tg.vpc_id}), switch the listener "
            "to it and update the service.",
        )
    if mode == "bridge" and td is not None:
        host_port = registered_host_port(td, lb.container_name, lb.container_port)
        if host_port and tg.port is not None and tg.port != host_port:
            detail["host_port"] = host_port
            return CHECK.finding(
                where,
                "low",
                f"target group {tg.name} says port {tg.port} but {service.name} is registered on "
                f"host port {host_port}; the group's port is ignored",
                detail,
                f"Set the target group's port to {host_port} (or use dynamic host ports) so "
                "the console, health checks and security-group rules say what really happens.",
            )
    return None


def _judge_lattice(ctx: AnalysisContext, service: Service, config: VpcLatticeConfiguration) -> Finding | None:
    """awsvpc tasks are registered in a VPC Lattice target group by IP: the group must be type IP."""
    inv = ctx.inventory
    where = ctx.at_service(service, config.target_group_arn)
    mode = inv.service_network_mode(service)
    if mode != "awsvpc":
        return None
    group = inv.lattice_target_groups.get(config.target_group_arn)
    if group is None:
        return CHECK.unknown(
            where,
            f"VPC Lattice target group type of {service.name} is unknown",
            ctx.missing(service.account, service.region, LATTICE_API)
            or [f"VPC Lattice target group {config.target_group_arn}"],
        )
    if group.type.upper() == "IP":
        return None
    return CHECK.finding(
        where,
        "high",
        f"service {service.name} (awsvpc) registers its tasks in VPC Lattice target group {group.name} "
        f"of type {group.type}; awsvpc tasks need type IP",
        {
            "network_mode": mode,
            "target_group": group.arn,
            "target_type": group.type,
            "expected_target_type": "IP",
            "role": "vpc-lattice",
            "port_name": config.port_name,
        },
        f"Create a VPC Lattice target group of type IP (aws vpc-lattice create-target-group "
        f"--name {group.name}-ip --type IP --config port={group.port or 80},protocol=HTTP,"
        f"vpcIdentifier={group.vpc_id or '<vpc>'}), point the Lattice listener at it and update the "
        "service's vpcLatticeConfigurations.",
    )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for service in ctx.snapshot.services:
        if service.status != "ACTIVE":
            continue
        # Classic Load Balancers have no target group type; the alternate group (native blue/green,
        # linear, canary) takes the new revision's tasks and is judged alike.
        found = [
            _judge(ctx, service, lb, arn)
            for lb in service.load_balancers
            for arn in dict.fromkeys(a for a in (lb.target_group_arn, lb.alternate_target_group_arn) if a)
        ]
        found += [_judge_lattice(ctx, service, lattice) for lattice in service.vpc_lattice]
        yield from (f for f in found if f is not None)


CHECK = Check(
    id=ID,
    title="Target group type against the service's network mode",
    severity="high",
    resource_types=("service",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html",
    needs=needs(*ECS_INVENTORY, "target_groups", "lattice_target_groups"),
)
