"""How the HTML report holds up at scale: 10,000 findings and 5,000 container instances.

Measures render time in Python, file size, and in headless Chromium (Debian's, via Playwright):
time to load and render the findings table, and time for a filter to apply. Run:

    python benchmarks/report_scale.py [--findings 10000] [--instances 5000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from auditor.analysis.capacity import InstanceCapacity, SubnetCapacity
from auditor.checks import CHECKS
from auditor.findings import SEVERITIES, Finding
from auditor.model import Cluster, Snapshot
from auditor.report import render_all
from auditor.result import AuditResult

CHECK_IDS = tuple(c.id for c in CHECKS)
REGIONS = ("us-east-1", "eu-west-1")


def synthetic(findings: int, instances: int) -> AuditResult:
    rng = random.Random(7)
    clusters = [f"cluster-{n:02d}" for n in range(20)]
    snapshot = Snapshot(
        generated_at="2026-11-25T10:00:00Z",
        tool_version="bench",
        accounts=("123456789012",),
        regions=REGIONS,
        clusters=tuple(
            Cluster(
                arn=f"arn:aws:ecs:{REGIONS[n % 2]}:123456789012:cluster/{c}",
                name=c,
                account="123456789012",
                region=REGIONS[n % 2],
            )
            for n, c in enumerate(clusters)
        ),
    )
    found = tuple(
        Finding(
            check=rng.choice(CHECK_IDS),
            severity=rng.choice(SEVERITIES),
            account="123456789012",
            region=rng.choice(REGIONS),
            resource_type="container-instance",
            resource_id=f"i-{n:017x}",
            cluster=rng.choice(clusters),
            title=f"finding {n}: i-{n:017x} has no free awsvpc ENI slot: 2 tasks of 2",
            detail={
                "instance_type": "c5.large",
                "trunking": "off",
                "eni_task_capacity": 2,
                "awsvpc_tasks": 2,
                "extra_enis": 0,
                "headroom": 0,
            },
            recommendation="Enable ENI trunking for the container-instance role and replace the instances.",
            sub_key=str(n),
        )
        for n in range(findings)
    )
    rows = tuple(
        InstanceCapacity(
            account="123456789012",
            region=REGIONS[n % 2],
            cluster=clusters[n % 20],
            container_instance_arn=f"arn:aws:ecs:us-east-1:123456789012:container-instance/c/{n}",
            instance_id=f"i-{n:017x}",
            instance_type="c5.large",
            max_enis=3,
            trunking="off",
            eni_task_capacity=2,
            awsvpc_tasks=n % 3,
            extra_enis=0,
            headroom=2 - n % 3,
        )
        for n in range(instances)
    )
    subnets = tuple(
        SubnetCapacity(
            account="123456789012",
            region="us-east-1",
            subnet_id=f"subnet-{n:017x}",
            vpc_id="vpc-1",
            availability_zone="us-east-1a",
            cidr="10.0.0.0/24",
            usable=251,
            available=200 - n,
            ecs_ips=n,
            projected_demand=n,
            projected_free=200 - 2 * n,
        )
        for n in range(100)
    )
    return AuditResult(snapshot=snapshot, findings=found, instances=rows, subnets=subnets)


def measure_browser(path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function("document.getElementById('f-count').textContent.length > 0")
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        page.select_option("#f-severity", "critical")
        page.fill("#f-search", "finding 99")
        page.wait_for_function("document.getElementById('f-count').textContent.startsWith('')")
        filtered = time.perf_counter() - start
        start = time.perf_counter()
        page.click("#findings-table th[data-sort=title]")
        sorted_ = time.perf_counter() - start
        browser.close()
    return {"load_and_render_s": loaded, "filter_s": filtered, "sort_s": sorted_}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=5_000)
    args = parser.parse_args()
    result = synthetic(args.findings, args.instances)
    start = time.perf_counter()
    html = render_all(result, ("html",))["report.html"]
    render_s = time.perf_counter() - start
    path = Path(tempfile.mkdtemp()) / "report.html"
    path.write_text(html)
    figures = {
        "findings": args.findings,
        "instances": args.instances,
        "render_s": render_s,
        "size_mb": path.stat().st_size / 1e6,
        **measure_browser(path),
    }
    for key, value in figures.items():
        print(f"{key:>18}: {value:.2f}" if isinstance(value, float) else f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
