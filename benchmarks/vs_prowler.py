"""Side by side, in one run and on one account: our scan against Prowler restricted to its ECS
and EC2 checks. Both run as subprocesses against the same moto_server (Prowler through
AWS_ENDPOINT_URL, which botocore honours), with the same fake credentials.

Prowler lives in its own virtual environment, never in the project's:

    python3 -m venv .prowler && .prowler/bin/pip install prowler
    python benchmarks/vs_prowler.py --prowler .prowler/bin/prowler --clusters 4 --tasks 800
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scan_scale import REGION_NAMES, build  # noqa: E402

from auditor.demo.realism import freeze_task_lifecycle  # noqa: E402


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[float, int, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        code, tail = done.returncode, (done.stderr or done.stdout)[-400:]
    except subprocess.TimeoutExpired:
        code, tail = -1, f"timed out after {timeout:.0f} s"
    return time.perf_counter() - started, code, tail


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prowler", required=True, help="path to the prowler executable (its own venv)")
    for name, default in (
        ("regions", 2),
        ("clusters", 4),
        ("services", 80),
        ("tasks", 800),
        ("instances", 40),
    ):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    freeze_task_lifecycle()
    build(url, args.regions, args.clusters, args.services, args.tasks, args.instances)
    regions = list(REGION_NAMES[: args.regions])
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    out = Path(tempfile.mkdtemp())
    ours = timed(
        [
            sys.executable,
            "-m",
            "auditor",
            "scan",
            "--region",
            ",".join(regions),
            "--endpoint-url",
            url,
            "--out",
            str(out / "ours"),
            "--quiet",
        ],
        env,
        args.timeout,
    )
    theirs = timed(
        [
            args.prowler,
            "aws",
            "--services",
            "ecs",
            "ec2",
            "-f",
            *regions,
            "-b",
            "-z",
            "-M",
            "csv",
            "-o",
            str(out / "prowler"),
        ],
        env,
        args.timeout,
    )
    server.stop()
    print(
        f"account: {args.regions} regions, {args.clusters} clusters, {args.services} services, "
        f"{args.tasks} tasks, {args.instances} instances"
    )
    print(f"ecs-net-audit scan: {ours[0]:.1f} s (exit {ours[1]})")
    print(f"prowler ecs+ec2:    {theirs[0]:.1f} s (exit {theirs[1]})")
    if theirs[1] not in (-1,) and theirs[0] > 0:
        print(f"ratio (ours / prowler): {ours[0] / theirs[0]:.2f}")
    if theirs[1] != 0:
        print("prowler said:", theirs[2].replace("\n", " | "))


if __name__ == "__main__":
    main()
