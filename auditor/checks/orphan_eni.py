"""orphan-eni — unattached ENIs holding addresses in subnets that ECS uses.

Why: an ENI with status `available` is attached to nothing, yet every private IP on it is taken
from its subnet. ECS task ENIs normally go away with their task, but failed cleanups, ENIs that
people "reserved" by hand, and leftovers of deleted stacks accumulate — and in a small subnet they
are often what pushes awsvpc tasks into "insufficient free addresses".

What: ENIs with status `available` in subnets that ECS uses (tasks, container instances, awsvpc
services) → low, medium when the subnet is under pressure (free addresses below
`thresholds.subnet_free_medium`, or short at the services' peak). ECS's own leftovers count even
though ECS created them requester-managed: task ENIs (description
`arn:aws:ecs:<region>:<account>:attachment/<id>`) and trunk or branch ENIs left after their
instance. Other services' managed interfaces (load balancers, NAT gateways, VPC endpoints,
Lambda, EFS, RDS …) stay excluded: their owner deletes them. AWS gives no creation time, so the
age is only hinted at.

Fix: check nothing needs it (tags, description), then `aws ec2 delete-network-interface
--network-interface-id <eni>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding
from auditor.model import NetworkInterface

ID = "orphan-eni"
MANAGED_PREFIXES = (
    "ELB ",
    "AWS created network interface for directory",
    "Interface for NAT Gateway",
    "VPC Endpoint Interface",
    "AWS Lambda VPC ENI",
    "RDSNetworkInterface",
    "EFS mount target",
)


ECS_ATTACHMENT = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d+:attachment/\S+$")
ECS_INTERFACE_TYPES = ("trunk", "branch")


def is_ecs_leftover(eni: NetworkInterface) -> bool:
    """An ENI ECS created (requester-managed or not): a task's, or an instance's trunk/branch."""
    return bool(ECS_ATTACHMENT.match(eni.description)) or eni.interface_type in ECS_INTERFACE_TYPES


def is_aws_managed(eni: NetworkInterface) -> bool:
    """Another service's managed interface, which that service deletes itself."""
    if is_ecs_leftover(eni):
        return False
    return (
        eni.requester_managed
        or eni.interface_type not in ("interface", "")
        or eni.description.startswith(MANAGED_PREFIXES)
    )


def origin_hint(eni: NetworkInterface) -> str:
    if eni.interface_type == "trunk":
        return "an ECS trunk ENI left after its container instance (terminated or deregistered)"
    if eni.interface_type == "branch":
        return "an ECS branch ENI left after its task"
    if ECS_ATTACHMENT.match(eni.description):
        return "left by an ECS task (its attachment no longer exists)"
    if eni.description:
        return f"described as {eni.description!r}"
    return "no description; check its tags and who created it (CloudTrail CreateNetworkInterface)"


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    used = ctx.ecs_subnet_ids
    pressure = {}
    for row in ctx.subnets:
        share = row.available / row.usable if row.usable else 1.0
        short = row.projected_free is not None and row.projected_free < 0
        pressure[row.subnet_id] = short or share < ctx.config.thresholds.subnet_free_medium
    for eni in ctx.snapshot.network_interfaces:
        if eni.status != "available" or eni.subnet_id not in used or is_aws_managed(eni):
            continue
        under_pressure = pressure.get(eni.subnet_id or "", False)
        count = len(eni.private_ips)
        yield CHECK.finding(
            ctx.at_eni(eni),
            "medium" if under_pressure else "low",
            f"{eni.eni_id} is attached to nothing but holds {count} "
            f"address{'es' if count != 1 else ''} in {eni.subnet_id}"
            + (", a subnet under pressure" if under_pressure else ""),
            {
                "subnet_id": eni.subnet_id,
                "private_ips": list(eni.private_ips),
                "description": eni.description,
                "interface_type": eni.interface_type,
                "origin": origin_hint(eni),
                "subnet_under_pressure": under_pressure,
                "age": "unknown (AWS returns no creation time for ENIs)",
            },
            "If nothing needs it, delete it: aws ec2 delete-network-interface "
            f"--region {eni.region} --network-interface-id {eni.eni_id}",
        )


CHECK = Check(
    id=ID,
    title="Unattached ENIs holding addresses in ECS subnets",
    severity="medium",
    resource_types=("network-interface",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html",
    needs=needs(*ECS_INVENTORY, "ec2_instances", "network_interfaces", "subnets", "scalable_targets"),
)
