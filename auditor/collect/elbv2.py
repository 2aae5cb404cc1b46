"""ELBv2: target groups (type, port, load balancers) and the load balancers' security groups.
No per-target-group health calls: the checks need the shape, not the targets' state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.model import LoadBalancer, TargetGroup

if TYPE_CHECKING:
    from auditor.collect.session import Recorder

PAGE = 400  # the describe APIs' maximum page


def parse_target_group(raw: dict[str, Any], account: str, region: str) -> TargetGroup:
    return TargetGroup(
        arn=raw["TargetGroupArn"],
        account=account,
        region=region,
        name=raw.get("TargetGroupName", ""),
        target_type=raw.get("TargetType", "instance"),
        port=raw.get("Port"),
        protocol=raw.get("Protocol"),
        vpc_id=raw.get("VpcId"),
        load_balancer_arns=tuple(raw.get("LoadBalancerArns", [])),
    )


def parse_load_balancer(raw: dict[str, Any], account: str, region: str) -> LoadBalancer:
    return LoadBalancer(
        arn=raw["LoadBalancerArn"],
        account=account,
        region=region,
        name=raw.get("LoadBalancerName", ""),
        type=raw.get("Type", ""),
        vpc_id=raw.get("VpcId"),
        security_group_ids=tuple(raw.get("SecurityGroups", [])),
        scheme=raw.get("Scheme"),
    )


def collect_target_groups(rec: Recorder) -> list[TargetGroup]:
    result: list[TargetGroup] = []
    for page in rec.pages("elbv2", "describe_target_groups", PaginationConfig={"PageSize": PAGE}):
        result.extend(parse_target_group(t, rec.account, rec.region) for t in page.get("TargetGroups", []))
    return result


def collect_load_balancers(rec: Recorder) -> list[LoadBalancer]:
    result: list[LoadBalancer] = []
    for page in rec.pages("elbv2", "describe_load_balancers", PaginationConfig={"PageSize": PAGE}):
        result.extend(
            parse_load_balancer(lb, rec.account, rec.region) for lb in page.get("LoadBalancers", [])
        )
    return result
