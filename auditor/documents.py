"""An audit put together from findings.json documents: the organisation run of a distributed audit
(`auditor.aws_lambda.aggregate`), whose accounts were each audited by their own function call.

A findings.json holds every finding with its id, the capacity rows, the coverage and the run facts
(`capacity.regions`, `capacity.tasks`), so the organisation's report — report.html, findings.json,
the CSV tables, summary.md — is rendered by the same reporters as any run, without any account's
snapshot. An account that gave no run is one coverage row (as in `scan --org`) and shows as
`failed`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.analysis.facts import RegionEnis, RunFacts, TaskCount
from auditor.analysis.zones import ZoneCapacity
from auditor.combine import Parts
from auditor.errors import SnapshotError
from auditor.findings import Finding
from auditor.model import Coverage, PlannedAccount, Snapshot
from auditor.result import AuditResult
from auditor.typed import decode


class DocumentError(SnapshotError):
    """A findings.json document that does not hold what an organisation report needs."""


def _rows(cls: type, items: Any, where: str) -> tuple[Any, ...]:
    """Typed rows from JSON objects; keys of a newer version that this one does not know are left
    out, a missing or mistyped field is a DocumentError."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise DocumentError(f"{where}: not a list")
    known = {f.name for f in dataclasses.fields(cls)}
    return tuple(
        decode(
            cls,
            {k: v for k, v in item.items() if k in known} if isinstance(item, dict) else item,
            DocumentError,
            where,
        )
        for item in items
    )


def finding_of(item: Mapping[str, Any]) -> Finding:
    """A finding from its findings.json object, keeping the id it was written with."""
    try:
        return Finding(
            check=str(item["check"]),
            severity=str(item["severity"]),
            account=str(item["account"]),
            region=str(item["region"]),
            resource_type=str(item["resource_type"]),
            resource_id=str(item["resource_id"]),
            cluster=None if item.get("cluster") is None else str(item["cluster"]),
            title=str(item.get("title", "")),
            detail=dict(item.get("detail") or {}),
            recommendation=str(item.get("recommendation", "")),
            stored_id=str(item["id"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DocumentError(f"a finding cannot be read: {exc}") from None


def part_of(doc: Mapping[str, Any], names: Mapping[str, str]) -> tuple[Snapshot, AuditResult]:
    """(summary snapshot, result) of one account run's findings.json."""
    scope = doc.get("scope") or {}
    capacity = doc.get("capacity") or {}
    accounts = tuple(str(a) for a in scope.get("accounts") or ())
    named = {  # names the account run knew (a many-account run's `accounts`), then the item list's
        str(a.get("account")): str(a.get("name") or "")
        for a in doc.get("accounts") or ()
        if isinstance(a, dict)
    }
    names = {**{k: v for k, v in named.items() if v}, **{k: v for k, v in names.items() if v}}
    summary = Snapshot(
        generated_at=str(doc.get("generated_at", "")),
        tool_version=str((doc.get("tool") or {}).get("version", "")),
        accounts=accounts,
        regions=tuple(str(r) for r in scope.get("regions") or ()),
        coverage=_rows(Coverage, doc.get("coverage"), "coverage"),
        planned_accounts=tuple(PlannedAccount(a, names.get(a, "")) for a in accounts),
    )
    facts = RunFacts(
        clusters=tuple(sorted(str(c) for c in scope.get("clusters") or ())),
        regions=_rows(RegionEnis, capacity.get("regions"), "capacity.regions"),
        tasks=_rows(TaskCount, capacity.get("tasks"), "capacity.tasks"),  # absent before 2026-12
    )
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise DocumentError("findings: not a list")
    result = AuditResult(
        snapshot=summary,
        findings=tuple(finding_of(f) for f in findings),
        instances=_rows(
            InstanceCapacity, capacity.get("container_instances"), "capacity.container_instances"
        ),
        subnets=_rows(SubnetCapacity, capacity.get("subnets"), "capacity.subnets"),
        zones=_rows(ZoneCapacity, capacity.get("zones"), "capacity.zones"),
        given_facts=facts,
    )
    return summary, result


class Organisation(Parts):
    """Account runs added one at a time (`add` a findings.json, or `failed` for an account that
    gave none); `result` is the organisation's audit."""

    def __init__(self, config: Any, names: Mapping[str, str] | None = None) -> None:
        super().__init__(config)
        self.names = dict(names or {})
        self.accounts: set[str] = set()  # every account added, a run or a failure

    def add(self, doc: Mapping[str, Any], report: str = "") -> None:
        """One account run; DocumentError (nothing kept) when the document cannot be read, or when
        it holds an account already added (its findings would count twice)."""
        summary, result = part_of(doc, self.names)
        again = sorted(set(summary.accounts) & self.accounts)
        if again:
            raise DocumentError(f"account {', '.join(again)} is in the organisation run already")
        self.accounts.update(summary.accounts)
        self.add_part(summary, result)
        for account in summary.accounts:
            if report:
                self.reports[account] = report

    def failed(self, account: str, rows: Sequence[Coverage]) -> None:
        """An account that gave no run: its coverage rows say why (it audited no region)."""
        self.accounts.add(account)
        summary = Snapshot(
            generated_at="",
            tool_version="",
            accounts=(account,),
            coverage=tuple(rows),
            planned_accounts=(PlannedAccount(account, self.names.get(account, "")),),
        )
        self.add_part(summary, AuditResult(snapshot=summary, findings=(), instances=(), subnets=()))

    def organisation_result(self, generated_at: str, previous: dict[str, Any] | None = None) -> AuditResult:
        """The organisation's audit, stamped with the time it was put together."""
        from auditor import __version__

        result = self.result(previous)
        head = dataclasses.replace(result.snapshot, generated_at=generated_at, tool_version=__version__)
        return dataclasses.replace(result, snapshot=head)
