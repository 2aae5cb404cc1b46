"""Application Auto Scaling: the ECS services' scalable targets (their MaxCapacity is part of a
service's peak). Pages of 50, the API's maximum."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.model import ScalableTarget

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
