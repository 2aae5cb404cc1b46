"""`findings.json` (schema `ecs-net-audit/findings/v1`) and the lossless `snapshot.json`."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from auditor import __version__
from auditor.account_status import account_rows, many_accounts
from auditor.result import AuditResult
from auditor.snapshot import dump_chunks

SCHEMA = "ecs-net-audit/findings/v1"


class _LazyArray(list):  # type: ignore[type-arg]
    """A JSON array whose items are made one at a time while the encoder writes them (json's
    pure-Python encoder, used with `indent`, iterates a list subclass through `__iter__`)."""

    def __init__(self, items: Callable[[], Iterable[Any]], size: int):
        super().__init__()
        self._items, self._size = items, size

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def __len__(self) -> int:
        return self._size


def findings_document(result: AuditResult, lazy: bool = False) -> dict[str, Any]:
    """The findings.json document; with `lazy`, its findings are made while it is written."""
    snapshot = result.snapshot
    return {
        "schema": SCHEMA,
        "run_id": result.run_id,
        "generated_at": snapshot.generated_at,
        "tool": {"name": "ecs-net-audit", "version": __version__},
        "scope": {
            "accounts": list(snapshot.accounts),
            "regions": list(snapshot.regions),
            "clusters": list(result.facts.clusters),
        },
        "coverage": [
            {
                "account": c.account,
                "region": c.region,
                "api": c.api,
                "status": c.status,
                "detail": c.detail,
                "retries": c.retries,
                "calls": c.calls,
                **({"reason": c.reason} if c.reason else {}),
            }
            for c in snapshot.coverage
        ],
        "complete": result.complete,
        "summary": dict(result.severity_counts),
        "findings": _LazyArray(
            lambda: (with_change(f.to_dict(), result) for f in result.findings), len(result.findings)
        )
        if lazy
        else [with_change(f.to_dict(), result) for f in result.findings],
        "capacity": {
            "container_instances": _rows(result.instances, lazy),
            "subnets": _rows(result.subnets, lazy),
            "zones": _rows(result.zones, lazy),
            "regions": [r.to_dict() for r in result.facts.regions],  # extension: ENIs against the quota
            "tasks": [t.to_dict() for t in result.facts.tasks],  # extension: tasks by network mode
        },
        **baseline_section(result),
        **accounts_section(result),
    }


def _rows(rows: Sequence[Any], lazy: bool) -> list[dict[str, Any]]:
    """Capacity rows as JSON objects; with `lazy`, made while the document is written."""
    if lazy:
        return _LazyArray(lambda: (r.to_dict() for r in rows), len(rows))
    return [r.to_dict() for r in rows]


def accounts_section(result: AuditResult) -> dict[str, Any]:
    """`accounts`: one object per attempted account (as accounts.csv), in many-account audits."""
    if not many_accounts(result.snapshot):
        return {}
    rows = []
    for r in account_rows(result.snapshot, result.findings):
        row = r.to_dict()
        if result.account_reports:  # an organisation run of account runs: where each one's report is
            row["report"] = result.account_reports.get(r.account, "")
        if r.status == "failed":  # why nothing was collected: the first gap's own words
            gap = next(
                (c for c in result.coverage_gaps if c.account == r.account and c.status != "skipped"), None
            )
            row["error"] = f"{gap.api}: {gap.detail}" if gap else ""
        rows.append(row)
    return {"accounts": rows}


def with_change(finding: dict[str, Any], result: AuditResult) -> dict[str, Any]:
    """The finding, with `change` (new/unchanged) when the audit was compared with a baseline."""
    if result.baseline is not None:
        finding["change"] = result.baseline.changes.get(finding["id"], "new")
    return finding


def baseline_section(result: AuditResult) -> dict[str, Any]:
    b = result.baseline
    if b is None:
        return {}
    return {
        "baseline": {
            "generated_at": b.generated_at,
            "new": b.count("new"),
            "unchanged": b.count("unchanged"),
            "resolved": len(b.resolved),
        },
        "resolved": list(b.resolved),
    }


def render(result: AuditResult) -> dict[str, Iterable[str]]:
    """Both documents as streams of text, so neither is built whole in memory. A run that let its
    raw records go (`summary_only`) streams snapshot.json from where it kept them, or writes none."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False)
    files: dict[str, Iterable[str]] = {
        "findings.json": itertools.chain(encoder.iterencode(findings_document(result, lazy=True)), "\n"),
    }
    if not result.summary_only:
        files["snapshot.json"] = itertools.chain(dump_chunks(result.snapshot, run_id=result.run_id), "\n")
    elif result.snapshot_json is not None:
        files["snapshot.json"] = itertools.chain(result.snapshot_json(result.run_id), "\n")
    return files
