"""Do two versions of the auditor say the same thing? `findings.json` of the demo account and of a
large benchmark account, produced by one version and compared with another's.

    python benchmarks/compare_findings.py produce /tmp/before          # on the old code
    python benchmarks/compare_findings.py produce /tmp/after           # on the new code
    python benchmarks/compare_findings.py compare /tmp/before /tmp/after

`produce` writes three runs, each through the command line (the one interface both versions share):
`demo/` (`ecs-net-audit demo`), `large/` (`scan` of the account `scan_scale.build` makes in moto,
by default 2 regions, 10 clusters, 200 services, 4,000 tasks, 300 instances, 400 leftover ENIs) and
`offline/` (`report` of the *first* directory's large snapshot, when one is given with `--snapshot`,
so that the analysis alone is compared on the very same input). moto's random ids are seeded, so
the same build gives the same ids in both versions.

`compare` checks finding ids, checks, severities, resources, titles, details, recommendations, the
summary, completeness, coverage rows (without call and retry counts) and both capacity tables;
`generated_at` and the tool version are ignored. It prints one line per run and exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 7
RUNS = ("demo", "large", "offline")

# moto's ids come from its seeded mock_random, but some backends (VPC Lattice) draw them from
# uuid.uuid4: that is seeded here too, so the demo's ids are the same run after run.
_SEEDED_CLI = (
    "import sys, random, uuid; from moto.moto_api._internal import mock_random; mock_random.seed({seed}); "
    "_ids = random.Random({seed}); uuid.uuid4 = lambda: uuid.UUID(int=_ids.getrandbits(128), version=4); "
    "from auditor.cli import main; raise SystemExit(main(sys.argv[1:]))"
)
# Detail values that follow the wall clock of the run that built the world, not the analysis.
CLOCK_KEYS = ("registered_at",)


def cli(*args: str) -> None:
    """`ecs-net-audit ARGS` in a child process, with moto's in-process ids seeded; exit 0 or 1."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = _SEEDED_CLI.format(seed=SEED)
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"ecs-net-audit {' '.join(args)} failed with exit code {done.returncode}")


def produce(out: Path, size: argparse.Namespace, snapshot: Path | None) -> None:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from moto_process import MotoProcess
    from scan_scale import REGION_NAMES, build

    out.mkdir(parents=True, exist_ok=True)
    cli("demo", "--out", str(out / "demo"), "--format", "json", "--quiet")
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_PROFILE", None)
    with MotoProcess() as server:
        urllib.request.urlopen(f"{server.url}/moto-api/seed?a={SEED}", data=b"", timeout=30).close()
        build(
            server.url,
            size.regions,
            size.clusters,
            size.services,
            size.tasks,
            size.instances,
            size.extra_enis,
        )
        regions = ",".join(REGION_NAMES[: size.regions])
        cli(
            "scan",
            "--endpoint-url",
            server.url,
            "--region",
            regions,
            "--out",
            str(out / "large"),
            "--format",
            "json",
            "--quiet",
        )
    if snapshot is not None:
        cli("report", str(snapshot), "--out", str(out / "offline"), "--format", "json", "--quiet")


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """The parts of a findings.json that must not change; run-time fields dropped."""
    return {
        "scope": document["scope"],
        "complete": document["complete"],
        "summary": document["summary"],
        "coverage": sorted(
            (c["account"], c["region"], c["api"], c["status"], c["detail"]) for c in document["coverage"]
        ),
        "findings": [
            {**f, "detail": {k: v for k, v in f["detail"].items() if k not in CLOCK_KEYS}}
            for f in document["findings"]
        ],
        # the contract's two capacity tables (later versions may add more, e.g. `regions`)
        "capacity": {k: document["capacity"][k] for k in ("container_instances", "subnets")},
    }


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for key in a:
        if key == "findings":
            left = {f["id"]: f for f in a[key]}
            right = {f["id"]: f for f in b[key]}
            only_a, only_b = sorted(left.keys() - right.keys()), sorted(right.keys() - left.keys())
            if only_a:
                out.append(f"{len(only_a)} findings only before, e.g. {left[only_a[0]]}")
            if only_b:
                out.append(f"{len(only_b)} findings only after, e.g. {right[only_b[0]]}")
            changed = [i for i in left.keys() & right.keys() if left[i] != right[i]]
            if changed:
                out.append(f"{len(changed)} findings differ, e.g. {left[changed[0]]} vs {right[changed[0]]}")
            if not (only_a or only_b or changed) and [f["id"] for f in a[key]] != [f["id"] for f in b[key]]:
                out.append("findings in a different order")
        elif a[key] != b[key]:
            out.append(f"{key} differs")
    return out


def compare(before: Path, after: Path) -> int:
    failed = 0
    for run in RUNS:
        paths = before / run / "findings.json", after / run / "findings.json"
        if not all(p.exists() for p in paths):
            print(f"{run:<8} skipped (no findings.json in both)")
            continue
        a, b = (normalised(json.loads(p.read_text("utf-8"))) for p in paths)
        diff = differences(a, b)
        counts = ", ".join(f"{n} {s}" for s, n in a["summary"].items())
        rows = len(a["capacity"]["container_instances"]), len(a["capacity"]["subnets"])
        if diff:
            failed = 1
            print(f"{run:<8} DIFFERENT: " + "; ".join(diff))
        else:
            print(
                f"{run:<8} identical: {len(a['findings'])} findings ({counts}), {rows[0]} instance rows, "
                f"{rows[1]} subnet rows, {len(a['coverage'])} coverage rows"
            )
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("produce", help="write demo/, large/ (and offline/) under OUT")
    make.add_argument("out", type=Path)
    make.add_argument("--snapshot", type=Path, help="a large/snapshot.json to re-analyse offline")
    for name, default in (
        ("regions", 2),
        ("clusters", 10),
        ("services", 200),
        ("tasks", 4000),
        ("instances", 300),
        ("extra-enis", 400),
    ):
        make.add_argument(f"--{name}", type=int, default=default)
    check = sub.add_parser("compare", help="compare two produced folders")
    check.add_argument("before", type=Path)
    check.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "produce":
        produce(args.out, args, args.snapshot)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
