"""Small findings.json documents for history tests: a run is a few subnets, instances and findings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def stamp(day: float) -> str:
    return (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_doc(
    day: float,
    subnets: dict[str, float] | None = None,
    instances: dict[str, float] | None = None,
    findings: dict[str, int] | None = None,
    account: str = ACCOUNT,
    cluster: str = "prod",
    enis: tuple[int, int] | None = None,
    version: str = "0.1.0",
    capacity: bool = True,
    gaps: bool = False,
) -> dict[str, Any]:
    """One run's findings.json: `subnets` {subnet: available} (projected free 10 less),
    `instances` {instance: headroom}, `findings` {severity: count}, `enis` (in use, quota)."""
    doc: dict[str, Any] = {
        "schema": "ecs-net-audit/findings/v1",
        "generated_at": stamp(day),
        "tool": {"name": "ecs-net-audit", "version": version},
        "scope": {"accounts": [account], "regions": [REGION], "clusters": [cluster]},
        "coverage": [
            {"account": account, "region": REGION, "api": "ec2:DescribeSubnets", "status": "ok", "detail": ""}
        ],
        "findings": [
            {
                "id": f"{sev}{n}",
                "check": "wide-port-range",
                "severity": sev,
                "account": account,
                "region": REGION,
            }
            for sev, count in (findings or {}).items()
            for n in range(count)
        ],
    }
    if gaps:
        doc["coverage"].append(
            {
                "account": account,
                "region": REGION,
                "api": "ecs:DescribeTasks",
                "status": "denied",
                "detail": "x",
            }
        )
        doc["complete"] = False
    if capacity:
        doc["capacity"] = {
            "container_instances": [
                {"account": account, "region": REGION, "cluster": cluster, "instance_id": i, "headroom": h}
                for i, h in (instances or {}).items()
            ],
            "subnets": [
                {
                    "account": account,
                    "region": REGION,
                    "subnet_id": s,
                    "usable": 251,
                    "available": a,
                    "projected_free": a - 10,
                }
                for s, a in (subnets or {}).items()
            ],
        }
        if enis:
            doc["capacity"]["regions"] = [
                {"account": account, "region": REGION, "enis_in_use": enis[0], "eni_quota": enis[1]}
            ]
    return doc


def write_run(root: Path, folder: str, doc: dict[str, Any]) -> Path:
    path = root / folder / "findings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def write_series(root: Path, values: list[float], metric_subnet: str = "subnet-a", **kwargs: Any) -> None:
    """Nightly runs where one subnet's available addresses follow `values`."""
    for day, value in enumerate(values):
        write_run(root, f"run-{day:03d}", run_doc(day, subnets={metric_subnet: value}, **kwargs))
