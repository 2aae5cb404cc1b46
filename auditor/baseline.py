"""Compare an audit with a previous run's `findings.json`: what is new, unchanged, resolved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import limits
from auditor.errors import ConfigError
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


def load_baseline(path: str | Path) -> dict[str, Any]:
    """A previous `findings.json`, checked enough to compare with; ConfigError (exit 2) if not."""
    text = limits.read_bounded(path, limits.BASELINE_MAX_BYTES, ConfigError, "baseline")
    try:
        doc = limits.loads_json(text, ConfigError, f"baseline {path}")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ConfigError(f"baseline {path} is not an ecs-net-audit findings.json ({SCHEMA})")
    findings = doc.get("findings")
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and isinstance(f.get("id"), str) for f in findings
    ):
        raise ConfigError(f"baseline {path}: 'findings' must be a list of findings with ids")
    ids = [f["id"] for f in findings]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"baseline {path}: a finding id appears twice")
    return doc


def compare(findings: tuple[Finding, ...] | list[Finding], previous: dict[str, Any]) -> Baseline:
    before = {f["id"]: f for f in previous["findings"]}
    now = {f.id for f in findings}
    changes = {f.id: ("unchanged" if f.id in before else "new") for f in findings}
    resolved = tuple({k: v for k, v in f.items() if k != "change"} for i, f in before.items() if i not in now)
    return Baseline(generated_at=str(previous.get("generated_at", "")), changes=changes, resolved=resolved)
