"""Reporters, keyed by format name. Each renders an AuditResult to {file name: content}."""

from __future__ import annotations

from collections.abc import Callable

from auditor.report import asff, csv, emf, html, json, markdown, ocsf
from auditor.result import AuditResult

Renderer = Callable[[AuditResult], dict[str, str]]

RENDERERS: dict[str, Renderer] = {
    "html": html.render,
    "json": json.render,
    "csv": csv.render,
    "md": markdown.render,
    "asff": asff.render,
    "ocsf": ocsf.render,
    "emf": emf.render,
}


def render_all(result: AuditResult, formats: tuple[str, ...]) -> dict[str, str]:
    """Every requested format's files, rendered before anything is written."""
    files: dict[str, str] = {}
    for name in formats:
        files.update(RENDERERS[name](result))
    return files
