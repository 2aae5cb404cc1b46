"""IAM: the role behind each container instance's instance profile (whose `awsvpcTrunking`
setting is the one that counts for ECS). One GetInstanceProfile per distinct profile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from auditor.errors import ApiFailure
from auditor.model import InstanceProfile

if TYPE_CHECKING:
    from auditor.collect.session import Recorder


def profile_name(arn: str) -> str:
    """`arn:aws:iam::1:instance-profile/path/name` → `name`."""
    return arn.rsplit("/", 1)[-1]


def collect_instance_profiles(rec: Recorder, arns: Iterable[str]) -> list[InstanceProfile]:
    result: list[InstanceProfile] = []
    failure: ApiFailure | None = None
    for arn in sorted(set(arns)):
        try:
            response = rec.call("iam", "get_instance_profile", InstanceProfileName=profile_name(arn))
        except ApiFailure as exc:
            failure = exc
            if exc.status == "denied":
                break
            continue
        roles = tuple(r["Arn"] for r in response.get("InstanceProfile", {}).get("Roles", []))
        result.append(InstanceProfile(arn=arn, account=rec.account, role_arns=roles))
    if failure and not result:
        raise failure
    return result
