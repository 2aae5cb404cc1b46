"""The audit in three steps, shared by `scan`, `demo` and `report`: analyse → write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.baseline import Baseline, compare
from auditor.capacity import InstanceCapacity, SubnetCapacity, instance_capacity, subnet_capacity
from auditor.checks import run_checks
from auditor.config import Config
from auditor.findings import Finding, severity_rank
from auditor.model import Snapshot


@dataclass(frozen=True)
class AuditResult:
    """A snapshot and everything the analysis made of it."""

    snapshot: Snapshot
    findings: tuple[Finding, ...]
    instances: tuple[InstanceCapacity, ...]
    subnets: tuple[SubnetCapacity, ...]
    baseline: Baseline | None = None  # the comparison with a previous run, when one was given

    def worst_at_or_above(self, severity: str) -> bool:
        threshold = severity_rank(severity)
        return any(severity_rank(f.severity) >= threshold for f in self.findings)

    @property
    def incomplete(self) -> bool:
        return any(c.status != "ok" for c in self.snapshot.coverage)


def analyse(snapshot: Snapshot, config: Config, previous: dict[str, Any] | None = None) -> AuditResult:
    """Run every check and build the capacity tables; compare with `previous` (a findings.json
    document) when given. Pure: no AWS call."""
    findings = tuple(run_checks(snapshot, config))
    return AuditResult(
        snapshot=snapshot,
        findings=findings,
        baseline=compare(findings, previous) if previous is not None else None,
        instances=tuple(instance_capacity(snapshot)),
        subnets=tuple(subnet_capacity(snapshot)),
    )


def write_reports(result: AuditResult, out_dir: Path, formats: tuple[str, ...]) -> list[Path]:
    """Render every format in memory first, then write each file atomically."""
    from auditor.fileio import write_atomic
    from auditor.report import render_all

    rendered = render_all(result, formats)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in rendered.items():
        path = out_dir / name
        write_atomic(path, content)
        paths.append(path)
    return paths
