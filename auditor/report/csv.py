"""Flat tables for spreadsheets and pipelines: findings and the two capacity tables."""

from __future__ import annotations

import json

import pandas as pd

from auditor.capacity import InstanceCapacity, SubnetCapacity
from auditor.pipeline import AuditResult

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
]


def _frame(rows: list[dict[str, object]], columns: list[str]) -> str:
    frame = pd.DataFrame(rows, columns=columns, dtype=object)  # object: ints stay ints, None stays empty
    return str(frame.to_csv(index=False, lineterminator="\n"))


def render(result: AuditResult) -> dict[str, str]:
    findings = [
        {**f.to_dict(), "detail": json.dumps(f.detail, sort_keys=True, ensure_ascii=False)}
        for f in result.findings
    ]
    return {
        "findings.csv": _frame(findings, FINDING_COLUMNS),
        "capacity_instances.csv": _frame(
            [r.to_dict() for r in result.instances], list(InstanceCapacity.__dataclass_fields__)
        ),
        "capacity_subnets.csv": _frame(
            [r.to_dict() for r in result.subnets], list(SubnetCapacity.__dataclass_fields__)
        ),
    }
