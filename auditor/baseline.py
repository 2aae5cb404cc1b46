"""Compare an audit with a previous run's `findings.json`: what is new, unchanged, resolved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import limits
from auditor.errors import AuditorError, ConfigError
from auditor.findings import Finding

SCHEMA = "ecs-net-audit/findings/v1"


@dataclass(frozen=True)
class Baseline:
    """The comparison with a previous run. Finding ids are stable across runs (CONTRACT.md)."""

    generated_at: str
    changes: dict[str, str]  # current finding id → "new" | "unchanged"
    resolved: tuple[dict[str, Any], ...]  # the previous run's findings that are gone

    def count(self, change: str) -> int:
        return sum(1 for c in self.changes.values() if c == change)


def check_findings(
    data: bytes | str, where: str, error: type[AuditorError] = ConfigError, unnamed_schema: bool = False
) -> dict[str, Any]:
    """The one findings.json validator — `--baseline FILE`, `--baseline latest` (either location)
    and every run `trend` and a run's history read: at most `limits.BASELINE_MAX_BYTES`, JSON with
    the input limits' number bounds, this tool's schema, findings with unique string ids. Anything
    else raises `error` (one line naming `where`); a caller that may skip a bad run catches it.
    `unnamed_schema` (trend's history) also accepts a document without `schema`, as the first
    versions wrote it; another schema is refused all the same."""
    if len(data) > limits.BASELINE_MAX_BYTES:
        raise error(f"{where} is larger than the limit of {limits.BASELINE_MAX_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise error(f"{where} is not UTF-8 text (byte {exc.start})") from None
    try:
        doc = limits.loads_json(text, error, where)
    except json.JSONDecodeError as exc:
        raise error(f"{where} is not valid JSON: {exc}") from None
    unnamed = unnamed_schema and isinstance(doc, dict) and doc.get("schema") is None
    if not isinstance(doc, dict) or (doc.get("schema") != SCHEMA and not unnamed):
        raise error(f"{where} is not an ecs-net-audit findings.json ({SCHEMA})")
    findings = doc.get("findings")
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and isinstance(f.get("id"), str) for f in findings
    ):
        raise error(f"{where}: 'findings' must be a list of findings with ids")
    ids = [f["id"] for f in findings]
    if len(set(ids)) != len(ids):
        raise error(f"{where}: a finding id appears twice")
    return doc


def load_baseline(path: str | Path) -> dict[str, Any]:
    """A previous `findings.json`, checked enough to compare with; ConfigError (exit 2) if not."""
    text = limits.read_bounded(path, limits.BASELINE_MAX_BYTES, ConfigError, "baseline")
    return check_findings(text, f"baseline {path}", ConfigError)


def compare(findings: Sequence[Finding], previous: dict[str, Any]) -> Baseline:
    before = {f["id"]: f for f in previous["findings"]}
    now = {f.id for f in findings}
    changes = {f.id: ("unchanged" if f.id in before else "new") for f in findings}
    resolved = tuple({k: v for k, v in f.items() if k != "change"} for i, f in before.items() if i not in now)
    return Baseline(generated_at=str(previous.get("generated_at", "")), changes=changes, resolved=resolved)
