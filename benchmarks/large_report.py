"""`report` on a very large snapshot: memory against the file's size, and the size of the HTML.

Writes a synthetic snapshot (one awsvpc service's subnet holding N leftover ENIs, each an
`orphan-eni` finding; with N = 278,000 the file is about 200 MB), then runs
`ecs-net-audit report` on it in a child process and reports wall time, peak resident memory and
the size of every file written. Run:

    python benchmarks/large_report.py [--enis 278000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from auditor.model import Cluster, NetworkInterface, Service, Snapshot, Subnet
from auditor.snapshot import dumps

ACCOUNT, REGION = "123456789012", "us-east-1"


def synthetic(enis: int) -> Snapshot:
    cluster = Cluster(
        arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/big", name="big", account=ACCOUNT, region=REGION
    )
    subnet = Subnet(
        subnet_id="subnet-big",
        account=ACCOUNT,
        region=REGION,
        vpc_id="vpc-1",
        availability_zone="us-east-1a",
        cidr="10.0.0.0/8",
        available_ips=16_000_000,
    )
    service = Service(
        arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/big/web",
        name="web",
        cluster_arn=cluster.arn,
        account=ACCOUNT,
        region=REGION,
        status="ACTIVE",
        task_definition_arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:1",
        launch_type="FARGATE",
        desired_count=2,
        subnets=(subnet.subnet_id,),
    )
    leftovers = tuple(
        NetworkInterface(
            eni_id=f"eni-{n:017x}",
            account=ACCOUNT,
            region=REGION,
            subnet_id=subnet.subnet_id,
            vpc_id="vpc-1",
            availability_zone="us-east-1a",
            interface_type="interface",
            status="available",
            description=f"arn:aws:ecs:{REGION}:{ACCOUNT}:attachment/{n:032x}",
            private_ips=(f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",),
            security_group_ids=("sg-1",),
        )
        for n in range(enis)
    )
    return Snapshot(
        generated_at="2026-12-01T00:00:00Z",
        tool_version="bench",
        accounts=(ACCOUNT,),
        regions=(REGION,),
        clusters=(cluster,),
        services=(service,),
        subnets=(subnet,),
        network_interfaces=leftovers,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enis", type=int, default=278_000)
    parser.add_argument("--keep", help="folder for the snapshot and the report (default: a temp folder)")
    parser.add_argument(
        "--root", default=str(Path(__file__).resolve().parents[1]), help="the checkout to run"
    )
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    snapshot_path = work / "snapshot.json"
    if not snapshot_path.exists():
        snapshot_path.write_text(dumps(synthetic(args.enis)))
    out = work / "out"
    env = {**os.environ, "PYTHONPATH": args.root}
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-m", "auditor", "report", str(snapshot_path), "--out", str(out), "--quiet"],
        env=env,
        cwd=args.root,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    size = snapshot_path.stat().st_size / 1e6
    print(
        f"snapshot: {size:.0f} MB, {args.enis:,} leftover ENIs; "
        f"exit {child.returncode} {child.stderr.strip()}"
    )
    print(f"report: {wall:.1f} s wall, peak resident {peak:.0f} MB ({peak / size:.1f}x the file)")
    for path in sorted(out.iterdir()) if out.exists() else ():
        print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
