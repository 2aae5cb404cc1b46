"""The Lambda function's cold start: import times in fresh interpreters, and the package's size.

    python benchmarks/lambda_cold_start.py [--repo PATH ...] [--runs 9]

For each checkout (default: this one) it starts `--runs` fresh interpreters and takes the median of
(1) importing `auditor.aws_lambda` (the Lambda's init phase) and (2) the imports the handler makes on
its first call (boto3, collection, the pipeline, the reporters), and says whether pandas was loaded.
Checkouts are measured alternately, so a busy machine slows them alike. With deploy/build/function/
present (deploy/build.sh), it also prints the package's unzipped size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "import auditor.aws_lambda"
HOT_PATH = "import boto3, auditor.collect, auditor.pipeline, auditor.report"
PROBE = """
import sys, time
t = time.perf_counter()
{statement}
print(round((time.perf_counter() - t) * 1000), int('pandas' in sys.modules))
import auditor
home = auditor.__path__[0]
assert all(m.__file__.startswith(home) for n, m in sys.modules.items() if n.startswith('auditor.'))
"""


def once(repo: Path, statement: str) -> tuple[int, bool]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement)],
        env=env,
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        # not there (an older checkout without the module; an editable install may even serve it
        # from another checkout, which the probe refuses)
        return -1, False
    ms, pandas = out.stdout.split()[:2]
    return int(ms), pandas == "1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", action="append", type=Path)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    repos = args.repo or [ROOT]
    for label, statement in (("handler module", MODULE), ("first-call imports", HOT_PATH)):
        times: dict[Path, list[int]] = {r: [] for r in repos}
        pandas: dict[Path, bool] = {}
        for _ in range(args.runs):
            for repo in repos:
                ms, loaded = once(repo, statement)
                times[repo].append(ms)
                pandas[repo] = loaded
        for repo in repos:
            median = statistics.median(times[repo])
            shown = "n/a" if median < 0 else f"{median:.0f} ms"
            print(f"{label:20} {shown:>8}  pandas loaded: {pandas[repo]!s:5}  {repo}")
    build = ROOT / "deploy" / "build" / "function"
    if build.is_dir():
        size = sum(p.stat().st_size for p in build.rglob("*") if p.is_file())
        print(f"package: {size / 2**20:.0f} MiB unzipped of Lambda's 250 MB ({build})")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
