"""`ecs-net-audit trend` over a year of nightly runs of the large account: time and memory.

Writes N nightly `findings.json` files (default 365) shaped like the large account of
`scan_scale.py` — 2,004 findings, 600 container instances in 20 clusters, 2 regions — with 40 ECS
subnets (more than that world's 8, to be on the heavy side). Night to night the instances' headroom
drifts, a few subnets fill up (one is cleaned up halfway), the ENI count creeps up, and about one
night in 30 is missed. Then runs the trend command in a child process (so its peak resident memory
is the trend's alone) and times its phases, and opens trend.html in headless Chromium (load,
first table render, one filter). Run:

    python benchmarks/trend_scale.py [--runs 365] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.findings import SEVERITIES  # noqa: E402

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
CLUSTERS = [f"cluster-{n:02d}" for n in range(20)]
CHECKS = ("eni-headroom", "subnet-ip-exhaustion", "wide-port-range", "egress-path", "public-ip", "orphan-eni")


def base_findings(rng: random.Random, count: int) -> list[dict]:
    return [
        {
            "id": f"{n:016x}",
            "check": rng.choice(CHECKS),
            "severity": rng.choice(SEVERITIES),
            "account": ACCOUNT,
            "region": REGIONS[n % 2],
            "resource_type": "container-instance",
            "resource_id": f"i-{n:017x}",
            "cluster": CLUSTERS[n % 20],
            "title": f"finding {n}: i-{n:017x} has no free awsvpc ENI slot: 2 tasks of 2",
            "detail": {"instance_type": "c5.large", "trunking": "off", "eni_task_capacity": 2, "headroom": 0},
            "recommendation": "Enable ENI trunking for the instance role and replace the instances.",
        }
        for n in range(count)
    ]


def night_doc(night: int, when: datetime, findings: list[dict], rng: random.Random) -> dict:
    instances = [
        {
            "account": ACCOUNT,
            "region": REGIONS[n % 2],
            "cluster": CLUSTERS[n % 20],
            "container_instance_arn": f"arn:aws:ecs:{REGIONS[n % 2]}:{ACCOUNT}:container-instance/c/{n}",
            "instance_id": f"i-{n:017x}",
            "instance_type": "c5.large",
            "max_enis": 3,
            "trunking": "off",
            "eni_task_capacity": 8,
            "awsvpc_tasks": (n + night // 30) % 9,
            "extra_enis": 0,
            "headroom": 8 - (n + night // 30) % 9,
        }
        for n in range(600)
    ]
    subnets = []
    for n in range(40):
        used = 30 + n * 2 + (night * (n % 5) // 4 if n < 10 else 0) + rng.randint(-2, 2)
        if n == 3 and night > 180:  # cleaned up halfway through the year
            used -= 150
        available = max(0, 4091 - used * 8)
        subnets.append(
            {
                "account": ACCOUNT,
                "region": REGIONS[n % 2],
                "subnet_id": f"subnet-{n:017x}",
                "vpc_id": "vpc-1",
                "availability_zone": f"{REGIONS[n % 2]}a",
                "cidr": "10.0.0.0/20",
                "usable": 4091,
                "available": available,
                "ecs_ips": used,
                "projected_demand": 40,
                "projected_free": available - 40,
            }
        )
    regions = [
        {"account": ACCOUNT, "region": r, "enis_in_use": 4000 + night * 2 + i * 500, "eni_quota": 5000.0}
        for i, r in enumerate(REGIONS)
    ]
    summary = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}
    return {
        "schema": "ecs-net-audit/findings/v1",
        "generated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": f"run-{night}",
        "tool": {"name": "ecs-net-audit", "version": "bench"},
        "scope": {"accounts": [ACCOUNT], "regions": list(REGIONS), "clusters": CLUSTERS},
        "coverage": [
            {"account": ACCOUNT, "region": r, "api": "ecs:DescribeTasks", "status": "ok", "detail": ""}
            for r in REGIONS
        ],
        "complete": True,
        "summary": summary,
        "findings": findings,
        "capacity": {"container_instances": instances, "subnets": subnets, "regions": regions},
    }


def generate(root: Path, runs: int) -> int:
    rng = random.Random(16)
    findings = base_findings(rng, 2004)
    start = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    written = 0
    for night in range(runs):
        if night % 30 == 17:
            continue  # a missed night
        when = start + timedelta(days=night)
        folder = root / when.strftime("%Y-%m-%dT%H%M%SZ")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "findings.json").write_text(json.dumps(night_doc(night, when, findings, rng), indent=2))
        written += 1
    return written


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from auditor.history.runs import read_history
from auditor.outputs.local import LocalFolder
from auditor.history.trend import analyse_history
from auditor.history.render import render_trend
t1 = time.perf_counter()
from pathlib import Path
history = read_history(LocalFolder(Path(sys.argv[1])), sys.argv[1])
t2 = time.perf_counter()
trend = analyse_history(history)
t3 = time.perf_counter()
files = render_trend(trend, ("html", "csv", "json"))
t4 = time.perf_counter()
for name, content in files.items():
    open(sys.argv[2] + "/" + name, "w").write(content)
print(json.dumps({"import": t1 - t0, "read": t2 - t1, "analyse": t3 - t2, "render": t4 - t3,
                  "runs": len(history.runs), "rows": len(trend.table), "series": len(trend.series),
                  "running_out": int((trend.series["status"] == "running-out").sum()),
                  "sizes": {n: len(c.encode()) for n, c in files.items()},
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_browser(path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        args = ["--no-sandbox", "--disable-gpu"]
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1300, "height": 1400})
        t0 = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector("#series-body tr.row", state="attached")
        loaded = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.select_option("#f-status", "running-out")
        page.wait_for_function("document.getElementById('f-count').textContent.indexOf(' of ') > 0")
        filtered = time.perf_counter() - t1
        browser.close()
    return {"load_and_table_s": round(loaded, 2), "filter_s": round(filtered, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--keep", type=Path, help="write the runs here (and reuse them if present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "runs"
        t0 = time.perf_counter()
        written = generate(root, args.runs) if not (root.exists() and any(root.iterdir())) else -1
        gen = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in root.rglob("findings.json"))
        out = Path(tmp) / "trend"
        out.mkdir()
        t1 = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), str(out)],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        wall = time.perf_counter() - t1
        figures = json.loads(child.stdout)
        figures["wall_s"] = round(wall, 2)
        figures["child_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figures["input_mb"] = round(size / 1e6, 1)
        figures["generated"] = {"runs": written, "seconds": round(gen, 1)}
        figures["browser"] = measure_browser(out / "trend.html")
        print(json.dumps(figures, indent=2, default=lambda v: round(v, 2)))


if __name__ == "__main__":
    main()
