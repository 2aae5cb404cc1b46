"""public-ip — awsvpc services whose tasks get public IP addresses.

Why: with `assignPublicIp: ENABLED` every task ENI gets a public address, so each task is
reachable from the internet wherever its security groups allow it, bypassing the load balancer,
WAF and any egress controls. It is usually set only so that Fargate tasks in a public subnet can
pull images; a NAT gateway or VPC endpoints do that without exposing tasks.

What: awsvpc services (and their task sets) with `assignPublicIp: ENABLED` → medium, with their
subnets and security groups and whether those groups admit the internet (`admits_internet`:
true, false, or null when a group was not collected).

Fix: run the tasks in private subnets with a NAT gateway or the VPC endpoints they need
(ecr.api, ecr.dkr, s3, logs) and set assignPublicIp DISABLED:
`aws ecs update-service --network-configuration 'awsvpcConfiguration={subnets=[…],
securityGroups=[…],assignPublicIp=DISABLED}'`.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.sg_rules import groups_admit_internet
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding

ID = "public-ip"


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for service in ctx.snapshot.services:
        if service.status != "ACTIVE":
            continue
        enabled = service.assign_public_ip == "ENABLED"
        task_sets = sum(1 for v in service.task_set_public_ips if v == "ENABLED")
        if not enabled and not task_sets:
            continue
        admits = groups_admit_internet(inv.security_groups, service.security_groups)
        exposure = {True: "; its security groups admit the internet", False: "", None: ""}[admits]
        where = "its tasks" if enabled else f"{task_sets} of its task sets"
        yield CHECK.finding(
            ctx.at_service(service),
            "medium",
            f"service {service.name} gives {where} public IP addresses{exposure}",
            {
                "subnets": list(service.subnets),
                "security_groups": list(service.security_groups),
                "admits_internet": admits,
                "task_sets_with_public_ip": task_sets,
                "launch_type": service.launch_type,
            },
            "Move the tasks to private subnets with a NAT gateway or VPC endpoints and set "
            "assignPublicIp=DISABLED (aws ecs update-service --cluster "
            f"{inv.cluster_name(service.cluster_arn)} --service {service.name} --network-configuration "
            "'awsvpcConfiguration={subnets=[<private>],securityGroups=[…],assignPublicIp=DISABLED}').",
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
