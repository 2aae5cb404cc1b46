"""`findings.json` (schema `ecs-net-audit/findings/v1`) and the lossless `snapshot.json`."""

from __future__ import annotations

import json
from typing import Any

from auditor import __version__
from auditor.findings import SEVERITIES
from auditor.pipeline import AuditResult
from auditor.snapshot import dumps

SCHEMA = "ecs-net-audit/findings/v1"


def findings_document(result: AuditResult) -> dict[str, Any]:
    snapshot = result.snapshot
    summary = {s: 0 for s in SEVERITIES}
    for f in result.findings:
        summary[f.severity] += 1
    return {
        "schema": SCHEMA,
        "generated_at": snapshot.generated_at,
        "tool": {"name": "ecs-net-audit", "version": __version__},
        "scope": {
            "accounts": list(snapshot.accounts),
            "regions": list(snapshot.regions),
            "clusters": sorted({c.name for c in snapshot.clusters}),
        },
        "coverage": [
            {
                "account": c.account,
                "region": c.region,
                "api": c.api,
                "status": c.status,
                "detail": c.detail,
                "retries": c.retries,
                "calls": c.calls,
            }
            for c in snapshot.coverage
        ],
        "complete": not result.incomplete,
        "summary": summary,
        "findings": [f.to_dict() for f in result.findings],
        "capacity": {
            "container_instances": [r.to_dict() for r in result.instances],
            "subnets": [r.to_dict() for r in result.subnets],
        },
    }


def render(result: AuditResult) -> dict[str, str]:
    return {
        "findings.json": json.dumps(findings_document(result), indent=2, ensure_ascii=False) + "\n",
        "snapshot.json": dumps(result.snapshot) + "\n",
    }
