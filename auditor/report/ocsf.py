"""`findings.ocsf.json`: the findings as OCSF Compliance Finding events (schema version 1.3.0).

A pure function of the `findings.json` document, like the ASFF writer. The file is a JSON array
of events of class Compliance Finding (`class_uid` 2003, category Findings `2`), activity Create
(`activity_id` 1, `type_uid` 200301) — or, with a baseline, Close (3, `type_uid` 200303) for
the previous run's resolved findings, with finding `status_id` 4 (Resolved).

`severity_id` follows the contract: critical 5, high 4, medium 3, low 2, info 1.
`compliance.status_id`: Fail (3) at low and above, Pass (1) for info and for a resolved finding,
Unknown (0) where the verdict could not be reached — never a pass. Resources carry their ARNs
(`uid`) and the ASFF resource type names (`type`), so OCSF and Security Hub views line up; the
finding's evidence is the resource's `data`. The `cloud` profile names the account and region.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from auditor.report.asff import (
    asff_id,
    compliance_status,
    confirmed_resolved,
    docs_url,
    partition_of,
    resource,
)
from auditor.result import AuditResult

OCSF_VERSION = "1.3.0"
CATEGORY_UID, CLASS_UID = 2, 2003
ACTIVITY_CREATE, ACTIVITY_CLOSE = 1, 3
SEVERITY_ID = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
SEVERITY_CAPTION = {5: "Critical", 4: "High", 3: "Medium", 2: "Low", 1: "Informational"}
COMPLIANCE_ID = {"FAILED": 3, "PASSED": 1, "NOT_AVAILABLE": 0}
COMPLIANCE_CAPTION = {3: "Fail", 1: "Pass", 0: "Unknown"}
STANDARD = "ecs-net-audit ECS networking checks"


def epoch_ms(timestamp: str) -> int:
    """OCSF `timestamp_t`: milliseconds since the epoch, from an ISO 8601 UTC time."""
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def ocsf_finding(
    finding: dict[str, Any], generated_at: str, version: str, *, resolved: bool = False
) -> dict[str, Any]:
    """One Compliance Finding event from one `findings.json` finding."""
    account, region = finding["account"], finding["region"]
    activity = ACTIVITY_CLOSE if resolved else ACTIVITY_CREATE
    severity_id = SEVERITY_ID[finding["severity"]]
    status_id = COMPLIANCE_ID["PASSED" if resolved else compliance_status(finding)]
    detail = finding.get("detail") or {}
    subject = resource(finding)
    compliance: dict[str, Any] = {
        "standards": [STANDARD],
        "control": finding["check"],
        "status_id": status_id,
        "status": COMPLIANCE_CAPTION[status_id],
    }
    if status_id == 0:
        missing = ", ".join(str(m) for m in detail.get("missing") or []) or "input"
        compliance["status_detail"] = f"not collected: {missing}"
    return {
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "activity_id": activity,
        "activity_name": "Close" if resolved else "Create",
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"Compliance Finding: {'Close' if resolved else 'Create'}",
        "time": epoch_ms(generated_at),
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTION[severity_id],
        "status_id": 4 if resolved else 1,
        "status": "Resolved" if resolved else "New",
        "message": finding["title"],
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "ecs-net-audit", "vendor_name": "ecs-net-audit", "version": version},
            "profiles": ["cloud"],
            "uid": finding["id"],
        },
        "finding_info": {
            "uid": asff_id(finding),
            "title": finding["title"],
            "desc": finding.get("recommendation") or finding["title"],
            "types": [finding["check"]],
            "analytic": {"uid": finding["check"], "name": finding["check"], "type_id": 1, "type": "Rule"},
        },
        "compliance": compliance,
        "remediation": {
            "desc": finding.get("recommendation") or finding["title"],
            "references": [docs_url(finding["check"])],
        },
        "resources": [
            {
                "uid": subject["Id"],
                "name": str(finding["resource_id"]),
                "type": subject["Type"],
                "region": region,
                "cloud_partition": partition_of(region),
                "data": {
                    "resource_type": finding["resource_type"],
                    "cluster": finding.get("cluster"),
                    "detail": detail,
                },
            }
        ],
        "cloud": {
            "provider": "AWS",
            "region": region,
            "account": {"uid": account, "type_id": 10, "type": "AWS Account"},
        },
    }


def ocsf_findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every finding of a `findings.json` document as an OCSF event; with a baseline, its
    resolved findings that this run saw go away as Close events."""
    now, version = document["generated_at"], document["tool"]["version"]
    out = [ocsf_finding(f, now, version) for f in document["findings"]]
    out += [ocsf_finding(f, now, version, resolved=True) for f in confirmed_resolved(document)]
    if document.get("run_id"):  # every file of a run carries its id (CONTRACT.md)
        for event in out:
            event["metadata"]["correlation_uid"] = str(document["run_id"])
    return out


def render(result: AuditResult) -> dict[str, str]:
    from auditor.report.json import findings_document

    events = ocsf_findings(findings_document(result))
    return {"findings.ocsf.json": json.dumps(events, indent=2, ensure_ascii=False) + "\n"}
