"""An organisation in moto_server: N accounts of the ¼ benchmark size (2 regions each), scanned
with `--org` at a fixed latency per call (added by the server, so every account's session sees it).

Reports: the organisation's wall time against one account's and against the serial sum (the same
accounts one at a time); calls per account against the lower bound plus one AssumeRole; peak
traced memory of the collection and of analysis + rendering at 5, 10 and N accounts; and the
emulator's CPU in each phase (moto is one Python process: past a point it, not the scan, sets
the pace). Run:

    python benchmarks/org_scale.py --accounts 20 --latency-ms 50
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tempfile  # noqa: E402

import lower_bound as lb  # noqa: E402
from moto_process import MotoProcess  # noqa: E402
from scan_scale import REGION_NAMES, build  # noqa: E402

from auditor.cli import _write_run as write_run  # noqa: E402
from auditor.collect.accounts import assume_role_session  # noqa: E402
from auditor.collect.fanout import AccountPlan, collect_accounts, spool_accounts  # noqa: E402
from auditor.combine import analyse_files  # noqa: E402
from auditor.config import Config, ScanSettings  # noqa: E402
from auditor.merge import merge  # noqa: E402
from auditor.pipeline import analyse, write_reports  # noqa: E402
from auditor.snapshot import load  # noqa: E402

MANAGEMENT = "123456789012"
# the ¼ size of scan_scale.py's table: 2,000 tasks, 100 services, 140 instances, 2,240 ENIs
QUARTER = {"clusters": 4, "services": 100, "tasks": 2000, "instances": 140, "extra_enis": 100}


def build_org(url: str, accounts: int) -> tuple[list[AccountPlan], lb.AccountSize]:
    base = boto3.session.Session(region_name="us-east-1")
    org = base.client("organizations", endpoint_url=url)
    org.create_organization(FeatureSet="ALL")
    plans = [AccountPlan(MANAGEMENT, "management", own=True)]
    size = build(url, 2, **QUARTER)
    for n in range(1, accounts):
        account = org.create_account(AccountName=f"member-{n:02d}", Email=f"m{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        session = assume_role_session(base, account, "OrganizationAccountAccessRole", endpoint_url=url)
        build(url, 2, **QUARTER, session=session)
        plans.append(AccountPlan(account, f"member-{n:02d}"))
    return plans, size


CPU: dict[str, float] = {}  # this process's CPU seconds in each timed run


def run(plans: list[AccountPlan], scan: ScanSettings, label: str) -> tuple[float, Any]:
    """(wall seconds, snapshot) of one organisation scan; its CPU seconds in CPU[label]."""
    base = boto3.session.Session(region_name="us-east-1")
    started, cpu = time.perf_counter(), time.process_time()
    snapshot = collect_accounts(plans, base, scan, REGION_NAMES[:2], "us-east-1")
    wall = time.perf_counter() - started
    CPU[label] = time.process_time() - cpu
    return wall, snapshot


def memory(plans: list[AccountPlan], scan: ScanSettings, merged: bool) -> tuple[list[float], int]:
    """Peak traced bytes of each phase — the collection into the spool; the analysis; writing
    findings.json, snapshot.json and the CSVs; writing report.html — and the findings. The
    analysis is the CLI's (`scan --org`: each account analysed on its own and let go, its findings
    to disk, auditor/combine.py), or with `merged` the earlier one (every account's snapshot merged
    in memory, then analysed), for comparison."""
    base = boto3.session.Session(region_name="us-east-1")
    peaks: list[float] = []

    def mark() -> None:
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()

    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as out:
        tracemalloc.start()
        spooled = spool_accounts(plans, base, scan, REGION_NAMES[:2], "us-east-1", Path(folder))
        mark()
        if merged:
            result = analyse(merge([(str(p), load(p)) for p, _ in spooled]), Config())
            mark()
            write_reports(result, Path(out), ("json", "csv"))
            mark()
            write_reports(result, Path(out), ("html",))
            mark()
            findings = len(result.findings)
        else:
            with analyse_files([p for p, _ in spooled], Config()) as combined:
                result = combined.result()
                mark()
                # as the CLI writes a run: the history beside it looked for (trend.html, forecasts);
                # each phase into a root of its own, so neither reads the other's files as history
                write_run(result, Path(out) / "documents" / "run", ("json", "csv"))
                mark()
                write_run(result, Path(out) / "page" / "run", ("html",))
                mark()
                findings = len(result.findings)
        tracemalloc.stop()
    return peaks, findings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--max-parallel", type=int, default=4)
    parser.add_argument("--memory-only", action="store_true", help="skip the timed runs")
    parser.add_argument(
        "--compare-merged", action="store_true", help="also measure the analysis of one merged snapshot"
    )
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with MotoProcess() as server:
        started = time.perf_counter()
        plans, size = build_org(server.url, args.accounts)
        print(f"built {len(plans)} accounts in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        scan = ScanSettings(endpoint_url=server.url, retry_mode="standard", max_attempts=3)
        bound, least = lb.account_bound(size, args.latency_ms / 1000)
        latency = args.latency_ms

        if not args.memory_only:
            server.phase("one account", latency)
            one, _ = run(plans[:1], replace(scan, max_parallel=1), label="one account")
            server.phase("serial", latency)
            serial, _ = run(plans, replace(scan, max_parallel=1), label="serial")
            server.phase("org", latency)
            parallel, snapshot = run(plans, replace(scan, max_parallel=args.max_parallel), label="org")
            counts = server.phase("memory", latency)
            print(f"\n{len(plans)} accounts × 2 regions, {latency:.0f} ms a call (server-side)")
            for label, wall in (("one account", one), ("serial", serial), ("org", parallel)):
                print(
                    f"{label:<12} {wall:7.1f} s wall; {counts['requests'][label]:>5} requests; CPU: ours "
                    f"{CPU[label]:6.1f} s, the emulator's {counts['cpu'][label]:6.1f} s"
                )
            print(f"(org: --max-parallel {args.max_parallel}; serial: --max-parallel 1, the serial sum)")
            per_account: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for c in snapshot.coverage:  # type: ignore[attr-defined]
                per_account[c.account][c.api] += c.calls
            floor = sum(bound.values())
            print(
                f"\nlower bound per account {floor} calls (+1 AssumeRole for a member); least {least:.1f} s"
            )
            for account, apis in sorted(per_account.items()):
                made = sum(apis.values())
                over = {api: n - bound.get(api, 0) for api, n in apis.items() if n != bound.get(api, 0)}
                print(f"  {account}: {made} calls; differs from the bound on {over or 'nothing'}")

        print(
            "\npeak traced memory: collection into the spool | analysis | json + csv written | "
            f"html written (--max-parallel {args.max_parallel})"
        )
        sys.stdout.flush()
        for n in sorted({5, 10, len(plans)}):
            if n > len(plans):
                continue
            for merged in (False, True) if args.compare_merged else (False,):
                peaks, findings = memory(plans[:n], replace(scan, max_parallel=args.max_parallel), merged)
                how = "merged in memory" if merged else "one account at a time"
                mb = " | ".join(f"{p / 1e6:5.0f} MB" for p in peaks)
                print(f"  {n:>3} accounts: {mb} ({findings} findings; {how})")
                sys.stdout.flush()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"peak resident memory of this process {rss:.0f} MB")


if __name__ == "__main__":
    main()
