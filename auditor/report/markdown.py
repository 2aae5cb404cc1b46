"""`summary.md`: a short Markdown summary (counts, gaps, what changed, top findings) for a chat
message or a pull-request comment. Text from AWS is escaped for Markdown."""

from __future__ import annotations

import itertools
import re

from auditor.account_status import account_rows, many_accounts
from auditor.result import AuditResult
from auditor.text import for_people

TOP = 10
TOP_ACCOUNTS = 20
_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")  # what changes rendering inside a line or a table cell


def md(text: object) -> str:
    """Escape Markdown and HTML-significant characters and control characters; one line."""
    return _SPECIAL.sub(r"\\\1", for_people(str(text).replace("\n", " ")))


def render(result: AuditResult) -> dict[str, str]:
    s = result.snapshot
    counts = result.severity_counts
    many = many_accounts(s)
    where = f"{len(s.accounts)} accounts" if many and len(s.accounts) > 3 else ", ".join(s.accounts)
    lines = [
        f"## ECS network audit — {md(where)} — {md(', '.join(s.regions))}",
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
    if many:
        lines += account_lines(result)
    b = result.baseline
    if b is not None:
        lines += [
            f"**What changed** since {md(b.generated_at)}: {b.count('new')} new, "
            f"{len(b.resolved)} resolved, {b.count('unchanged')} unchanged.",
            "",
        ]
        new = list(itertools.islice((f for f in result.findings if b.changes.get(f.id) == "new"), TOP))
        for f in new:
            lines.append(f"- 🆕 **{f.severity}** `{f.check}` {md(f.title)}")
        for r in list(b.resolved)[:TOP]:
            lines.append(f"- ✅ resolved: `{md(r.get('check', ''))}` {md(r.get('title', ''))}")
        lines.append("")
    top = list(itertools.islice((f for f in result.findings if not f.detail.get("unknown")), TOP))
    if top and many:  # which account matters as much as which region
        lines += ["| severity | check | account | region | finding |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {f.severity} | `{f.check}` | {md(f.account)} | {md(f.region)} | {md(f.title)} |" for f in top
        ]
    elif top:
        lines += ["| severity | check | region | finding |", "| --- | --- | --- | --- |"]
        lines += [f"| {f.severity} | `{f.check}` | {md(f.region)} | {md(f.title)} |" for f in top]
    if top and len(result.findings) > TOP:
        lines.append(f"\n…and {len(result.findings) - len(top)} more in `report.html`.")
    else:
        lines.append("No findings.")
    lines.append(f"\n<sub>run {md(result.run_id)}</sub>")
    return {"summary.md": "\n".join(lines) + "\n"}


def account_lines(result: AuditResult) -> list[str]:
    """Many accounts: the ones not audited named, then the accounts with the most severe findings
    (and where each account's own report is, in an organisation run of account runs)."""
    rows = account_rows(result.snapshot, result.findings)
    failed = [r for r in rows if r.status == "failed"]
    lines = []
    if failed:
        names = ", ".join(r.account for r in failed[:TOP_ACCOUNTS])
        more = f" and {len(failed) - TOP_ACCOUNTS} more" if len(failed) > TOP_ACCOUNTS else ""
        lines += [f"> ⚠️ **{len(failed)} account(s) not audited**: {md(names)}{more}", ""]
    links = result.account_reports
    ranked = sorted(rows, key=lambda r: (-r.critical, -r.high, -r.medium, r.account))[:TOP_ACCOUNTS]
    lines += [
        "| account | status | critical | high | medium | low |" + (" report |" if links else ""),
        "| --- | --- | --- | --- | --- | --- |" + (" --- |" if links else ""),
    ]
    for r in ranked:
        link = f" {md(links.get(r.account, ''))} |" if links else ""
        name = f" ({md(r.name)})" if r.name else ""
        lines.append(
            f"| {md(r.account)}{name} | {r.status} | {r.critical} | {r.high} | {r.medium} | {r.low} |{link}"
        )
    if len(rows) > len(ranked):
        lines.append(f"\n…and {len(rows) - len(ranked)} more accounts in `accounts.csv`.")
    return [*lines, ""]
