"""Reading earlier runs from a location: a folder of run folders, or an S3 prefix.

A location is anything with two methods (`RunSource`): `list_keys()` — every file under the root,
relative, '/'-separated — and `read_bytes(key)`: the output locations of `auditor.outputs`
(`LocalFolder`, and `S3Prefix`, whose boto3 stays out of this module).

A run is a `findings.json` in a run folder under the root, by the one rule the output locations use
(`auditor.outputs.run_findings_keys`): `trend` reads two levels (`<root>/<run>/` and the Lambda's
`<root>/<account>/<run>/`), the per-run history one (`auditor.history.live`). Its folder's name does
not matter: a run's time is its `generated_at`. Copies under a `latest/` folder are skipped (they
duplicate a run), and so are hidden and temporary files.
Each run is read once and boiled down to a few numbers per resource (`Point`s), so memory grows with
the number of resources × runs, not with the size of the files.

Runs from older tool versions (no `capacity`, no `complete`, no `run_id`) and runs with gaps are
read for what they hold; every file skipped and every gap is reported (`History.problems`), never
silently dropped. A figure a run did not collect is absent, never a zero.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from auditor.errors import AuditorError
from auditor.findings import SEVERITIES

FINDINGS_FILE = "findings.json"
SCHEMA_PREFIX = "ecs-net-audit/findings/"
TREND_DEPTH = 2  # `trend` reads `<root>/<run>/` and the Lambda's `<root>/<account>/<run>/`
MAX_ABS_VALUE = 1e12  # a capacity figure beyond this is nonsense, skipped like a non-number

# The metrics one run contributes (CONTRACT.md, "Output locations and history").
FINDINGS_METRIC = {s: f"findings_{s}" for s in SEVERITIES}  # resource_id: the region
CLUSTER_MIN_HEADROOM = "cluster_min_eni_headroom"  # resource_id: the cluster name
CLUSTER_FREE_SLOTS = "cluster_free_eni_slots"  # free awsvpc slots summed over the cluster's instances
INSTANCE_HEADROOM = "instance_eni_headroom"  # resource_id: the instance id
SUBNET_AVAILABLE = "subnet_available"  # resource_id: subnet-…
SUBNET_PROJECTED_FREE = "subnet_projected_free"  # resource_id: subnet-…
ENIS_IN_USE = "enis_in_use"  # resource_id: the region
ENI_QUOTA = "eni_quota"  # resource_id: the region
ENI_QUOTA_FREE = "eni_quota_free"  # quota − ENIs in use; resource_id: the region
# Figures where zero means "ran out": these get a forecast.
CAPACITY_METRICS = (
    SUBNET_AVAILABLE,
    SUBNET_PROJECTED_FREE,
    CLUSTER_MIN_HEADROOM,
    CLUSTER_FREE_SLOTS,
    INSTANCE_HEADROOM,
    ENI_QUOTA_FREE,
)


class HistoryError(AuditorError):
    """A history location cannot be read at all (exit 2)."""


class RunSource(Protocol):
    """Where runs are read from: a folder, an S3 prefix, or anything with these two methods."""

    def list_keys(self) -> list[str]:
        """Every file under the root: relative, '/'-separated."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """One file's content, by a key from `list_keys()`."""
        ...


@dataclass(frozen=True)
class Point:
    """One figure of one run: (account, region, metric, resource_id) = value."""

    account: str
    region: str
    metric: str
    resource_id: str
    value: float


@dataclass(frozen=True)
class Run:
    """One earlier run, boiled down to what a trend needs."""

    key: str  # its findings.json, relative to the location
    generated_at: str  # as the file says it
    when: datetime  # the same, parsed (UTC)
    run_id: str | None
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    tool_version: str
    complete: bool | None  # None: written by a version that did not say
    gaps: tuple[str, ...]  # coverage rows that are not ok: "account region api status"
    has_capacity: bool  # False for versions that wrote no capacity tables
    points: tuple[Point, ...] = field(repr=False)

    @property
    def folder(self) -> str:
        return self.key.rpartition("/")[0] or "."


@dataclass(frozen=True)
class History:
    """Every run read from a location, oldest first, and what could not be read or is missing."""

    location: str
    runs: tuple[Run, ...]
    problems: tuple[str, ...]

    def accounts(self) -> list[str]:
        return sorted({a for r in self.runs for a in r.accounts})


def parse_time(value: Any) -> datetime:
    """An ISO 8601 timestamp as written in findings.json (`2026-11-25T10:00:00Z`), in UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError("no generated_at")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        return None
    return float(value)


def _text(value: Any) -> str:
    return sys.intern(value) if isinstance(value, str) else ""


def _rows(doc: dict[str, Any], *path: str) -> list[dict[str, Any]]:
    node: Any = doc
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    return [r for r in node if isinstance(r, dict)] if isinstance(node, list) else []


def points_of(
    doc: dict[str, Any],
    counts: Counter[tuple[Any, Any, Any]] | None = None,
    quota_findings: list[dict[str, Any]] | None = None,
) -> list[Point]:
    """The figures one findings.json contributes to a trend (see the metric names above). The run
    being written gives its findings boiled down instead (`counts` per account, region and
    severity; its `eni-quota` findings), so its findings are never all in memory as objects."""
    scope = doc.get("scope") if isinstance(doc.get("scope"), dict) else {}
    accounts = [a for a in (scope or {}).get("accounts") or [] if isinstance(a, str)]
    regions = [r for r in (scope or {}).get("regions") or [] if isinstance(r, str)]
    findings = quota_findings if quota_findings is not None else _rows(doc, "findings")
    if counts is None:
        counts = Counter((f.get("account"), f.get("region"), f.get("severity")) for f in findings)
    pairs = {(a, r) for a in accounts for r in regions}
    pairs |= {(a, r) for a, r, _ in counts if isinstance(a, str) and isinstance(r, str) and a and r}
    points = [
        Point(_text(a), _text(r), FINDINGS_METRIC[s], _text(r), float(counts.get((a, r, s), 0)))
        for a, r in sorted(pairs)
        for s in SEVERITIES
    ]
    cluster_min: dict[tuple[str, str, str], float] = {}
    cluster_free: dict[tuple[str, str, str], float] = {}
    for row in _rows(doc, "capacity", "container_instances"):
        headroom = _number(row.get("headroom"))
        account, region, cluster = (
            _text(row.get("account")),
            _text(row.get("region")),
            _text(row.get("cluster")),
        )
        resource = _text(row.get("instance_id")) or _text(row.get("container_instance_arn"))
        if headroom is None or not resource:
            continue
        points.append(Point(account, region, INSTANCE_HEADROOM, resource, headroom))
        key = (account, region, cluster)
        cluster_min[key] = min(headroom, cluster_min.get(key, headroom))
        cluster_free[key] = cluster_free.get(key, 0.0) + max(0.0, headroom)
    points.extend(Point(a, r, CLUSTER_MIN_HEADROOM, c, v) for (a, r, c), v in cluster_min.items())
    points.extend(Point(a, r, CLUSTER_FREE_SLOTS, c, v) for (a, r, c), v in cluster_free.items())
    for row in _rows(doc, "capacity", "subnets"):
        account, region, subnet = (
            _text(row.get("account")),
            _text(row.get("region")),
            _text(row.get("subnet_id")),
        )
        if row.get("usable") is None or not subnet:
            continue  # IPv6-only: no IPv4 pool to run out of
        for metric, column in ((SUBNET_AVAILABLE, "available"), (SUBNET_PROJECTED_FREE, "projected_free")):
            value = _number(row.get(column))
            if value is not None:
                points.append(Point(account, region, metric, subnet, value))
    points.extend(_eni_quota_points(doc, findings))
    return points


def _eni_quota_points(doc: dict[str, Any], findings: list[dict[str, Any]]) -> list[Point]:
    """ENIs against the regional quota: from `capacity.regions` (written since the trend work),
    else from an `eni-quota` finding's evidence (older runs carry it only above the threshold)."""
    usage: dict[tuple[str, str], tuple[float, float]] = {}
    for f in findings:
        if f.get("check") != "eni-quota":
            continue
        detail = f.get("detail")
        if isinstance(detail, dict):
            in_use, quota = _number(detail.get("enis_in_use")), _number(detail.get("quota"))
            if in_use is not None and quota is not None:
                usage[(_text(f.get("account")), _text(f.get("region")))] = (in_use, quota)
    for row in _rows(doc, "capacity", "regions"):
        in_use, quota = _number(row.get("enis_in_use")), _number(row.get("eni_quota"))
        if in_use is not None and quota is not None:
            usage[(_text(row.get("account")), _text(row.get("region")))] = (in_use, quota)
    points = []
    for (account, region), (in_use, quota) in sorted(usage.items()):
        points.append(Point(account, region, ENIS_IN_USE, region, in_use))
        points.append(Point(account, region, ENI_QUOTA, region, quota))
        points.append(Point(account, region, ENI_QUOTA_FREE, region, quota - in_use))
    return points


def parse_run(key: str, raw: bytes) -> Run:
    """One findings.json, checked by the one validator (`auditor.baseline.check_findings`, as
    `--baseline` reads it) and boiled down; HistoryError says why it cannot be used (the caller
    skips that run and reports it)."""
    from auditor.baseline import check_findings

    return run_from_document(key, check_findings(raw, "the file", HistoryError, unnamed_schema=True))


def run_from_document(
    key: str,
    doc: Any,
    counts: Counter[tuple[Any, Any, Any]] | None = None,
    quota_findings: list[dict[str, Any]] | None = None,
) -> Run:
    """A findings document (already parsed), checked and boiled down (`counts` and
    `quota_findings`: see `points_of`)."""
    if not isinstance(doc, dict):
        raise ValueError("not a findings document")
    schema = doc.get("schema")
    if schema is not None and not (isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX)):
        raise ValueError(f"schema {str(schema)[:60]!r} is not a findings document")
    try:
        when = parse_time(doc.get("generated_at"))
    except ValueError:
        raise ValueError("no readable generated_at") from None
    scope = doc.get("scope") if isinstance(doc.get("scope"), dict) else {}
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    coverage = _rows(doc, "coverage")
    gaps = tuple(
        f"{_text(c.get('account'))} {_text(c.get('region'))} {_text(c.get('api'))} {_text(c.get('status'))}"
        for c in coverage
        if c.get("status") != "ok"
    )
    complete = doc.get("complete")
    run_id = doc.get("run_id")
    return Run(
        key=key,
        generated_at=str(doc["generated_at"]),
        when=when,
        run_id=run_id if isinstance(run_id, str) else None,
        accounts=tuple(a for a in (scope or {}).get("accounts") or [] if isinstance(a, str)),
        regions=tuple(r for r in (scope or {}).get("regions") or [] if isinstance(r, str)),
        tool_version=_text((tool or {}).get("version")) or "unknown",
        complete=complete if isinstance(complete, bool) else (not gaps if coverage else None),
        gaps=gaps,
        has_capacity=isinstance(doc.get("capacity"), dict),
        points=tuple(points_of(doc, counts, quota_findings)),
    )


def iter_runs(source: RunSource, depth: int = TREND_DEPTH) -> Iterator[tuple[str, Run | str]]:
    """(key, Run) for each readable run under the source (the one run-key rule,
    `auditor.outputs.run_findings_keys`, `depth` folders down at most), (key, reason) for each
    that is not."""
    from auditor.outputs import run_findings_keys

    for key in run_findings_keys(source.list_keys(), depth):
        try:
            yield key, parse_run(key, source.read_bytes(key))
        except (OSError, ValueError, AuditorError) as exc:  # one unreadable object is one skipped run
            yield key, str(exc) or exc.__class__.__name__


def read_history(
    source: RunSource,
    location: str = "",
    extra: tuple[Run, ...] = (),
    keep: Callable[[Run], bool] | None = None,
    depth: int = TREND_DEPTH,
) -> History:
    """Every run under `source` (plus `extra`, e.g. the run being written; only those `keep` says
    yes to), oldest first, with the problems found: unreadable files, duplicates, runs with gaps,
    runs from older versions, and nights without a run."""
    runs: list[Run] = list(extra)
    problems: list[str] = []
    for key, outcome in iter_runs(source, depth):
        if isinstance(outcome, str):
            problems.append(f"skipped {key}: {outcome}")
        elif keep is None or keep(outcome):
            runs.append(outcome)
    runs.sort(key=lambda r: (r.when, r.key))
    unique: list[Run] = []
    seen: dict[tuple[str, tuple[str, ...]], Run] = {}
    for run in runs:
        # The same run: the same run_id, or the same collection (generated_at and accounts) —
        # `report` re-analysing a snapshot writes a run of its own id but of the same data.
        idents = [(run.generated_at, run.accounts)] + ([(run.run_id, run.accounts)] if run.run_id else [])
        same = next((seen[i] for i in idents if i in seen), None)
        if same is not None:
            problems.append(f"skipped {run.key}: the same run as {same.key}")
            continue
        seen.update(dict.fromkeys(idents, run))
        unique.append(run)
    unique = _without_aggregates(unique, problems)
    problems.extend(_run_notes(unique))
    return History(location=location, runs=tuple(unique), problems=tuple(problems))


def _without_aggregates(runs: list[Run], problems: list[str]) -> list[Run]:
    """Drop organisation reports (a run of several accounts, each of which also has runs of its
    own under the root, as the Lambda's `<out>/org/` beside `<out>/<account>/`): their figures are
    the accounts' own, and counting both would put every night in twice."""
    single = {r.accounts[0] for r in runs if len(r.accounts) == 1}
    kept = []
    for run in runs:
        if len(run.accounts) > 1 and set(run.accounts) <= single:
            problems.append(f"skipped {run.key}: an organisation report; its accounts' own runs are used")
        else:
            kept.append(run)
    return kept


def _run_notes(runs: list[Run]) -> list[str]:
    notes = []
    for run in runs:
        if not run.has_capacity:
            notes.append(
                f"{run.folder} ({run.generated_at}, tool {run.tool_version}): no capacity tables; "
                "only finding counts are used"
            )
        if run.gaps:
            shown = "; ".join(run.gaps[:3]) + (f"; and {len(run.gaps) - 3} more" if len(run.gaps) > 3 else "")
            notes.append(
                f"{run.folder} ({run.generated_at}): incomplete, {len(run.gaps)} coverage rows not ok "
                f"({shown}); figures it could not collect are missing from the trend, not zero"
            )
    notes.extend(_time_gaps(runs))
    return notes


def _time_gaps(runs: list[Run]) -> list[str]:
    """Per account: stretches with no run longer than three times the usual interval."""
    notes = []
    for account in sorted({a for r in runs for a in r.accounts}):
        times = sorted({r.when for r in runs if account in r.accounts})
        if len(times) < 3:
            continue
        steps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False))
        usual = steps[len(steps) // 2]
        for a, b in zip(times, times[1:], strict=False):
            if usual > 0 and (b - a).total_seconds() > 3 * usual:
                notes.append(
                    f"account {account}: no run between {a:%Y-%m-%d %H:%M} and {b:%Y-%m-%d %H:%M} UTC "
                    f"({(b - a).total_seconds() / 86400:.1f} days; usually {usual / 86400:.1f})"
                )
    return notes


def open_location(location: str) -> RunSource:
    """The source for `trend`'s LOCATION: `s3://BUCKET/PREFIX` or a local folder (the output
    locations' own reader, `auditor.outputs.open_location`; boto3 stays out of history/)."""
    from auditor.outputs import open_location as open_output

    if not location.startswith("s3://") and not Path(location).is_dir():
        raise HistoryError(f"{location}: no such folder")
    try:
        return open_output(location, max_depth=TREND_DEPTH)  # type: ignore[no-any-return]
    except AuditorError as exc:  # its messages name --out; here the location is an argument
        raise HistoryError(str(exc).replace("--out ", "LOCATION ", 1)) from None
