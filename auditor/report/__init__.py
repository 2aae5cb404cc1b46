"""Reporters, keyed by format name. Each renders an AuditResult to {file name: content}."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from auditor.report import asff, csv, emf, html, json, markdown, ocsf
from auditor.result import AuditResult

# A renderer gives each file's text whole, or in chunks (large documents are streamed to disk).
Renderer = Callable[[AuditResult], dict[str, str]] | Callable[[AuditResult], dict[str, Iterable[str]]]

RENDERERS: dict[str, Renderer] = {
    "html": html.render,
    "json": json.render,
    "csv": csv.render,
    "md": markdown.render,
    "asff": asff.render,
    "ocsf": ocsf.render,
    "emf": emf.render,
}


# Every file name any format writes: a file of these names in `--out` that a run does not write
# belongs to an earlier run and is removed (CONTRACT.md: one run's files belong together).
OUTPUT_FILES = frozenset(
    {
        "report.html",
        "findings.json",
        "snapshot.json",
        "findings.csv",
        "capacity_instances.csv",
        "capacity_subnets.csv",
        "capacity_zones.csv",
        "accounts.csv",
        "summary.md",
        "findings.asff.json",
        "findings.ocsf.json",
        "metrics.emf.jsonl",
        "trend.html",  # beside a run with history (auditor.history.live)
    }
)


def render_all(result: AuditResult, formats: tuple[str, ...]) -> dict[str, str]:
    """Every requested format's files as whole texts (for callers that want them in memory;
    `pipeline.write_reports` streams them to disk instead)."""
    files: dict[str, str] = {}
    for name in formats:
        for file_name, content in RENDERERS[name](result).items():
            files[file_name] = content if isinstance(content, str) else "".join(content)
    return files
