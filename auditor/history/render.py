"""The trend's files: `trend.html` (for people), `trend.csv` and `trend.json` (for machines).

`trend.html` is self-contained like `report.html`: inline CSS, JS and SVG drawn here, no fetch;
light and dark follow the system; it prints. The series table is embedded once as JSON and
rendered by the inline script with `textContent` only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jinja2
import pandas as pd

from auditor import __version__
from auditor.findings import SEVERITIES
from auditor.history.runs import (
    CLUSTER_FREE_SLOTS,
    CLUSTER_MIN_HEADROOM,
    ENI_QUOTA,
    ENI_QUOTA_FREE,
    ENIS_IN_USE,
    FINDINGS_METRIC,
    INSTANCE_HEADROOM,
    SUBNET_AVAILABLE,
    SUBNET_PROJECTED_FREE,
)
from auditor.history.trend import MIN_RUNS, MIN_TAU, ROW_COLUMNS, SERIES_COLUMNS, WINDOW_RUNS, Trend, _native

SCHEMA = "ecs-net-audit/trend/v1"
FORMATS = ("html", "csv", "json")
MULTIPLES = 60  # small multiples drawn per kind; the table below has every series
W, H = 260, 90  # one small multiple's drawing area
SEV_W, SEV_H = 760, 160  # the findings-by-severity chart's drawing area

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("auditor.history", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _native(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _row_records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The long table as JSON objects; built column-wise, as a year of runs has 10⁵–10⁶ rows."""
    columns = [rows[c].tolist() for c in ROW_COLUMNS]
    values = columns[ROW_COLUMNS.index("value")]
    columns[ROW_COLUMNS.index("value")] = [int(v) if float(v).is_integer() else v for v in values]
    out = columns[ROW_COLUMNS.index("runs_out_at")]
    columns[ROW_COLUMNS.index("runs_out_at")] = [v if isinstance(v, str) else None for v in out]
    return [dict(zip(ROW_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]


def trend_json(trend: Trend) -> str:
    """`{"rows": [...], "series": [...]}` (CONTRACT.md) plus what the rows came from."""
    history = trend.history
    document = {
        "schema": SCHEMA,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "ecs-net-audit", "version": __version__},
        "location": history.location,
        "window": _window_text(),
        "runs": [
            {
                "generated_at": r.generated_at,
                "run_id": r.run_id,
                "folder": r.folder,
                "accounts": list(r.accounts),
                "regions": list(r.regions),
                "tool_version": r.tool_version,
                "complete": r.complete,
            }
            for r in history.runs
        ],
        "problems": list(history.problems),
        "rows": _row_records(trend.rows()),
        "series": _records(trend.series),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def trend_csv(trend: Trend) -> str:
    from auditor.report.csv import neutralise

    rows = trend.rows()
    for column in ("account", "region", "metric", "resource_id"):
        rows[column] = rows[column].map({v: neutralise(v) for v in rows[column].unique()})
    values = rows["value"].tolist()
    rows = rows.assign(value=pd.Series([int(v) if v.is_integer() else v for v in values], dtype=object))
    return str(rows.to_csv(index=False, lineterminator="\n"))


def _window_text() -> str:
    return (
        f"Theil-Sen line over each series' last {WINDOW_RUNS} runs after its last reset (a jump up "
        f"well beyond the usual step); at least {MIN_RUNS} runs and Kendall's tau <= -{MIN_TAU} to "
        "call a series falling"
    )


def _x(when: datetime, start: datetime, span: float, width: float = W) -> float:
    return round((when - start).total_seconds() / span * width, 1) if span else 0.0


def _y(value: float, low: float, high: float, height: float = H) -> float:
    return round(height - (value - low) / (high - low) * height, 1) if high > low else height / 2


def _polyline(
    points: Iterable[tuple[datetime, float]], start: datetime, span: float, low: float, high: float
) -> str:
    return " ".join(f"{_x(t, start, span)},{_y(v, low, high)}" for t, v in points)


def _parse_day(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _multiples(trend: Trend, metrics: tuple[str, ...], title: str) -> list[dict[str, Any]]:
    """Small multiples: one per resource, the first metric forecast, soonest to run out first."""
    table, series = trend.table, trend.series
    if series.empty:
        return []
    main = series[series["metric"] == metrics[0]].head(MULTIPLES)
    if main.empty:
        return []
    start = table["when"].min().to_pydatetime()
    last = table["when"].max().to_pydatetime()
    horizon = max(timedelta(days=7), (last - start) / 4)
    end = last + horizon
    span = (end - start).total_seconds()
    wanted = set(zip(main["account"], main["region"], main["resource_id"], strict=False))
    subset = table[table["metric"].isin(metrics)]
    key = list(zip(subset["account"], subset["region"], subset["resource_id"], strict=False))
    subset = subset[[k in wanted for k in key]]
    groups = {k: g for k, g in subset.groupby(["account", "region", "resource_id", "metric"], sort=False)}
    charts = []
    for row in main.to_dict(orient="records"):
        lines: list[tuple[str, list[tuple[datetime, float]], int]] = []
        values: list[float] = [0.0]
        for n, metric in enumerate(metrics):
            g = groups.get((row["account"], row["region"], row["resource_id"], metric))
            if g is None:
                continue
            pts = list(zip((t.to_pydatetime() for t in g["when"]), g["value"].astype(float), strict=False))
            values.extend(v for _, v in pts)
            lines.append((metric, pts, n))
        low, high = min(values), max(values) or 1.0
        if high == low:
            high = low + 1
        drawn = [
            {"metric": metric, "points": _polyline(pts, start, span, low, high), "cls": f"s{n}"}
            for metric, pts, n in lines
        ]
        fit = None
        runs_out = row["runs_out_at"]
        if runs_out and row["status"] == "running-out" and row["slope_per_day"]:
            last_seen = datetime.fromisoformat(str(row["last_seen"]).replace("Z", "+00:00"))
            level = float(row["days_left"] or 0) * -float(row["slope_per_day"])
            out_day = min(_parse_day(str(runs_out)), end)
            end_value = max(
                0.0, level + float(row["slope_per_day"]) * (out_day - last_seen).total_seconds() / 86400
            )
            fit = {
                "x1": _x(last_seen, start, span),
                "y1": _y(level, low, high),
                "x2": _x(out_day, start, span),
                "y2": _y(end_value, low, high),
            }
        charts.append(
            {
                "title": title,
                "account": row["account"],
                "region": row["region"],
                "resource_id": row["resource_id"],
                "status": row["status"],
                "runs_out_at": runs_out,
                "days_left": _native(row["days_left"]),
                "last_value": row["last_value"],
                "slope": row["slope_per_day"],
                "r2": _native(row["fit_r2"]),
                "lines": drawn,
                "fit": fit,
                "zero": _y(0.0, low, high),
                "low": low,
                "high": high,
                "now_x": _x(last, start, span),
            }
        )
    return charts


def _severity_chart(trend: Trend) -> dict[str, Any] | None:
    """Findings by severity over time, summed over every account and region of each run."""
    table = trend.table
    metrics = {FINDINGS_METRIC[s]: s for s in SEVERITIES}
    counts = table[table["metric"].isin(metrics)]
    if counts.empty:
        return None
    per_run = counts.groupby(["when", "metric"])["value"].sum().unstack(fill_value=0.0)
    start = per_run.index.min().to_pydatetime()
    end = per_run.index.max().to_pydatetime()
    span = (end - start).total_seconds()
    high = max(1.0, float(per_run.max().max()))
    lines = []
    for metric, severity in metrics.items():
        if metric not in per_run:
            continue
        column = per_run[metric]
        pts = [(t.to_pydatetime(), float(v)) for t, v in column.items()]
        lines.append(
            {
                "severity": severity,
                "points": " ".join(f"{_x(t, start, span, SEV_W)},{_y(v, 0, high, SEV_H)}" for t, v in pts),
                "last": int(column.iloc[-1]),
            }
        )
    return {"lines": lines, "high": int(high), "start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}


def _soonest(trend: Trend) -> list[dict[str, Any]]:
    s = trend.series
    if s.empty:
        return []
    hits = s[s["runs_out_at"].notna() & (s["metric"] != INSTANCE_HEADROOM)]
    return _records(hits.head(25))


def context(trend: Trend) -> dict[str, Any]:
    history = trend.history
    runs = history.runs
    return {
        "version": __version__,
        "location": history.location,
        "runs": len(runs),
        "first": runs[0].generated_at if runs else "",
        "last": runs[-1].generated_at if runs else "",
        "accounts": history.accounts(),
        "problems": history.problems,
        "window": _window_text(),
        "severities": SEVERITIES,
        "severity_chart": _severity_chart(trend),
        "soonest": _soonest(trend),
        "subnets": _multiples(trend, (SUBNET_PROJECTED_FREE, SUBNET_AVAILABLE), "subnet"),
        "clusters": _multiples(trend, (CLUSTER_MIN_HEADROOM, CLUSTER_FREE_SLOTS), "cluster"),
        "quotas": _multiples(trend, (ENI_QUOTA_FREE, ENIS_IN_USE, ENI_QUOTA), "region"),
        "multiples_limit": MULTIPLES,
        "data": {"series": _records(trend.series), "columns": SERIES_COLUMNS},
        "metrics": sorted(set(trend.series["metric"])) if not trend.series.empty else [],
        "statuses": sorted(set(trend.series["status"])) if not trend.series.empty else [],
    }


def trend_html(trend: Trend) -> str:
    return _ENV.get_template("trend.html.j2").render(**context(trend))


def render_trend(trend: Trend, formats: tuple[str, ...]) -> dict[str, str]:
    """Every requested file, rendered in memory before anything is written."""
    writers = {
        "html": ("trend.html", trend_html),
        "csv": ("trend.csv", trend_csv),
        "json": ("trend.json", trend_json),
    }
    return {writers[f][0]: writers[f][1](trend) for f in formats}
