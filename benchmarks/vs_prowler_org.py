"""One organisation, one run: our `scan --org` against Prowler driven the way its documentation
says to cover many accounts.

The organisation is `org_scale.py`'s (`build_org`: the management account and N-1 members, each
the ¼ benchmark size in 2 regions) in one `moto_server` (`moto_process.py`) that adds the same
latency to every request and counts each tool's requests and 5xx answers.

- ours: `python -m auditor scan --org --max-parallel 4` as a subprocess (the CLI: ListAccounts, the
  caller's own account with its own credentials, every other account through AssumeRole).
- Prowler: its documentation has no org scan in the CLI; for many accounts it gives a bash loop over
  `aws organizations list-accounts` (the ACTIVE ids) that starts one `prowler aws --role
  arn:aws:iam::<ID>:role/<role> --organizations-role arn:aws:iam::<management>:role/<role>` per
  account in the background and, before starting another, waits for *all* running ones once three
  are running (`PARALLEL_ACCOUNTS=3`). So the accounts go in batches of three, each batch as slow as
  its slowest account; the management account is scanned through the role like any other. This
  driver does the same in Python (ListAccounts through boto3, one request counted in Prowler's
  phase), restricted to `--services ecs ec2` and the two regions as in `vs_prowler.py`, with its
  default outputs (csv, json-ocsf, html per account), `-b` (no banner) and `-z` (exit 0 when checks
  fail, so a non-zero exit means the run failed); each account's output in a folder of its own.

Per tool: wall time, requests, 5xx answers, the emulator's CPU, the tool's CPU and peak resident
memory (per process from wait4, and the sum over its processes alive at once, sampled from /proc
every 0.2 s; a child's ru_maxrss is at least this process's size when it forked, about 95 MB),
and the findings it produced. Prowler lives in its own virtual environment:

    python3 -m venv /work/.prowler && /work/.prowler/bin/pip install prowler
    python benchmarks/vs_prowler_org.py --prowler /work/.prowler/bin/prowler --accounts 20 --latency-ms 50
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lower_bound as lb  # noqa: E402
from moto_process import MotoProcess  # noqa: E402
from org_scale import MANAGEMENT, build_org  # noqa: E402
from scan_scale import REGION_NAMES  # noqa: E402

ROLE = "OrganizationAccountAccessRole"  # what build_org's members were made with; moto checks no trust
PARALLEL_ACCOUNTS = 3  # Prowler's documented loop


@dataclass
class Measured:
    """What one tool cost: its processes' exit codes, CPU and memory, and the wall time."""

    wall: float = 0.0
    codes: list[int] = field(default_factory=list)
    cpu: float = 0.0  # user + system seconds of the tool's processes (and their children)
    peak_process_kb: int = 0  # the largest ru_maxrss of one process
    peak_sum_kb: int = 0  # the most resident memory its processes held at one time (sampled)
    tails: list[str] = field(default_factory=list)  # the end of the log of a process that failed


def _tree(pid: int) -> list[int]:
    """pid and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_together(cmds: list[list[str]], env: dict[str, str], logs: list[Path], into: Measured) -> None:
    """Start every command at once and wait for all of them (one batch), adding to `into`."""
    started = time.perf_counter()
    procs = {}
    for cmd, log in zip(cmds, logs, strict=True):
        with open(log, "w") as out:
            p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        procs[p.pid] = (p, log)
    while procs:
        held = sum(_rss_kb(q) for pid in procs for q in _tree(pid))
        into.peak_sum_kb = max(into.peak_sum_kb, held)
        for pid in list(procs):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if not done:
                continue
            p, log = procs.pop(pid)
            p.returncode = code = os.waitstatus_to_exitcode(status)
            into.codes.append(code)
            into.cpu += usage.ru_utime + usage.ru_stime
            into.peak_process_kb = max(into.peak_process_kb, usage.ru_maxrss)
            if code != 0:
                into.tails.append(log.read_text(errors="replace")[-600:])
        time.sleep(0.2)
    into.wall += time.perf_counter() - started


def active_accounts(url: str) -> list[str]:
    """What `aws organizations list-accounts` gives the loop: the ACTIVE accounts' ids."""
    org = boto3.session.Session(region_name="us-east-1").client("organizations", endpoint_url=url)
    pages = org.get_paginator("list_accounts").paginate()
    return [a["Id"] for page in pages for a in page["Accounts"] if a["Status"] == "ACTIVE"]


def prowler_findings(folder: Path) -> tuple[int, int]:
    """(findings, of which FAIL) in Prowler's CSV files under folder."""
    total = failed = 0
    for path in folder.rglob("*.csv"):
        with open(path, newline="") as f:
            for row in csv.DictReader(f, delimiter=";"):
                total += 1
                failed += row.get("STATUS") == "FAIL"
    return total, failed


def our_findings(folder: Path) -> tuple[int, dict[str, int]]:
    """(findings, accounts by status) from our findings.json."""
    document = json.loads((folder / "findings.json").read_text())
    statuses: dict[str, int] = {}
    with open(folder / "accounts.csv", newline="") as f:
        for row in csv.DictReader(f):
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return len(document["findings"]), statuses


def calls_against_bound(folder: Path, size: lb.AccountSize) -> str:
    """How many accounts made exactly the lower bound's calls (+1 AssumeRole for a member), from our
    snapshot's coverage rows; and which did not."""
    document = json.loads((folder / "snapshot.json").read_text())["snapshot"]
    made: dict[str, dict[str, int]] = {}
    for row in document["coverage"]:
        apis = made.setdefault(row["account"], {})
        apis[row["api"]] = apis.get(row["api"], 0) + row.get("calls", 0)
    bound, _ = lb.account_bound(size, 0.0)
    exact, other = 0, []
    for account, apis in sorted(made.items()):
        apis.pop("sts:AssumeRole", None)
        names = sorted(set(bound) | set(apis))
        over = {a: apis.get(a, 0) - bound.get(a, 0) for a in names if apis.get(a, 0) != bound.get(a, 0)}
        if over:
            other.append(f"{account}: {over}")
        else:
            exact += 1
    head = f"{exact} of {len(made)} accounts made exactly the bound, {sum(bound.values())} calls"
    return "; ".join([head, *other])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prowler", required=True, help="path to the prowler executable (its own venv)")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--max-parallel", type=int, default=4, help="ours: accounts at once")
    parser.add_argument("--timeout", type=float, default=3600, help="per Prowler batch and for our scan")
    parser.add_argument("--keep", metavar="DIR", help="write both tools' outputs here (default: a temp dir)")
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    out = Path(args.keep or tempfile.mkdtemp(prefix="vs-prowler-org-"))
    out.mkdir(parents=True, exist_ok=True)
    regions = list(REGION_NAMES[:2])
    with MotoProcess() as server:
        started = time.perf_counter()
        plans, size = build_org(server.url, args.accounts)
        print(f"built {len(plans)} accounts in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": server.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

        ours = Measured()
        ours_cmd = [sys.executable, "-m", "auditor", "scan", "--org", "--role-name", ROLE]
        ours_cmd += ["--max-parallel", str(args.max_parallel), "--region", ",".join(regions)]
        ours_cmd += ["--endpoint-url", server.url, "--out", str(out / "ours"), "--quiet"]
        ours_cmd += ["--timeout", str(args.timeout)]
        server.phase("ours", args.latency_ms)
        run_together([ours_cmd], env, [out / "ours.log"], ours)
        print(f"ours done in {ours.wall:.1f} s (exit {ours.codes})", flush=True)

        theirs = Measured()
        server.phase("prowler", args.latency_ms)
        loop_started = time.perf_counter()
        accounts = active_accounts(server.url)
        for first in range(0, len(accounts), PARALLEL_ACCOUNTS):
            batch = accounts[first : first + PARALLEL_ACCOUNTS]
            cmds = [
                [args.prowler, "aws", "--role", f"arn:aws:iam::{account}:role/{ROLE}"]
                + ["--organizations-role", f"arn:aws:iam::{MANAGEMENT}:role/{ROLE}"]
                + ["--services", "ecs", "ec2", "-f", *regions]
                + ["-b", "-z", "-o", str(out / "prowler" / account)]
                for account in batch
            ]
            run_together(cmds, env, [out / f"prowler-{a}.log" for a in batch], theirs)
            print(f"prowler: {first + len(batch)}/{len(accounts)} accounts, {theirs.wall:.0f} s", flush=True)
        theirs.wall = time.perf_counter() - loop_started  # with ListAccounts and the loop's gaps
        counts = server.phase("done")

    findings, statuses = our_findings(out / "ours")
    their_total, their_failed = prowler_findings(out / "prowler")
    print(
        f"\n{len(plans)} accounts × {len(regions)} regions of the ¼ size; {args.latency_ms:.0f} ms a "
        f"request (server-side); outputs in {out}"
    )
    for label, phase, m, found in (
        (f"ecs-net-audit --org, {args.max_parallel} at once", "ours", ours, f"{findings} findings"),
        (
            f"prowler ecs+ec2, loop of {PARALLEL_ACCOUNTS}",
            "prowler",
            theirs,
            f"{their_total} findings ({their_failed} FAIL)",
        ),
    ):
        print(
            f"{label}: {m.wall:.1f} s wall; {counts['requests'].get(phase, 0):.0f} requests, "
            f"{counts['failed'].get(phase, 0):.0f} answered 5xx; the emulator's CPU "
            f"{counts['cpu'].get(phase, 0):.1f} s; the tool's CPU {m.cpu:.1f} s; peak RSS "
            f"{m.peak_process_kb / 1024:.0f} MB a process, {m.peak_sum_kb / 1024:.0f} MB at once; "
            f"{found}; exit codes {sorted(set(m.codes))}"
        )
    print(f"our accounts.csv: {statuses}")
    print(f"our calls per account: {calls_against_bound(out / 'ours', size)} (+1 sts:AssumeRole a member)")
    summary = {"counts": counts, "ours": ours.__dict__, "prowler": theirs.__dict__, "accounts": len(plans)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"ratio of wall times (ours / prowler): {ours.wall / theirs.wall:.3f}")
    for tail in (ours.tails + theirs.tails)[:3]:
        print("a failed process said:", tail.replace("\n", " | "))


if __name__ == "__main__":
    main()
