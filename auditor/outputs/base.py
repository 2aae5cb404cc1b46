"""What the output locations share: names, the error, the run folder's name, findings.json checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditor.errors import AuditorError

FINDINGS = "findings.json"
LATEST = "latest"
SCHEMA = "ecs-net-audit/findings/v1"
MAX_BASELINE_BYTES = 256 * 1024 * 1024  # a findings.json larger than this is not read as a baseline


class OutputError(AuditorError):
    """An output location that cannot be read or written (exit 2)."""


def run_folder_name(generated_at: str) -> str:
    """`2026-11-25T10:00:00Z` → `2026-11-25T100000Z` (the contract's run folder name)."""
    day, _, clock = generated_at.partition("T")
    return f"{day}T{clock.replace(':', '')}"


def parse_findings(data: bytes, where: str) -> dict[str, Any]:
    """A findings.json document, checked enough to compare with; OutputError if it is not one."""
    if len(data) > MAX_BASELINE_BYTES:
        raise OutputError(f"{where} is larger than {MAX_BASELINE_BYTES // 2**20} MiB: not read as a baseline")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise OutputError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise OutputError(f"{where} is not an ecs-net-audit findings.json ({SCHEMA})")
    findings = doc.get("findings")
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and isinstance(f.get("id"), str) for f in findings
    ):
        raise OutputError(f"{where}: 'findings' must be a list of findings with ids")
    return doc


def as_bytes(files: Mapping[str, str | bytes]) -> dict[str, bytes]:
    return {name: c.encode("utf-8") if isinstance(c, str) else c for name, c in files.items()}
