"""The result of one audit run, and the summaries every reporter and the CLI read from it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.analysis.facts import RunFacts
from auditor.analysis.zones import ZoneCapacity
from auditor.baseline import Baseline
from auditor.config import Config
from auditor.findings import Finding, severity_counts, severity_rank
from auditor.model import Coverage, Snapshot

if TYPE_CHECKING:
    from auditor.history.live import RunHistory


@dataclass(frozen=True)
class AuditResult:
    """A snapshot and everything the analysis made of it."""

    snapshot: Snapshot
    findings: Sequence[Finding]  # a tuple, or a many-account run's FindingStore (read from disk)
    instances: tuple[InstanceCapacity, ...]
    subnets: tuple[SubnetCapacity, ...]
    config: Config = Config()  # the run's configuration: thresholds the reports draw with
    zones: tuple[ZoneCapacity, ...] = ()  # free awsvpc slots per cluster and Availability Zone
    baseline: Baseline | None = None  # the comparison with a previous run, when one was given
    history: RunHistory | None = None  # earlier runs beside this one: forecasts, a link to the trend
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))  # carried by every file of the run
    # the figures the reports draw from raw records, when `snapshot` no longer holds them
    given_facts: RunFacts | None = None
    # `snapshot` holds only coverage, clusters, quotas and the accounts: the raw records were let
    # go (a many-account run analyses one account at a time: auditor/combine.py)
    summary_only: bool = False
    # with `summary_only`: the run's snapshot.json as a stream of text, given the run id (None: the
    # run writes no snapshot.json, as an organisation run put together from findings.json files)
    snapshot_json: Callable[[str], Iterable[str]] | None = None
    # where each account's own report is, in an organisation run put together from account runs
    account_reports: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def facts(self) -> RunFacts:
        """Cluster names, ENIs against the quota per region, tasks by network mode."""
        return self.given_facts if self.given_facts is not None else RunFacts.of(self.snapshot)

    def worst_at_or_above(self, severity: str) -> bool:
        threshold = severity_rank(severity)
        return any(severity_rank(f.severity) >= threshold for f in self.findings)

    @cached_property
    def severity_counts(self) -> dict[str, int]:
        """Findings per severity, every severity present, most severe first."""
        return severity_counts(self.findings)

    @cached_property
    def coverage_gaps(self) -> tuple[Coverage, ...]:
        """The coverage rows of APIs that were not collected (denied, error, skipped)."""
        return tuple(c for c in self.snapshot.coverage if c.status != "ok")

    @property
    def incomplete(self) -> bool:
        return bool(self.coverage_gaps)

    @property
    def complete(self) -> bool:
        return not self.coverage_gaps
