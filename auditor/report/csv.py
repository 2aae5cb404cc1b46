"""Flat tables for spreadsheets and pipelines: findings and the two capacity tables.

Text cells that a spreadsheet would run as a formula (starting with = + - @) get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from auditor.account_status import AccountRow, account_rows
from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.analysis.zones import ZoneCapacity
from auditor.result import AuditResult
from auditor.text import for_people

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
    "run_id",  # the run every row belongs to (an extension, last)
]


FORMULA_START = ("=", "+", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Keep a spreadsheet from running text from AWS as a formula (CSV injection): prefix a quote;
    escape control characters and direction overrides (`text.for_people`)."""
    if isinstance(value, str):
        value = for_people(value)
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


def _table(rows: Iterable[dict[str, object]], columns: list[str], run_id: str) -> Iterator[str]:
    """The table as CSV text in chunks (a large run's findings are never one string in memory).
    Unknown values (None) are empty cells; the last column is the run's id."""
    columns = [*columns, "run_id"] if "run_id" not in columns else columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([run_id if c == "run_id" else neutralise(row.get(c)) for c in columns])
        if n % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def render(result: AuditResult) -> dict[str, Iterable[str]]:
    findings = (
        {
            **f.to_dict(),
            "detail": json.dumps(f.detail, sort_keys=True, ensure_ascii=False),
            "change": result.baseline.changes.get(f.id, "new") if result.baseline else None,
        }
        for f in result.findings
    )
    files: dict[str, Iterable[str]] = {
        "findings.csv": _table(findings, FINDING_COLUMNS, result.run_id),
        "capacity_instances.csv": _table(
            (r.to_dict() for r in result.instances),
            list(InstanceCapacity.__dataclass_fields__),
            result.run_id,
        ),
        "capacity_subnets.csv": _table(
            (r.to_dict() for r in result.subnets), list(SubnetCapacity.__dataclass_fields__), result.run_id
        ),
        "capacity_zones.csv": _table(
            (r.to_dict() for r in result.zones), list(ZoneCapacity.__dataclass_fields__), result.run_id
        ),
    }
    # One row per attempted account, in every audit (a one-account run has one row), so a script
    # reads the same file whatever the scope.
    # An organisation run put together from account runs adds where each account's report is.
    rows = account_rows(result.snapshot, result.findings)
    links = result.account_reports
    columns = [*AccountRow.__dataclass_fields__, *(["report"] if links else [])]
    files["accounts.csv"] = _table(
        ({**r.to_dict(), **({"report": links.get(r.account, "")} if links else {})} for r in rows),
        columns,
        result.run_id,
    )
    return files
