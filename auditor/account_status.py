"""Per-account verdicts of a many-account audit: `ok`, `partial` or `failed`, with finding counts.

`ok`: every coverage row of the account is ok. `failed`: nothing about its resources was
collected (its role could not be assumed, or every call was refused). `partial`: some data and
some gaps. Reaching the account (`sts:AssumeRole`) and listing its regions are not data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from auditor.findings import SEVERITIES, Finding
from auditor.model import Snapshot

BOOKKEEPING_APIS = frozenset({"sts:AssumeRole", "sts:GetCallerIdentity", "ec2:DescribeRegions"})


@dataclass(frozen=True)
class AccountRow:
    """One attempted account (a row of accounts.csv and of the report's account table)."""

    account: str
    name: str
    status: str  # ok | partial | failed
    regions: str  # the regions with data, space-separated
    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0
    info: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def account_name(snapshot: Snapshot, account: str) -> str:
    return next((p.name for p in snapshot.planned_accounts if p.account == account), "")


def account_rows(snapshot: Snapshot, findings: Iterable[Finding]) -> list[AccountRow]:
    """One row per account the audit attempted, in the snapshot's order."""
    counts: dict[str, dict[str, int]] = {a: dict.fromkeys(SEVERITIES, 0) for a in snapshot.accounts}
    for f in findings:
        counts.setdefault(f.account, dict.fromkeys(SEVERITIES, 0))[f.severity] += 1
    rows = []
    for account in dict.fromkeys([*snapshot.accounts, *counts]):
        coverage = [c for c in snapshot.coverage if c.account == account]
        data = [c for c in coverage if c.api not in BOOKKEEPING_APIS]
        if not any(c.status == "ok" for c in data):
            status = "failed"
        elif all(c.status == "ok" for c in coverage):
            status = "ok"
        else:
            status = "partial"
        regions = dict.fromkeys(c.region for c in data if c.status == "ok")
        rows.append(
            AccountRow(
                account=account,
                name=account_name(snapshot, account),
                status=status,
                regions=" ".join(regions),
                **counts[account],
            )
        )
    return rows


def many_accounts(snapshot: Snapshot) -> bool:
    """Whether the audit spans accounts (then accounts.csv and the account table are written):
    more than one account, or an account scan that named its accounts."""
    return len(snapshot.accounts) > 1 or bool(snapshot.planned_accounts)
