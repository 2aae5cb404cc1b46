"""The Check type: a check's identity next to its logic, and the findings it may make.

A check's `run(ctx)` reads the analysis context and decides; `Check.finding` and `Check.unknown`
build its findings from where they stand (a `Location` the context gives for a resource), and
refuse a severity above the check's declared one or a resource type it did not declare, so both
declarations are true of what the check reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from auditor.analysis.context import AnalysisContext
from auditor.findings import Finding, Location, severity_rank, unknown

CheckFunction = Callable[[AnalysisContext], Iterator[Finding]]


@dataclass(frozen=True)
class Check:
    """A check's identity next to its logic: id, title, highest severity, rationale (docstring)."""

    id: str
    title: str
    severity: str  # the highest severity it reports
    resource_types: tuple[str, ...]  # what its findings are about ("region" for coverage gaps too)
    run: CheckFunction
    doc: str
    needs: tuple[str, ...] = ()  # APIs (from `collect.specs.needs`) whose failure in a region makes the
    # check's verdict there partial
    docs: str = ""  # the AWS documentation page the report links to

    def _place(self, where: Location, severity: str) -> None:
        if where.resource_type not in (*self.resource_types, "region"):
            raise ValueError(f"{self.id} does not declare resource type {where.resource_type!r}")
        if severity_rank(severity) > severity_rank(self.severity):
            raise ValueError(f"{self.id} declares at most {self.severity!r}, not {severity!r}")

    def finding(
        self,
        where: Location,
        severity: str,
        title: str,
        detail: dict[str, Any],
        recommendation: str = "",
    ) -> Finding:
        """A finding of this check about the resource at `where`."""
        self._place(where, severity)
        return Finding(
            check=self.id,
            severity=severity,
            account=where.account,
            region=where.region,
            resource_type=where.resource_type,
            resource_id=where.resource_id,
            cluster=where.cluster,
            title=title,
            detail=detail,
            recommendation=recommendation,
            sub_key=where.sub_key,
        )

    def unknown(self, where: Location, title: str, missing: list[str]) -> Finding:
        """An info finding: no verdict on the resource at `where`, for want of `missing`."""
        self._place(where, "info")
        return unknown(
            check=self.id,
            account=where.account,
            region=where.region,
            resource_type=where.resource_type,
            resource_id=where.resource_id,
            cluster=where.cluster,
            title=title,
            missing=missing,
            sub_key=where.sub_key,
        )


# What most checks stand on: the ECS inventory of a region (Snapshot fields; `specs.needs` turns
# them, with what they depend on, into the APIs).
ECS_INVENTORY = ("container_instances", "services", "tasks", "task_definitions")
