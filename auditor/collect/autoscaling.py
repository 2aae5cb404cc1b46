"""Auto Scaling: the ECS services' scalable targets (Application Auto Scaling; their MaxCapacity is
part of a service's peak; pages of 50, the API's maximum), and the EC2 Auto Scaling groups behind
container instances (how many instances they can still add, and in which subnets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from auditor.model import AutoScalingGroup, ScalableTarget

if TYPE_CHECKING:
    from auditor.collect.session import Recorder

PAGE = 50  # the API's maximum page


def collect_scalable_targets(rec: Recorder) -> list[ScalableTarget]:
    result: list[ScalableTarget] = []
    for page in rec.pages(
        "application-autoscaling",
        "describe_scalable_targets",
        ServiceNamespace="ecs",
        PaginationConfig={"PageSize": PAGE},
    ):
        for t in page.get("ScalableTargets", []):
            if t.get("ScalableDimension") != "ecs:service:DesiredCount":
                continue
            result.append(
                ScalableTarget(
                    resource_id=t["ResourceId"],
                    account=rec.account,
                    region=rec.region,
                    min_capacity=int(t.get("MinCapacity", 0)),
                    max_capacity=int(t.get("MaxCapacity", 0)),
                )
            )
    return result


ASG_NAMES_PER_CALL = (
    50  # names asked per DescribeAutoScalingGroups call; MaxRecords 100 answers them in one page
)


def parse_auto_scaling_group(raw: dict[str, Any], account: str, region: str) -> AutoScalingGroup:
    """An Auto Scaling group's size, subnets and instances (with their zones and types)."""
    instances = raw.get("Instances") or []
    types = [i.get("InstanceType") for i in instances if i.get("InstanceType")]
    mixed = (raw.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
    types += [o.get("InstanceType") for o in mixed.get("Overrides") or [] if o.get("InstanceType")]
    return AutoScalingGroup(
        name=raw["AutoScalingGroupName"],
        arn=raw.get("AutoScalingGroupARN", ""),
        account=account,
        region=region,
        min_size=int(raw.get("MinSize", 0)),
        max_size=int(raw.get("MaxSize", 0)),
        desired_capacity=int(raw.get("DesiredCapacity", 0)),
        subnets=tuple(s.strip() for s in (raw.get("VPCZoneIdentifier") or "").split(",") if s.strip()),
        availability_zones=tuple(raw.get("AvailabilityZones") or ()),
        instance_ids=tuple(i["InstanceId"] for i in instances if i.get("InstanceId")),
        instance_zones=tuple(i.get("AvailabilityZone", "") for i in instances if i.get("InstanceId")),
        instance_types=tuple(dict.fromkeys(types)),
    )


def collect_auto_scaling_groups(rec: Recorder, names: Iterable[str]) -> list[AutoScalingGroup]:
    """The groups behind the container instances and capacity providers, 50 names a call."""
    wanted = sorted({n for n in names if n})
    groups: list[AutoScalingGroup] = []
    for start in range(0, len(wanted), ASG_NAMES_PER_CALL):
        batch = wanted[start : start + ASG_NAMES_PER_CALL]
        for page in rec.pages(
            "autoscaling", "describe_auto_scaling_groups", AutoScalingGroupNames=batch, MaxRecords=100
        ):
            groups.extend(
                parse_auto_scaling_group(g, rec.account, rec.region)
                for g in page.get("AutoScalingGroups", [])
            )
    return groups
