"""eni-quota — a region's ENIs against the "Network interfaces per Region" quota.

Why: every awsvpc task, container instance, load balancer node, NAT gateway and endpoint takes an
ENI, and all of them count against one regional quota (Service Quotas `vpc` / `L-DF5E4CA3`,
5,000 by default). When it is reached, new awsvpc tasks fail to start across every cluster in the
region at once, with an error that does not name the quota.

What: ENIs in the region (every status and type: an `available` ENI counts too) against the quota:
≥ `thresholds.eni_quota_medium` (80 %) → medium, ≥ `thresholds.eni_quota_high` (95 %) → high.
When the quota could not be read, the documented default (5,000) is used and the finding says so
(below the thresholds too, as an info finding marked unknown);
when the ENIs could not be listed, the verdict is unknown.

Fix: request an increase (`aws service-quotas request-service-quota-increase --service-code vpc
--quota-code L-DF5E4CA3 --desired-value <n>`) well before it is reached, and delete orphaned
ENIs.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.context import AnalysisContext
from auditor.analysis.facts import region_enis
from auditor.checks.base import Check
from auditor.collect.specs import needs
from auditor.findings import Finding

ID = "eni-quota"
API = "ec2:DescribeNetworkInterfaces"


def run(ctx: AnalysisContext) -> Iterator[Finding]:
    for quota, row in zip(ctx.snapshot.quotas, region_enis(ctx.snapshot), strict=True):
        where = ctx.at_region(quota.account, quota.region)
        in_use = row.enis_in_use
        if in_use is None:
            yield CHECK.unknown(where, f"ENIs in use in {quota.region} are unknown", [API])
            continue
        utilization = in_use / quota.value if quota.value else 1.0
        t = ctx.config.thresholds
        if utilization < t.eni_quota_medium:
            if quota.source == "default":
                yield CHECK.finding(
                    where,
                    "info",
                    f"the ENI quota in {quota.region} could not be read: {in_use} ENIs are "
                    f"{utilization:.0%} of AWS's default {quota.value:,.0f} (the verdict holds if the quota "
                    "is the default)",
                    {
                        "unknown": True,
                        "missing": ["servicequotas:GetServiceQuota"],
                        "enis_in_use": in_use,
                        "quota": quota.value,
                        "utilization": round(utilization, 3),
                        "quota_source": "default",
                    },
                    "Grant servicequotas:GetServiceQuota (see `ecs-net-audit policy`) so the "
                    "audit compares against the account's applied quota.",
                )
            continue
        default_note = (
            " (quota not readable: AWS's default 5,000 assumed)" if quota.source == "default" else ""
        )
        yield CHECK.finding(
            where,
            "high" if utilization >= t.eni_quota_high else "medium",
            f"{in_use} ENIs in {quota.region} use {utilization:.0%} of the quota of {quota.value:,.0f}"
            + default_note,
            {
                "enis_in_use": in_use,
                "quota": quota.value,
                "utilization": round(utilization, 3),
                "quota_source": quota.source,
                "quota_code": f"{quota.service_code}/{quota.quota_code}",
            },
            "Request a higher quota: aws service-quotas request-service-quota-increase "
            f"--region {quota.region} --service-code vpc --quota-code L-DF5E4CA3 --desired-value "
            f"{int(max(quota.value * 2, in_use * 2))}, and delete orphaned ENIs.",
        )


CHECK = Check(
    id=ID,
    title="ENIs against the regional quota",
    severity="high",
    resource_types=("region",),
    run=run,
    doc=__doc__ or "",
    docs="https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
    needs=needs("network_interfaces"),
)
