"""VPC Lattice: the target groups that services register their tasks in
(`vpcLatticeConfigurations`), one GetTargetGroup per distinct group — the API has no batch form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from auditor.errors import ApiFailure
from auditor.model import LatticeTargetGroup

if TYPE_CHECKING:
    from auditor.collect.session import Recorder


def parse_lattice_target_group(raw: dict[str, Any], account: str, region: str) -> LatticeTargetGroup:
    config = raw.get("config") or {}
    return LatticeTargetGroup(
        arn=raw.get("arn", ""),
        account=account,
        region=region,
        name=raw.get("name", ""),
        type=raw.get("type", ""),
        vpc_id=config.get("vpcIdentifier"),
        port=config.get("port"),
        ip_address_type=config.get("ipAddressType"),
    )


def collect_lattice_target_groups(rec: Recorder, arns: Iterable[str]) -> list[LatticeTargetGroup]:
    """Each distinct group once, in parallel; a group that fails (deleted, denied) stays unknown and
    the coverage row says so, while the others are kept."""

    def get(arn: str) -> LatticeTargetGroup | None:
        try:
            response = rec.call("vpc-lattice", "get_target_group", targetGroupIdentifier=arn)
        except ApiFailure:
            return None
        return parse_lattice_target_group(response, rec.account, rec.region)

    return [g for g in rec.fan_out(get, sorted(set(arns))) if g is not None]
