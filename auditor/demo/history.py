"""`ecs-net-audit demo --history N`: N simulated nightly runs of the demo account, so a newcomer
sees the trend report without an account.

The demo account is built and collected once (exactly as `demo` does); each night is that snapshot
with its own `generated_at` (02:00 UTC, one a day, the last on the day of the demo) and one subnet
filling up: the ECS subnet with the most room goes from 30 % to 85 % of its usable addresses in use
over the N nights, a few addresses up or down from night to night (seeded, so every run of the
demo draws the same line). Every night is analysed by the real checks and written by the real
writers under `ROOT/<YYYY-MM-DDTHHMMSSZ>/`; the last night is written like any run with history
beside it (forecasts in its findings, `trend.html` beside its report), and the whole trend goes to
`ROOT/trend/`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from auditor.config import Config
from auditor.model import Snapshot, Subnet
from auditor.pipeline import analyse, write_reports
from auditor.result import AuditResult

MAX_NIGHTS = 730
START_USED, END_USED = 0.30, 0.85  # share of the filling subnet's usable addresses in use
SEED = 16

WriteRun = Callable[[AuditResult, Path, tuple[str, ...]], list[Path]]


def filling_subnet(snapshot: Snapshot, result: AuditResult) -> str:
    """The ECS subnet with the most usable addresses (then the most ECS demand): the one to fill."""
    rows = [r for r in result.subnets if r.usable]
    best = max(rows, key=lambda r: (r.usable or 0, r.ecs_ips + r.projected_demand, r.subnet_id))
    return best.subnet_id


def night(
    snapshot: Snapshot, subnet_id: str, usable: int, when: datetime, used_share: float, jitter: int
) -> Snapshot:
    """The snapshot as it would have been collected at `when`, with the subnet at `used_share`."""
    available = max(0, usable - round(usable * used_share) + jitter)

    def adjust(s: Subnet) -> Subnet:
        return replace(s, available_ips=available) if s.subnet_id == subnet_id else s

    return replace(
        snapshot,
        generated_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        subnets=tuple(adjust(s) for s in snapshot.subnets),
    )


def demo_history(
    nights: int, root: Path, config: Config, write_run: WriteRun, snapshot: Snapshot | None = None
) -> tuple[AuditResult, list[Path]]:
    """Write `nights` runs under `root` and their trend under `root/trend/`; the last run's result
    and the files of the last run and of the trend."""
    from auditor.fileio import write_atomic
    from auditor.history.render import render_trend
    from auditor.history.runs import parse_time, read_history
    from auditor.history.trend import analyse_history
    from auditor.outputs.local import LocalFolder

    if snapshot is None:
        from auditor.demo import demo_snapshot

        snapshot = demo_snapshot()
    first = analyse(snapshot, config)
    subnet_id = filling_subnet(snapshot, first)
    usable = next(r.usable for r in first.subnets if r.subnet_id == subnet_id) or 0
    last_night = parse_time(snapshot.generated_at).replace(hour=2, minute=0, second=0, microsecond=0)
    rng = random.Random(SEED)
    formats = config.output.formats
    result, paths = first, []
    for k in range(nights):
        when = last_night - timedelta(days=nights - 1 - k)
        share = START_USED + (END_USED - START_USED) * k / (nights - 1)
        result = analyse(night(snapshot, subnet_id, usable, when, share, rng.randint(-2, 2)), config)
        out = root / when.strftime("%Y-%m-%dT%H%M%SZ")
        if k < nights - 1:
            write_reports(result, out, formats)
        else:
            paths = write_run(result, out, formats)
    trend = analyse_history(read_history(LocalFolder(root, max_depth=1), str(root), depth=1))
    trend_formats = tuple(f for f in formats if f in ("html", "csv")) + (
        ("json",) if "json" in formats else ()
    )
    for name, content in render_trend(trend, trend_formats).items():
        write_atomic(root / "trend" / name, content)
        paths.append(root / "trend" / name)
    return result, paths
