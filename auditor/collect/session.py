"""Sessions, clients and call accounting: the one place that talks to botocore about retries.

`Clients` creates each (service, region) client once, with the configured retry mode and endpoint.
`Recorder` makes the calls for one account and region and keeps one coverage row per API: how many
requests, how many retries, and whether AWS said yes, said no (`denied`) or failed (`error`). A
failed call raises `ApiFailure` to the collector, which decides what depends on it; it is never
swallowed into "no data".

A reply is checked before it is used: one without the field the API always returns (botocore turns
an HTML page with HTTP 200 into `{}`) is an `error`, and so is an ECS `failures` entry for
something the audit asked for (the rest of that reply is kept). Any exception at all from a call —
`ResponseParserError` is not a `BotoCoreError` — is an `error` row, never a crash.

Time is bounded twice: botocore's connect and read timeouts per attempt, and the scan's deadline
(`Deadline`, `--timeout`): each call runs in a daemon thread that the caller stops waiting for at
the deadline (a reply that trickles a byte every few seconds never trips a read timeout) or when
SIGINT/SIGTERM arrive (`interrupts.STOP`). A call cut off that way is an `error` row.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers

from auditor.collect.ratelimits import Limiter
from auditor.errors import ApiFailure, CollectError, ExpectedError
from auditor.interrupts import STOP
from auditor.model import Coverage
from auditor.redact import redact

__all__ = ["ApiFailure", "Clients", "Recorder", "api_name", "classify", "open_session"]

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "Forbidden",
        "ForbiddenException",
        "NotAuthorized",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "RequestExpired",
    }
)


# The field each API always returns; a reply without it (an HTML page read as `{}`, a proxy's
# empty answer) is not an empty list but a reply the audit cannot use.
REPLY_FIELDS = {
    "ecs:ListClusters": "clusterArns",
    "ecs:DescribeClusters": "clusters",
    "ecs:ListContainerInstances": "containerInstanceArns",
    "ecs:DescribeContainerInstances": "containerInstances",
    "ecs:ListServices": "serviceArns",
    "ecs:DescribeServices": "services",
    "ecs:ListTasks": "taskArns",
    "ecs:DescribeTasks": "tasks",
    "ecs:DescribeTaskDefinition": "taskDefinition",
    "ecs:ListAccountSettings": "settings",
    "ec2:DescribeInstances": "Reservations",
    "ec2:DescribeInstanceTypes": "InstanceTypes",
    "ec2:DescribeNetworkInterfaces": "NetworkInterfaces",
    "ec2:DescribeSubnets": "Subnets",
    "ec2:DescribeVpcs": "Vpcs",
    "ec2:DescribeSecurityGroups": "SecurityGroups",
    "ec2:DescribeRouteTables": "RouteTables",
    "ec2:DescribeVpcEndpoints": "VpcEndpoints",
    "ec2:DescribeRegions": "Regions",
    "elasticloadbalancing:DescribeTargetGroups": "TargetGroups",
    "elasticloadbalancing:DescribeLoadBalancers": "LoadBalancers",
    "iam:GetInstanceProfile": "InstanceProfile",
    "application-autoscaling:DescribeScalableTargets": "ScalableTargets",
    "servicequotas:GetServiceQuota": "Quota",
    "ecs:DescribeCapacityProviders": "capacityProviders",
    "autoscaling:DescribeAutoScalingGroups": "AutoScalingGroups",
    "ec2:DescribeVpcAttribute": "VpcId",
    "vpc-lattice:GetTargetGroup": "arn",
}
# ECS describe calls whose `failures` mean "something asked for is not there" and so a gap.
# (DescribeClusters' failures are a cluster named on the command line that does not exist: the
# collector reports those itself, as `not found`.)
FAILURES_ARE_GAPS = frozenset(
    {
        "ecs:DescribeContainerInstances",
        "ecs:DescribeServices",
        "ecs:DescribeTasks",
        "ecs:DescribeTaskDefinition",
    }
)
CONNECT_TIMEOUT = 10  # seconds, per attempt
READ_TIMEOUT = 60  # seconds without a byte, per attempt
DEFAULT_DEADLINE = 900.0

T = TypeVar("T")
R = TypeVar("R")


class Deadline:
    """The scan's end: `--timeout` seconds after it started."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return self._end - self._clock()

    def message(self) -> str:
        return f"no answer before the scan's deadline (--timeout {self.seconds:g} s)"


_shared_deadline: Deadline | None = None  # the running scan's, for clients made without their own


@contextlib.contextmanager
def scan_deadline(seconds: float) -> Iterator[Deadline]:
    """The scan's deadline for every Clients made meanwhile without one of their own (the
    per-account clients of a many-account scan): one deadline for the whole scan."""
    global _shared_deadline
    _shared_deadline = Deadline(seconds)
    try:
        yield _shared_deadline
    finally:
        _shared_deadline = None


_attempts = threading.local()  # requests botocore sent for the current call, retries included


def _count_attempt(**_: Any) -> None:
    _attempts.n = getattr(_attempts, "n", 0) + 1


# Threads per region: independent APIs side by side, and batches of one API side by side. Each
# regional client is shared by all of them, so its connection pool holds one connection per thread.
# The limiter, not the thread count, keeps calls inside AWS's rate-limit buckets.
REGION_WORKERS = 16
BATCH_WORKERS = 8

# Told of every answered call: (region, api, calls of that api so far, retries of this call).
Progress = Callable[[str, str, int, int], None]


def open_session(profile: str | None) -> boto3.session.Session:
    """A boto3 session for the profile (the default chain when None); CollectError if unknown."""
    try:
        return boto3.session.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound:
        raise CollectError(
            f"AWS profile {profile!r} not found in ~/.aws/config or "
            "~/.aws/credentials: check --profile / AWS_PROFILE"
        ) from None


def check_credentials(session: boto3.session.Session) -> None:
    """Credentials that can never be sent in a header (a control character, a space) are a clear
    exit 3 at once — not sixteen seconds of retries and a message that prints them."""
    from auditor.redact import register

    try:
        credentials = session.get_credentials()
    except Exception as exc:  # a broken profile, process or SSO provider
        raise CollectError(f"cannot load AWS credentials: {type(exc).__name__}") from None
    if credentials is None:
        return
    frozen = credentials.get_frozen_credentials()
    register(frozen.access_key, frozen.secret_key, frozen.token)
    from_env = credentials.method == "env"
    for value, variable, what in (
        (frozen.access_key, "AWS_ACCESS_KEY_ID", "access key id"),
        (frozen.secret_key, "AWS_SECRET_ACCESS_KEY", "secret access key"),
        (frozen.token, "AWS_SESSION_TOKEN", "session token"),
    ):
        if value and not re.fullmatch(r"[\x21-\x7e]+", value):
            where = variable if from_env else f"the {what} from {credentials.method}"
            raise CollectError(
                f"{where} holds a character that cannot be sent to AWS (a control character, a space "
                "or a non-ASCII letter, often a stray \\r from a Windows file): fix the credential"
            )


class Clients:
    """botocore clients, one per (service, region), shared by every caller."""

    def __init__(
        self,
        session: boto3.session.Session,
        endpoint_url: str | None = None,
        retry_mode: str = "adaptive",
        max_attempts: int = 10,
        max_pool: int = REGION_WORKERS + BATCH_WORKERS,
        limiter: Limiter | None = None,
        deadline_seconds: float | None = None,
    ):
        self.session = session
        self.endpoint_url = endpoint_url
        self.limiter = limiter if limiter is not None else Limiter()
        if deadline_seconds is not None:
            self.deadline = Deadline(deadline_seconds)
        else:
            self.deadline = _shared_deadline or Deadline(DEFAULT_DEADLINE)
        self._config = botocore.config.Config(
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            max_pool_connections=max_pool,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            user_agent_extra="ecs-net-audit",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str, max_attempts: int | None = None) -> Any:
        """The shared client; `max_attempts` gives one with a smaller retry budget (the first call
        of a run, which only asks whether anyone answers, should not retry for a minute)."""
        key = (service, region) if max_attempts is None else (service, f"{region}#{max_attempts}")
        with self._lock:
            if key not in self._clients:
                config = self._config
                if max_attempts is not None:
                    retries = {**(config.retries or {}), "total_max_attempts": max_attempts}
                    config = config.merge(botocore.config.Config(retries=retries))
                kwargs: dict[str, Any] = {"region_name": region, "config": config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self.session.client(service, **kwargs)
                client.meta.events.register("request-created", _count_attempt)
                self._clients[key] = client
            return self._clients[key]


def api_name(client: Any, operation: str) -> str:
    """`ecs:DescribeTasks` for the ecs client's `describe_tasks`."""
    prefix = client.meta.service_model.signing_name
    return f"{prefix}:{client.meta.method_to_api_mapping[operation]}"


def classify(exc: BaseException) -> tuple[str, str]:
    """(status, one-line detail) for a failed call: `denied` for every way AWS says no. The detail
    never holds a credential (`redact`)."""
    status, detail = _classify(exc)
    return status, redact(detail)


def _classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).splitlines()[0] if error.get("Message") else ""
        http = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        status = (
            "denied" if code in DENIED_CODES or (http == 403 and code not in CREDENTIAL_CODES) else "error"
        )
        return status, f"{code}: {message}"[:300]
    if isinstance(exc, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError):
        return "error", f"endpoint unreachable: {exc}"[:300]
    if isinstance(exc, botocore.parsers.ResponseParserError):
        return "error", "reply could not be parsed: " + str(exc).splitlines()[0][:250]
    first = str(exc).splitlines()[0] if str(exc) else ""
    return "error", f"{type(exc).__name__}: {first}"[:300]


@dataclass
class _Tally:
    calls: int = 0
    retries: int = 0
    status: str = "ok"
    detail: str = ""


class Recorder:
    """Calls AWS for one account and region, keeping one coverage row per API attempted."""

    def __init__(self, clients: Clients, account: str, region: str, progress: Progress | None = None):
        self.clients = clients
        self.account = account
        self.region = region
        self.progress = progress
        self._fan_out: ThreadPoolExecutor | None = None
        self._rows: dict[str, _Tally] = {}
        self._lock = threading.Lock()

    def _tally(self, api: str) -> _Tally:
        with self._lock:
            return self._rows.setdefault(api, _Tally())

    def _count(self, api: str, response: Any) -> None:
        tally = self._tally(api)
        with self._lock:
            tally.calls += 1
            metadata = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
            retries = int(metadata.get("RetryAttempts", 0))
            tally.retries += retries
            calls = tally.calls
        if self.progress is not None:
            self.progress(self.region, api, calls, retries)

    def _failed(self, api: str, exc: BaseException, retries: int = 0) -> ApiFailure:
        status, detail = classify(exc)
        return self.record_error(api, status, detail, retries)

    def record_error(
        self, api: str, status: str, detail: str, retries: int = 0, calls: int = 1
    ) -> ApiFailure:
        """Record a failed call (or a reply the audit cannot use) on the API's row."""
        detail = redact(detail)
        tally = self._tally(api)
        with self._lock:
            tally.calls += calls
            tally.retries += retries
            if tally.status != "denied":  # the most telling status wins
                tally.status, tally.detail = status, detail
        return ApiFailure(api, status, detail)

    def failure(self, api: str, exc: Exception) -> ApiFailure:
        """Record a failed call the collector could not recover from; the ApiFailure to raise."""
        return self._failed(api, exc)

    def note(self, api: str, text: str) -> None:
        """Add a remark to an API's coverage row (its status unchanged)."""
        tally = self._tally(api)
        with self._lock:
            tally.detail = f"{tally.detail}; {text}" if tally.detail else text

    def _expected(self, api: str, exc: Exception, expected: tuple[str, ...]) -> ExpectedError | None:
        """An error answer the caller recovers from: counted as a call, not as a failure."""
        if not expected or not isinstance(exc, botocore.exceptions.ClientError):
            return None
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code not in expected:
            return None
        tally = self._tally(api)
        with self._lock:
            tally.calls += 1
        return ExpectedError(api, code, str(error.get("Message", "")), exc)

    def _gap(self, api: str, detail: str) -> None:
        """Part of a reply is missing: the row says so, what came is still used."""
        tally = self._tally(api)
        with self._lock:
            if tally.status == "ok":
                tally.status, tally.detail = "error", redact(detail)[:300]

    def _checked(self, api: str, response: Any) -> dict[str, Any]:
        """The reply, if it has what the API always returns; ApiFailure (recorded) if not."""
        expected = REPLY_FIELDS.get(api)
        if not isinstance(response, dict) or (expected and expected not in response):
            raise self.record_error(
                api, "error", f"reply without {expected or 'content'}: not an answer of {api}"
            )
        if api in FAILURES_ARE_GAPS and response.get("failures"):
            failures = response["failures"]
            first = failures[0] if isinstance(failures[0], dict) else {}
            self._gap(
                api,
                f"failures: {len(failures)} asked for and not returned "
                f"(first: {first.get('reason', '?')} {first.get('arn', '')}".rstrip()
                + ")",
            )
        return response

    def _bounded(self, api: str, fn: Callable[[], T], expected: tuple[str, ...] = ()) -> tuple[T, int]:
        """`fn()` (one botocore call, with its retries) and how many requests it took; cut off at
        the scan's deadline or on SIGINT/SIGTERM. The call runs in a daemon thread: one stuck on a
        socket is abandoned, never waited for. An error answer whose code is in `expected` is
        raised as ExpectedError (see `call_expecting`)."""
        deadline = self.clients.deadline
        if STOP.is_set():
            raise ApiFailure(api, "error", "stopped")
        if deadline.remaining() <= 0:
            raise self.record_error(api, "error", deadline.message(), calls=0)
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            _attempts.n = 0
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed to the waiting caller
                box["error"] = exc
            finally:
                box["attempts"] = getattr(_attempts, "n", 0)
                done.set()

        threading.Thread(target=run, name=f"call {self.region} {api}", daemon=True).start()
        while not done.wait(max(0.0, min(0.2, deadline.remaining()))):
            if STOP.is_set():
                raise ApiFailure(api, "error", "stopped")
            if deadline.remaining() <= 0:
                raise self.record_error(api, "error", deadline.message())
        retries = max(0, box["attempts"] - 1)
        if "error" in box:
            exc = box["error"]
            if isinstance(exc, botocore.exceptions.NoCredentialsError | StopIteration):
                raise exc
            if isinstance(exc, botocore.exceptions.ClientError):
                retries = int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts", retries))
            if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: not the call's fault
                raise exc
            known = self._expected(api, exc, expected)
            if known is not None:
                raise known from exc
            raise self._failed(api, exc, retries) from exc
        return box["value"], retries

    def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One request; ApiFailure (recorded) if it fails or its reply cannot be used."""
        return self.call_expecting((), service, operation, **kwargs)

    def call_expecting(
        self, expected: tuple[str, ...], service: str, operation: str, **kwargs: Any
    ) -> dict[str, Any]:
        """One request, as `call`; but an error whose code is in `expected` is raised as
        ExpectedError for the caller to recover from, and not recorded as a failure."""
        client = self.clients.get(service, self.region)
        api = api_name(client, operation)
        self.clients.limiter.acquire(self.region, api)
        response, _ = self._bounded(api, lambda: getattr(client, operation)(**kwargs), expected)
        self._count(api, response)
        return self._checked(api, response)

    def pages(self, service: str, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated operation; ApiFailure (recorded) if a page fails."""
        client = self.clients.get(service, self.region)
        api = api_name(client, operation)
        paginator = client.get_paginator(operation)
        iterator = iter(paginator.paginate(**kwargs))
        while True:
            self.clients.limiter.acquire(self.region, api)  # (the last, empty turn spends one token too)
            try:
                page, _ = self._bounded(api, lambda: next(iterator))
            except StopIteration:
                return
            self._count(api, page)
            yield self._checked(api, page)

    def fan_out(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        """`fn` over independent requests (batches of one API) in parallel, answers in order; the
        limiter paces them. Leaf work only: `fn` must not fan out again (no nested waits)."""
        if len(items) < 2:
            return [fn(item) for item in items]
        with self._lock:
            if self._fan_out is None:
                self._fan_out = ThreadPoolExecutor(
                    max_workers=BATCH_WORKERS, thread_name_prefix=f"batch-{self.region}"
                )
            pool = self._fan_out
        return list(pool.map(fn, items))

    def close(self) -> None:
        """Release the fan-out threads."""
        if self._fan_out is not None:
            self._fan_out.shutdown(wait=True)
            self._fan_out = None

    def error(self, api: str, detail: str) -> None:
        """Record that an answer left out something asked for (an ECS `failures` entry): the API's
        row becomes `error` with the reason, while what it did return is still used."""
        tally = self._tally(api)
        with self._lock:
            if tally.status in ("ok", "skipped"):
                tally.status, tally.detail = "error", detail

    def skip(self, api: str, reason: str) -> None:
        """Record that an API was not attempted because something it depends on failed."""
        tally = self._tally(api)
        with self._lock:
            if tally.calls == 0 and tally.status == "ok":
                tally.status, tally.detail = "skipped", reason

    def coverage(self) -> tuple[Coverage, ...]:
        with self._lock:
            return tuple(
                Coverage(
                    account=self.account,
                    region=self.region,
                    api=api,
                    status=t.status,
                    detail=t.detail,
                    calls=t.calls,
                    retries=t.retries,
                )
                for api, t in sorted(self._rows.items())
            )
