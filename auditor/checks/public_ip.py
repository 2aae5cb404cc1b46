"""public-ip — awsvpc services whose tasks get public IP addresses.

Why: with `assignPublicIp: ENABLED` every task ENI gets a public address, so each task is
reachable from the internet wherever its security groups allow it, bypassing the load balancer,
WAF and any egress controls. It is usually set only so that Fargate tasks in a public subnet can
pull images; a NAT gateway or VPC endpoints do that without exposing tasks.

What: awsvpc services (and their task sets) with `assignPublicIp: ENABLED` → medium, with their
subnets and security groups and whether those groups admit the internet (`admits_internet`:
true, false, or null when a group was not collected). IPv6 addresses are public: tasks with IPv6
addresses (task ENIs that hold one, or an IPv6-only subnet) in a subnet whose `::/0` routes to an
internet gateway are reachable from the internet too, whatever `assignPublicIp` says →
medium, naming those subnets (`ipv6_internet_subnets`).

Fix: run the tasks in private subnets with a NAT gateway or the VPC endpoints they need
(ecr.api, ecr.dkr, s3, logs) and set assignPublicIp DISABLED (for IPv6, route `::/0` to an
egress-only internet gateway instead of the internet gateway):
`aws ecs update-service --network-configuration 'awsvpcConfiguration={subnets=[…],
securityGroups=[…],assignPublicIp=DISABLED}'`.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.ipv6 import ipv6_internet_routed, is_ipv6_only
from auditor.analysis.sg_rules import groups_admit_internet
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import Service

ID = "public-ip"


def ipv6_internet_subnets(ctx: AnalysisContext, service: Service) -> list[str]:
    """The service's subnets routed `::/0` to an internet gateway where its tasks hold IPv6 addresses."""
    inv = ctx.inventory
    with_ipv6 = {
        sid
        for task in inv.service_tasks(service)
        for att in task.eni_attachments
        if (sid := att.detail("subnetId"))
        and (eni := inv.enis.get(att.detail("networkInterfaceId") or "")) is not None
        and eni.ipv6_count > 0
    }
    out = []
    for subnet_id in service.subnets:
        subnet = inv.subnets.get(subnet_id)
        if subnet is None or not (subnet_id in with_ipv6 or is_ipv6_only(subnet)):
            continue
        if ipv6_internet_routed(subnet, ctx.routes.table_for(subnet)):
            out.append(subnet_id)
    return out


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for service in ctx.snapshot.services:
        if service.status != "ACTIVE":
            continue
        enabled = service.assign_public_ip == "ENABLED"
        task_sets = sum(1 for v in service.task_set_public_ips if v == "ENABLED")
        ipv6 = ipv6_internet_subnets(ctx, service)
        if not enabled and not task_sets and not ipv6:
            continue
        admits = groups_admit_internet(inv.security_groups, service.security_groups)
        exposure = {True: "; its security groups admit the internet", False: "", None: ""}[admits]
        if enabled or task_sets:
            where = "its tasks" if enabled else f"{task_sets} of its task sets"
            title = f"service {service.name} gives {where} public IP addresses{exposure}"
        else:
            title = (
                f"service {service.name}'s tasks have IPv6 addresses in {', '.join(ipv6)}, routed to an "
                f"internet gateway: reachable from the internet{exposure}"
            )
        yield CHECK.finding(
            ctx.at_service(service),
            "medium",
            title,
            {
                "subnets": list(service.subnets),
                "security_groups": list(service.security_groups),
                "admits_internet": admits,
                "task_sets_with_public_ip": task_sets,
                "ipv6_internet_subnets": ipv6,
                "launch_type": service.launch_type,
            },
            "Move the tasks to private subnets with a NAT gateway or VPC endpoints and set "
            "assignPublicIp=DISABLED (aws ecs update-service --cluster "
            f"{inv.cluster_name(service.cluster_arn)} --service {service.name} --network-configuration "
            "'awsvpcConfiguration={subnets=[<private>],securityGroups=[…],assignPublicIp=DISABLED}')"
            + ("; route ::/0 of those subnets to an egress-only internet gateway." if ipv6 else "."),
        )


CHECK = Check(
    id=ID,
    title="awsvpc services with public IPs on their tasks",
    severity="medium",
    resource_types=("service",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html",
    needs=needs(*ECS_INVENTORY, "security_groups"),
)
