"""Side by side, in one run and on one account: our scan against Prowler restricted to its ECS
and EC2 checks. Both run as subprocesses against the same moto_server (Prowler through
AWS_ENDPOINT_URL, which botocore honours), with the same fake credentials. The server adds the
same latency to every request of either tool (`--latency-ms`, as AWS answers) and counts each
tool's requests and the ones moto could not answer (HTTP 5xx: an API moto does not implement,
which the caller's botocore retries).

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
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scan_scale import REGION_NAMES, build  # noqa: E402

from auditor.demo.realism import freeze_task_lifecycle, page_like_aws, quick_task_lookup  # noqa: E402


class Metered:
    """WSGI middleware: waits `latency` seconds before each request (threads wait side by side, as
    AWS's do) and counts the requests and their 5xx answers under the current `phase`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], latency: float):
        self.app, self.latency = app, latency
        self.phase = "build"
        self.requests: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        phase = self.phase
        if self.latency and phase != "build":
            time.sleep(self.latency)

        def counting(status: str, headers: Any, *rest: Any) -> Any:
            self._count(phase, failed=status.startswith("5"))
            return start_response(status, headers, *rest)

        try:
            return self.app(environ, counting)
        except Exception:  # moto raised (NotImplementedError): werkzeug answers 500 itself
            self._count(phase, failed=True)
            raise

    def _count(self, phase: str, failed: bool) -> None:
        with self._lock:
            self.requests[phase] += 1
            self.failed[phase] += failed


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
    # moto logs a traceback for every API it does not implement (Prowler asks for several).
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    metered = Metered(server._server.app, args.latency_ms / 1000)  # type: ignore[union-attr]
    server._server.app = metered  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    freeze_task_lifecycle()
    page_like_aws()
    quick_task_lookup()
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
    ours_cmd = [sys.executable, "-m", "auditor", "scan", "--region", ",".join(regions)]
    ours_cmd += ["--endpoint-url", url, "--out", str(out / "ours"), "--quiet"]
    theirs_cmd = [args.prowler, "aws", "--services", "ecs", "ec2", "-f", *regions]
    theirs_cmd += ["-b", "-z", "-M", "csv", "-o", str(out / "prowler")]
    metered.phase = "ours"
    ours = timed(ours_cmd, env, args.timeout)
    metered.phase = "prowler"
    theirs = timed(theirs_cmd, env, args.timeout)
    server.stop()
    print(
        f"account: {args.regions} regions, {args.clusters} clusters, {args.services} services, "
        f"{args.tasks} tasks, {args.instances} instances; {args.latency_ms:.0f} ms per request"
    )
    for label, (seconds, code, _), phase in (
        ("ecs-net-audit scan", ours, "ours"),
        ("prowler ecs+ec2   ", theirs, "prowler"),
    ):
        print(
            f"{label}: {seconds:6.1f} s (exit {code}), {metered.requests[phase]} requests, "
            f"{metered.failed[phase]} answered 5xx by moto"
        )
    if theirs[1] != -1 and theirs[0] > 0:
        print(f"ratio (ours / prowler): {ours[0] / theirs[0]:.3f}")
    if theirs[1] != 0:
        print("prowler said:", theirs[2].replace("\n", " | "))


if __name__ == "__main__":
    main()
