"""pyproject.toml's package-data is exact: every file of `auditor/` that is not Python (the report
and trend templates, the trunking-limits table) is named by a pattern, and every pattern names a
file — so a wheel carries what the code reads and the list promises nothing that is not there."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "auditor"


def test_package_data_names_exactly_the_files_that_are_not_python() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["auditor"]
    data = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    matched = {
        pattern: {f for f in data if PACKAGE.joinpath(f).match(f"auditor/{pattern}")} for pattern in patterns
    }
    assert {pattern for pattern, files in matched.items() if not files} == set()  # none names nothing
    assert data - set().union(*matched.values()) == set()  # none left out of the wheel
    assert {"data/ecs_trunking_limits.csv", "report/templates/report.html.j2"} <= data
