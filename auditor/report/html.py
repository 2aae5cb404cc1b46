"""`report.html`: one self-contained page (inline CSS, JS and SVG; no network fetch), autoescaped.

Findings are embedded once, as JSON (escaped as jinja's `tojson` does: `<`, `>`, `&` and quotes),
written one finding at a time while the page streams out, and the
inline script renders the filterable, sortable table from it with `textContent` only — text from
AWS never becomes markup. Charts are SVG drawn here, on the server side.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import jinja2
import markupsafe

from auditor import __version__
from auditor.account_status import account_rows, many_accounts
from auditor.checks import CHECKS
from auditor.findings import SEVERITIES, severity_rank
from auditor.result import AuditResult
from auditor.text import clean, for_people


def _finalize(value: Any) -> Any:
    """Every `{{ … }}` output: control characters and direction overrides made visible."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(for_people(str(value)))
    if isinstance(value, str):
        return for_people(value)
    return value


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("auditor.report", "templates"),
    autoescape=True,
    finalize=_finalize,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
BARS_PER_CLUSTER = 60  # beyond this a cluster's chart says "and N more"; the table has every row
# What one page embeds at most, so it opens and filters in a browser at any size: the most severe
# findings first, and the first rows of each capacity table. The page says when it holds fewer
# than the run found; findings.json and the CSVs always have everything.
MAX_FINDINGS = 20_000
MAX_TABLE_ROWS = 5_000
GAP_ROWS = 12  # more coverage gaps than this (or gaps in several places): one line a place first


def _value(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else "—"
    return str(value)


_ENV.filters["value"] = _value


def _place(result: AuditResult, account: str, region: str) -> str:
    """A chart's place: its region, and its account when the audit spans accounts (two accounts'
    clusters of one name are two charts)."""
    return f"{region} · {account}" if len(result.snapshot.accounts) > 1 else region


def _slot_charts(result: AuditResult) -> list[dict[str, Any]]:
    """Per cluster: each instance's used awsvpc slots against its capacity."""
    by_cluster: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in result.instances:
        by_cluster[(row.account, row.region, row.cluster)].append(row)
    charts = []
    for (account, region, cluster), rows in sorted(by_cluster.items()):
        rows.sort(key=lambda r: (r.headroom if r.headroom is not None else 10**6, r.instance_id or ""))
        bars = []
        for r in rows[:BARS_PER_CLUSTER]:
            used = (r.awsvpc_tasks or 0) + (r.extra_enis or 0)
            bars.append(
                {
                    "label": r.instance_id or r.container_instance_arn,
                    "type": r.instance_type or "",
                    "used": used,
                    "capacity": r.eni_task_capacity,
                    "trunk": r.trunking == "on",
                    "full": r.headroom is not None and r.headroom <= 0,
                }
            )
        scale = max([b["capacity"] or 0 for b in bars] + [b["used"] for b in bars] + [1])
        charts.append(
            {
                "region": _place(result, account, region),
                "cluster": cluster,
                "bars": bars,
                "scale": scale,
                "more": max(0, len(rows) - BARS_PER_CLUSTER),
            }
        )
    return charts


def _zone_charts(result: AuditResult) -> list[dict[str, Any]]:
    """Per cluster: each Availability Zone's awsvpc slots (instances that can take a task), so a
    full zone shows even when the cluster as a whole has room."""
    by_cluster: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for row in result.zones:
        by_cluster[(row.account, row.region, row.cluster)].append(row)
    charts = []
    for (account, region, cluster), rows in sorted(by_cluster.items()):
        bars = [
            {
                "label": r.availability_zone,
                "instances": r.instances,
                "used": r.awsvpc_tasks,
                "capacity": r.eni_task_capacity,
                "free": r.free_slots,
                "full": r.free_slots == 0,
            }
            for r in rows
        ]
        scale = max([b["capacity"] or 0 for b in bars] + [b["used"] or 0 for b in bars] + [1])
        charts.append(
            {"region": _place(result, account, region), "cluster": cluster, "bars": bars, "scale": scale}
        )
    return charts


def _subnet_bars(result: AuditResult) -> list[dict[str, Any]]:
    """Per subnet: addresses used now, at the projected peak, and usable (as shares of usable)."""
    bars = []
    for r in result.subnets:
        if not r.usable:
            continue
        used = r.usable - r.available
        bars.append(
            {
                "label": f"{r.subnet_id} {r.cidr}",
                "now": used / r.usable,
                "peak": min(1.5, (used + r.projected_demand) / r.usable),
                "text": f"{used} used now, {used + r.projected_demand} at peak, {r.usable} usable",
            }
        )
    return bars


def _mode_counts(result: AuditResult) -> list[dict[str, Any]]:
    """Per cluster: running tasks by network mode and launch type (the cluster named with its
    account when the audit spans accounts)."""
    many = len(result.snapshot.accounts) > 1
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for t in result.facts.tasks:
        cluster = f"{t.cluster} ({t.account})" if many else t.cluster
        counts[cluster][f"{t.network_mode} · {t.launch_type}"] += t.tasks
    return [
        {"cluster": c, "parts": sorted(v.items()), "total": sum(v.values())}
        for c, v in sorted(counts.items())
    ]


def _embedded_findings(result: AuditResult) -> Iterable[Any]:
    """The findings the page carries, read as the page is written: all of them, or the
    MAX_FINDINGS most severe."""
    if len(result.findings) <= MAX_FINDINGS or not isinstance(result.findings, tuple | list):
        return itertools.islice(result.findings, MAX_FINDINGS)  # a FindingStore reads most severe first
    ranked = sorted(result.findings, key=lambda f: -severity_rank(f.severity))  # stable: order kept within
    return ranked[:MAX_FINDINGS]


def _finding_json(result: AuditResult) -> Iterator[markupsafe.Markup]:
    """Each embedded finding as JSON safe inside a <script> element, made one at a time while the
    page is written (the page never holds every finding's data at once); its texts are shown with
    textContent."""
    changes = result.baseline.changes if result.baseline else {}
    for f in _embedded_findings(result):
        yield jinja2.utils.htmlsafe_json_dumps(clean({**f.to_dict(), "change": changes.get(f.id)}))


def _gap_places(result: AuditResult) -> list[dict[str, str]]:
    """The coverage gaps per account and region, most first: how many APIs were not collected
    and why ("12 denied (scp), 15 skipped"), and the first denial's or error's own words — one line
    a place, so an organisation's gaps read at a glance (every row is below, folded)."""
    places: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for c in result.coverage_gaps:
        places[(c.account, c.region)].append(c)
    rows = []
    for (account, region), gaps in sorted(places.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        kinds = Counter(f"{c.status} ({c.reason})" if c.reason else c.status for c in gaps)
        first = next((c for c in gaps if c.status != "skipped"), gaps[0])
        rows.append(
            {
                "account": account,
                "region": region,
                "summary": ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()),
                "detail": f"{first.api}: {first.detail}",
            }
        )
    return rows


def context(result: AuditResult) -> dict[str, Any]:
    snapshot = result.snapshot
    embedded = min(len(result.findings), MAX_FINDINGS)
    thresholds = result.config.thresholds  # the run's, so the chart marks what the checks used
    return {
        "version": __version__,
        "run_id": result.run_id,
        "snapshot": snapshot,
        "severities": SEVERITIES,
        "counts": result.severity_counts,
        "checks": CHECKS,
        "gaps": result.coverage_gaps,
        "gap_places": _gap_places(result),
        "GAP_ROWS": GAP_ROWS,
        "coverage": snapshot.coverage,
        "instances": result.instances[:MAX_TABLE_ROWS],
        "instances_left_out": max(0, len(result.instances) - MAX_TABLE_ROWS),
        "subnets": result.subnets[:MAX_TABLE_ROWS],
        "subnets_left_out": max(0, len(result.subnets) - MAX_TABLE_ROWS),
        "findings_left_out": len(result.findings) - embedded,
        "clusters": list(result.facts.clusters),
        "account_rows": account_rows(snapshot, result.findings) if many_accounts(snapshot) else [],
        "account_reports": result.account_reports,  # an organisation run: each account's own report
        "total": len(result.findings),
        "baseline": result.baseline,
        "history": result.history,
        "new_findings": list(
            itertools.islice((f for f in result.findings if b.changes.get(f.id) == "new"), 100)
        )
        if (b := result.baseline) is not None
        else [],
        "slot_charts": _slot_charts(result),
        "subnet_bars": _subnet_bars(result),
        "zone_charts": _zone_charts(result),
        "subnet_medium": 1 - thresholds.subnet_free_medium,
        "subnet_high": 1 - thresholds.subnet_free_high,
        "mode_counts": _mode_counts(result),
        "data": {"docs": {c.id: c.docs for c in CHECKS}, "titles": {c.id: c.title for c in CHECKS}},
        "finding_json": _finding_json(result),
        "noscript_findings": result.findings[:100],
    }


def render(result: AuditResult) -> dict[str, Iterable[str]]:
    """The page, streamed out as the template renders it."""
    return {"report.html": _ENV.get_template("report.html.j2").generate(**context(result))}
