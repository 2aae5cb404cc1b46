"""`metrics.emf.jsonl`: one EMF line per account and region, the contract's metric names and values."""

from __future__ import annotations

import json

from auditor.config import Config
from auditor.pipeline import analyse
from auditor.report.emf import METRICS, emf_lines
from tests.factories import ACCOUNT, REGION, SnapshotBuilder


def crowded() -> SnapshotBuilder:
    """A c5.large full of awsvpc tasks in a /28 that cannot hold the service's peak."""
    b = SnapshotBuilder()
    cluster = b.cluster()
    b.vpc()
    b.subnet("subnet-a", "10.0.1.0/28", available=3)
    instance = b.instance(cluster, "c5.large")
    td = b.task_definition()
    for _ in range(2):
        b.task(cluster, td, instance=instance, subnet="subnet-a", service="api")
    b.service(cluster, "api", td, desired=4, subnets=("subnet-a",))
    b.quota(10)
    b.coverage("ec2:DescribeNetworkInterfaces")
    return b


def test_every_metric_with_its_value() -> None:
    (line,) = emf_lines(analyse(crowded().build(), Config()))
    record = json.loads(line)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ECSNetAudit" and directive["Dimensions"] == [["Account", "Region"]]
    assert [m["Name"] for m in directive["Metrics"]] == list(METRICS)
    assert record["_aws"]["Timestamp"] == 1795600800000  # the snapshot's generated_at, 2026-11-25T10:00:00Z
    assert {k: record[k] for k in METRICS} == {
        "FindingsCritical": 0,
        "FindingsHigh": 3,  # two eni-headroom (instance, service), one subnet-ip-exhaustion
        "FindingsMedium": 1,
        "FindingsLow": 0,
        "MinEniHeadroom": 0,
        "InstancesWithoutEniHeadroom": 1,
        "MinSubnetProjectedFree": -3,  # 3 free, 6 more needed at the peak of 8
        "SubnetsAtRisk": 1,
        "EniQuotaUtilization": 30.0,  # primary ENI + 2 task ENIs of a quota of 10
        "AuditComplete": 1,
    }
    assert (record["Account"], record["Region"]) == (ACCOUNT, REGION)


def test_unknowns_are_absent_not_zero() -> None:
    b = crowded()
    b.coverage("ecs:DescribeTasks", status="denied", detail="AccessDenied")
    b.records["quotas"] = []
    b.records["coverage"][0] = b.records["coverage"][0].__class__(
        account=ACCOUNT, region=REGION, api="ec2:DescribeNetworkInterfaces", status="error", detail="x"
    )
    record = json.loads(emf_lines(analyse(b.build(), Config()))[0])
    assert "EniQuotaUtilization" not in record and record["AuditComplete"] == 0
    names = {m["Name"] for m in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert "EniQuotaUtilization" not in names and "AuditComplete" in names
