"""ASFF and OCSF writers: every demo finding valid against schemas written from the formats'
documentation (tests/fixtures/), limits held, stable ids, unknown never a pass, resolved archived."""

from __future__ import annotations

import copy
import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.config import Config
from auditor.pipeline import analyse
from auditor.report import render_all
from auditor.report.asff import asff_findings, partition_of
from auditor.report.json import findings_document
from auditor.report.ocsf import ocsf_findings
from auditor.snapshot import dumps, loads
from tests.factories import ACCOUNT, SnapshotBuilder, rule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ASFF = jsonschema.Draft202012Validator(json.loads((FIXTURES / "asff.schema.json").read_text()))
OCSF = jsonschema.Draft202012Validator(
    json.loads((FIXTURES / "ocsf-compliance-finding-1.3.0.schema.json").read_text())
)


def errors(validator: jsonschema.Draft202012Validator, item: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:160]}" for e in validator.iter_errors(item)]


@cache
def demo_document() -> dict[str, Any]:
    from auditor.demo import demo_snapshot

    return findings_document(analyse(demo_snapshot(), Config()))


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return demo_document()


def small_snapshot(denied: bool = False):
    """A host whose group opens the dynamic range to the world (a failed check), optionally with
    the services API denied (unknown verdicts)."""
    b = small_snapshot_builder()
    if denied:
        b.coverage("ecs:DescribeServices", "denied", "AccessDeniedException")
    return b.build()


def small_snapshot_builder() -> SnapshotBuilder:
    b = SnapshotBuilder()
    b.vpc()
    cluster = b.cluster("prod")
    b.subnet()
    b.security_group("sg-00000000000000001", [rule(cidr="0.0.0.0/0")], name="hosts-open")
    host = b.instance(cluster, "c5.large", groups=("sg-00000000000000001",))
    td = b.task_definition()
    b.task(cluster, td, instance=host)
    b.task(cluster, td, instance=host)
    return b


# ------------------------------------------------------------------ ASFF


def test_every_demo_finding_is_valid_asff(demo):
    findings = asff_findings(demo)
    assert len(findings) == len(demo["findings"]) > 10
    for item in findings:
        assert errors(ASFF, item) == [], item["Id"]


def test_asff_ids_products_and_compliance_follow_the_contract(demo):
    by_id = {f["id"]: f for f in demo["findings"]}
    findings = asff_findings(demo)
    assert len({f["Id"] for f in findings}) == len(findings)
    for item in findings:
        prefix, account, region, fid = item["Id"].split("/")
        source = by_id[fid]
        assert (prefix, account, region) == ("ecs-net-audit", source["account"], source["region"])
        assert item["ProductArn"] == f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
        assert item["AwsAccountId"] == account and item["Region"] == region
        assert item["GeneratorId"] == f"ecs-net-audit/{source['check']}"
        assert (
            item["Severity"]["Label"]
            == {
                "critical": "CRITICAL",
                "high": "HIGH",
                "medium": "MEDIUM",
                "low": "LOW",
                "info": "INFORMATIONAL",
            }[source["severity"]]
        )
        expected = "PASSED" if source["severity"] == "info" else "FAILED"
        assert item["Compliance"]["Status"] == expected
        assert item["RecordState"] == "ACTIVE"
        assert item["Remediation"]["Recommendation"]["Url"].startswith("https://docs.aws.amazon.com/")


def test_asff_resource_types_match_what_the_finding_is_about(demo):
    expected = {
        "security-group": "AwsEc2SecurityGroup",
        "subnet": "AwsEc2Subnet",
        "network-interface": "AwsEc2NetworkInterface",
        "service": "AwsEcsService",
        "task-definition": "AwsEcsTaskDefinition",
        "container-instance": "AwsEc2Instance",
        "cluster": "AwsEcsCluster",
        "region": "AwsAccount",
        "target-group": "Other",
        "vpc": "AwsEc2Vpc",  # vpc-dns
    }
    by_id = {f["id"]: f for f in demo["findings"]}
    seen = set()
    for item in asff_findings(demo):
        source = by_id[item["Id"].rsplit("/", 1)[1]]
        (res,) = item["Resources"]
        assert res["Type"] == expected[source["resource_type"]], source
        assert source["resource_id"] in res["Id"] or res["Type"] == "AwsAccount"
        seen.add(res["Type"])
    assert {"AwsEc2SecurityGroup", "AwsEc2Subnet", "AwsEcsService", "AwsEc2Instance"} <= seen


def test_unknown_verdict_is_not_available_never_passed():
    doc = findings_document(analyse(small_snapshot(denied=True), Config()))
    unknown = [f for f in doc["findings"] if f["detail"].get("unknown")]
    assert unknown and all(f["severity"] == "info" for f in unknown)
    by_id = {f["Id"].rsplit("/", 1)[1]: f for f in asff_findings(doc)}
    for f in unknown:
        item = by_id[f["id"]]
        assert item["Compliance"]["Status"] == "NOT_AVAILABLE"
        assert "ecs:DescribeServices" in item["Compliance"]["StatusReasons"][0]["Description"]
        assert errors(ASFF, item) == []
    events = {e["metadata"]["uid"]: e for e in ocsf_findings(doc)}
    assert all(events[f["id"]]["compliance"]["status_id"] == 0 for f in unknown)
    known_info = [f for f in doc["findings"] if f["severity"] == "info" and not f["detail"].get("unknown")]
    assert all(by_id[f["id"]]["Compliance"]["Status"] == "PASSED" for f in known_info)


def test_limits_hold_for_oversized_findings():
    doc = findings_document(analyse(small_snapshot(), Config()))
    big = copy.deepcopy(doc)
    f = big["findings"][0]
    f["title"] = "t" * 5000
    f["recommendation"] = "r " * 3000
    f["cluster"] = "c" * 300
    f["detail"] = {f"key-{i}-" + "k" * 200: "v" * 5000 for i in range(80)}
    (item, *_) = asff_findings(big)
    assert errors(ASFF, item) == []
    assert len(item["Title"]) == 256 and item["Title"].endswith("…")
    assert len(item["Description"]) <= 1024 and len(item["Remediation"]["Recommendation"]["Text"]) <= 512
    assert len(item["ProductFields"]) == 50
    assert errors(OCSF, ocsf_findings(big)[0]) == []


def test_ids_are_stable_across_runs_and_snapshot_round_trips():
    snapshot = small_snapshot()
    first = asff_findings(findings_document(analyse(snapshot, Config())))
    again = asff_findings(findings_document(analyse(loads(dumps(snapshot)), Config())))
    assert [f["Id"] for f in first] == [f["Id"] for f in again] and first
    # a later run (another time) of the same account: the same ids, a new UpdatedAt
    moved = dataclasses.replace(snapshot, generated_at="2031-01-01T00:00:00Z")
    third = asff_findings(findings_document(analyse(moved, Config())))
    assert [f["Id"] for f in third] == [f["Id"] for f in first]
    assert {f["UpdatedAt"] for f in third} == {"2031-01-01T00:00:00Z"}


def with_gone(previous: dict[str, Any], **change: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """`previous` plus one finding (a copy of its first, changed) that the next run will not see."""
    previous = copy.deepcopy(previous)
    gone = {**copy.deepcopy(previous["findings"][0]), "id": "00000000deadbeef", **change}
    previous["findings"].append(gone)
    return previous, gone


def test_resolved_findings_follow_archived_and_resolved():
    first = findings_document(analyse(small_snapshot(), Config()))
    previous, gone = with_gone(first)
    doc = findings_document(analyse(small_snapshot(), Config(), previous))
    assert [r["id"] for r in doc["resolved"]] == ["00000000deadbeef"]
    items = {f["Id"]: f for f in asff_findings(doc)}
    archived = items[f"ecs-net-audit/{gone['account']}/{gone['region']}/00000000deadbeef"]
    assert archived["RecordState"] == "ARCHIVED"
    assert archived["Workflow"] == {"Status": "RESOLVED"}
    assert archived["Compliance"]["Status"] == "PASSED"
    assert archived["ProductFields"]["ecs-net-audit/change"] == "resolved"
    assert archived["UpdatedAt"] == doc["generated_at"] and archived["CreatedAt"] == first["generated_at"]
    assert errors(ASFF, archived) == []
    active = [f for f in items.values() if f["RecordState"] == "ACTIVE"]
    assert len(active) == len(doc["findings"]) and all("Workflow" not in f for f in active)
    (close,) = [e for e in ocsf_findings(doc) if e["activity_id"] == 3]
    assert close["type_uid"] == 200303 and close["status_id"] == 4 and close["compliance"]["status_id"] == 1
    assert errors(OCSF, close) == []


def test_a_finding_gone_where_the_run_did_not_look_is_not_resolved():
    first = findings_document(analyse(small_snapshot(), Config()))
    wide = next(f for f in first["findings"] if f["check"] == "wide-port-range")
    cases = {
        "another region": ({"region": "eu-west-1"}, None),
        "another account": ({"account": "999999999999"}, None),
        "its data denied": ({}, "ec2:DescribeSecurityGroups"),
    }
    for name, (change, denied) in cases.items():
        previous, gone = with_gone({**first, "findings": [wide]}, **change)
        b = small_snapshot_builder()
        if denied:
            b.coverage(denied, "denied", "AccessDenied")
        doc = findings_document(analyse(b.build(), Config(), previous))
        assert "00000000deadbeef" in {r["id"] for r in doc["resolved"]}, name
        assert all(f["RecordState"] == "ACTIVE" for f in asff_findings(doc)), name
        assert all(e["activity_id"] == 1 for e in ocsf_findings(doc)), name
    # a gap in an API the check does not stand on does not hold its resolution back
    previous, gone = with_gone({**first, "findings": [wide]})
    b = small_snapshot_builder()
    b.coverage("servicequotas:GetServiceQuota", "denied", "AccessDenied")  # eni-quota's, not this check's
    doc = findings_document(analyse(b.build(), Config(), previous))
    assert [f["Id"].rsplit("/", 1)[1] for f in asff_findings(doc) if f["RecordState"] == "ARCHIVED"] == [
        "00000000deadbeef"
    ]


def test_partitions_in_arns():
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    doc = findings_document(analyse(small_snapshot(), Config()))
    for f in doc["findings"]:
        f["region"] = "cn-north-1"
    for item in asff_findings(doc):
        assert item["ProductArn"].startswith("arn:aws-cn:securityhub:cn-north-1:")
        assert item["Resources"][0]["Partition"] == "aws-cn"
        assert errors(ASFF, item) == []


def test_asff_schema_rejects_what_security_hub_rejects():
    """The schema is not a rubber stamp: each documented rule catches its violation."""
    (good, *_) = asff_findings(findings_document(analyse(small_snapshot(), Config())))
    assert errors(ASFF, good) == []
    broken = [
        {**good, "Title": "x" * 257},
        {**good, "Description": "   "},
        {**good, "Types": ["Security Things/Wide"]},
        {**good, "Severity": {"Label": "SEVERE"}},
        {**good, "Compliance": {"Status": "UNKNOWN"}},
        {**good, "ProductArn": f"arn:aws:securityhub:us-east-1::product/{ACCOUNT}/default"},
        {**good, "Resources": []},
        {**good, "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": "sg-1"}]},
        {**good, "ProductFields": {f"k{i}": "v" for i in range(51)}},
        {k: v for k, v in good.items() if k != "GeneratorId"},
    ]
    for item in broken:
        assert errors(ASFF, item), item


# ------------------------------------------------------------------ OCSF


def test_every_demo_finding_is_a_valid_ocsf_compliance_finding(demo):
    events = ocsf_findings(demo)
    assert len(events) == len(demo["findings"])
    by_uid = {f["id"]: f for f in demo["findings"]}
    for event in events:
        assert errors(OCSF, event) == [], event["finding_info"]["uid"]
        source = by_uid[event["metadata"]["uid"]]
        assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
        assert (
            event["severity_id"]
            == {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}[source["severity"]]
        )
        assert event["compliance"]["status_id"] == (1 if source["severity"] == "info" else 3)
        assert (
            event["finding_info"]["uid"]
            == f"ecs-net-audit/{source['account']}/{source['region']}/{source['id']}"
        )
        assert event["metadata"]["product"]["version"] == demo["tool"]["version"]
        assert event["resources"][0]["uid"].startswith(("arn:aws:", "AWS::::Account:"))
        assert event["cloud"]["account"]["uid"] == source["account"]


def test_ocsf_schema_rejects_wrong_events(demo):
    (good, *_) = ocsf_findings(demo)
    broken = [
        {**good, "class_uid": 2004},
        {**good, "type_uid": 200302},
        {**good, "time": "2026-01-01T00:00:00Z"},
        {**good, "compliance": {"status_id": 3}},
        {**good, "finding_info": {"title": "no uid"}},
        {**good, "metadata": {"version": "1.3.0", "product": {"name": "x"}}},
        {k: v for k, v in good.items() if k != "severity_id"},
    ]
    for event in broken:
        assert errors(OCSF, event), event


def test_formats_write_their_files():
    files = render_all(analyse(small_snapshot(), Config()), ("asff", "ocsf"))
    assert sorted(files) == ["findings.asff.json", "findings.ocsf.json"]
    assert isinstance(json.loads(files["findings.asff.json"]), list)
    assert json.loads(files["findings.ocsf.json"])[0]["class_uid"] == 2003


def test_resources_without_an_asff_type_are_other_with_their_arn():
    doc = findings_document(analyse(small_snapshot(), Config()))
    base = doc["findings"][0]
    tg = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/0123456789abcdef"
    cases = [
        ({"resource_type": "target-group", "resource_id": tg}, ("Other", tg)),
        ({"resource_type": "vpc", "resource_id": "vpc-0abc"},
         ("AwsEc2Vpc", "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0abc")),
        ({"resource_type": "container-instance", "resource_id": "mi-0abc"}, ("Other", "mi-0abc")),
        ({"resource_type": "cluster", "resource_id": "arn:aws:ecs:us-east-1:111122223333:cluster/prod"},
         ("AwsEcsCluster", "arn:aws:ecs:us-east-1:111122223333:cluster/prod")),
    ]  # fmt: skip
    for change, (kind, rid) in cases:
        (item,) = asff_findings({**doc, "findings": [{**base, **change}]})
        assert (item["Resources"][0]["Type"], item["Resources"][0]["Id"]) == (kind, rid)
        assert errors(ASFF, item) == []


def test_every_file_of_a_run_carries_its_run_id():
    """One run's files belong together: ASFF in each finding's ProductFields, OCSF in
    metadata.correlation_uid (valid against the 1.3.0 schema), EMF as a RunId property."""
    result = analyse(small_snapshot(denied=True), Config())
    files = render_all(result, ("json", "asff", "ocsf", "emf"))
    assert json.loads(files["findings.json"])["run_id"] == result.run_id
    asff = json.loads(files["findings.asff.json"])
    assert asff and all(f["ProductFields"]["ecs-net-audit/run_id"] == result.run_id for f in asff)
    assert not [e for f in asff for e in errors(ASFF, f)]
    ocsf = json.loads(files["findings.ocsf.json"])
    assert ocsf and all(e["metadata"]["correlation_uid"] == result.run_id for e in ocsf)
    assert not [e for event in ocsf for e in errors(OCSF, event)]
    emf = [json.loads(line) for line in files["metrics.emf.jsonl"].splitlines()]
    assert emf and all(r["RunId"] == result.run_id for r in emf)
    for r in emf:
        (directive,) = r["_aws"]["CloudWatchMetrics"]
        assert all("RunId" not in d for d in directive["Dimensions"])  # a property, not a dimension
        assert "RunId" not in {m["Name"] for m in directive["Metrics"]}
