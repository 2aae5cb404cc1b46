"""`report.html`: one self-contained page (inline CSS and SVG, no network fetch), autoescaped."""

from __future__ import annotations

from collections import Counter
from typing import Any

import jinja2

from auditor import __version__
from auditor.checks import CHECKS
from auditor.findings import SEVERITIES
from auditor.pipeline import AuditResult

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("auditor.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _value(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) if value else "—"
    return str(value)


_ENV.filters["label"] = _label
_ENV.filters["value"] = _value


def context(result: AuditResult) -> dict[str, Any]:
    snapshot = result.snapshot
    counts = Counter(f.severity for f in result.findings)
    by_check = {c.id: [f for f in result.findings if f.check == c.id] for c in CHECKS}
    return {
        "version": __version__,
        "snapshot": snapshot,
        "severities": SEVERITIES,
        "counts": {s: counts.get(s, 0) for s in SEVERITIES},
        "checks": CHECKS,
        "by_check": by_check,
        "gaps": [c for c in snapshot.coverage if c.status != "ok"],
        "coverage": snapshot.coverage,
        "instances": result.instances,
        "subnets": result.subnets,
        "clusters": sorted({c.name for c in snapshot.clusters}),
        "total": len(result.findings),
    }


def render(result: AuditResult) -> dict[str, str]:
    return {"report.html": _ENV.get_template("report.html.j2").render(**context(result))}
