"""eni-trunking — is ENI trunking really on where awsvpc tasks need it?

Why: ENI trunking lets a container instance hold many more awsvpc tasks (c5.large: 2 → 10) by
giving it a trunk ENI that carries branch ENIs. It only applies when three things hold: the
`awsvpcTrunking` account setting is enabled *for the IAM role the container instance registers
with* (a per-principal setting, falling back to the account default), the instance was launched
after that opt-in (an instance registered before keeps no trunk), and its type supports trunking.
Teams often enable the setting, see no change, and conclude trunking "does not work".

What, per EC2 container instance in a cluster that runs awsvpc tasks on EC2:
- setting enabled for its role, type supported, but no trunk attached → medium (high when the
  instance is already out of ENI slots): it was launched before the opt-in; replace it;
- setting disabled, and its awsvpc tasks near the ENI limit (`thresholds.eni_utilization`) on a
  type that supports trunking → medium, saying how capacity would change;
- instance type that does not support trunking → low;
- setting or role unreadable, or type unknown to the trunking table → info, unknown.
Trunking is Linux-only: a Windows instance (`ecs.os-type` windows) never counts as missing a
trunk and is never told to be replaced for one. ECS Anywhere instances have no ENI verdict, and
instances that never registered are left to `instance-registration`. Without a trunk the
capacity is the ECS table's limit for multi-network-card types (c6in.32xlarge: 13).

Fix: `aws ecs put-account-setting --name awsvpcTrunking --value enabled --principal-arn <role>`
(or `put-account-setting-default`), then drain and replace the instances; use a supported type.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.capacity import InstanceCapacity
from auditor.analysis.context import AnalysisContext
from auditor.analysis.instance_facts import (
    SETTINGS_API,
    effective_setting,
    tasks_without_trunk,
    trunking_facts,
    unread_setting_regions,
)
from auditor.checks.base import ECS_INVENTORY, Check
from auditor.collect.specs import needs
from auditor.findings import Finding

ID = "eni-trunking"
NOT_REGISTERED = ("REGISTERING", "REGISTRATION_FAILED")


def _findings_for(ctx: AnalysisContext, row: InstanceCapacity) -> Iterator[Finding]:
    inv = ctx.inventory
    ci = inv.container_instances[row.container_instance_arn]
    if ci.os_type == "windows":
        return  # trunking is Linux-only: nothing to enable, nothing missing
    if ci.status in NOT_REGISTERED:
        return  # never registered (often: its trunk failed): instance-registration says so, once
    facts = trunking_facts(row.instance_type or "")
    setting = effective_setting(inv, ci)
    trunk = row.trunking == "on"
    without = tasks_without_trunk(row.instance_type, row.max_enis)
    detail = {
        "setting": setting,
        "instance_type": row.instance_type,
        "type_supports_trunking": facts.trunking_supported if facts else None,
        "trunk_attached": trunk,
        "capacity_without_trunk": without,
        "capacity_with_trunk": facts.tasks_with_trunk if facts else None,
        "awsvpc_tasks": row.awsvpc_tasks,
        "role_arns": list(inv.role_arns_of(ci) or ()),
    }
    where = ctx.at_instance(row)
    if facts is None:
        yield CHECK.unknown(
            where,
            f"whether {row.instance_type} supports ENI trunking is unknown",
            [f"instance type {row.instance_type} in the ECS trunking table"],
        )
        return
    if not facts.trunking_supported:
        yield CHECK.finding(
            where,
            "low",
            f"{row.instance_id} is a {row.instance_type}, which does not support ENI trunking: "
            f"{without} awsvpc tasks at most",
            detail,
            "Move awsvpc workloads to a type that supports trunking (most Nitro "
            "types, e.g. c5/m5/r5 and newer) or to Fargate.",
        )
        return
    if trunk:
        return
    if setting == "unknown":
        role_unknown = "the instance's IAM role (ec2:DescribeInstances, iam:GetInstanceProfile)"
        missing = SETTINGS_API if inv.missing(ci.account, ci.region, SETTINGS_API) else role_unknown
        yield CHECK.unknown(
            where, f"awsvpcTrunking setting for {row.instance_id}'s role is unknown", [missing]
        )
        return
    change = f"{without} → {facts.tasks_with_trunk}"
    if setting == "enabled":
        out_of_slots = row.headroom is not None and row.headroom <= 0
        yield CHECK.finding(
            where,
            "high" if out_of_slots else "medium",
            f"awsvpcTrunking is enabled but {row.instance_id} ({row.instance_type}) has no trunk ENI: "
            f"it holds {without} awsvpc tasks instead of {facts.tasks_with_trunk}",
            detail,
            "The instance registered before trunking was enabled for its role (or its agent "
            "is too old). Drain it (aws ecs update-container-instances-state --status DRAINING) and "
            f"replace it; new instances get a trunk ENI (capacity {change}).",
        )
        return
    utilization = row.utilization
    if utilization is not None and utilization >= ctx.config.thresholds.eni_utilization:
        yield CHECK.finding(
            where,
            "medium",
            f"{row.instance_id} ({row.instance_type}) is at {utilization:.0%} of its awsvpc ENI limit "
            f"with trunking disabled; trunking would raise it {change}",
            detail,
            "Enable trunking for the container-instance role: aws ecs put-account-setting "
            "--name awsvpcTrunking --value enabled --principal-arn <role-arn>, then replace "
            f"the instances (capacity {change} tasks each).",
        )


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for row in ctx.awsvpc_instances:
        yield from _findings_for(ctx, row)
    for account, region in unread_setting_regions(ctx.inventory):
        title = f"the awsvpcTrunking setting in {region} could not be read"
        yield CHECK.unknown(ctx.at_region(account, region), title, [SETTINGS_API])


CHECK = Check(
    id=ID,
    title="ENI trunking effective where awsvpc tasks need it",
    severity="high",
    resource_types=("container-instance", "region"),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html",
    needs=needs(
        *ECS_INVENTORY,
        "ec2_instances",
        "instance_types",
        "network_interfaces",
        "instance_profiles",
        "account_settings",
        "capacity_providers",  # Managed Instances run with trunking whatever the setting
    ),
)
