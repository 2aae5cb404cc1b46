"""Flat tables for spreadsheets and pipelines: findings and the two capacity tables.

Text cells that a spreadsheet would run as a formula (starting with = + - @) get a leading `'`.
"""

from __future__ import annotations

import json

from auditor.account_status import AccountRow, account_rows, many_accounts
from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.analysis.zones import ZoneCapacity
from auditor.result import AuditResult

FINDING_COLUMNS = [
    "id",
    "check",
    "severity",
    "account",
    "region",
    "resource_type",
    "resource_id",
    "cluster",
    "title",
    "recommendation",
    "detail",
    "change",  # new | unchanged with --baseline; empty without (an extension, kept last)
]


FORMULA_START = ("=", "+", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Keep a spreadsheet from running text from AWS as a formula (CSV injection): prefix a quote."""
    if (
        isinstance(value, str)
        and value
        and (
            value.startswith(FORMULA_START)
            or (value[0] == "-" and not value[1:].replace(".", "", 1).isdigit())
        )
    ):
        return "'" + value
    return value


def _frame(rows: list[dict[str, object]], columns: list[str]) -> str:
    rows = [{k: neutralise(v) for k, v in row.items()} for row in rows]
    import pandas as pd  # imported here: the Lambda's hot path (no CSV) never loads it

    frame = pd.DataFrame(rows, columns=columns, dtype=object)  # object: ints stay ints, None stays empty
    return str(frame.to_csv(index=False, lineterminator="\n"))


def render(result: AuditResult) -> dict[str, str]:
    findings = [
        {
            **f.to_dict(),
            "detail": json.dumps(f.detail, sort_keys=True, ensure_ascii=False),
            "change": result.baseline.changes.get(f.id, "new") if result.baseline else None,
        }
        for f in result.findings
    ]
    files = {
        "findings.csv": _frame(findings, FINDING_COLUMNS),
        "capacity_instances.csv": _frame(
            [r.to_dict() for r in result.instances], list(InstanceCapacity.__dataclass_fields__)
        ),
        "capacity_subnets.csv": _frame(
            [r.to_dict() for r in result.subnets], list(SubnetCapacity.__dataclass_fields__)
        ),
        "capacity_zones.csv": _frame(
            [r.to_dict() for r in result.zones], list(ZoneCapacity.__dataclass_fields__)
        ),
    }
    if many_accounts(result.snapshot):
        rows = account_rows(result.snapshot, result.findings)
        files["accounts.csv"] = _frame([r.to_dict() for r in rows], list(AccountRow.__dataclass_fields__))
    return files
