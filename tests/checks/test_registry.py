"""The check registry: every module registered once, ids unique and in the contract."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import pytest

import auditor.checks
from auditor.analysis.context import AnalysisContext
from auditor.checks import CHECKS, run_checks
from auditor.checks.base import Check
from auditor.config import Config
from auditor.findings import SEVERITIES, Location
from tests.factories import SnapshotBuilder

DOCS = Path(__file__).resolve().parents[2] / "docs" / "OUTPUT.md"
README = DOCS.parents[1] / "README.md"


def documented_checks(path: Path, heading: str) -> dict[str, set[str]]:
    """Check id → the resource types its rows give, from the first table under `heading`."""
    text = path.read_text("utf-8").split(heading, 1)[1]
    rows: dict[str, set[str]] = {}
    for line in text.splitlines()[1:]:
        if line.startswith("#"):
            break
        match = re.match(r"^\| `([a-z0-9-]+)` \| ([^|]*)\|", line)
        if match:
            types = re.sub(r"\(.*?\)", "", match[2])
            rows.setdefault(match[1], set()).update(t.strip() for t in types.split(",") if t.strip())
    return rows


def test_every_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(auditor.checks.__path__)} - {"base"}
    registered = {c.run.__module__.rsplit(".", 1)[-1] for c in CHECKS}
    assert modules == registered


def test_ids_are_unique_and_each_has_its_docs_row():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    documented = documented_checks(DOCS, "### Checks and their `detail` keys")
    assert set(documented) == set(ids)
    for check in CHECKS:
        assert documented[check.id] == set(check.resource_types), check.id
    assert set(documented_checks(README, "## Checks")) == set(ids)


def test_each_check_documents_why_and_fix():
    for check in CHECKS:
        assert check.severity in SEVERITIES
        assert "Why" in check.doc and "Fix" in check.doc, check.id


def test_empty_snapshot_gives_no_finding():
    assert run_checks(AnalysisContext.build(SnapshotBuilder().build(), Config())) == []


def test_a_check_keeps_to_its_declared_severity_and_resource_types():
    check = Check("x", "x", "medium", ("service",), lambda ctx: iter(()), "Why … Fix …")
    service = Location("1", "us-east-1", "service", "arn:svc")
    assert check.finding(service, "medium", "t", {}).severity == "medium"
    assert check.unknown(Location("1", "us-east-1", "region", "us-east-1"), "t", ["a"]).detail["unknown"]
    with pytest.raises(ValueError, match="at most"):
        check.finding(service, "high", "t", {})
    with pytest.raises(ValueError, match="resource type"):
        check.finding(Location("1", "us-east-1", "subnet", "subnet-1"), "low", "t", {})
