"""The check registry: every module registered once, ids unique and in the contract."""

from __future__ import annotations

import pkgutil

import auditor.checks
from auditor.analysis.context import AnalysisContext
from auditor.checks import CHECKS, run_checks
from auditor.config import Config
from auditor.findings import SEVERITIES
from tests.factories import SnapshotBuilder

CONTRACT_CHECKS = {
    "eni-headroom",
    "eni-trunking",
    "subnet-ip-exhaustion",
    "wide-port-range",
    "static-port-conflict",
    "network-mode",
    "public-ip",
    "egress-path",
    "lb-target-type",
    "orphan-eni",
    "eni-quota",
}


def test_every_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(auditor.checks.__path__)} - {"base"}
    registered = {c.run.__module__.rsplit(".", 1)[-1] for c in CHECKS}
    assert modules == registered


def test_ids_are_unique_and_from_the_contract():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert set(ids) <= CONTRACT_CHECKS


def test_each_check_documents_why_and_fix():
    for check in CHECKS:
        assert check.severity in SEVERITIES
        assert "Why" in check.doc and "Fix" in check.doc, check.id


def test_empty_snapshot_gives_no_finding():
    assert run_checks(AnalysisContext.build(SnapshotBuilder().build(), Config())) == []


def test_checks_do_not_import_boto():
    import pathlib

    root = pathlib.Path(auditor.checks.__file__).parent
    for path in [*root.glob("*.py"), *(root.parent / "report").glob("*.py")]:
        text = path.read_text()
        assert "import boto" not in text and "from boto" not in text, path
