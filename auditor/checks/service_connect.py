"""service-connect — Service Connect and VPC Lattice services whose port names match no named port
mapping of their task definition.

Why: a Service Connect service (`serviceConnectConfiguration.services[].portName`) and a VPC
Lattice configuration (`vpcLatticeConfigurations[].portName`) refer to a port mapping of the task
definition by its `name`. A task-definition revision that renames or drops the name — or was never
given one — makes the next deployment fail (`the portName … does not exist in the task
definition`), and clients of the namespace or Lattice service lose the endpoint.

What: ACTIVE services with Service Connect enabled or Lattice configurations: each port name they
refer to against the named port mappings of their task definition; missing → high, with
`port_names`, `named_port_mappings` and `missing_port_names`. A task definition not collected →
unknown. Service Connect in client-only mode (no `services`) needs no name and passes.

Fix: give the container's port mapping the name the service uses (`"portMappings": [{"name":
"<portName>", "containerPort": …, "appProtocol": "http"}]`), register the revision and update the
service with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service, TaskDefinition

ID = "service-connect"


def port_names_used(service: Service) -> list[str]:
    """The port names the service's Service Connect and Lattice configurations refer to."""
    names = list(service.service_connect_port_names) if service.service_connect_enabled else []
    names += [c.port_name for c in service.vpc_lattice if c.port_name]
    return list(dict.fromkeys(names))


def named_ports(td: TaskDefinition) -> list[str]:
    return sorted({pm.name for c in td.containers for pm in c.port_mappings if pm.name})


def _judge(ctx: AnalysisContext, service: Service) -> Finding | None:
    used = port_names_used(service)
    if not used:
        return None
    where = ctx.at_service(service)
    td = ctx.inventory.task_definition_of(service)
    if td is None:
        return CHECK.unknown(
            where,
            f"whether the port names of service {service.name} exist is unknown",
            ctx.missing(service.account, service.region, "ecs:DescribeTaskDefinition")
            or ["its task definition"],
        )
    named = named_ports(td)
    missing = [n for n in used if n not in named]
    if not missing:
        return None
    return CHECK.finding(
        where,
        "high",
        f"service {service.name} refers to port name{'s' if len(missing) > 1 else ''} "
        f"{', '.join(missing)} that {td.family}:{td.revision} does not name: its next deployment fails",
        {
            "port_names": used,
            "named_port_mappings": named,
            "missing_port_names": missing,
            "task_definition": td.arn,
            "service_connect": service.service_connect_enabled,
            "vpc_lattice": bool(service.vpc_lattice),
        },
        f"Name the container port mapping in {td.family} ('portMappings': [{{'name': "
        f"'{missing[0]}', 'containerPort': …, 'appProtocol': 'http'}}]), register the revision and update "
        "the service to it.",
    )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for service in ctx.snapshot.services:
        if service.status == "ACTIVE":
            finding = _judge(ctx, service)
            if finding is not None:
                yield finding


CHECK = Check(
    id=ID,
    title="Service Connect and VPC Lattice port names without a named port mapping",
    severity="high",
    resource_types=("service",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html",
    needs=needs(*ECS_INVENTORY),
)
