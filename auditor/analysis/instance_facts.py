"""Instance facts: ECS awsvpc task limits with ENI trunking (no AWS API returns them) and the
awsvpcTrunking setting in effect for an instance.

Read from `auditor/data/ecs_trunking_limits.csv`, whose header names its sources.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from auditor.model import ContainerInstance

if TYPE_CHECKING:
    from auditor.analysis.capacity import InstanceCapacity
    from auditor.analysis.inventory import Inventory

SETTINGS_API = "ecs:ListAccountSettings"


@dataclass(frozen=True)
class TrunkingFacts:
    instance_type: str
    max_enis: int | None  # None where no source gives it
    tasks_without_trunk: int
    tasks_with_trunk: int | None  # None when the type does not support trunking
    trunking_supported: bool
    source: str
    note: str = ""


@cache
def trunking_table() -> dict[str, TrunkingFacts]:
    """Every known instance type's trunking facts, keyed by type name."""
    text = resources.files("auditor.data").joinpath("ecs_trunking_limits.csv").read_text("utf-8")
    lines = (line for line in io.StringIO(text) if not line.startswith("#"))
    table: dict[str, TrunkingFacts] = {}
    for row in csv.DictReader(lines):
        with_trunk = row["tasks_with_trunk"]
        table[row["instance_type"]] = TrunkingFacts(
            instance_type=row["instance_type"],
            max_enis=int(row["max_enis"]) if row["max_enis"] else None,
            tasks_without_trunk=int(row["tasks_without_trunk"]),
            tasks_with_trunk=int(with_trunk) if with_trunk else None,
            trunking_supported=row["trunking"] == "yes",
            source=row["source"],
            note=row["note"],
        )
    return table


def trunking_facts(instance_type: str) -> TrunkingFacts | None:
    """The facts for one type, or None when the table does not know it (then: unknown)."""
    return trunking_table().get(instance_type)


def tasks_without_trunk(instance_type: str | None, max_enis: int | None) -> int | None:
    """awsvpc tasks without a trunk: `max_enis − 1`, but never more than the ECS table's limit for
    the type (multi-network-card types: c6in.32xlarge holds 13, not 15)."""
    facts = trunking_facts(instance_type or "")
    if max_enis is None:
        return facts.tasks_without_trunk if facts else None
    limit = max_enis - 1
    return min(limit, facts.tasks_without_trunk) if facts else limit


def trunking_applies(ci: ContainerInstance, instance_type: str | None) -> bool | None:
    """Whether ENI trunking can ever raise this instance's capacity: Linux (trunking is Linux-only)
    and a supporting type. None when the type is not in the trunking table."""
    if ci.os_type == "windows":
        return False
    facts = trunking_facts(instance_type or "")
    return facts.trunking_supported if facts else None


def trunk_would_help(inv: Inventory, row: InstanceCapacity) -> bool:
    """A Linux instance of a type that supports trunking, without a trunk."""
    ci = inv.container_instances[row.container_instance_arn]
    return row.trunking == "off" and trunking_applies(ci, row.instance_type) is True


def trunk_would_help_cluster(inv: Inventory, rows: Iterable[InstanceCapacity], cluster_arn: str) -> bool:
    """Whether trunking would help any of the cluster's instances (`trunk_would_help`)."""
    return any(
        trunk_would_help(inv, row)
        for row in rows
        if inv.container_instances[row.container_instance_arn].cluster_arn == cluster_arn
    )


def slot_limit(inv: Inventory, row: InstanceCapacity) -> str:
    """What limits an instance's awsvpc slots, so the advice names the real cause: `trunk` (it has
    one: only more instances help), `windows` (trunking is Linux-only), `type` (its type does not
    support trunking), `no-trunk` (the setting is enabled but it registered without a trunk) or
    `setting` (trunking not enabled for its role)."""
    ci = inv.container_instances[row.container_instance_arn]
    if row.trunking == "on":
        return "trunk"
    if ci.os_type == "windows":
        return "windows"
    if trunking_applies(ci, row.instance_type) is False:
        return "type"
    if effective_setting(inv, ci) == "enabled":
        return "no-trunk"
    return "setting"


def unread_setting_regions(inv: Inventory) -> list[tuple[str, str]]:
    """(account, region) where the awsvpcTrunking setting could not be read and a cluster runs
    awsvpc tasks on EC2 (`Inventory.clusters_with_awsvpc_ec2`; a cluster counts by its account and
    region: another account's clusters in the same region do not need this account's setting)."""
    awsvpc_places = {
        (c.account, c.region) for arn in inv.clusters_with_awsvpc_ec2 if (c := inv.clusters.get(arn))
    }
    unread = {
        (c.account, c.region) for c in inv.snapshot.coverage if c.api == SETTINGS_API and c.status != "ok"
    }
    return sorted(unread & awsvpc_places)


def effective_setting(inv: Inventory, ci: ContainerInstance) -> str:
    """`enabled`, `disabled` or `unknown` for the role this instance registers with."""
    if inv.missing(ci.account, ci.region, SETTINGS_API):
        return "unknown"
    roles = inv.role_arns_of(ci)
    if not roles:
        return "unknown"
    values = {
        s.value
        for s in inv.snapshot.account_settings
        if s.account == ci.account and s.region == ci.region and s.asked_for in roles
    }
    if not values:
        return "disabled"  # AWS answers every effective-setting query; no answer: never enabled
    return "enabled" if values == {"enabled"} else "disabled"
