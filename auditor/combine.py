"""Many snapshots analysed one at a time and reported as one: memory follows the largest account.

A many-account run (`scan --org`, `scan --account`, `report a.json b.json …`, `report` of an
organisation's snapshot.json, `demo --org`) does not build one snapshot of every raw record of
every account. Each account's snapshot is loaded, analysed on its own and let go. (The analysis
indexes resources by their ids, which AWS makes unique within an account and region, not across
accounts; one account at a time is also what keeps two accounts' records apart. What accounts do
share — a subnet through VPC sharing — is joined afterwards: `join_shared_subnets`.) What is kept
is what the reports are made of: the findings (on disk, auditor/finding_store.py), the capacity
rows, the run facts (auditor/analysis/facts.py) and a summary snapshot of coverage, clusters,
quotas and the accounts. The merged `snapshot.json` is streamed out of per-field spool files, so
it is still the lossless union of the inputs without ever being in memory.

Memory is then one account's snapshot and analysis, plus the capacity rows of all of them (see
benchmarks/README.md, `org_scale.py`, for the figures).
"""

from __future__ import annotations

import dataclasses
import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.analysis.facts import RunFacts
from auditor.analysis.zones import ZoneCapacity
from auditor.baseline import compare
from auditor.checks import finding_order
from auditor.checks.subnet_ips import DEMAND_APIS, subnet_finding
from auditor.checks.subnet_ips import ID as SUBNET_CHECK
from auditor.config import Config
from auditor.fileio import remove_temporary_folder, temporary_folder
from auditor.finding_store import FindingStore
from auditor.findings import Finding
from auditor.merge import RECORD_FIELDS, SHARED_FIELDS, Disjoint, concat
from auditor.model import Snapshot
from auditor.result import AuditResult
from auditor.snapshot import SCHEMA, record_fields

# the records a summary snapshot keeps: small, and read by the reports (coverage, account table)
SUMMARY_FIELDS = frozenset({"coverage", "clusters", "quotas", "planned_accounts", "missing_clusters"})
HEAD_FIELDS = tuple(f.name for f in dataclasses.fields(Snapshot) if f.name not in RECORD_FIELDS)


def summary_of(snapshot: Snapshot) -> Snapshot:
    """The snapshot without its raw records: only `SUMMARY_FIELDS` kept."""
    empty: dict[str, Any] = {f: () for f in RECORD_FIELDS if f not in SUMMARY_FIELDS}
    return dataclasses.replace(snapshot, **empty)


class SnapshotSpool:
    """The union of many snapshots, written record by record to one file per field, read back as
    one `snapshot.json` stream (the same document `snapshot.dumps` makes of the merged snapshot)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, IO[str]] = {}
        self.counts = dict.fromkeys(RECORD_FIELDS, 0)
        self.shared_seen: dict[str, set[Any]] = {f: set() for f in SHARED_FIELDS}
        self._encoder = json.JSONEncoder(default=record_fields)

    def add(self, snapshot: Snapshot) -> None:
        for name in RECORD_FIELDS:
            records = getattr(snapshot, name)
            if not records:
                continue
            out = self.files.get(name)
            if out is None:
                out = self.files[name] = open(self.folder / f"{name}.part", "w", encoding="utf-8")  # noqa: SIM115
            for record in records:
                if name in self.shared_seen:
                    if record in self.shared_seen[name]:
                        continue
                    self.shared_seen[name].add(record)
                out.write(("" if self.counts[name] == 0 else ",\n") + self._encoder.encode(record))
                self.counts[name] += 1

    def chunks(self, head: Snapshot, run_id: str | None) -> Iterator[str]:
        """The snapshot.json text: `head`'s scalar fields (generated_at, accounts …), then every
        field's records from the spool."""
        for out in self.files.values():
            out.flush()
        top = {"schema": SCHEMA, **({"run_id": run_id} if run_id else {})}
        yield json.dumps(top)[:-1] + ', "snapshot": {'
        yield ", ".join(f"{json.dumps(f)}: {json.dumps(_plain(getattr(head, f)))}" for f in HEAD_FIELDS)
        for name in RECORD_FIELDS:
            yield f",\n{json.dumps(name)}: ["
            if self.counts[name]:
                with open(self.folder / f"{name}.part", encoding="utf-8") as part:
                    while block := part.read(1 << 20):
                        yield block
            yield "]"
        yield "}}"

    def close(self) -> None:
        for out in self.files.values():
            out.close()
        self.files.clear()


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


class Parts:
    """The pieces of one audit, gathered a part (an account, a file) at a time; `result` is the
    audit of all of them. The findings go to disk as each part comes (`FindingStore`), the
    capacity rows and facts stay in memory. Use as a context manager: its folder lives until the
    run's files are written."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.folder = temporary_folder("ecs-net-audit-parts-")
        self.summaries: list[Snapshot] = []
        self.findings = FindingStore(self.folder, finding_order)
        self.findings.replaceable = lambda f: f.check == SUBNET_CHECK
        self.instances: list[InstanceCapacity] = []
        self.subnets: list[SubnetCapacity] = []
        self.zones: list[ZoneCapacity] = []
        self.facts: list[RunFacts] = []
        self.reports: dict[str, str] = {}  # account → its own report, when the parts are account runs
        # (account, region, subnet) → the services using it: a subnet shared between accounts
        # (VPC sharing) is judged again on the demand of all of them
        self.subnet_services: dict[tuple[str, str, str], list[str]] = {}

    def __enter__(self) -> Parts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        remove_temporary_folder(self.folder)

    def add_part(self, summary: Snapshot, result: AuditResult) -> None:
        """A part's summary snapshot and what its analysis made (findings, capacity rows, facts)."""
        for f in result.findings:
            if f.check == SUBNET_CHECK and isinstance(f.detail.get("services"), list):
                self.subnet_services[(f.account, f.region, f.resource_id)] = list(f.detail["services"])
        self.summaries.append(summary)
        self.findings.add(result.findings)
        self.instances.extend(result.instances)
        self.subnets.extend(result.subnets)
        self.zones.extend(result.zones)
        self.facts.append(result.facts)

    def snapshot_stream(self, head: Snapshot) -> Callable[[str], Iterable[str]] | None:
        """The run's snapshot.json as a stream, given the run id (None: no snapshot.json)."""
        return None

    def result(self, previous: dict[str, Any] | None = None) -> AuditResult:
        """The audit of every part; its findings are read from this folder, so write the run's
        files before closing."""
        head = concat(self.summaries)
        subnets = join_shared_subnets(self, head)
        return AuditResult(
            snapshot=head,
            findings=self.findings,
            instances=tuple(self.instances),
            subnets=tuple(subnets),
            zones=tuple(self.zones),
            config=self.config,
            baseline=compare(self.findings, previous) if previous is not None else None,
            given_facts=RunFacts.merged(self.facts),
            summary_only=True,
            snapshot_json=self.snapshot_stream(head),
            account_reports=dict(self.reports),
        )


class Combined(Parts):
    """Snapshots added one at a time (`add`), each analysed and let go; `result` is the audit of
    all of them as one (the snapshot.json of the run streamed from a spool of their records)."""

    def __init__(self, config: Config, keep_snapshot: bool = True) -> None:
        super().__init__(config)
        self.disjoint = Disjoint()
        self.spool = SnapshotSpool(self.folder) if keep_snapshot else None

    def __enter__(self) -> Combined:
        return self

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()
        super().close()

    def add(self, label: str, snapshot: Snapshot) -> None:
        """Analyse one input; SnapshotError when it holds an account and region an earlier
        input held (nothing of it is kept then)."""
        from auditor.pipeline import analyse

        if self.summaries:  # the previous input's records and analysis hold reference cycles: free
            gc.collect()  # them now, not at some later collection, so the next one does not stack up
        self.disjoint.add(label, snapshot)
        result = analyse(snapshot, self.config)
        self.add_part(summary_of(snapshot), result)
        for row in result.subnets:
            names = sorted(s.name for s in snapshot.services if row.subnet_id in s.subnets)
            self.subnet_services[(row.account, row.region, row.subnet_id)] = names
        if self.spool is not None:
            self.spool.add(snapshot)

    def snapshot_stream(self, head: Snapshot) -> Callable[[str], Iterable[str]] | None:
        spool = self.spool
        return (lambda run_id: spool.chunks(head, run_id)) if spool is not None else None


def join_shared_subnets(parts: Parts, head: Snapshot) -> list[SubnetCapacity]:
    """The subnet rows, with every subnet that several accounts use (VPC sharing: each
    account sees the subnet and only its own tasks) as one row — the addresses its tasks hold and
    will need, summed over the accounts — and `subnet-ip-exhaustion` judged again on that row, in
    the name of the lowest account id among them (`shared_by` lists them all). One account's
    analysis alone would count only its own demand against the subnet's free addresses."""
    groups: dict[tuple[str, str], list[SubnetCapacity]] = defaultdict(list)
    for row in parts.subnets:
        groups[(row.region, row.subnet_id)].append(row)
    shared = {key: rows for key, rows in groups.items() if len({r.account for r in rows}) > 1}
    if not shared:
        return parts.subnets
    failed = {(c.account, c.region, c.api) for c in head.coverage if c.status != "ok"}
    findings: list[Finding] = []
    rows: list[SubnetCapacity] = []
    for row in parts.subnets:
        group = shared.get((row.region, row.subnet_id))
        if group is None:
            rows.append(row)
            continue
        if row is not group[0]:
            continue
        first = min(group, key=lambda r: r.account)
        demand = sum(r.projected_demand for r in group)
        joined = dataclasses.replace(
            first,
            ecs_ips=sum(r.ecs_ips for r in group),
            projected_demand=demand,
            scale_out_demand=sum(r.scale_out_demand for r in group),
            projected_free=first.available - demand if first.cidr else None,
        )
        rows.append(joined)
        services = {
            n for r in group for n in parts.subnet_services.get((r.account, r.region, r.subnet_id), [])
        }
        partial = {api for r in group for api in DEMAND_APIS if (r.account, r.region, api) in failed}
        accounts = sorted({r.account for r in group})
        found = subnet_finding(joined, parts.config, sorted(services), sorted(partial), shared_by=accounts)
        if found is not None:
            findings.append(found)
    parts.findings.replace({(SUBNET_CHECK, region, sid) for region, sid in shared}, findings)
    return rows


def analyse_files(paths: Iterable[str | Path], config: Config, keep_snapshot: bool = True) -> Combined:
    """`report a.json b.json …`: each file loaded, analysed and let go in turn (a file named twice
    is read once). The caller closes the returned Combined after writing the run."""
    from auditor.snapshot import load

    combined = Combined(config, keep_snapshot=keep_snapshot)
    try:
        for path in dict.fromkeys(str(p) for p in paths):
            combined.add(path, load(path))
    except BaseException:
        combined.close()
        raise
    return combined
