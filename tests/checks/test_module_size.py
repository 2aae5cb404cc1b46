"""Check modules hold the decision and the message only: each reads in a screen or two. Domain logic
they would need beyond that belongs in `auditor/analysis/` (README, "Add a check")."""

from __future__ import annotations

from pathlib import Path

import auditor.checks

LIMIT = 160  # lines per check module; the aim is about 150
CHECKS = Path(auditor.checks.__file__).parent


def test_every_check_module_is_short() -> None:
    sizes = {p.name: len(p.read_text("utf-8").splitlines()) for p in sorted(CHECKS.glob("*.py"))}
    assert sizes, "no check modules found"
    too_long = {name: n for name, n in sizes.items() if n > LIMIT}
    assert not too_long, (
        f"check modules over {LIMIT} lines: {too_long}; move their domain logic (indexes, capacity, "
        "instance facts, security-group rules, routes, placement, peaks) into auditor/analysis/"
    )
