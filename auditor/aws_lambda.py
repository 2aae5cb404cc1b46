"""The scheduled audit on AWS Lambda: `handler` audits one account, `aggregate` merges an
organisation's runs, `accounts` lists the accounts a Step Functions Distributed Map fans out over.

Thin callers of the same pipeline as `scan` (collect → analyse → render → an output location).
Settings come from the environment (CONTRACT.md, "Scheduled audits on AWS"):

- `ECS_NET_AUDIT_OUT` (required): `s3://BUCKET/PREFIX`; one account's runs go under
  `PREFIX/<account>/<YYYY-MM-DDTHHMMSSZ>/`, the organisation's under `PREFIX/org/`.
- `ECS_NET_AUDIT_REGIONS`: a comma list, or `all` (the regions enabled in the account); default:
  the function's own region.
- `ECS_NET_AUDIT_CONFIG`: TOML text, as in config.example.toml (optional).
- `ECS_NET_AUDIT_NOTIFY_TOPIC`: an SNS topic ARN (optional); `ECS_NET_AUDIT_NOTIFY_ON`: a severity
  (default `high`).

Everything the function prints is one JSON object a line: structured log records (`level`,
`message`, …) and CloudWatch Embedded Metric Format records (`_aws`), which CloudWatch Logs turns
into metrics. Heavy imports (boto3, the checks, jinja2) happen inside the calls, so that importing
this module — the Lambda's init phase — stays cheap.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.errors import AuditorError, ConfigError
from auditor.findings import SEVERITIES, severity_counts, severity_rank

DEFAULT_ROLE_NAME = "ecs-net-audit"
LAMBDA_FORMATS = ("html", "json", "md", "emf")  # csv only when the config asks: it loads pandas
RESULT_LIMIT = 4000  # bytes: the handler's summary stays under 4 KB (a Map state's item output)
MESSAGE_LIMIT = 200_000  # bytes: SNS takes 256 KB
LISTED_NEW = 20  # findings named in a message; the rest are counted


# --- structured logs ------------------------------------------------------------------------------


def log(level: str, message: str, **fields: Any) -> None:
    """One JSON log record on stdout (CloudWatch Logs keeps one event per line)."""
    record = {"level": level, "message": message, **fields}
    print(json.dumps(record, default=str, separators=(",", ":")), flush=True)


def _request_id(context: Any) -> str | None:
    return getattr(context, "aws_request_id", None)


# --- settings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The function's settings: environment variables, then the event naming one account."""

    out: str
    regions: tuple[str, ...]  # empty: the function's region; ("all",): every enabled region
    config_text: str
    notify_topic: str | None
    notify_on: str
    account: str | None = None  # from the event: the account to audit (default: the function's own)
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None

    @classmethod
    def load(cls, env: Mapping[str, str], event: Any) -> Settings:
        from auditor.config import _ACCOUNT, _EXTERNAL_ID, _ROLE_NAME  # the CLI's rules, one copy

        out = env.get("ECS_NET_AUDIT_OUT", "").strip()
        if not out.startswith("s3://"):
            raise ConfigError("ECS_NET_AUDIT_OUT must be an s3://BUCKET/PREFIX location")
        notify_on = env.get("ECS_NET_AUDIT_NOTIFY_ON", "high").strip().lower() or "high"
        if notify_on not in SEVERITIES:
            raise ConfigError(
                f"ECS_NET_AUDIT_NOTIFY_ON must be one of {', '.join(SEVERITIES)}, got {notify_on!r}"
            )
        event = event if isinstance(event, dict) else {}
        regions = _regions(event.get("regions")) or _regions(env.get("ECS_NET_AUDIT_REGIONS"))
        account = event.get("account")
        if account is not None and not (isinstance(account, str) and _ACCOUNT.match(account)):
            raise ConfigError(f"event 'account' must be a 12-digit account id, got {account!r}")
        role_name = event.get("role_name") or DEFAULT_ROLE_NAME
        if not isinstance(role_name, str) or not _ROLE_NAME.match(role_name) or "//" in role_name:
            raise ConfigError(f"event 'role_name' is not an IAM role name: {role_name!r}")
        external_id = event.get("external_id") or None
        if external_id is not None and not (isinstance(external_id, str) and _EXTERNAL_ID.match(external_id)):
            raise ConfigError("event 'external_id' is not a valid external ID")
        return cls(
            out=out.rstrip("/"),
            regions=regions,
            config_text=env.get("ECS_NET_AUDIT_CONFIG", ""),
            notify_topic=env.get("ECS_NET_AUDIT_NOTIFY_TOPIC", "").strip() or None,
            notify_on=notify_on,
            account=account,
            role_name=role_name,  # a path (`team/ecs-net-audit`) is kept, as the CLI's role_arn keeps it
            external_id=external_id,
        )


def _regions(value: Any) -> tuple[str, ...]:
    from auditor.config import check_region

    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"regions must be a comma list or a list of region names, got {value!r}")
    names = tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
    if names == ("all",):
        return names
    return tuple(check_region(r) for r in names)


def load_config_text(text: str) -> tuple[Any, bool]:
    """(Config, whether it names output formats) from ECS_NET_AUDIT_CONFIG's TOML text."""
    import tomllib

    from auditor.config import Config, validate
    from auditor.typed import decode

    if not text.strip():
        return Config(), False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"ECS_NET_AUDIT_CONFIG is not valid TOML: {exc}") from None
    config = validate(decode(Config, data, ConfigError, "ECS_NET_AUDIT_CONFIG:"))
    output = data.get("output")
    return config, isinstance(output, dict) and "formats" in output


# --- sessions -------------------------------------------------------------------------------------


def _session_for(
    settings: Settings, config: Any, base: Any, own_account: str, partition: str, region: str
) -> Any:
    """The function's own session for its own account; an assumed role's for another — the same
    entry point as the CLI's organisation scan (collect/fanout.py): through `scan.role_chain`, on
    `scan.endpoint_url` when the config sets one."""
    if settings.account is None or settings.account == own_account:
        return base
    from auditor.collect.accounts import assume_role_session  # credentials refreshed before expiry

    return assume_role_session(
        base,
        settings.account,
        settings.role_name,
        settings.external_id,
        partition=partition,
        region=region,
        chain=config.scan.role_chain,
        endpoint_url=config.scan.endpoint_url,
    )


# --- the handler ----------------------------------------------------------------------------------


class AuditFailed(AuditorError):
    """The audit of one account could not produce a run (nothing written, `latest/` unchanged)."""


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Audit one account; write the run to S3; notify on what is new; print metrics and logs.

    Returns the contract's summary (under 4 KB). When no run could be written (bad settings, a role
    that cannot be assumed, nothing collected, an upload that failed) it returns `error` (one line)
    beside `account` and `regions`, logs the same at level ERROR and prints `AuditComplete` 0 — so a
    Step Functions map counts the item as failed, and an alarm on the metric fires.
    """
    started = time.monotonic()
    env = os.environ
    try:
        settings = Settings.load(env, event)
    except AuditorError as exc:
        log("ERROR", "bad settings", error=str(exc), request_id=_request_id(context))
        return {"account": None, "regions": [], "complete": False, "error": str(exc)}
    try:
        result = _audit(settings, context, started)
    except AuditorError as exc:
        account = getattr(exc, "account", None) or settings.account
        regions = list(getattr(exc, "regions", ()) or settings.regions)
        log(
            "ERROR",
            "audit failed",
            account=account,
            regions=regions,
            error=str(exc),
            request_id=_request_id(context),
        )
        _print_failure_metrics(account, regions)
        return _fit({"account": account, "regions": regions, "complete": False, "error": str(exc)})
    return result


def _print_failure_metrics(account: str | None, regions: list[str]) -> None:
    from auditor.report.emf import DIMENSIONS, NAMESPACE

    for region in regions or [os.environ.get("AWS_REGION", "unknown")]:
        record = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": NAMESPACE,
                        "Dimensions": [list(DIMENSIONS)],
                        "Metrics": [{"Name": "AuditComplete", "Unit": "None"}],
                    }
                ],
            },
            "Account": account or "unknown",
            "Region": region,
            "AuditComplete": 0,
        }
        print(json.dumps(record, separators=(",", ":")), flush=True)


def _fail(message: str, account: str | None, regions: tuple[str, ...] | list[str]) -> AuditFailed:
    exc = AuditFailed(message)
    exc.account = account  # type: ignore[attr-defined]
    exc.regions = tuple(regions)  # type: ignore[attr-defined]
    return exc


def _audit(settings: Settings, context: Any, started: float) -> dict[str, Any]:
    import boto3
    import botocore.exceptions

    from auditor.collect import collect, enabled_regions
    from auditor.collect.accounts import role_arn
    from auditor.collect.session import Clients, Recorder, classify
    from auditor.outputs import empty_run, previous_run
    from auditor.outputs.s3 import S3Prefix
    from auditor.pipeline import analyse
    from auditor.report import render_all

    config, formats_given = load_config_text(settings.config_text)
    home = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    base = boto3.session.Session(region_name=home)
    try:
        me = base.client("sts", region_name=home).get_caller_identity()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise _fail(
            f"cannot identify the function's own account: {classify(exc)[1]}",
            settings.account,
            settings.regions,
        ) from None
    own_account, partition = str(me["Account"]), str(me["Arn"]).split(":")[1]
    account = settings.account or own_account
    regions = settings.regions or (home,)
    try:
        session = _session_for(settings, config, base, own_account, partition, home)
        session.get_credentials().get_frozen_credentials()  # a refused role shows now, not per call
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        role = role_arn(account, settings.role_name, partition)
        raise _fail(f"cannot assume {role}: {classify(exc)[1]}", account, regions) from None
    clients = Clients(
        session,
        retry_mode=config.scan.retry_mode,
        max_attempts=config.scan.max_attempts,
        deadline_seconds=collection_seconds(context, config.scan.timeout),
    )

    root = S3Prefix.from_uri(settings.out, session=base).child(account)  # written with the function's role
    root.check_reachable()
    previous = previous_run(root)
    try:
        if regions == ("all",):
            regions = enabled_regions(Recorder(clients, account, home))
        snapshot = collect(clients, regions, config.scan.clusters)
    except AuditorError as exc:
        raise _fail(f"account {account}: {exc}", account, regions if regions != ("all",) else ()) from None
    result = analyse(snapshot, config, previous if previous is not None else empty_run())

    formats = (
        tuple(dict.fromkeys((*config.output.formats, "json", "md", "emf")))
        if formats_given
        else LAMBDA_FORMATS
    )
    files = render_all(result, formats)
    try:
        written = root.write_run(files, snapshot.generated_at)
    except AuditorError as exc:
        raise _fail(str(exc), account, regions) from None

    for line in files["metrics.emf.jsonl"].splitlines():
        print(line, flush=True)  # EMF: CloudWatch Logs extracts the metrics from these lines

    new = _new_findings(result)
    summary = dict(result.severity_counts)
    new_counts = severity_counts(new)
    was_complete = previous is None or bool(previous.get("complete", True))
    became_incomplete = result.incomplete and was_complete
    alerting = [f for f in new if severity_rank(f.severity) >= severity_rank(settings.notify_on)]
    notified: bool | str = False
    if (alerting or became_incomplete) and settings.notify_topic:
        subject, body = notification(
            result,
            account,
            written.objects,
            alerting,
            became_incomplete,
            settings.notify_on,
            files.get("summary.md", ""),
        )
        notified = _publish(base, settings.notify_topic, subject, body, home)
    out = {
        "account": account,
        "regions": list(snapshot.regions),
        "complete": not result.incomplete,
        "summary": summary,
        "new": new_counts,
        "report": written.objects.get("report.html"),
        "findings": written.objects.get("findings.json"),
        "snapshot": written.objects.get("snapshot.json"),
        "run": written.folder,
        "notified": notified is True,
    }
    log(
        "INFO",
        "audit written",
        account=account,
        regions=list(snapshot.regions),
        complete=out["complete"],
        summary=summary,
        new=new_counts,
        run=written.folder,
        baseline=(previous or {}).get("generated_at"),
        notified=notified,
        seconds=round(time.monotonic() - started, 2),
        request_id=_request_id(context),
    )
    return _fit(out)


WRITE_MARGIN = 60.0  # seconds kept for analysis, upload and notification after collection stops


def collection_seconds(context: Any, configured: float) -> float:
    """Seconds collection may take: the configured scan timeout, cut so that the run is still
    analysed and written before the Lambda itself is stopped (a run cut short is incomplete, with
    error rows; a run killed with the function is nothing)."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return configured
    return max(10.0, min(configured, remaining_ms() / 1000.0 - WRITE_MARGIN))


def _new_findings(result: Any) -> list[Any]:
    changes = result.baseline.changes if result.baseline is not None else {}
    return [f for f in result.findings if changes.get(f.id, "new") == "new"]


def _fit(result: dict[str, Any]) -> dict[str, Any]:
    """Keep the summary under 4 KB: a long region list becomes its count."""
    if len(json.dumps(result)) > RESULT_LIMIT and len(result.get("regions") or []) > 3:
        result = {**result, "regions": result["regions"][:3] + [f"… {len(result['regions']) - 3} more"]}
    if len(json.dumps(result)) > RESULT_LIMIT and "error" in result:
        result = {**result, "error": result["error"][:1000]}
    return result


# --- the message ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _plain(text: object, limit: int = 300) -> str:
    """One line, no control or bidi characters (text from AWS reaches a person's mail)."""
    line = _CONTROL.sub(" ", str(text)).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def notification(
    result: Any,
    account: str,
    objects: Mapping[str, str],
    alerting: list[Any],
    became_incomplete: bool,
    notify_on: str,
    summary_md: str,
) -> tuple[str, str]:
    """(subject, body) of the one message: what is new, where, the report's S3 URI, the summary."""
    regions = ", ".join(result.snapshot.regions)
    if alerting:
        by_severity = [(s, sum(1 for f in alerting if f.severity == s)) for s in SEVERITIES]
        present = [(s, n) for s, n in by_severity if n]
        plural = "s" if len(alerting) != 1 else ""
        if len(present) == 1:
            what = f"{len(alerting)} new {present[0][0]} finding{plural}"
        else:
            what = f"{len(alerting)} new findings ({', '.join(f'{n} {s}' for s, n in present)})"
        subject = f"ECS network audit {account}: {what}"
        if became_incomplete:
            subject += ", audit incomplete"
    else:
        subject = f"ECS network audit {account}: audit incomplete"
    subject = subject.encode("ascii", "replace").decode("ascii")[:99]  # SNS: ASCII, under 100

    lines = [
        f"The scheduled ECS network audit of account {account} ({regions}) at {result.snapshot.generated_at} "
        + (
            f"found {len(alerting)} new finding(s) at or above {notify_on}."
            if alerting
            else "found nothing new at or above " + notify_on + "."
        ),
        "",
    ]
    if alerting:
        lines.append("NEW:")
        for f in sorted(alerting, key=lambda f: SEVERITIES.index(f.severity))[:LISTED_NEW]:
            where = f"{f.account} {f.region}" + (f" cluster {_plain(f.cluster)}" if f.cluster else "")
            lines += [
                f"- [{f.severity.upper()}] {f.check} — {_plain(f.title)}",
                f"  where: {where}, {f.resource_type} {_plain(f.resource_id)}",
                f"  fix: {_plain(f.recommendation, 500)}",
            ]
        if len(alerting) > LISTED_NEW:
            lines.append(f"- … and {len(alerting) - LISTED_NEW} more in the report")
        lines.append("")
    if became_incomplete:
        gaps = [c for c in result.snapshot.coverage if c.status != "ok"]
        apis = sorted({f"{c.api} in {c.region} ({c.status})" for c in gaps})
        lines += [
            f"The audit is INCOMPLETE (the previous run was complete): {len(gaps)} API/region pairs were not "
            f"collected: {_plain(', '.join(apis[:8]), 800)}{' …' if len(apis) > 8 else ''}. "
            "Checks that needed them report unknown, not all-clear. Usually a permission or an SCP changed.",
            "",
        ]
    lines += [
        f"Report:   {objects.get('report.html', '(not written)')}",
        f"Findings: {objects.get('findings.json', '(not written)')}",
        f"Open it:  aws s3 cp {objects.get('report.html', '')} . && open report.html",
        "",
        "Summary:",
        "",
        summary_md,
    ]
    body = "\n".join(lines)
    if len(body.encode("utf-8")) > MESSAGE_LIMIT:
        body = (
            body.encode("utf-8")[:MESSAGE_LIMIT].decode("utf-8", "ignore")
            + "\n… (cut; the report has it all)"
        )
    return subject, body


def _publish(base: Any, topic: str, subject: str, body: str, region: str) -> bool | str:
    """Publish; a failure is logged and returned (the run is written either way)."""
    import botocore.exceptions

    from auditor.collect.session import classify

    topic_region = topic.split(":")[3] if topic.count(":") >= 5 else region
    try:
        base.client("sns", region_name=topic_region).publish(TopicArn=topic, Subject=subject, Message=body)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        detail = classify(exc)[1]
        log("ERROR", "notification failed", topic=topic, error=detail)
        return f"failed: {detail}"
    return True


# --- the organisation -----------------------------------------------------------------------------


def accounts(event: Any, context: Any) -> dict[str, Any]:
    """The Distributed Map's item list: the organisation's ACTIVE accounts (organizations:
    ListAccounts, from the management or a delegated administrator account), minus the event's
    `exclude`, written as a JSON array of `{"account", "name"}` to `<out>/org/accounts.json`.
    Returns `{"Bucket", "Key", "count"}` for the Map's ItemReader."""
    import boto3

    from auditor.outputs.s3 import S3Prefix

    env = os.environ
    out = env.get("ECS_NET_AUDIT_OUT", "")
    if not out.startswith("s3://"):
        raise ConfigError("ECS_NET_AUDIT_OUT must be an s3://BUCKET/PREFIX location")
    exclude = set((event or {}).get("exclude", []) if isinstance(event, dict) else [])
    session = boto3.session.Session()
    items = [
        {"account": a, "name": n}
        for a, n in _active_accounts(session.client("organizations"))
        if a not in exclude
    ]
    org = S3Prefix.from_uri(out, session=session).child("org")
    key = org._key("accounts.json")
    org.client.put_object(
        Bucket=org.bucket,
        Key=key,
        Body=json.dumps(items).encode(),
        ContentType="application/json",
        **org.encryption(),
    )
    log("INFO", "accounts listed", count=len(items), excluded=sorted(exclude), key=key)
    return {"Bucket": org.bucket, "Key": key, "count": len(items)}


def _active_accounts(client: Any) -> list[tuple[str, str]]:
    """(id, name) of the organisation's ACTIVE accounts (`collect/organizations.py`: `State`, or
    the older `Status`; anything else is left out)."""
    from auditor.collect.organizations import active_accounts

    active, _left_out = active_accounts(client)
    return [(a.id, a.name) for a in active]


def _map_results(event: Any, read: Any) -> Iterator[dict[str, Any]]:
    """Handler results from any of the contract's three event shapes, one at a time (a manifest's
    result files are read one by one)."""
    if isinstance(event, dict) and "ResultWriterDetails" in event:
        details = event["ResultWriterDetails"]
        manifest = json.loads(read(details["Bucket"], details["Key"]))
        bucket = manifest.get("DestinationBucket", details["Bucket"])
        for status in ("SUCCEEDED", "FAILED", "PENDING"):
            for entry in manifest.get("ResultFiles", {}).get(status, []):
                for item in json.loads(read(bucket, entry["Key"])):
                    yield _from_execution(item)
        return
    if isinstance(event, dict):
        event = event.get("results", event.get("Items", [event]))
    if not isinstance(event, list):
        raise ConfigError("aggregate: the event must be a list of results or a ResultWriter description")
    for item in event:
        if isinstance(item, dict) and "Payload" in item:
            item = item["Payload"]
        if isinstance(item, str):
            item = json.loads(item)
        if isinstance(item, dict):
            yield item


def _from_execution(item: dict[str, Any]) -> dict[str, Any]:
    """A ResultWriter entry (one child execution) → the handler result, or a failure record."""
    output = item.get("Output")
    if item.get("Status") == "SUCCEEDED" and output:
        parsed = json.loads(output)
        return parsed.get("Payload", parsed) if isinstance(parsed, dict) else {}
    try:
        given = json.loads(item.get("Input") or "{}")
    except json.JSONDecodeError:
        given = {}
    cause = item.get("Cause") or item.get("Error") or item.get("Status", "failed")
    account = given.get("account") if isinstance(given, dict) else None
    return {"account": account, "regions": [], "complete": False, "error": _plain(cause, 500)}


# the organisation run: report.html, findings.json, the CSV tables and summary.md
ORG_FORMATS = ("html", "json", "csv", "md")


def aggregate(event: Any, context: Any) -> dict[str, Any]:
    """Merge per-account runs into one organisation run under `<out>/org/<stamp>/`: report.html,
    findings.json, the CSV tables (accounts.csv first of all) and summary.md, rendered by the same
    reporters as any run (auditor/documents.py); `org/latest/findings.json` last. Reads each
    account's findings.json one at a time and never a snapshot, so memory follows the findings,
    not the raw data. The organisation run is compared with the previous one under `org/`."""
    import boto3

    from auditor.outputs import empty_run, parse_findings, previous_run
    from auditor.outputs.s3 import S3Prefix, parse_uri
    from auditor.pipeline import write_reports

    env = os.environ
    out = env.get("ECS_NET_AUDIT_OUT", "")
    if not out.startswith("s3://"):
        raise ConfigError("ECS_NET_AUDIT_OUT must be an s3://BUCKET/PREFIX location")
    session = boto3.session.Session()
    org = S3Prefix.from_uri(out, session=session).child("org")

    def read(bucket: str, key: str) -> bytes:
        return bytes(org.client.get_object(Bucket=bucket, Key=key)["Body"].read())

    merged = OrgMerge(names=_account_names(org))
    try:
        for item in _map_results(event, read):
            if merged.has(item.get("account")):
                log(
                    "WARNING",
                    "account given twice: the first result is kept",
                    account=str(item.get("account")),
                )
                continue
            uri = item.get("findings")
            if item.get("error") or not isinstance(uri, str):
                merged.failed(item)
                continue
            bucket, key = parse_uri(uri)
            try:
                merged.add(parse_findings(read(bucket, key), uri), item)
            except Exception as exc:  # noqa: BLE001 - one unreadable account must not lose the others
                merged.failed({**item, "error": f"cannot read {uri}: {_plain(exc, 300)}"})
        try:
            previous = previous_run(org)
        except Exception as exc:  # noqa: BLE001 - a broken earlier run must not stop tonight's
            log(
                "WARNING",
                "previous organisation run not readable; every finding counts as new",
                error=str(exc),
            )
            previous = None
        result = merged.result(previous if previous is not None else empty_run())  # a first run: all new
        # rendered into the merge's folder (streamed), uploaded from there
        paths = write_reports(result, merged.org.folder / "out", ORG_FORMATS)
        written = org.write_run({p.name: p for p in paths}, result.snapshot.generated_at)
        rows = merged.account_rows(result)
        failed = [r.account for r in rows if r.status == "failed"]
        summary = {
            "accounts": len(rows),
            "failed": failed[:50],
            "complete": result.complete,
            "summary": dict(result.severity_counts),
            "new": _new_counts(result),
            "findings": written.objects.get("findings.json"),
            "report": written.objects.get("report.html"),
            "run": written.folder,
        }
        log(
            "INFO",
            "organisation aggregated",
            **{k: v for k, v in summary.items() if k != "failed"},
            failed=len(failed),
        )
    finally:
        merged.close()  # its findings were read from a temporary folder
    return _fit(summary)


def _new_counts(result: Any) -> dict[str, int]:
    changes = result.baseline.changes if result.baseline is not None else {}
    return severity_counts(f for f in result.findings if changes.get(f.id, "new") == "new")


def _account_names(org: Any) -> dict[str, str]:
    """Account names from the item list `accounts` wrote (none when the run had its own list)."""
    try:
        items = json.loads(org.read_bytes("accounts.json"))
    except Exception:  # noqa: BLE001 - names are a nicety; the merge goes on without them
        return {}
    if not isinstance(items, list):
        return {}
    return {str(i.get("account")): str(i.get("name", "")) for i in items if isinstance(i, dict)}


class OrgMerge:
    """The organisation run, grown one account run (its findings.json) at a time."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        from auditor.config import Config
        from auditor.documents import Organisation

        self.generated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.org = Organisation(Config(), names)

    def add(self, doc: dict[str, Any], item: dict[str, Any]) -> None:
        """An account's run (DocumentError when its findings.json cannot be used)."""
        self.org.add(doc, report=str(item.get("report") or ""))

    def has(self, account: Any) -> bool:
        """Whether the account is in the run already (a Map that ran an item twice)."""
        return str(account) in self.org.accounts

    def failed(self, item: dict[str, Any]) -> None:
        """An account that gave no run: one coverage row shaped as a many-account scan's —
        `sts:AssumeRole` (reason `assume-role`) when its role could not be assumed, else
        `lambda:InvokeFunction` (the call that failed)."""
        from auditor.model import Coverage

        account = str(item.get("account") or "unknown")
        error = _plain(item.get("error", "failed"), 500)
        region = os.environ.get("AWS_REGION", "")
        assume = "assume" in error.lower()
        denied = any(word in error for word in ("AccessDenied", "not authorized", "UnauthorizedOperation"))
        row = Coverage(
            account=account,
            region=region,
            api="sts:AssumeRole" if assume else "lambda:InvokeFunction",
            status="denied" if denied else "error",
            detail=error,
            reason="assume-role" if assume else "",
        )
        self.org.failed(account, [row])

    def result(self, previous: dict[str, Any] | None = None) -> Any:
        return self.org.organisation_result(self.generated_at, previous)

    def close(self) -> None:
        self.org.close()

    @staticmethod
    def account_rows(result: Any) -> list[Any]:
        from auditor.account_status import account_rows

        return account_rows(result.snapshot, result.findings)


def _version() -> str:
    from auditor import __version__

    return __version__
