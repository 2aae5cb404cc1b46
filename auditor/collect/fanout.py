"""Many accounts in one audit: which accounts, how to reach each, and collecting them side by side.

The caller's own account is collected with the caller's credentials; every other account through
`assume_role_session` (its credentials refreshed before they expire). Each account gets its own
`Clients`, hence its own rate limiters: an assumed role's calls count against the target
account's buckets, not the caller's. `max_parallel` accounts run at once, and each account's
regions run side by side inside it.

Nothing one account does stops another: a role that cannot be assumed is one `sts:AssumeRole`
coverage row (reason `assume-role`), a region disabled in an account or denied by a service
control policy is a region of coverage rows with reason `region-disabled` or `scp`. Each account's
snapshot is written to a spool folder as soon as it is complete, so the collection holds at most
`max_parallel` accounts' records in memory; the merge reads them back one by one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import boto3
import botocore.exceptions

from auditor.account_status import BOOKKEEPING_APIS
from auditor.collect.accounts import assume_role_session
from auditor.collect.organizations import active_accounts
from auditor.collect.runner import RegionResult, assemble_snapshot, collect_region, enabled_regions
from auditor.collect.session import ApiFailure, Clients, Progress, Recorder, classify
from auditor.config import ScanSettings
from auditor.errors import CollectError
from auditor.model import Coverage, PlannedAccount, Snapshot

PERMISSIONS = ("sts:AssumeRole", "organizations:ListAccounts")
SCP_PHRASE = "service control polic"  # "…with an explicit deny in a service control policy"


@dataclass(frozen=True)
class AccountPlan:
    """One account the run attempts."""

    account: str
    name: str = ""
    own: bool = False  # the caller's account: collected with the caller's credentials


def plan_accounts(
    clients: Clients, scan: ScanSettings, own_account: str, home_region: str
) -> tuple[list[AccountPlan], list[str]]:
    """(accounts to audit, one note per account left out) from --org or --account, minus
    --exclude-account."""
    names: dict[str, str] = {}
    notes: list[str] = []
    if scan.org:
        active, inactive = active_accounts(clients.get("organizations", home_region))
        ids = [a.id for a in active]
        names = {a.id: a.name for a in (*active, *inactive)}
        notes = [f"account {a.id} ({a.name}) skipped: {a.state}" for a in inactive]
    else:
        ids = list(dict.fromkeys(scan.accounts))
    excluded = set(scan.exclude_accounts)
    plans = [AccountPlan(i, names.get(i, ""), i == own_account) for i in ids if i not in excluded]
    if not plans:
        raise CollectError("no account left to audit (every account listed was excluded or not ACTIVE)")
    return plans, notes


def account_session(
    plan: AccountPlan, base: boto3.Session, scan: ScanSettings, home_region: str, partition: str
) -> boto3.Session:
    if plan.own:
        return base
    return assume_role_session(
        base,
        plan.account,
        scan.role_name,
        scan.external_id,
        partition=partition,
        region=home_region,
        chain=scan.role_chain,
        endpoint_url=scan.endpoint_url,
    )


def _assume(session: boto3.Session, plan: AccountPlan, region: str) -> Coverage:
    """The first AssumeRole, made now so that a role that cannot be assumed is one row."""
    try:
        credentials = session.get_credentials()
        if credentials is None:  # pragma: no cover - a deferred provider always exists
            raise CollectError("no credentials")
        credentials.get_frozen_credentials()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        status, detail = classify(exc)
        return Coverage(plan.account, region, "sts:AssumeRole", status, detail, calls=1, reason="assume-role")
    return Coverage(plan.account, region, "sts:AssumeRole", "ok", "", calls=1)


def _region_disabled(rec: Recorder, region: str) -> bool:
    """Whether `region` is an opt-in region not enabled in the account (asked only after every
    call in it failed, so a healthy run never pays for it)."""
    try:
        answer = rec.call("ec2", "describe_regions", AllRegions=True, RegionNames=[region])
    except ApiFailure:
        return False
    return any(r.get("OptInStatus") == "not-opted-in" for r in answer.get("Regions", []))


def with_reasons(rows: Sequence[Coverage]) -> tuple[Coverage, ...]:
    """`scp` on every denial AWS says came from a service control policy."""
    return tuple(
        replace(c, reason="scp")
        if c.status == "denied" and not c.reason and SCP_PHRASE in c.detail.lower()
        else c
        for c in rows
    )


def collect_account(
    plan: AccountPlan,
    base: boto3.Session,
    scan: ScanSettings,
    regions: Sequence[str] | None,
    home_region: str,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Snapshot:
    """One account's snapshot; never raises for what AWS answers (gaps become coverage rows)."""
    partition = base.get_partition_for_region(home_region)
    session = account_session(plan, base, scan, home_region, partition)

    def snapshot(regions: Sequence[str], rows: Sequence[Coverage], results: list[RegionResult]) -> Snapshot:
        planned = (PlannedAccount(plan.account, plan.name),)
        return assemble_snapshot(plan.account, regions, results, scan.clusters, now, rows, planned)

    rows: list[Coverage] = []
    if not plan.own:
        assumed = _assume(session, plan, home_region)
        rows.append(assumed)
        if assumed.status != "ok":
            return snapshot((), rows, [])
    clients = Clients(
        session, endpoint_url=scan.endpoint_url, retry_mode=scan.retry_mode, max_attempts=scan.max_attempts
    )
    home = Recorder(clients, plan.account, home_region, progress)
    if regions is None:
        try:
            in_partition = set(base.get_available_regions("ec2", partition_name=partition))
            regions = enabled_regions(home, in_partition or None)
        except CollectError:
            return snapshot((), [*rows, *home.coverage()], [])
    results = []
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(regions)))) as pool:
        results = list(
            pool.map(lambda r: collect_region(clients, plan.account, r, scan.clusters, progress), regions)
        )
    for result in results:
        region_rows = with_reasons(result.coverage)
        if region_rows and not any(c.status == "ok" for c in region_rows):
            if all(c.status != "denied" or c.reason != "scp" for c in region_rows) and _region_disabled(
                home, result.region
            ):
                region_rows = tuple(replace(c, reason="region-disabled") for c in region_rows)
        result.coverage = region_rows
    rows.extend(home.coverage())
    return snapshot(regions, rows, results)


def yielded_data(snapshot: Snapshot, account: str) -> bool:
    """Whether any API about the account's resources answered."""
    return any(
        c.account == account and c.status == "ok" and c.api not in BOOKKEEPING_APIS for c in snapshot.coverage
    )


def spool_accounts(
    plans: Sequence[AccountPlan],
    base: boto3.Session,
    scan: ScanSettings,
    regions: Sequence[str] | None,
    home_region: str,
    folder: Path,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> list[tuple[Path, bool]]:
    """Collect every planned account, `scan.max_parallel` at once, each account's snapshot
    written to `folder` as soon as it is complete and then let go: (file, yielded data) per
    account, in plan order. At most `max_parallel` accounts' records are in memory at a time."""
    from auditor.snapshot import dumps

    stamp = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)

    def one(plan: AccountPlan) -> tuple[Path, bool]:
        snapshot = collect_account(plan, base, scan, regions, home_region, progress, stamp)
        path = folder / f"{plan.account}.snapshot.json"
        path.write_text(dumps(snapshot), encoding="utf-8")
        return path, yielded_data(snapshot, plan.account)

    with ThreadPoolExecutor(max_workers=scan.max_parallel, thread_name_prefix="account") as pool:
        return list(pool.map(one, plans))


def require_data(spooled: Sequence[tuple[Path, bool]]) -> None:
    """CollectError (exit 3) when no account yielded data, naming the first gap."""
    from auditor.snapshot import load

    if any(ok for _, ok in spooled):
        return
    first = load(spooled[0][0])
    gap = next((c for c in first.coverage if c.status != "ok"), None)
    why = f": {gap.api} in {gap.region}: {gap.detail}" if gap else ""
    raise CollectError(f"nothing could be collected from any of {len(spooled)} accounts{why}")


def collect_accounts(
    plans: Sequence[AccountPlan],
    base: boto3.Session,
    scan: ScanSettings,
    regions: Sequence[str] | None,
    home_region: str,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Snapshot:
    """Every planned account, merged into one snapshot in memory (for small organisations: the
    demo, tests; `scan` analyses the spooled accounts one at a time instead, auditor/combine.py).
    `regions` None means each account's enabled regions. CollectError (exit 3) only when no
    account yielded data."""
    from auditor.merge import merge
    from auditor.snapshot import load

    with tempfile.TemporaryDirectory(prefix="ecs-net-audit-") as tmp:
        spooled = spool_accounts(plans, base, scan, regions, home_region, Path(tmp), progress, now)
        require_data(spooled)
        return merge([(str(path), load(path)) for path, _ in spooled])
