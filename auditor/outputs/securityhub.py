"""Import ASFF findings into AWS Security Hub: the one write `--security-hub` adds to a scan.

Off by default and never part of `ecs-net-audit policy` (which stays read-only):
`ecs-net-audit policy --security-hub` prints the extra statements, `STATEMENTS` below.

- Each finding goes to its own account's Security Hub in its own region: the default product ARN
  accepts only findings of the calling account, so the caller gives `session_for(account)`, a
  boto3 Session acting in that account (the scan's own session for a one-account run; the
  assumed role's session for each account of an organisation run).
- `BatchImportFindings` takes at most 100 findings a call; its rate is 10 requests a second per
  account and region with a burst of 30 (Security Hub partner guide, "Guidelines for using the
  BatchImportFindings API"). Calls are paced to stay under that, and a throttled or failed call
  (throttling, 5xx, `InternalException`) is retried with exponential backoff and jitter.
- A baseline's resolved findings come as `RecordState` `ARCHIVED`; their workflow is then set to
  `RESOLVED` with `BatchUpdateFindings` (100 a call), because a provider's import cannot change
  the workflow of a finding Security Hub already holds.
- Per-finding failures (`FailedFindings`, `UnprocessedFindings`) are reported with their id and
  error; a call that is denied (no permission, Security Hub not enabled in that region:
  `AccessDeniedException`, `InvalidAccessException`) fails that account and region's findings and
  is reported once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

BATCH_SIZE = 100  # BatchImportFindings' maximum
RATE_PER_SECOND = 10.0  # documented per account and region (burst 30); we never burst
MAX_ATTEMPTS = 6

ACTION = "securityhub:BatchImportFindings"
STATEMENTS: tuple[dict[str, Any], ...] = (
    {
        "Sid": "EcsNetAuditSecurityHubImport",
        "Effect": "Allow",
        "Action": [ACTION],
        # The account's default product, in any region: the only product our findings go to.
        "Resource": "arn:*:securityhub:*:*:product/*/default",
    },
    {
        # Setting the workflow of the findings that went away to RESOLVED.
        "Sid": "EcsNetAuditSecurityHubResolve",
        "Effect": "Allow",
        "Action": ["securityhub:BatchUpdateFindings"],
        "Resource": "*",
    },
)

RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "Throttling",
        "InternalException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
DENIED = frozenset(
    {"AccessDeniedException", "AccessDenied", "InvalidAccessException", "UnauthorizedOperation"}
)


@dataclass(frozen=True)
class ImportFailure:
    """A finding (or, with `finding_id` empty, a whole account and region) that was not imported."""

    account: str
    region: str
    finding_id: str
    code: str
    message: str
    stage: str = "import"  # "import", or "resolve" (imported, but its workflow not set to RESOLVED)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: how many findings Security Hub accepted, and what it refused."""

    imported: int = 0
    resolved: int = 0  # archived findings whose workflow was set to RESOLVED
    calls: int = 0
    retries: int = 0
    failures: tuple[ImportFailure, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failed(self) -> int:
        """Findings that did not go in."""
        return sum(1 for f in self.failures if f.finding_id and f.stage == "import")

    @property
    def unresolved(self) -> int:
        """Archived findings that went in but whose workflow could not be set to RESOLVED."""
        return sum(1 for f in self.failures if f.finding_id and f.stage == "resolve")

    def summary(self) -> str:
        """One line for a person."""
        line = f"Security Hub: {self.imported} findings imported in {self.calls} calls"
        if self.resolved:
            line += f", {self.resolved} resolved"
        if self.retries:
            line += f" ({self.retries} retries)"
        if self.failures:
            whole = [f for f in self.failures if not f.finding_id]
            if self.failed:
                line += f"; {self.failed} findings NOT imported"
            if self.unresolved:
                line += f"; {self.unresolved} archived findings NOT set to RESOLVED"
            if whole:
                line += "; " + "; ".join(f"{f.account}/{f.region}: {f.code}: {f.message}" for f in whole[:3])
            else:
                first = self.failures[0]
                line += f" (first: {first.finding_id}: {first.code}: {first.message})"
        return line


class Pacer:
    """At most `rate` calls a second for one key (an account and region): sleeps when ahead."""

    def __init__(
        self,
        rate: float = RATE_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval, self.clock, self.sleep = 1.0 / rate, clock, sleep
        self.next_at: dict[tuple[str, str], float] = {}

    def wait(self, key: tuple[str, str]) -> None:
        now = self.clock()
        due = self.next_at.get(key, now)
        if due > now:
            self.sleep(due - now)
            now = due
        self.next_at[key] = now + self.interval


def batches(items: Sequence[dict[str, Any]], size: int = BATCH_SIZE) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def group_by_account_region(
    findings: Iterable[dict[str, Any]],
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """ASFF findings by (AwsAccountId, Region), in their order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in findings:
        groups.setdefault((f["AwsAccountId"], f["Region"]), []).append(f)
    return groups


@dataclass
class Tally:
    """Running counts of one import."""

    imported: int = 0
    resolved: int = 0
    calls: int = 0
    retries: int = 0
    failures: list[ImportFailure] = field(default_factory=list)


def import_findings(
    findings: Sequence[dict[str, Any]],
    session_for: Callable[[str], Any],
    *,
    endpoint_url: str | None = None,
    pacer: Pacer | None = None,
    sleep: Callable[[float], None] = time.sleep,
    client_factory: Callable[[Any, str], Any] | None = None,
) -> ImportReport:
    """Import ASFF `findings` into each one's account and region, then set the workflow of the
    archived ones (a baseline's resolved findings) to RESOLVED; never raises for AWS errors.

    `session_for(account)` gives a boto3 Session acting in that account. `client_factory`
    (tests) builds the Security Hub client from a session and a region.
    """
    pacer = pacer or Pacer(sleep=sleep)
    make = client_factory or (lambda session, region: securityhub_client(session, region, endpoint_url))
    tally = Tally()
    for (account, region), group in group_by_account_region(findings).items():
        try:
            client = make(session_for(account), region)
        except Exception as exc:  # no session for the account: none of its findings go in
            tally.failures.append(ImportFailure(account, region, "", type(exc).__name__, one_line(exc)))
            tally.failures += [not_imported(f, "NotAttempted", "no session for the account") for f in group]
            continue
        call = Caller(client, (account, region), pacer, sleep, tally)
        if import_group(call, group):
            resolve_workflow(call, group)
    return ImportReport(
        imported=tally.imported,
        resolved=tally.resolved,
        calls=tally.calls,
        retries=tally.retries,
        failures=tuple(tally.failures),
    )


def import_group(call: Caller, group: list[dict[str, Any]]) -> bool:
    """BatchImportFindings, 100 a call, for one account and region; False when a call failed
    (denied, or still failing after the retries): the rest of the group is then not sent."""
    account, region = call.key
    for start, batch in enumerate(batches(group)):
        response = call("batch_import_findings", Findings=batch)
        if response is None:
            rest = group[start * BATCH_SIZE :]
            call.tally.failures += [not_imported(f, "NotImported", "the call failed") for f in rest]
            return False
        call.tally.imported += int(response.get("SuccessCount", 0))
        call.tally.failures += [
            ImportFailure(
                account,
                region,
                str(f.get("Id", "")),
                str(f.get("ErrorCode", "")),
                str(f.get("ErrorMessage", "")),
            )
            for f in response.get("FailedFindings") or []
        ]
    return True


def resolve_workflow(call: Caller, group: list[dict[str, Any]]) -> None:
    """Set `Workflow.Status` RESOLVED on the archived findings Security Hub took. A provider's
    BatchImportFindings cannot change the workflow of a finding Security Hub already holds (API
    reference, BatchImportFindings), so this is BatchUpdateFindings, 100 identifiers a call."""
    account, region = call.key
    refused = {f.finding_id for f in call.tally.failures}
    archived = [f for f in group if f.get("RecordState") == "ARCHIVED" and f["Id"] not in refused]
    for start, batch in enumerate(batches(archived)):
        identifiers = [{"Id": f["Id"], "ProductArn": f["ProductArn"]} for f in batch]
        response = call(
            "batch_update_findings", FindingIdentifiers=identifiers, Workflow={"Status": "RESOLVED"}
        )
        if response is None:
            call.tally.failures += [
                ImportFailure(account, region, f["Id"], "NotResolved", "the call failed", stage="resolve")
                for f in archived[start * BATCH_SIZE :]
            ]
            return
        call.tally.resolved += len(response.get("ProcessedFindings") or [])
        call.tally.failures += [
            ImportFailure(
                account,
                region,
                str((u.get("FindingIdentifier") or {}).get("Id", "")),
                str(u.get("ErrorCode", "")),
                f"workflow not set to RESOLVED: {u.get('ErrorMessage', '')}",
                stage="resolve",
            )
            for u in response.get("UnprocessedFindings") or []
        ]


class Caller:
    """Calls one Security Hub operation for one account and region: paced, retried while
    throttled or failing on the server side; a failed call is recorded once and gives None."""

    def __init__(
        self, client: Any, key: tuple[str, str], pacer: Pacer, sleep: Callable[[float], None], tally: Tally
    ) -> None:
        self.client, self.key, self.pacer, self.sleep, self.tally = client, key, pacer, sleep, tally

    def __call__(self, operation: str, **params: Any) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(MAX_ATTEMPTS):
            last = attempt + 1 == MAX_ATTEMPTS
            self.pacer.wait(self.key)
            self.tally.calls += 1
            try:
                return dict(getattr(self.client, operation)(**params))
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code, message = str(error.get("Code", "Error")), str(error.get("Message", ""))
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
                retryable = code in RETRYABLE or status == 429 or status >= 500
                if code in DENIED or status == 403 or not retryable or last:
                    self.failed(operation, code, message or code)
                    return None
            except BotoCoreError as exc:  # endpoint unreachable, timeouts: retried like a 5xx
                if last:
                    self.failed(operation, type(exc).__name__, one_line(exc))
                    return None
            self.tally.retries += 1
            self.sleep(backoff(attempt))
        return None  # pragma: no cover - the last attempt always returns

    def failed(self, operation: str, code: str, message: str) -> None:
        name = "".join(part.title() for part in operation.split("_"))
        self.tally.failures.append(ImportFailure(*self.key, "", code, f"{name}: {message}"))


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff: up to 0.5 s, 1 s, 2 s … capped at 20 s."""
    return random.uniform(0, min(20.0, 0.5 * 2**attempt))


def not_imported(finding: dict[str, Any], code: str, message: str) -> ImportFailure:
    return ImportFailure(finding["AwsAccountId"], finding["Region"], finding["Id"], code, message)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def securityhub_client(session: Any, region: str, endpoint_url: str | None = None) -> Any:
    """A Security Hub client with timeouts; retries are ours (import_batch), not botocore's."""
    from botocore.config import Config

    config = Config(
        connect_timeout=10, read_timeout=60, retries={"total_max_attempts": 1, "mode": "standard"}
    )
    return session.client("securityhub", region_name=region, endpoint_url=endpoint_url, config=config)
