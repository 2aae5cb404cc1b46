"""The command line: the only place that prints for people and decides exit codes.

Exit codes (CONTRACT.md): 0 completed, nothing at/above --fail-on; 1 completed with a finding
at/above it; 2 bad usage, config, input file or output location; 3 nothing could be collected;
4 a failure the tool did not foresee (one line; the traceback with --debug); 5 (extension) the
report was written but `--security-hub` could not import every finding; 130/143 stopped by
SIGINT/SIGTERM. Every line printed passes `redact` (no credential) and `one_line` (no control
character from AWS data); a closed stdout (`| head`) is not an error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from auditor import __version__, interrupts
from auditor.account_status import account_rows, many_accounts
from auditor.config import (
    Config,
    check_endpoint_url,
    check_region,
    check_severity,
    check_timeout,
    load_config,
    parse_formats,
    with_overrides,
)
from auditor.errors import AuditorError, ConfigError
from auditor.findings import SEVERITIES
from auditor.pipeline import analyse, write_reports
from auditor.progress import CollectionProgress
from auditor.result import AuditResult

PROG = "ecs-net-audit"
EXIT_IMPORT_FAILED = 5  # the report is written; the Security Hub import failed (in part or whole)
UNFORESEEN = 4


def say(line: str, stream: TextIO | None = None) -> None:
    """Print one line for a person: no credential, no control character; a closed pipe is fine."""
    from auditor.redact import redact
    from auditor.text import one_line

    stream = stream or sys.stdout
    try:
        stream.write(one_line(redact(line)) + "\n")
        stream.flush()
    except BrokenPipeError:
        # The reader is gone (`| head`): stop writing there, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (exit 2) instead of usage + message."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message} (see `{self.prog} --help`)")


def _comma_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """Repeated or comma-separated values, in order, each once. Only spaces are trimmed: a newline
    or a control character stays, for the value's own check to refuse."""
    items = (item.strip(" ") for value in values or () for item in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="output folder, or s3://BUCKET/PREFIX (a folder per run, latest/ last); "
        "default: a new folder under ./reports/",
    )
    parser.add_argument(
        "--format",
        metavar="LIST",
        help="comma list of html,json,csv,md,emf,asff,ocsf (default: html,json,csv)",
    )
    parser.add_argument(
        "--baseline",
        metavar="FINDINGS.json",
        help="a previous run's findings.json, or `latest` (the most recent run under the --out root): "
        "mark findings new, unchanged or resolved",
    )
    parser.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITIES,
        help="exit 1 when a finding is at or above this severity",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Find where an account's ECS networking will break next.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unforeseen failure")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser("scan", help="audit a live account (read-only)")
    scan.add_argument("--profile", help="AWS profile name")
    scan.add_argument("--region", action="append", metavar="R", help="region; repeat or comma list")
    scan.add_argument("--all-regions", action="store_true", help="every region enabled in the account")
    scan.add_argument("--cluster", action="append", metavar="NAME", help="cluster name; repeat or comma list")
    scan.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint (moto, LocalStack)")
    scan.add_argument("--config", metavar="FILE", help="TOML config (see config.example.toml)")
    scan.add_argument("--quiet", action="store_true", help="print nothing but errors")
    scan.add_argument(
        "--security-hub",
        action="store_true",
        help="also import the findings into each account's Security Hub (a write: see policy --security-hub)",
    )
    scan.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help="deadline for the whole scan (default 900); what has not answered is an error row",
    )
    many = scan.add_argument_group("many accounts")
    many.add_argument("--org", action="store_true", help="every ACTIVE account of the organization")
    many.add_argument("--account", action="append", metavar="ID", help="account id; repeat or comma list")
    many.add_argument(
        "--exclude-account",
        action="append",
        metavar="ID",
        help="leave this account out; repeat or comma list",
    )
    many.add_argument(
        "--role-name", metavar="NAME", help="role assumed in the other accounts (ecs-net-audit)"
    )
    many.add_argument("--external-id", metavar="ID", help="external id passed when assuming that role")
    many.add_argument("--max-parallel", metavar="N", type=int, help="accounts collected at once (default 4)")
    _add_output_options(scan)
    scan.set_defaults(func=cmd_scan)

    demo = sub.add_parser("demo", help="audit the built-in sample account (no credentials, no network)")
    demo.add_argument(
        "--org", action="store_true", help="a small organisation: management and two member accounts"
    )
    _add_output_options(demo)
    demo.add_argument(
        "--history",
        type=int,
        metavar="N",
        help="write N simulated nightly runs (a subnet filling up) under --out, then their trend",
    )
    demo.add_argument("--quiet", action="store_true", help="print nothing but errors")
    demo.set_defaults(func=cmd_demo, config=None)

    report = sub.add_parser("report", help="re-analyse saved snapshot.json files offline, as one")
    report.add_argument("snapshot", metavar="SNAPSHOT.json", nargs="+")
    report.add_argument("--config", metavar="FILE", help="TOML config")
    report.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_output_options(report)
    report.set_defaults(func=cmd_report)

    trend = sub.add_parser("trend", help="trends and forecasts over the runs under a folder or S3 prefix")
    trend.add_argument("location", metavar="LOCATION", help="a folder of run folders, or s3://BUCKET/PREFIX")
    trend.add_argument("--out", metavar="DIR", help="output folder (default: a new folder under ./reports/)")
    trend.add_argument("--format", metavar="LIST", help="comma list of html,csv,json (default: all three)")
    trend.add_argument("--quiet", action="store_true", help="print nothing but errors")
    trend.set_defaults(func=cmd_trend)

    policy = sub.add_parser("policy", help="print the least-privilege IAM policy that scan needs")
    policy.add_argument(
        "--security-hub",
        action="store_true",
        help="add what `scan --security-hub` needs (securityhub:BatchImportFindings, BatchUpdateFindings)",
    )
    policy.add_argument(
        "--member",
        action="store_true",
        help="the policy of the role in each member account (what an --org scan assumes)",
    )
    policy.set_defaults(func=cmd_policy)
    for command in (scan, demo, report, trend, policy):  # `--debug` before or after the command
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def _config(args: argparse.Namespace, **scan: Any) -> Config:
    config = load_config(getattr(args, "config", None))
    formats = parse_formats(args.format) if args.format is not None else None
    fail_on = check_severity(args.fail_on) if args.fail_on else None
    return with_overrides(config, out=args.out, formats=formats, fail_on=fail_on, **scan)


def _previous(args: argparse.Namespace, config: Config) -> dict[str, Any] | None:
    """The --baseline document, read and checked before any AWS call (`latest`: the most recent
    run under the --out root — the folder, ./reports/ without --out, or the S3 prefix)."""
    from auditor.baseline import load_baseline

    if args.baseline == "latest":
        from auditor.outputs import empty_run, open_location, previous_run

        root = _location(config) or open_location(config.output.out or "reports")
        return previous_run(root) or empty_run()
    return load_baseline(args.baseline) if args.baseline else None


def _location(config: Config) -> Any:
    """The S3 location of an `s3://` --out (checked reachable, before collecting), else None."""
    from auditor.outputs import is_s3, s3_location

    out = config.output.out
    if not is_s3(out):
        return None
    return s3_location(str(out), profile=config.scan.profile, endpoint_url=config.scan.endpoint_url)


REPORTS = Path("reports")


def _out_dir(config: Config, kind: str, generated_at: str) -> Path:
    """`--out`, or a new folder under ./reports/ named from the time; the name keeps only digits,
    `T` and `Z` of it, so no snapshot can make it point anywhere else."""
    if config.output.out:
        return Path(config.output.out)
    stamp = re.sub(r"[^0-9TZ]", "", generated_at)[:32] or "undated"
    base = REPORTS / f"{kind}-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _write_run(result: AuditResult, out: Path, formats: tuple[str, ...]) -> list[Path]:
    """The run's files; with earlier runs beside `out`, forecasts in its findings and trend.html
    (put in place with the run's other files, as one set)."""
    from auditor.history.live import attach_history

    result, extra = attach_history(result, out) if "html" in formats or "json" in formats else (result, {})
    return write_reports(result, out, formats, extra=extra if "html" in formats else {})


def _check_out_location(config: Config) -> None:
    """The output folder (or ./reports/), or the S3 location, can be written: checked before
    anything is collected."""
    if _location(config) is None:
        _check_out(Path(config.output.out) if config.output.out else REPORTS)


def _write(result: AuditResult, config: Config, kind: str) -> list[str]:
    """Into a folder (with the history beside it), or as a run under an S3 prefix (`latest/` last;
    the history is the prefix's earlier runs)."""
    location = _location(config)
    if location is None:
        out = _out_dir(config, kind, result.snapshot.generated_at)
        return [str(p) for p in _write_run(result, out, config.output.formats)]
    from auditor.fileio import remove_temporary_folder, temporary_folder
    from auditor.history.live import attach_history_from

    formats = config.output.formats
    extra: dict[str, str] = {}
    own = location.next_folder(result.snapshot.generated_at)
    if "html" in formats or "json" in formats:
        result, extra = attach_history_from(result, location, location.uri, own)
    staging = temporary_folder("ecs-net-audit-upload-")
    try:  # rendered to disk first (streamed), then uploaded file by file, `latest/` last
        paths = write_reports(result, staging, formats, extra=extra if "html" in formats else {})
        written = location.write_run({p.name: p for p in paths}, result.snapshot.generated_at, folder=own)
    finally:
        remove_temporary_folder(staging)
    return list(written.objects.values())


def _finish(
    result: AuditResult,
    config: Config,
    kind: str,
    quiet: bool,
    after_write: Callable[[AuditResult], int] | None = None,
) -> int:
    """Write the reports, say what was found, run `after_write` (an opt-in write such as the
    Security Hub import, whose non-zero code wins), and decide the exit code."""
    paths = _write(result, config, kind)
    fail_on = config.output.fail_on
    code = 1 if fail_on and result.worst_at_or_above(fail_on) else 0
    if not quiet:
        summary = ", ".join(f"{n} {s}" for s, n in result.severity_counts.items())
        gaps = result.coverage_gaps
        say(
            f"{len(result.findings)} findings ({summary}); {len(result.instances)} container instances, "
            f"{len(result.subnets)} ECS subnets"
        )
        if many_accounts(result.snapshot):
            statuses = [r.status for r in account_rows(result.snapshot, result.findings)]
            print(
                f"{len(statuses)} accounts: "
                + ", ".join(f"{statuses.count(s)} {s}" for s in ("ok", "partial", "failed"))
            )
        if result.baseline is not None:
            b = result.baseline
            say(
                f"since {b.generated_at}: {b.count('new')} new, {len(b.resolved)} resolved, "
                f"{b.count('unchanged')} unchanged"
            )
        if gaps:
            say(
                f"INCOMPLETE: {len(gaps)} API/region pairs not collected "
                f"({', '.join(sorted({f'{c.api} {c.status}' for c in gaps})[:5])})"
            )
        for path in paths:
            say(f"wrote {path}")
    if after_write is not None:
        imported = after_write(result)
        if imported:
            return imported
    return code


def _endpoint_urls(config: Config) -> None:
    """`--endpoint-url`, `AWS_ENDPOINT_URL` and its per-service forms must be URLs botocore takes."""
    if config.scan.endpoint_url is not None:
        check_endpoint_url(config.scan.endpoint_url)
    for name, value in sorted(os.environ.items()):
        if name == "AWS_ENDPOINT_URL" or name.startswith("AWS_ENDPOINT_URL_"):
            check_endpoint_url(value, name)


def cmd_scan(args: argparse.Namespace) -> int:
    """`scan`, inside one deadline for the whole scan (every account's clients share it)."""
    from auditor.collect.session import scan_deadline

    timeout = check_timeout(args.timeout) if args.timeout is not None else None
    with scan_deadline(timeout or load_config(getattr(args, "config", None)).scan.timeout):
        return _scan(args, timeout)


def _scan(args: argparse.Namespace, timeout: float | None) -> int:
    from auditor.collect import collect, enabled_regions
    from auditor.collect.session import Clients, Recorder, check_credentials, open_session

    regions = tuple(check_region(r) for r in _comma_list(args.region))
    config = _config(
        args,
        regions=regions,
        clusters=_comma_list(args.cluster),
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        org=args.org or None,
        accounts=_comma_list(args.account),
        exclude_accounts=_comma_list(args.exclude_account),
        role_name=args.role_name,
        external_id=args.external_id,
        max_parallel=args.max_parallel,
        timeout=timeout,
    )
    _endpoint_urls(config)
    previous = _previous(args, config)
    _check_out_location(config)
    session = open_session(config.scan.profile)
    check_credentials(session)
    clients = Clients(
        session,
        endpoint_url=config.scan.endpoint_url,
        retry_mode=config.scan.retry_mode,
        max_attempts=config.scan.max_attempts,
    )  # the deadline: the scan's own (cmd_scan)
    if config.scan.org or config.scan.accounts:
        return _scan_many(args, config, session, clients)
    regions = tuple(dict.fromkeys(config.scan.regions))
    if args.all_regions:
        # the account is not known yet (collect asks); the recorder's row is not kept
        regions = enabled_regions(Recorder(clients, "", session.region_name or "us-east-1"))
    elif not regions:
        if not session.region_name:
            raise ConfigError("no region: pass --region, or set AWS_DEFAULT_REGION or a profile region")
        regions = (check_region(session.region_name),)
    progress = CollectionProgress(live=False if args.quiet else None)
    try:
        snapshot = collect(clients, regions, tuple(dict.fromkeys(config.scan.clusters)), progress=progress)
    finally:
        progress.finish(len(regions), quiet=args.quiet or progress.calls == 0)
    importer = (
        _security_hub_import(lambda account: session, config, args.quiet) if args.security_hub else None
    )
    return _finish(analyse(snapshot, config, previous), config, "scan", args.quiet, importer)


def _security_hub_import(
    session_for: Callable[[str], Any],
    config: Config,
    quiet: bool,
    client_factory: Callable[[Any, str], Any] | None = None,
) -> Callable[[AuditResult], int]:
    """The `--security-hub` step: import the run's ASFF findings (and archive the baseline's
    resolved ones) into each account's Security Hub; exit 5 with one plain line when any failed."""

    def run(result: AuditResult) -> int:
        from auditor.outputs.securityhub import import_findings
        from auditor.report.asff import asff_findings
        from auditor.report.json import findings_document

        document = findings_document(result)
        findings = asff_findings(document)
        withheld = len(document.get("resolved") or ()) - sum(
            1 for f in findings if f["RecordState"] == "ARCHIVED"
        )
        if withheld and not quiet:
            say(
                f"Security Hub: {withheld} findings of the baseline are gone but not resolved there: "
                "their account, region or data was not collected in this run"
            )
        report = import_findings(
            findings, session_for, endpoint_url=config.scan.endpoint_url, client_factory=client_factory
        )
        if report.ok:
            if not quiet:
                say(report.summary())
            return 0
        say(f"{PROG}: error: {report.summary()}", sys.stderr)
        for failure in report.failures[:20]:
            if failure.finding_id:
                say(f"  {failure.finding_id}: {failure.code}: {failure.message}", sys.stderr)
        return EXIT_IMPORT_FAILED

    return run


def _scan_many(args: argparse.Namespace, config: Config, session: Any, clients: Any) -> int:
    """`scan --org` / `--account`: every account side by side, one report."""
    from auditor.collect import identify
    from auditor.collect.fanout import (
        plan_accounts,
        require_data,
        spool_accounts,
    )
    from auditor.combine import analyse_files
    from auditor.fileio import remove_temporary_folder, temporary_folder

    home = session.region_name or (config.scan.regions[0] if config.scan.regions else "us-east-1")
    regions: tuple[str, ...] | None = (
        None if args.all_regions else config.scan.regions or (check_region(home),)
    )
    previous = _previous(args, config)
    own = identify(clients, home)
    plans, notes = plan_accounts(clients, config.scan, own, home)
    if not args.quiet:
        for note in notes:
            say(note, sys.stderr)  # account names come from AWS: neutralised
    progress = CollectionProgress(live=False if args.quiet else None)
    spool = temporary_folder("ecs-net-audit-accounts-")
    try:
        try:
            spooled = spool_accounts(plans, session, config.scan, regions, home, spool, progress=progress)
        finally:
            progress.finish(len(regions or ()) * len(plans), quiet=args.quiet or progress.calls == 0)
        require_data(spooled)
        # each account analysed on its own and let go: memory follows the largest account
        keep = "json" in config.output.formats  # the merged snapshot.json is spooled only to be written
        with analyse_files([path for path, _ in spooled], config, keep_snapshot=keep) as combined:
            remove_temporary_folder(spool)
            return _finish_many(args, config, session, combined.result(previous), own, home)
    finally:
        remove_temporary_folder(spool)


def _finish_many(
    args: argparse.Namespace, config: Config, session: Any, result: AuditResult, own: str, home: str
) -> int:
    from auditor.collect.fanout import AccountPlan, account_session

    partition = session.get_partition_for_region(home)
    sessions: dict[str, Any] = {}

    def session_for(account: str) -> Any:
        """Each account's findings go to its own Security Hub, through its own role."""
        if account not in sessions:
            plan = AccountPlan(account, own=account == own)
            sessions[account] = account_session(plan, session, config.scan, home, partition)
        return sessions[account]

    importer = _security_hub_import(session_for, config, args.quiet) if args.security_hub else None
    return _finish(result, config, "scan", args.quiet, importer)


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import demo_org_snapshot, demo_snapshot

    config = _config(args)
    previous = _previous(args, config)
    _check_out_location(config)
    if args.history is not None:
        return _demo_history(args, config)
    if not args.org:
        return _finish(analyse(demo_snapshot(), config, previous), config, "demo", args.quiet)
    from auditor.combine import Combined
    from auditor.merge import split_accounts

    with Combined(config, keep_snapshot="json" in config.output.formats) as combined:
        for part in split_accounts(demo_org_snapshot()):  # one account at a time, as `scan --org`
            combined.add(f"account {part.accounts[0]}", part)
        return _finish(combined.result(previous), config, "demo", args.quiet)


def _demo_history(args: argparse.Namespace, config: Config) -> int:
    from auditor.demo.history import MAX_NIGHTS, demo_history

    if not 2 <= args.history <= MAX_NIGHTS:
        raise ConfigError(f"--history takes 2 to {MAX_NIGHTS} nights, not {args.history}")
    if args.baseline:
        raise ConfigError("--history builds its own runs: it does not take --baseline")
    root = _out_dir(config, "demo-history", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    _check_out(root)
    last, paths = demo_history(args.history, root, config, _write_run)
    if not args.quiet:
        print(f"wrote {args.history} nightly runs of the demo account under {root}")
        for path in paths:
            print(f"wrote {path}")
    fail_on = config.output.fail_on
    return 1 if fail_on and last.worst_at_or_above(fail_on) else 0


def _check_out(out: Path) -> None:
    """An output folder that cannot be written is found before any work (exit 2): it is (or can
    be made) a folder and a file can be created in it; no trace is left when it did not exist."""
    from auditor.fileio import check_writable

    check_writable(out)


def cmd_trend(args: argparse.Namespace) -> int:
    from auditor.fileio import write_atomic
    from auditor.history.render import FORMATS, render_trend
    from auditor.history.runs import HistoryError, open_location, read_history
    from auditor.history.trend import analyse_history

    formats = _trend_formats(args.format, FORMATS)
    out = (
        Path(args.out)
        if args.out
        else _out_dir(Config(), "trend", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    )
    _check_out(out)
    history = read_history(open_location(args.location), args.location)
    if not history.runs:
        raise HistoryError(
            f"{args.location}: no run found (no readable findings.json under it"
            + (f"; {len(history.problems)} skipped" if history.problems else "")
            + ")"
        )
    trend = analyse_history(history)
    files = render_trend(trend, formats)
    for name, content in files.items():
        write_atomic(out / name, content)
    if not args.quiet:
        series = trend.series
        falling = series[series["status"].isin(["running-out", "out"])] if not series.empty else series
        print(f"{len(history.runs)} runs, {len(series)} series; {len(falling)} running out or out")
        for row in falling.head(5).to_dict(orient="records"):
            where = f"({row['account']} {row['region']})"
            print(_printable(f"  {row['runs_out_at']}  {row['metric']}  {row['resource_id']}  {where}"))
        if history.problems:
            print(f"{len(history.problems)} notes on the runs read (see trend.html / trend.json)")
        for name in files:
            print(f"wrote {out / name}")
    return 0


def _printable(text: str) -> str:
    """Text from AWS or from files, safe on a terminal: control characters become '?'."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _trend_formats(value: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return allowed
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if not items or unknown:
        raise ConfigError(f"trend --format takes a comma list of {', '.join(allowed)}")
    return tuple(dict.fromkeys(items))


def cmd_report(args: argparse.Namespace) -> int:
    from auditor.snapshot import load

    config = _config(args)
    previous = _previous(args, config)
    paths = list(dict.fromkeys(args.snapshot))
    keep = "json" in config.output.formats  # the merged snapshot.json is only spooled to be written
    if len(paths) == 1:
        from auditor.combine import Combined
        from auditor.merge import split_accounts

        snapshot = load(paths[0])
        _check_out_location(config)
        parts = split_accounts(snapshot)
        if len(parts) == 1:
            return _finish(analyse(snapshot, config, previous), config, "report", args.quiet)
        # a many-account snapshot (an organisation scan's): analysed one account at a time, as
        # the scan that wrote it was, so `report` gives that scan's findings again
        with Combined(config, keep_snapshot=keep) as combined:
            for n, part in enumerate(parts):
                combined.add(f"{paths[0]} (account {n + 1})", part)
            del snapshot, parts
            return _finish(combined.result(previous), config, "report", args.quiet)
    from auditor.combine import analyse_files

    # several snapshots: each analysed on its own and let go (auditor/combine.py)
    with analyse_files(paths, config, keep_snapshot=keep) as combined:
        _check_out_location(config)
        return _finish(combined.result(previous), config, "report", args.quiet)


def policy_document(member: bool = False, security_hub: bool = False) -> dict[str, Any]:
    """The read-only policy `scan` needs (with `--org`'s two actions), or with `member` the policy
    of the role in each member account (only what is collected there); with `security_hub`, plus
    the import statement."""
    from auditor.collect import PERMISSIONS
    from auditor.collect.fanout import PERMISSIONS as ORG_PERMISSIONS

    actions = (
        sorted(set(PERMISSIONS) - {"sts:GetCallerIdentity"})
        if member
        else sorted({*PERMISSIONS, *ORG_PERMISSIONS})
    )
    sid = "EcsNetAuditMemberReadOnly" if member else "EcsNetAuditReadOnly"
    statements: list[dict[str, Any]] = [{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "*"}]
    if security_hub:
        from auditor.outputs.securityhub import STATEMENTS

        statements += STATEMENTS
    return {"Version": "2012-10-17", "Statement": statements}


def cmd_policy(args: argparse.Namespace) -> int:
    for line in json.dumps(
        policy_document(member=args.member, security_hub=args.security_hub), indent=2
    ).splitlines():
        say(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code. Called without `argv` it is the process itself: a signal
    then ends it at once, without waiting for threads stuck on a call that never answers."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    interrupts.install()
    try:
        args = build_parser().parse_args(arguments)
        return int(args.func(args))
    except AuditorError as exc:
        say(f"{PROG}: error: {exc}", sys.stderr)
        return exc.exit_code
    except (interrupts.Interrupted, KeyboardInterrupt) as exc:
        code = exc.exit_code if isinstance(exc, interrupts.Interrupted) else 130
        return _stopped(code, argv is None)
    except Exception as exc:  # the unforeseen: one line, exit 4, the traceback only with --debug
        if debug:
            traceback.print_exc()
        say(
            f"{PROG}: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
            sys.stderr,
        )
        return UNFORESEEN
    finally:
        interrupts.uninstall()


def _stopped(code: int, whole_process: bool) -> int:
    from auditor.fileio import remove_temporary_files

    interrupts.STOP.set()
    remove_temporary_files()
    say(f"{PROG}: stopped by {'SIGINT' if code == 130 else 'SIGTERM'}; no report written", sys.stderr)
    if whole_process:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
