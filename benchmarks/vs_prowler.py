"""Side by side, in one run and on one account: our scan against Prowler restricted to its ECS
and EC2 checks. Both run as subprocesses against the same moto_server (Prowler through
AWS_ENDPOINT_URL, which botocore honours), with the same fake credentials. The server adds the
same latency to every request of either tool (`--latency-ms`, as AWS answers) and counts each
tool's requests and the ones moto could not answer (HTTP 5xx: an API moto does not implement,
which the caller's botocore retries). The server runs in its own process (`moto_process.py`).

Prowler lives in its own virtual environment, never in the project's:

    python3 -m venv .prowler && .prowler/bin/pip install prowler
    python benchmarks/vs_prowler.py --prowler .prowler/bin/prowler --clusters 4 --tasks 800
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moto_process import MotoProcess  # noqa: E402
from scan_scale import REGION_NAMES, build  # noqa: E402


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
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every request of either tool")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with MotoProcess() as server:
        build(server.url, args.regions, args.clusters, args.services, args.tasks, args.instances)
        regions = list(REGION_NAMES[: args.regions])
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": server.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        out = Path(tempfile.mkdtemp())
        ours_cmd = [sys.executable, "-m", "auditor", "scan", "--region", ",".join(regions)]
        ours_cmd += ["--endpoint-url", server.url, "--out", str(out / "ours"), "--quiet"]
        theirs_cmd = [args.prowler, "aws", "--services", "ecs", "ec2", "-f", *regions]
        theirs_cmd += ["-b", "-z", "-M", "csv", "-o", str(out / "prowler")]
        server.phase("ours", args.latency_ms)
        ours = timed(ours_cmd, env, args.timeout)
        server.phase("prowler", args.latency_ms)
        theirs = timed(theirs_cmd, env, args.timeout)
        counts = server.phase("done")
    print(
        f"account: {args.regions} regions, {args.clusters} clusters, {args.services} services, "
        f"{args.tasks} tasks, {args.instances} instances; {args.latency_ms:.0f} ms per request"
    )
    for label, (seconds, code, _), phase in (
        ("ecs-net-audit scan", ours, "ours"),
        ("prowler ecs+ec2   ", theirs, "prowler"),
    ):
        print(
            f"{label}: {seconds:6.1f} s (exit {code}), {counts['requests'].get(phase, 0):.0f} requests, "
            f"{counts['failed'].get(phase, 0):.0f} answered 5xx by moto, "
            f"{counts['cpu'].get(phase, 0):.1f} s of the emulator's CPU"
        )
    if theirs[1] != -1 and theirs[0] > 0:
        print(f"ratio (ours / prowler): {ours[0] / theirs[0]:.3f}")
    if theirs[1] != 0:
        print("prowler said:", theirs[2].replace("\n", " | "))


if __name__ == "__main__":
    main()
