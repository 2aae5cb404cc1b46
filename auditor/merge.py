"""Several snapshots analysed as one: one per account from a distributed run, or the accounts of
an organisation scan collected one by one.

Records already carry their account and region, so merging is concatenation; what must not
happen is the same account and region twice (its resources would count double), which is bad
input naming both files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from auditor.errors import SnapshotError
from auditor.model import Snapshot

RECORD_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(Snapshot)
    if f.name not in ("generated_at", "tool_version", "accounts", "regions", "cluster_filter")
)

SHARED_FIELDS = ("instance_types",)


def covered(snapshot: Snapshot) -> set[tuple[str, str]]:
    """The (account, region) pairs a snapshot holds: every attempt left a coverage row, and
    every record says where it came from."""
    pairs = set()
    for name in RECORD_FIELDS:
        for record in getattr(snapshot, name):
            account = getattr(record, "account", None)  # instance types are facts of no account
            region = getattr(record, "region", None)  # instance profiles are global: no region
            if account is not None and region is not None:
                pairs.add((account, region))
    return pairs


def _ordered(values: Sequence[Sequence[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for seq in values for v in seq))


class Disjoint:
    """Remembers which input held each account and region; `add` refuses a pair seen before
    (SnapshotError naming both inputs)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], str] = {}

    def add(self, label: str, snapshot: Snapshot) -> None:
        pairs = covered(snapshot)
        for pair in sorted(pairs):
            if pair in self.seen:
                raise SnapshotError(
                    f"account {pair[0]} region {pair[1]} is in both {self.seen[pair]} and {label}: "
                    "give each account and region once"
                )
        for pair in pairs:
            self.seen[pair] = label


def concat(parts: Sequence[Snapshot]) -> Snapshot:
    """One snapshot holding every part's records (no check: see `merge`)."""
    if len(parts) == 1:
        return parts[0]
    # records of no account (instance type facts) are the same wherever they were read: once each
    fields: dict[str, Any] = {
        name: tuple(dict.fromkeys(r for s in parts for r in getattr(s, name)))
        if name in SHARED_FIELDS
        else tuple(r for s in parts for r in getattr(s, name))
        for name in RECORD_FIELDS
    }
    return Snapshot(
        generated_at=max(s.generated_at for s in parts),
        tool_version=parts[0].tool_version,
        accounts=_ordered([s.accounts for s in parts]),
        regions=_ordered([s.regions for s in parts]),
        cluster_filter=_ordered([s.cluster_filter for s in parts]),
        **fields,
    )


def merge(snapshots: Sequence[tuple[str, Snapshot]]) -> Snapshot:
    """One snapshot of every input (`(label, snapshot)`, the label naming it in errors, usually
    its file). SnapshotError when two inputs hold the same account and region."""
    if not snapshots:
        raise SnapshotError("no snapshot to merge")
    if len(snapshots) == 1:
        return snapshots[0][1]
    disjoint = Disjoint()
    for label, snapshot in snapshots:
        disjoint.add(label, snapshot)
    return concat([s for _, s in snapshots])


def split_accounts(snapshot: Snapshot) -> list[Snapshot]:
    """One snapshot per account of a many-account snapshot (records of no account — instance type
    facts — go to each): what a many-account run analyses one at a time."""
    accounts = list(dict.fromkeys([*snapshot.accounts, *(p.account for p in snapshot.planned_accounts)]))
    if len(accounts) <= 1:
        return [snapshot]
    parts = []
    for account in accounts:
        fields: dict[str, Any] = {
            name: getattr(snapshot, name)
            if name in SHARED_FIELDS
            else tuple(r for r in getattr(snapshot, name) if getattr(r, "account", account) == account)
            for name in RECORD_FIELDS
        }
        parts.append(dataclasses.replace(snapshot, accounts=(account,), **fields))
    return parts
