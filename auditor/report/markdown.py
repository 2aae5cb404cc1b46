"""`summary.md`: a short Markdown summary (counts, gaps, what changed, top findings) for a chat
message or a pull-request comment. Text from AWS is escaped for Markdown."""

from __future__ import annotations

import re

from auditor.result import AuditResult
from auditor.text import for_people

TOP = 10
_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")  # what changes rendering inside a line or a table cell


def md(text: object) -> str:
    """Escape Markdown and HTML-significant characters and control characters; one line."""
    return _SPECIAL.sub(r"\\\1", for_people(str(text).replace("\n", " ")))


def render(result: AuditResult) -> dict[str, str]:
    s = result.snapshot
    counts = result.severity_counts
    lines = [
        f"## ECS network audit — {md(', '.join(s.accounts))} — {md(', '.join(s.regions))}",
        "",
        f"Collected {md(s.generated_at)}. " + " · ".join(f"**{n}** {sev}" for sev, n in counts.items()),
        "",
    ]
    gaps = result.coverage_gaps
    if gaps:
        apis = sorted({f"{c.api} ({c.status})" for c in gaps})
        lines += [
            f"> ⚠️ **Incomplete audit**: {len(gaps)} API/region pairs not collected: "
            f"{md(', '.join(apis[:8]))}{' …' if len(apis) > 8 else ''}. Affected checks report unknown.",
            "",
        ]
    b = result.baseline
    if b is not None:
        lines += [
            f"**What changed** since {md(b.generated_at)}: {b.count('new')} new, "
            f"{len(b.resolved)} resolved, {b.count('unchanged')} unchanged.",
            "",
        ]
        new = [f for f in result.findings if b.changes.get(f.id) == "new"][:TOP]
        for f in new:
            lines.append(f"- 🆕 **{f.severity}** `{f.check}` {md(f.title)}")
        for r in list(b.resolved)[:TOP]:
            lines.append(f"- ✅ resolved: `{md(r.get('check', ''))}` {md(r.get('title', ''))}")
        lines.append("")
    top = [f for f in result.findings if not f.detail.get("unknown")][:TOP]
    if top:
        lines += ["| severity | check | region | finding |", "| --- | --- | --- | --- |"]
        lines += [f"| {f.severity} | `{f.check}` | {md(f.region)} | {md(f.title)} |" for f in top]
        if len(result.findings) > TOP:
            lines.append(f"\n…and {len(result.findings) - len(top)} more in `report.html`.")
    else:
        lines.append("No findings.")
    lines.append(f"\n<sub>run {md(result.run_id)}</sub>")
    return {"summary.md": "\n".join(lines) + "\n"}
