"""The figures the reports draw from raw records, beside the findings and capacity tables.

A run keeps them in its result (`AuditResult.facts`) so that the raw records can be let go: a
many-account run analyses one account at a time and keeps only each account's findings, capacity
rows and these facts (auditor/combine.py), and an organisation run is put together from the
accounts' findings.json files, which carry them (`capacity.regions`, `capacity.tasks`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from auditor.model import Snapshot

ENI_API = "ec2:DescribeNetworkInterfaces"


@dataclass(frozen=True)
class RegionEnis:
    """One row of `capacity.regions`: ENIs in use in an account's region against its ENI quota."""

    account: str
    region: str
    enis_in_use: int | None  # None when the ENIs could not be listed
    eni_quota: float
    quota_source: str  # service-quotas | default
    utilization: float | None  # a fraction, 3 decimals; None when either figure is unknown

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def percent(self) -> float | None:
        """The utilisation as a percentage with 2 decimals (the EMF metric)."""
        if self.enis_in_use is None or self.eni_quota <= 0:
            return None
        return round(100.0 * self.enis_in_use / self.eni_quota, 2)


@dataclass(frozen=True)
class TaskCount:
    """One row of `capacity.tasks`: running tasks of a cluster by network mode and launch type."""

    account: str
    region: str
    cluster: str
    network_mode: str  # awsvpc | bridge | host | none | default | unknown
    launch_type: str  # EC2 | FARGATE | EXTERNAL | MANAGED_INSTANCES | unknown
    tasks: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunFacts:
    """What the reports need of the raw records besides the capacity tables."""

    clusters: tuple[str, ...] = ()  # cluster names, sorted
    regions: tuple[RegionEnis, ...] = ()
    tasks: tuple[TaskCount, ...] = ()

    @classmethod
    def of(cls, snapshot: Snapshot) -> RunFacts:
        return cls(
            clusters=tuple(sorted({c.name for c in snapshot.clusters})),
            regions=tuple(region_enis(snapshot)),
            tasks=tuple(task_counts(snapshot)),
        )

    @classmethod
    def merged(cls, parts: Iterable[RunFacts]) -> RunFacts:
        clusters: set[str] = set()
        regions: list[RegionEnis] = []
        tasks: list[TaskCount] = []
        for p in parts:
            clusters.update(p.clusters)
            regions.extend(p.regions)
            tasks.extend(p.tasks)
        return cls(tuple(sorted(clusters)), tuple(regions), tuple(tasks))

    def region(self, account: str, region: str) -> RegionEnis | None:
        return self._by_place.get((account, region))

    @cached_property
    def _by_place(self) -> dict[tuple[str, str], RegionEnis]:
        return {(r.account, r.region): r for r in reversed(self.regions)}  # the first row wins


def region_enis(snapshot: Snapshot) -> list[RegionEnis]:
    """Per account and region with an ENI quota: the ENIs in use (every status and type) against
    it; unknown (None) where listing the ENIs was attempted and did not succeed."""
    failed = {(c.account, c.region) for c in snapshot.coverage if c.api == ENI_API and c.status != "ok"}
    counts = Counter((e.account, e.region) for e in snapshot.network_interfaces)
    rows = []
    for q in snapshot.quotas:
        in_use = None if (q.account, q.region) in failed else counts[(q.account, q.region)]
        rows.append(
            RegionEnis(
                account=q.account,
                region=q.region,
                enis_in_use=in_use,
                eni_quota=q.value,
                quota_source=q.source,
                utilization=round(in_use / q.value, 3) if in_use is not None and q.value else None,
            )
        )
    return rows


def task_counts(snapshot: Snapshot) -> list[TaskCount]:
    """Running tasks per cluster by network mode and launch type (a task whose definition was not
    read is `awsvpc` when it has an ENI attachment, else `unknown`)."""
    modes = {td.arn: td.network_mode for td in snapshot.task_definitions}
    clusters = {c.arn: c.name for c in snapshot.clusters}
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    for t in snapshot.tasks:
        mode = modes.get(t.task_definition_arn, "awsvpc" if t.eni_attachments else "unknown")
        cluster = clusters.get(t.cluster_arn, t.cluster_arn)
        counts[(t.account, t.region, cluster, mode, t.launch_type or "unknown")] += 1
    return [TaskCount(*key, n) for key, n in sorted(counts.items())]
