"""`findings.asff.json`: the findings in the AWS Security Finding Format, for Security Hub.

A pure function of the `findings.json` document (`findings_document`), so anything that holds
that document (an audit, a saved run, an aggregation of many) converts the same way. The file is
a JSON array of ASFF findings, ready for `BatchImportFindings` (or
`aws securityhub batch-import-findings --findings file://findings.asff.json`, 100 at a time).

Rules (AWS Security Hub user guide, "AWS Security Finding Format", and the API reference's
`AwsSecurityFinding`): every required attribute is set; `Title` ≤ 256 characters, `Description`
≤ 1,024, `Remediation.Recommendation.Text` ≤ 512, `GeneratorId` and `Id` ≤ 512, at most 32
`Resources`, 50 `Types` and 50 `ProductFields` (key ≤ 128, value ≤ 2,048 characters). The
`ProductArn` is the account's default product, the only one that accepts findings of the calling
account without a partner integration. Severity and Types are also given in
`FindingProviderFields`, the place where a provider may update them after the first import.

Compliance follows the contract: low and above `FAILED`, `info` `PASSED`, a verdict that could
not be reached (`detail.unknown`) `NOT_AVAILABLE` — never a pass. With a baseline, the previous
run's resolved findings (those this run saw go away: `confirmed_resolved`) follow the current
ones with `RecordState` `ARCHIVED`, `Compliance.Status`
`PASSED` and `Workflow.Status` `RESOLVED`. Security Hub takes that workflow only for a finding it
does not hold yet; for one it holds, the import (auditor/outputs/securityhub.py) sets it with
BatchUpdateFindings.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from auditor.result import AuditResult

SCHEMA_VERSION = "2018-10-08"
PRODUCT_NAME = "ecs-net-audit"
ID_PREFIX = "ecs-net-audit"

SEVERITY_LABEL = {
    "critical": "CRITICAL",
    "high": "HIGH",
    "medium": "MEDIUM",
    "low": "LOW",
    "info": "INFORMATIONAL",
}
# The normalized score Security Hub itself gives each label (the bottom of the label's range).
SEVERITY_NORMALIZED = {"CRITICAL": 90, "HIGH": 70, "MEDIUM": 40, "LOW": 1, "INFORMATIONAL": 0}

REACHABILITY = "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
BEST_PRACTICE = "Software and Configuration Checks/AWS Security Best Practices"
# Checks about who can reach what; the others are about capacity and configuration.
REACHABILITY_CHECKS = frozenset({"wide-port-range", "public-ip", "egress-path"})

FALLBACK_DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking.html"

TITLE_MAX, DESCRIPTION_MAX, RECOMMENDATION_MAX = 256, 1024, 512
ID_MAX, PRODUCT_FIELDS_MAX, FIELD_KEY_MAX, FIELD_VALUE_MAX = 512, 50, 128, 2048


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to (the part of an ARN after `arn:`)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def product_arn(account: str, region: str) -> str:
    """The account's default Security Hub product, which accepts that account's own findings."""
    return f"arn:{partition_of(region)}:securityhub:{region}:{account}:product/{account}/default"


def asff_id(finding: dict[str, Any]) -> str:
    """`ecs-net-audit/<account>/<region>/<id>`: stable across runs, so a re-import updates."""
    return f"{ID_PREFIX}/{finding['account']}/{finding['region']}/{finding['id']}"


def clip(text: str, limit: int) -> str:
    """`text` within `limit` characters (an ellipsis marks a cut), never blank."""
    text = " ".join(str(text).split()) or "-"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compliance_status(finding: dict[str, Any]) -> str:
    """FAILED at low and above, PASSED for info, NOT_AVAILABLE when the verdict is unknown."""
    if (finding.get("detail") or {}).get("unknown"):
        return "NOT_AVAILABLE"
    return "PASSED" if finding["severity"] == "info" else "FAILED"


def docs_url(check: str) -> str:
    """The AWS documentation page the check links to in the report."""
    return docs_by_check().get(check) or FALLBACK_DOCS


@cache
def docs_by_check() -> dict[str, str]:
    from auditor.checks import CHECKS

    return {c.id: c.docs for c in CHECKS if c.docs}


@cache
def needs_by_check() -> dict[str, frozenset[str]]:
    from auditor.checks import CHECKS

    return {c.id: frozenset(c.needs) for c in CHECKS if c.needs}


# ASFF resource type and the ARN builder for each of our resource types.
EC2_TYPES = {
    "security-group": ("AwsEc2SecurityGroup", "security-group"),
    "subnet": ("AwsEc2Subnet", "subnet"),
    "network-interface": ("AwsEc2NetworkInterface", "network-interface"),
    "container-instance": ("AwsEc2Instance", "instance"),
    "vpc": ("AwsEc2Vpc", "vpc"),
}
ARN_TYPES = {
    "service": "AwsEcsService",
    "cluster": "AwsEcsCluster",
    "task-definition": "AwsEcsTaskDefinition",
}


def resource(finding: dict[str, Any]) -> dict[str, Any]:
    """The ASFF Resource for the finding's subject: its ASFF type where one exists, else Other."""
    kind, rid = finding["resource_type"], str(finding["resource_id"])
    account, region = finding["account"], finding["region"]
    partition = partition_of(region)
    base = {"Partition": partition, "Region": region}
    if kind in EC2_TYPES and not rid.startswith("arn:"):
        asff_type, arn_kind = EC2_TYPES[kind]
        if kind != "container-instance" or rid.startswith("i-"):
            arn = f"arn:{partition}:ec2:{region}:{account}:{arn_kind}/{rid}"
            return {"Type": asff_type, "Id": arn, **base, **details(asff_type, finding)}
    if kind in ARN_TYPES and rid.startswith("arn:"):
        asff_type = ARN_TYPES[kind]
        return {"Type": asff_type, "Id": rid, **base, **details(asff_type, finding)}
    if kind == "region":
        # An account-wide verdict in one region (ENI quota, the account's trunking setting).
        return {"Type": "AwsAccount", "Id": f"AWS::::Account:{account}", **base}
    # Other: the ARN where the finding has one (a target group, a capacity provider), else the id.
    return {"Type": "Other", "Id": rid, **base, "Details": {"Other": {"resource_type": clip(kind, 1024)}}}


def details(asff_type: str, finding: dict[str, Any]) -> dict[str, Any]:
    """The few `Details` fields the finding's evidence fills in for its resource type."""
    d, rid = finding.get("detail") or {}, str(finding["resource_id"])
    fields: dict[str, Any] = {}
    if asff_type == "AwsEc2SecurityGroup":
        fields = {"GroupId": rid}
    elif asff_type == "AwsEc2Subnet":
        fields = {"SubnetId": rid}
        if isinstance(d.get("cidr"), str):
            fields["CidrBlock"] = d["cidr"]
        if isinstance(d.get("available"), int) and not isinstance(d.get("available"), bool):
            fields["AvailableIpAddressCount"] = d["available"]
    elif asff_type == "AwsEc2NetworkInterface":
        fields = {"NetworkInterfaceId": rid}
    elif asff_type == "AwsEc2Instance" and isinstance(d.get("instance_type"), str):
        fields = {"Type": d["instance_type"]}
    elif asff_type == "AwsEcsService":
        fields = {"Name": rid.rsplit("/", 1)[-1]}
        if finding.get("cluster"):
            fields["Cluster"] = finding["cluster"]
    elif asff_type == "AwsEcsCluster":
        fields = {"ClusterArn": rid, "ClusterName": rid.rsplit("/", 1)[-1]}
    elif asff_type == "AwsEcsTaskDefinition":
        fields = {"Family": rid.rsplit("/", 1)[-1].split(":", 1)[0]}
        if isinstance(d.get("network_mode"), str):
            fields["NetworkMode"] = d["network_mode"]
    return {"Details": {asff_type: fields}} if fields else {}


def product_fields(finding: dict[str, Any], change: str | None) -> dict[str, str]:
    """Our own fields, and the finding's evidence one key a field (JSON text for non-strings)."""
    fields = {
        "ecs-net-audit/check": finding["check"],
        "ecs-net-audit/severity": finding["severity"],
        "ecs-net-audit/resource_type": finding["resource_type"],
        "ecs-net-audit/resource_id": str(finding["resource_id"]),
    }
    if finding.get("cluster"):
        fields["ecs-net-audit/cluster"] = str(finding["cluster"])
    if change:
        fields["ecs-net-audit/change"] = change
    for key, value in (finding.get("detail") or {}).items():
        if len(fields) >= PRODUCT_FIELDS_MAX:
            break
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        fields[clip(f"ecs-net-audit/detail/{key}", FIELD_KEY_MAX)] = clip(text, FIELD_VALUE_MAX)
    return {k: clip(v, FIELD_VALUE_MAX) for k, v in fields.items()}


def description(finding: dict[str, Any]) -> str:
    where = f"{finding['resource_type']} {finding['resource_id']} in {finding['account']}/{finding['region']}"
    if finding.get("cluster"):
        where += f", cluster {finding['cluster']}"
    return clip(f"{finding['title']} ({where}; check {finding['check']}).", DESCRIPTION_MAX)


def asff_finding(
    finding: dict[str, Any],
    created_at: str,
    updated_at: str,
    *,
    resolved: bool = False,
    change: str | None = None,
) -> dict[str, Any]:
    """One ASFF finding from one `findings.json` finding."""
    account, region = finding["account"], finding["region"]
    label = SEVERITY_LABEL[finding["severity"]]
    severity = {"Label": label, "Normalized": SEVERITY_NORMALIZED[label], "Original": finding["severity"]}
    types = [REACHABILITY if finding["check"] in REACHABILITY_CHECKS else BEST_PRACTICE]
    status = "PASSED" if resolved else compliance_status(finding)
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": clip(asff_id(finding), ID_MAX),
        "ProductArn": product_arn(account, region),
        "ProductName": PRODUCT_NAME,
        "CompanyName": PRODUCT_NAME,
        "GeneratorId": clip(f"{ID_PREFIX}/{finding['check']}", ID_MAX),
        "AwsAccountId": account,
        "Region": region,
        "Types": types,
        "CreatedAt": created_at,
        "UpdatedAt": updated_at,
        "Severity": severity,
        "FindingProviderFields": {
            "Severity": {"Label": label, "Original": finding["severity"]},
            "Types": types,
        },
        "Title": clip(finding["title"], TITLE_MAX),
        "Description": description(finding),
        "Remediation": {
            "Recommendation": {
                "Text": clip(finding.get("recommendation") or finding["title"], RECOMMENDATION_MAX),
                "Url": docs_url(finding["check"]),
            }
        },
        "ProductFields": product_fields(finding, "resolved" if resolved else change),
        "Resources": [resource(finding)],
        "Compliance": {"Status": status},
        "RecordState": "ARCHIVED" if resolved else "ACTIVE",
    }
    if status == "NOT_AVAILABLE":
        missing = ", ".join(str(m) for m in (finding.get("detail") or {}).get("missing") or []) or "input"
        out["Compliance"]["StatusReasons"] = [
            {"ReasonCode": "DATA_NOT_COLLECTED", "Description": clip(f"not collected: {missing}", 1024)}
        ]
    if resolved:
        out["Workflow"] = {"Status": "RESOLVED"}
    return out


def asff_findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every finding of a `findings.json` document in ASFF; then, with a baseline, its resolved
    findings that this run can vouch for (`confirmed_resolved`), archived."""
    now = document["generated_at"]
    out = [asff_finding(f, now, now, change=f.get("change")) for f in document["findings"]]
    since = (document.get("baseline") or {}).get("generated_at") or now
    out += [asff_finding(f, since, now, resolved=True) for f in confirmed_resolved(document)]
    run_id = document.get("run_id")
    if run_id:  # every file of a run carries its id (CONTRACT.md), here as a product field
        for item in out:
            fields = item["ProductFields"]
            if len(fields) >= PRODUCT_FIELDS_MAX:
                fields.pop(next(reversed(fields)))  # the last detail key gives way
            fields["ecs-net-audit/run_id"] = str(run_id)
    return out


def confirmed_resolved(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The baseline's resolved findings that this run saw go away: in an account and region it
    audited, with every API the check stands on collected there. A finding that vanished because
    its region was not audited, or its data was denied, is not resolved — it stays as it was."""
    scope = document.get("scope") or {}
    audited = set(scope.get("accounts") or ()), set(scope.get("regions") or ())
    gaps: dict[tuple[str, str], set[str]] = {}
    for row in document.get("coverage") or ():
        if row["status"] != "ok":
            gaps.setdefault((row["account"], row["region"]), set()).add(row["api"])
    confirmed = []
    for finding in document.get("resolved") or ():
        if finding["account"] not in audited[0] or finding["region"] not in audited[1]:
            continue
        missing = gaps.get((finding["account"], finding["region"]), set())
        needs = needs_by_check().get(finding["check"])  # None: every API of the region counts
        if not (missing if needs is None else missing & needs):
            confirmed.append(finding)
    return confirmed


def render(result: AuditResult) -> dict[str, str]:
    from auditor.report.json import findings_document

    findings = asff_findings(findings_document(result))
    return {"findings.asff.json": json.dumps(findings, indent=2, ensure_ascii=False) + "\n"}
