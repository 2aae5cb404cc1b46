"""AWS's "no" where moto says yes: roles that cannot be assumed, regions a service control policy
denies, regions not enabled in an account.

moto lets any AssumeRole succeed (no trust check), has no service control policies and enables
every region; real organisations have all three. `refuse_*` register a refusal; moto's request
dispatch (`BaseResponse.call_action`, patched once) answers a matching request with AWS's error
code and message, serialised in the service's own protocol, so botocore parses it exactly as it
would AWS's answer. Works in-process (`mock_aws`) and for a server in this process.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

_JSON_DENIED = "AccessDeniedException"  # ECS, Application Auto Scaling, Service Quotas
_QUERY_DENIED = {"ec2": "UnauthorizedOperation"}  # EC2; IAM, STS and ELBv2 say AccessDenied


@dataclass(frozen=True)
class Refusal:
    """Requests that act in `account` (and `region`, when given) are refused with `kind`."""

    kind: str  # assume-role | scp | region-disabled
    account: str
    region: str | None = None
    role_arn: str | None = None  # assume-role: the role asked for (account: the caller's)


_REFUSALS: list[Refusal] = []
_LOCK = threading.Lock()


def _service(response: Any) -> str:
    return str(getattr(response, "boto3_service_name", "") or getattr(response, "service_name", ""))


def _principal(response: Any) -> str:
    return f"arn:aws:sts::{response.current_account}:assumed-role/ecs-net-audit/ecs-net-audit"


def _error(refusal: Refusal, response: Any) -> tuple[str, str]:
    """AWS's error code and message for a refused request."""
    service = _service(response)
    prefix = {"elbv2": "elasticloadbalancing", "service-quotas": "servicequotas"}.get(service, service)
    action = f"{prefix}:{response._get_action()}"
    if refusal.kind == "assume-role":
        return (
            "AccessDenied",
            f"User: {_principal(response)} is not authorized to perform: sts:AssumeRole on resource: "
            f"{refusal.role_arn}",
        )
    if refusal.kind == "region-disabled":
        if service == "ec2":
            return "AuthFailure", "AWS was not able to validate the provided access credentials"
        return "UnrecognizedClientException", "The security token included in the request is invalid."
    message = (
        f"User: {_principal(response)} is not authorized to perform: {action} "
        "with an explicit deny in a service control policy"
    )
    if service == "ec2":
        return "UnauthorizedOperation", f"You are not authorized to perform this operation. {message}"
    protocol_json = service in ("ecs", "application-autoscaling", "service-quotas")
    return (_JSON_DENIED if protocol_json else "AccessDenied"), message


def _matches(refusal: Refusal, response: Any) -> bool:
    if response.current_account != refusal.account:
        return False
    if refusal.kind == "assume-role":
        return bool(
            response._get_action() == "AssumeRole" and response._get_param("RoleArn") == refusal.role_arn
        )
    if _service(response) in ("sts", "organizations", "iam"):  # global services: not regional denies
        return False
    if refusal.kind == "region-disabled" and response._get_action() == "DescribeRegions":
        return False  # answered from an enabled region in real AWS; see `_opt_in` below
    return refusal.region is None or response.region == refusal.region


def _install() -> None:
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, BaseResponse

    current = BaseResponse.call_action
    if hasattr(current, "__refusals__"):
        return

    class Refused(ServiceException):
        """Defined here, not in a moto package, so moto serialises it with the service's own model."""

    def call_action(self: Any) -> Any:
        with _LOCK:
            refusal = next((r for r in _REFUSALS if _matches(r, self)), None)
        if refusal is None:
            return current(self)
        code, message = _error(refusal, self)
        with warnings.catch_warnings():  # "AccessDenied is not in ELBv2's error shapes": AWS sends it anyway
            warnings.simplefilter("ignore")
            return self.serialized(ActionResult(Refused(code, message)))

    call_action.__refusals__ = True  # type: ignore[attr-defined]
    call_action.__wrapped__ = current  # type: ignore[attr-defined]
    BaseResponse.call_action = call_action  # type: ignore[method-assign]
    _install_opt_in()


def _install_opt_in() -> None:
    """DescribeRegions: a region refused as disabled in an account says `not-opted-in` there,
    and is left out of the answer without AllRegions (as AWS does)."""
    from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions

    original = AvailabilityZonesAndRegions.describe_regions
    if hasattr(original, "__wrapped__"):
        return

    def describe_regions(self: Any) -> Any:
        answer = original(self)
        with _LOCK:
            disabled = {
                r.region
                for r in _REFUSALS
                if r.kind == "region-disabled" and r.account == self.current_account
            }
        if not disabled:
            return answer
        result = answer.result if hasattr(answer, "result") else None
        if not isinstance(result, dict) or "Regions" not in result:
            return answer
        everything = self._get_param("AllRegions") in (True, "true", "True")
        regions = []
        for region in result["Regions"]:
            name = region["RegionName"] if isinstance(region, dict) else region.name
            if name in disabled:
                if not everything:
                    continue
                region = {
                    "RegionName": name,
                    "Endpoint": f"ec2.{name}.amazonaws.com",
                    "OptInStatus": "not-opted-in",
                }
            regions.append(region)
        return type(answer)({**result, "Regions": regions})

    describe_regions.__wrapped__ = original  # type: ignore[attr-defined]
    AvailabilityZonesAndRegions.describe_regions = describe_regions  # type: ignore[method-assign]


def refuse(refusal: Refusal) -> None:
    """Register a refusal (installing the hook once)."""
    _install()
    with _LOCK:
        _REFUSALS.append(refusal)


def refuse_assume_role(caller_account: str, role_arn: str) -> None:
    """AssumeRole of `role_arn` from `caller_account` answers AccessDenied (the trust policy does
    not name the caller, or the role does not exist)."""
    refuse(Refusal("assume-role", caller_account, role_arn=role_arn))


def deny_region_by_scp(account: str, region: str) -> None:
    """Every regional call in `account` and `region` is denied by a service control policy."""
    refuse(Refusal("scp", account, region=region))


def disable_region(account: str, region: str) -> None:
    """`region` is an opt-in region not enabled in `account`."""
    refuse(Refusal("region-disabled", account, region=region))


def clear() -> None:
    """Forget every refusal (the hook stays, and then answers as moto does)."""
    with _LOCK:
        _REFUSALS.clear()
