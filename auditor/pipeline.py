"""The audit in three steps, shared by `scan`, `demo` and `report`: analyse → write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.analysis.context import AnalysisContext
from auditor.baseline import compare
from auditor.checks import run_checks
from auditor.config import Config
from auditor.model import Snapshot
from auditor.result import AuditResult


def analyse(snapshot: Snapshot, config: Config, previous: dict[str, Any] | None = None) -> AuditResult:
    """Build the analysis context once, run every check on it and keep its capacity tables;
    compare with `previous` (a findings.json document) when given. Pure: no AWS call."""
    ctx = AnalysisContext.build(snapshot, config)
    findings = tuple(run_checks(ctx))
    return AuditResult(
        snapshot=snapshot,
        findings=findings,
        instances=ctx.instances,
        subnets=ctx.subnets,
        zones=ctx.zones,
        config=config,
        baseline=compare(findings, previous) if previous is not None else None,
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
