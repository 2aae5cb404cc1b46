"""Sessions, clients and call accounting: the one place that talks to botocore about retries.

`Clients` creates each (service, region) client once, with the configured retry mode and endpoint.
`Recorder` makes the calls for one account and region and keeps one coverage row per API: how many
requests, how many retries, and whether AWS said yes, said no (`denied`) or failed (`error`). A
failed call raises `ApiFailure` to the collector, which decides what depends on it; it is never
swallowed into "no data".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import botocore.config
import botocore.exceptions

from auditor.collect.ratelimits import Limiter
from auditor.errors import ApiFailure, CollectError, ExpectedError
from auditor.model import Coverage

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


T = TypeVar("T")
R = TypeVar("R")

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
    ):
        self.session = session
        self.endpoint_url = endpoint_url
        self.limiter = limiter if limiter is not None else Limiter()
        self._config = botocore.config.Config(
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            max_pool_connections=max_pool,
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="ecs-net-audit",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                self._clients[key] = self.session.client(service, **kwargs)
            return self._clients[key]


def api_name(client: Any, operation: str) -> str:
    """`ecs:DescribeTasks` for the ecs client's `describe_tasks`."""
    prefix = client.meta.service_model.signing_name
    return f"{prefix}:{client.meta.method_to_api_mapping[operation]}"


def classify(exc: Exception) -> tuple[str, str]:
    """(status, one-line detail) for a failed call: `denied` for every way AWS says no."""
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
    return "error", f"{type(exc).__name__}: {exc}"[:300]


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

    def _count(self, api: str, response: dict[str, Any]) -> None:
        tally = self._tally(api)
        with self._lock:
            tally.calls += 1
            retries = int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
            tally.retries += retries
            calls = tally.calls
        if self.progress is not None:
            self.progress(self.region, api, calls, retries)

    def _failed(self, api: str, exc: Exception) -> ApiFailure:
        status, detail = classify(exc)
        tally = self._tally(api)
        with self._lock:
            tally.calls += 1
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

    def call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One request; ApiFailure (recorded) if it fails."""
        return self.call_expecting((), service, operation, **kwargs)

    def call_expecting(
        self, expected: tuple[str, ...], service: str, operation: str, **kwargs: Any
    ) -> dict[str, Any]:
        """One request, as `call`; but an error whose code is in `expected` is raised as
        ExpectedError for the caller to recover from, and not recorded as a failure."""
        client = self.clients.get(service, self.region)
        api = api_name(client, operation)
        self.clients.limiter.acquire(self.region, api)
        try:
            response: dict[str, Any] = getattr(client, operation)(**kwargs)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            if isinstance(exc, botocore.exceptions.NoCredentialsError):
                raise
            known = self._expected(api, exc, expected)
            if known is not None:
                raise known from exc
            raise self._failed(api, exc) from exc
        self._count(api, response)
        return response

    def pages(self, service: str, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated operation; ApiFailure (recorded) if a page fails."""
        client = self.clients.get(service, self.region)
        api = api_name(client, operation)
        paginator = client.get_paginator(operation)
        iterator = iter(paginator.paginate(**kwargs))
        while True:
            self.clients.limiter.acquire(self.region, api)  # (the last, empty turn spends one token too)
            try:
                page = next(iterator)
            except StopIteration:
                return
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
                if isinstance(exc, botocore.exceptions.NoCredentialsError):
                    raise
                raise self._failed(api, exc) from exc
            self._count(api, page)
            yield page

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
