"""`metrics.emf.jsonl`: CloudWatch Embedded Metric Format, one line per account and region.

The same lines the Lambda handler prints to its log (CloudWatch turns them into metrics); a cron
host writes them with `--format emf` and lets the CloudWatch agent ingest the file. Namespace
`ECSNetAudit`, dimensions `Account` and `Region` only: a few aggregates per account and region,
never a dimension per subnet or instance (each dimension combination is a billed metric).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.result import AuditResult

NAMESPACE = "ECSNetAudit"
DIMENSIONS = ("Account", "Region")
METRICS: dict[str, str] = {  # name → CloudWatch unit
    "FindingsCritical": "Count",
    "FindingsHigh": "Count",
    "FindingsMedium": "Count",
    "FindingsLow": "Count",
    "MinEniHeadroom": "Count",
    "InstancesWithoutEniHeadroom": "Count",
    "MinSubnetProjectedFree": "Count",
    "SubnetsAtRisk": "Count",
    "EniQuotaUtilization": "Percent",
    "AuditComplete": "None",
}
AT_RISK = ("critical", "high", "medium")
FILE = "metrics.emf.jsonl"


def _timestamp_ms(generated_at: str) -> int:
    try:
        when = datetime.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        when = datetime.now(UTC)
    return int(when.timestamp() * 1000)


def places(result: AuditResult) -> list[tuple[str, str]]:
    """Every (account, region) the audit attempted."""
    s = result.snapshot
    found = {(c.account, c.region) for c in s.coverage}
    if not found:
        found = {(a, r) for a in s.accounts for r in s.regions}
    return sorted(found)


Tally = dict[tuple[str, str], tuple[Counter[str], set[str]]]


def tally(result: AuditResult) -> Tally:
    """Per account and region, in one pass over the findings (a many-account run reads them from
    disk): findings by severity, and the subnets with a subnet-ip-exhaustion finding at risk."""
    counts: Tally = {}
    for f in result.findings:
        by_severity, subnets = counts.setdefault((f.account, f.region), (Counter(), set()))
        by_severity[f.severity] += 1
        if f.check == "subnet-ip-exhaustion" and f.severity in AT_RISK:
            subnets.add(f.resource_id)
    return counts


def metric_values(
    result: AuditResult, account: str, region: str, tallied: Tally | None = None
) -> dict[str, float | int]:
    """The contract's metrics for one account and region; a minimum with no known value is absent."""
    by_severity, at_risk = (tallied if tallied is not None else tally(result)).get(
        (account, region), (Counter(), set())
    )
    values: dict[str, float | int] = {
        "FindingsCritical": by_severity["critical"],
        "FindingsHigh": by_severity["high"],
        "FindingsMedium": by_severity["medium"],
        "FindingsLow": by_severity["low"],
    }
    headrooms = [
        r.headroom
        for r in result.instances
        if r.account == account and r.region == region and r.headroom is not None
    ]
    if headrooms:
        values["MinEniHeadroom"] = min(headrooms)
    values["InstancesWithoutEniHeadroom"] = sum(1 for h in headrooms if h <= 0)
    free = [
        r.projected_free
        for r in result.subnets
        if r.account == account and r.region == region and r.projected_free is not None
    ]
    if free:
        values["MinSubnetProjectedFree"] = min(free)
    values["SubnetsAtRisk"] = len(at_risk)
    utilization = eni_quota_utilization(result, account, region)
    if utilization is not None:
        values["EniQuotaUtilization"] = utilization
    coverage = [c for c in result.snapshot.coverage if c.account == account and c.region == region]
    values["AuditComplete"] = int(bool(coverage) and all(c.status == "ok" for c in coverage))
    return values


def eni_quota_utilization(result: AuditResult, account: str, region: str) -> float | None:
    """ENIs in the region as a percentage of the ENI quota; None when either is unknown."""
    row = result.facts.region(account, region)
    return row.percent if row is not None else None


def emf_record(
    result: AuditResult, account: str, region: str, tallied: Tally | None = None
) -> dict[str, Any]:
    values = metric_values(result, account, region, tallied)
    return {
        "_aws": {
            "Timestamp": _timestamp_ms(result.snapshot.generated_at),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [list(DIMENSIONS)],
                    "Metrics": [{"Name": n, "Unit": METRICS[n]} for n in METRICS if n in values],
                }
            ],
        },
        "Account": account,
        "Region": region,
        **values,
    }


def emf_lines(result: AuditResult) -> list[str]:
    """One compact JSON line per account and region; `RunId` (a log property, not a metric or a
    dimension) ties it to the run's other files."""
    tallied = tally(result)
    return [
        json.dumps({**emf_record(result, a, r, tallied), "RunId": result.run_id}, separators=(",", ":"))
        for a, r in places(result)
    ]


def render(result: AuditResult) -> dict[str, str]:
    return {FILE: "".join(line + "\n" for line in emf_lines(result))}
