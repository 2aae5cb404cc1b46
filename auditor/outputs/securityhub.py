"""Import ASFF findings into AWS Security Hub: the one write `--security-hub` adds to a scan.

Off by default and never part of `ecs-net-audit policy` (which stays read-only):
`ecs-net-audit policy --security-hub` prints the extra statement, `STATEMENT` below.

- Each finding goes to its own account's Security Hub in its own region: the default product ARN
  accepts only findings of the calling account, so the caller gives `session_for(account)`, a
  boto3 Session acting in that account (the scan's own session for a one-account run; the
  assumed role's session for each account of an organisation run).
- `BatchImportFindings` takes at most 100 findings a call; its rate is 10 requests a second per
  account and region with a burst of 30 (Security Hub partner guide, "Guidelines for using the
  BatchImportFindings API"). Calls are paced to stay under that, and a throttled or failed call
  (throttling, 5xx, `InternalException`) is retried with exponential backoff and jitter.
- Per-finding failures (`FailedFindings`) are reported with their id and error; a call that is
  denied (no permission, Security Hub not enabled in that region: `AccessDeniedException`,
  `InvalidAccessException`) fails that account and region's findings and is reported once.
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
STATEMENT: dict[str, Any] = {
    "Sid": "EcsNetAuditSecurityHubImport",
    "Effect": "Allow",
    "Action": [ACTION],
    # The account's default product, in any region: the only product our findings go to.
    "Resource": "arn:*:securityhub:*:*:product/*/default",
}

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


@dataclass(frozen=True)
class ImportReport:
    """What an import did: how many findings Security Hub accepted, and what it refused."""

    imported: int = 0
    calls: int = 0
    retries: int = 0
    failures: tuple[ImportFailure, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failed(self) -> int:
        return sum(1 for f in self.failures if f.finding_id)

    def summary(self) -> str:
        """One line for a person."""
        line = f"Security Hub: {self.imported} findings imported in {self.calls} calls"
        if self.retries:
            line += f" ({self.retries} retries)"
        if self.failures:
            whole = [f for f in self.failures if not f.finding_id]
            line += f"; {self.failed} findings NOT imported"
            if whole:
                line += "; " + "; ".join(f"{f.account}/{f.region}: {f.code}: {f.message}" for f in whole[:3])
            elif self.failures:
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
class BatchOutcome:
    """One batch's call: what Security Hub accepted and refused, or why the call failed."""

    imported: int = 0
    calls: int = 0
    retries: int = 0
    rejected: list[ImportFailure] = field(default_factory=list)
    call_error: tuple[str, str] | None = None  # (code, message) when the call itself failed


def import_findings(
    findings: Sequence[dict[str, Any]],
    session_for: Callable[[str], Any],
    *,
    endpoint_url: str | None = None,
    pacer: Pacer | None = None,
    sleep: Callable[[float], None] = time.sleep,
    client_factory: Callable[[Any, str], Any] | None = None,
) -> ImportReport:
    """Import ASFF `findings` into each one's account and region; never raises for AWS errors.

    `session_for(account)` gives a boto3 Session acting in that account. `client_factory`
    (tests) builds the Security Hub client from a session and a region.
    """
    pacer = pacer or Pacer(sleep=sleep)
    make = client_factory or (lambda session, region: securityhub_client(session, region, endpoint_url))
    imported = calls = retries = 0
    failures: list[ImportFailure] = []
    for (account, region), group in group_by_account_region(findings).items():
        try:
            client = make(session_for(account), region)
        except Exception as exc:  # no session for the account: none of its findings go in
            failures.append(ImportFailure(account, region, "", type(exc).__name__, one_line(exc)))
            failures += [not_imported(f, "NotAttempted", "no session for the account") for f in group]
            continue
        for start, batch in enumerate(batches(group)):
            outcome = import_batch(client, batch, (account, region), pacer, sleep)
            imported, calls, retries = (
                imported + outcome.imported,
                calls + outcome.calls,
                retries + outcome.retries,
            )
            failures += outcome.rejected
            if outcome.call_error is not None:  # denied or still failing: the rest would fail alike
                code, message = outcome.call_error
                failures.append(ImportFailure(account, region, "", code, message))
                rest = group[start * BATCH_SIZE :]
                failures += [not_imported(f, code, "not imported: the call failed") for f in rest]
                break
    return ImportReport(imported=imported, calls=calls, retries=retries, failures=tuple(failures))


def import_batch(
    client: Any,
    batch: list[dict[str, Any]],
    key: tuple[str, str],
    pacer: Pacer,
    sleep: Callable[[float], None],
) -> BatchOutcome:
    """One BatchImportFindings call, retried while throttled or failing on the server side."""
    from botocore.exceptions import BotoCoreError, ClientError

    outcome = BatchOutcome()
    for attempt in range(MAX_ATTEMPTS):
        last = attempt + 1 == MAX_ATTEMPTS
        pacer.wait(key)
        outcome.calls += 1
        try:
            response = client.batch_import_findings(Findings=batch)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "Error")), str(error.get("Message", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if code in DENIED or status == 403:
                outcome.call_error = (code, message or "access denied")
                return outcome
            if (code in RETRYABLE or status == 429 or status >= 500) and not last:
                outcome.retries += 1
                sleep(backoff(attempt))
                continue
            outcome.call_error = (code, message)
            return outcome
        except BotoCoreError as exc:  # endpoint unreachable, timeouts: retried like a 5xx
            if not last:
                outcome.retries += 1
                sleep(backoff(attempt))
                continue
            outcome.call_error = (type(exc).__name__, one_line(exc))
            return outcome
        outcome.imported = int(response.get("SuccessCount", 0))
        outcome.rejected = [
            ImportFailure(
                key[0],
                key[1],
                str(f.get("Id", "")),
                str(f.get("ErrorCode", "")),
                str(f.get("ErrorMessage", "")),
            )
            for f in response.get("FailedFindings") or []
        ]
        return outcome
    return outcome  # pragma: no cover - every path of the loop returns


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
