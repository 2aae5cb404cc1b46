"""Sessions for other accounts: assume a role (optionally through a chain of roles) and keep the
credentials fresh for as long as the session is used.

`assume_role_session` is the one way the project reaches into another account: the organisation
scan, the Lambda handler and the Security Hub import all call it. The session it returns holds
botocore `DeferredRefreshableCredentials`: the first AssumeRole happens when the credentials are
first needed, and botocore calls AssumeRole again before they expire (15 minutes before, or at
the latest 10), so a run longer than the role's session never fails with `ExpiredToken`.

STS is asked through its regional endpoint (`https://sts.<region>.amazonaws.com`), never the
global one: the regional endpoints answer faster, keep working when us-east-1 has trouble, and
issue tokens valid in every region. An endpoint override (`AWS_ENDPOINT_URL`, `--endpoint-url`)
is honoured, so moto and LocalStack work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.config
import botocore.credentials
import botocore.session

SESSION_NAME = "ecs-net-audit"
DEFAULT_ROLE_NAME = "ecs-net-audit"
DURATION_SECONDS = 3600  # the longest a chained role may last; botocore refreshes well before
DEFAULT_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
_DNS_SUFFIX = {"aws-cn": "amazonaws.com.cn"}
_STS_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=10,
    read_timeout=30,
    user_agent_extra="ecs-net-audit",
)


def _now() -> datetime:
    """The clock the credentials compare their expiry with (tests move it forward)."""
    return datetime.now(UTC)


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    """`arn:<partition>:iam::<account>:role/<name>`; a name with a path (`team/audit`) keeps it."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name.strip('/')}"


def sts_client(
    session: boto3.Session, region: str, partition: str = "aws", endpoint_url: str | None = None
) -> Any:
    """An STS client on the regional endpoint of `region` (or on `endpoint_url` when given)."""
    if endpoint_url:
        return session.client("sts", region_name=region, endpoint_url=endpoint_url, config=_STS_CONFIG)
    client = session.client("sts", region_name=region, config=_STS_CONFIG)
    if client.meta.endpoint_url.rstrip("/") in ("https://sts.amazonaws.com", "https://sts.amazonaws.com.cn"):
        # a profile or AWS_STS_REGIONAL_ENDPOINTS=legacy chose the global endpoint: use the region's
        regional = f"https://sts.{region}.{_DNS_SUFFIX.get(partition, 'amazonaws.com')}"
        client = session.client("sts", region_name=region, endpoint_url=regional, config=_STS_CONFIG)
    return client


def _refresher(sts: Any, arn: str, external_id: str | None, duration: int) -> Callable[[], dict[str, Any]]:
    """What botocore calls whenever the credentials are missing or about to expire."""

    def refresh() -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "RoleArn": arn,
            "RoleSessionName": SESSION_NAME,
            "DurationSeconds": duration,
        }
        if external_id:
            kwargs["ExternalId"] = external_id
        credentials = sts.assume_role(**kwargs)["Credentials"]
        expiration = credentials["Expiration"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": expiration.isoformat() if isinstance(expiration, datetime) else str(expiration),
        }

    return refresh


def _assumed(
    base: boto3.Session,
    arn: str,
    external_id: str | None,
    region: str,
    partition: str,
    endpoint_url: str | None,
    duration: int,
) -> boto3.Session:
    sts = sts_client(base, region, partition, endpoint_url)
    credentials = botocore.credentials.DeferredRefreshableCredentials(
        refresh_using=_refresher(sts, arn, external_id, duration),
        method="assume-role",
        time_fetcher=lambda: _now(),
    )
    core = botocore.session.Session()
    core._credentials = credentials  # the documented way to give a botocore session its provider
    return boto3.Session(botocore_session=core, region_name=region)


def assume_role_session(
    base_session: boto3.Session,
    account_id: str,
    role_name: str,
    external_id: str | None = None,
    *,
    partition: str = "aws",
    region: str | None = None,
    chain: Sequence[str] = (),
    endpoint_url: str | None = None,
    duration: int = DURATION_SECONDS,
) -> boto3.Session:
    """A session acting as `role_name` in `account_id`, its credentials refreshed before expiry.

    `chain` is a sequence of role ARNs assumed first, in order (for example a hub role the
    caller must go through); `external_id` is passed to the last role only. `endpoint_url`
    overrides STS's regional endpoint (`--endpoint-url`); `duration` is each role session's
    length in seconds. Nothing is called until the session's credentials are first used: a role
    that cannot be assumed shows as a ClientError (`AccessDenied`) from the first call, or from
    `get_credentials()`'s `get_frozen_credentials()` when the caller wants to know at once."""
    region = region or base_session.region_name or DEFAULT_REGIONS.get(partition, "us-east-1")
    session = base_session
    for hop in chain:
        session = _assumed(session, hop, None, region, partition, endpoint_url, duration)
    target = role_arn(account_id, role_name, partition)
    return _assumed(session, target, external_id, region, partition, endpoint_url, duration)


def partition_of(arn: str) -> str:
    """`aws` for `arn:aws:sts::1:assumed-role/x/y`; `aws` when the ARN is not one."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"
