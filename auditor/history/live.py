"""The run being written, seen against the runs before it.

A run's earlier runs are the other run folders directly beside its own, one level under the same
root (`ROOT/*/findings.json`: `--out reports/scan-…` sits beside the other `reports/*` runs;
`<prefix>/<timestamp>/` beside the other timestamps) that audited one of the same accounts. The
parent is never walked deeper, so `--out ~/x` reads `~/*/findings.json` only. When there is at
least one, the run gets `trend.html` beside its `report.html` (the report links to it), and a
finding whose resource is falling towards zero at the current rate says so: "subnet-… will run
out in about N days at the current rate" (`detail.forecast`, with `runs_out_at` and
`runs_out_in_days`), also appended to its title.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import AuditorError
from auditor.finding_store import Mapped
from auditor.findings import Finding
from auditor.history.runs import (
    CLUSTER_FREE_SLOTS,
    CLUSTER_MIN_HEADROOM,
    ENI_QUOTA_FREE,
    INSTANCE_HEADROOM,
    SUBNET_AVAILABLE,
    SUBNET_PROJECTED_FREE,
    Run,
    RunSource,
    read_history,
    run_from_document,
)

if TYPE_CHECKING:  # pandas is imported only when a run has history (cold starts stay light)
    from auditor.history.trend import Trend
    from auditor.result import AuditResult

TREND_FILE = "trend.html"
SOONEST = 5  # series the report lists under its link to the trend


@dataclass(frozen=True)
class RunHistory:
    """What a per-run report shows of its history: a link and the few soonest to run out."""

    runs: int
    first: str
    link: str
    soonest: tuple[dict[str, Any], ...]
    trend: Trend = field(repr=False, compare=False)


def days_text(days: float) -> str:
    """'about N days' for a finding's sentence."""
    if days < 1:
        return "less than a day"
    n = math.floor(days + 0.5)
    return f"about {n} day{'s' if n != 1 else ''}"


def _what(metric: str, resource_id: str) -> str | None:
    return {
        SUBNET_AVAILABLE: f"{resource_id} will run out",
        SUBNET_PROJECTED_FREE: f"{resource_id} will run out at its deployment peak",
        INSTANCE_HEADROOM: f"{resource_id} will run out of awsvpc ENI slots",
        CLUSTER_MIN_HEADROOM: f"the fullest instance of cluster {resource_id} will run out of ENI slots",
        CLUSTER_FREE_SLOTS: f"cluster {resource_id} will run out of awsvpc ENI slots",
        ENI_QUOTA_FREE: f"{resource_id} will reach its ENI quota",
    }.get(metric)


def sentence(series: dict[str, Any]) -> str:
    """'subnet-… will run out in about N days at the current rate (on YYYY-MM-DD, …)'."""
    what = _what(str(series["metric"]), str(series["resource_id"])) or str(series["resource_id"])
    if series["status"] == "out":
        past = what.replace("will run out", "ran out").replace("will reach", "reached")
        return f"{past} on {series['runs_out_at']}"
    slope = -float(series["slope_per_day"] or 0)
    return (
        f"{what} in {days_text(float(series['days_left']))} at the current rate "
        f"(on {series['runs_out_at']}; {slope:g} a day over the last {series['fit_runs']} runs)"
    )


def _candidates(f: Finding) -> list[tuple[str, str]]:
    """The series that forecast a finding's resource, the most telling first."""
    if f.check == "subnet-ip-exhaustion":
        return [(SUBNET_AVAILABLE, f.resource_id), (SUBNET_PROJECTED_FREE, f.resource_id)]
    if f.check == "eni-headroom" and f.resource_type == "container-instance":
        return [(INSTANCE_HEADROOM, f.resource_id)]
    if f.check == "eni-headroom" and f.cluster:
        return [(CLUSTER_FREE_SLOTS, f.cluster)]
    if f.check == "eni-quota":
        return [(ENI_QUOTA_FREE, f.resource_id)]
    return []


def with_forecast(f: Finding, trend: Trend) -> Finding:
    """The finding, with the forecast of its resource where one exists."""
    for metric, resource_id in _candidates(f):
        series = trend.forecast_for(f.account, f.region, metric, resource_id)
        if series is None or series["status"] != "running-out":
            continue  # a figure already at zero: the finding says so itself
        text = sentence(series)
        detail = {
            **f.detail,
            "forecast": text,
            "runs_out_at": series["runs_out_at"],
            "runs_out_in_days": series["days_left"],
            "forecast_fit_r2": series["fit_r2"],
        }
        return replace(f, detail=detail, title=f"{f.title} — {text}")
    return f


HISTORY_DEPTH = 1  # earlier runs: `ROOT/<run>/findings.json`, one level under the run's own root


def attach_history(result: AuditResult, out_dir: Path) -> tuple[AuditResult, dict[str, str]]:
    """For a run written to the folder `out_dir`: its history is the other run folders directly
    beside it (`ROOT/*/findings.json`, one level; never a deeper walk of the parent)."""
    from auditor.outputs.local import LocalFolder

    out_dir = out_dir.resolve()
    root = out_dir.parent
    if not root.is_dir():
        return result, {}
    return attach_history_from(result, LocalFolder(root, max_depth=HISTORY_DEPTH), str(root), out_dir.name)


def attach_history_from(
    result: AuditResult, source: RunSource, location: str, own_folder: str
) -> tuple[AuditResult, dict[str, str]]:
    """The result with forecasts and a `RunHistory` when `source` holds earlier runs of one of its
    accounts (outside `own_folder`, the run's own folder under the root), and the extra file to
    write beside its report (`trend.html`); the result unchanged and no file when there is none."""
    from collections import Counter

    from auditor.report.json import findings_document

    # the run's document without its findings (they may be a many-account run's, on disk): the
    # findings are boiled down in one pass instead, to what a trend reads of them
    document = findings_document(result, lazy=True)
    document["findings"] = []
    document = json.loads(json.dumps(document, indent=0))  # the lazy arrays are written out
    counts: Counter[tuple[Any, Any, Any]] = Counter()
    quota: list[dict[str, Any]] = []
    for f in result.findings:
        counts[(f.account, f.region, f.severity)] += 1
        if f.check == "eni-quota":
            quota.append(json.loads(json.dumps(f.to_dict())))
    current: Run = run_from_document(f"{own_folder}/findings.json", document, counts, quota)
    accounts = set(current.accounts)

    def earlier(run: Run) -> bool:
        top, _, rest = run.key.partition("/")
        return (
            bool(rest)  # a run folder under the root, not a findings.json in the root itself
            and top != own_folder
            and bool(accounts & set(run.accounts))
            and run.when <= current.when
        )

    try:
        history = read_history(source, location, (current,), keep=earlier, depth=HISTORY_DEPTH)
    except (OSError, AuditorError):
        return result, {}  # history is a bonus: a root that cannot be listed never fails the run
    if len(history.runs) < 2:
        return result, {}
    from auditor.history.render import trend_html
    from auditor.history.trend import analyse_history

    trend = analyse_history(history)
    findings: Sequence[Finding]
    if isinstance(result.findings, tuple | list):
        findings = tuple(with_forecast(f, trend) for f in result.findings)
    else:  # a many-account run's findings, read from disk: the forecasts are added as they are read
        findings = Mapped(result.findings, lambda f: with_forecast(f, trend))
    series = trend.series
    soonest = series[(series["status"] == "running-out") & (series["metric"] != INSTANCE_HEADROOM)]
    note = RunHistory(
        runs=len(history.runs),
        first=history.runs[0].generated_at,
        link=TREND_FILE,
        soonest=tuple(
            {**row, "text": sentence(row)} for row in soonest.head(SOONEST).to_dict(orient="records")
        ),
        trend=trend,
    )
    return replace(result, findings=findings, history=note), {TREND_FILE: trend_html(trend)}
