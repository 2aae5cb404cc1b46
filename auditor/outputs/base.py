"""What the output locations share: names, the error, the run folder's name, findings.json checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.errors import AuditorError

FINDINGS = "findings.json"
LATEST = "latest"
SCHEMA = "ecs-net-audit/findings/v1"


class OutputError(AuditorError):
    """An output location that cannot be read or written (exit 2)."""


def run_folder_name(generated_at: str) -> str:
    """`2026-11-25T10:00:00Z` → `2026-11-25T100000Z` (the contract's run folder name)."""
    day, _, clock = generated_at.partition("T")
    return f"{day}T{clock.replace(':', '')}"


def parse_findings(data: bytes, where: str) -> dict[str, Any]:
    """A findings.json document, checked by the one validator (`auditor.baseline.check_findings`:
    size, number bounds, schema, unique ids); OutputError if it is not one."""
    from auditor.baseline import check_findings

    return check_findings(data, where, OutputError)


def as_bytes(files: Mapping[str, str | bytes]) -> dict[str, bytes]:
    return {name: c.encode("utf-8") if isinstance(c, str) else c for name, c in files.items()}
