"""The audit in three steps, shared by `scan`, `demo` and `report`: analyse → write."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
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


def write_reports(
    result: AuditResult, out_dir: Path, formats: tuple[str, ...], extra: Mapping[str, str] | None = None
) -> list[Path]:
    """Render each format and write it to temporary files (one format in memory at a time), then
    put the run's files in place as one set; files an earlier run left in `out_dir` that this run
    does not write are removed. Nothing is in place until every format has rendered. `extra` are
    more files of the run (trend.html beside a run with history)."""
    from auditor.fileio import write_run
    from auditor.report import OUTPUT_FILES, RENDERERS

    batches = itertools.chain((RENDERERS[name](result) for name in formats), [dict(extra or {})])
    return write_run(out_dir, batches, OUTPUT_FILES)
