"""The checks: pure functions `(AnalysisContext) -> Iterator[Finding]`, one module per check id.

The registry is the explicit tuple `CHECKS`; a test asserts that every module under this package
is in it (but `base`, which holds the Check type), that ids are unique and that each has a row in
docs/OUTPUT.md. Nothing here imports boto3: analysis runs offline.
"""

from __future__ import annotations

from auditor.analysis.context import AnalysisContext
from auditor.checks import (
    az_spread,
    egress_path,
    eni_headroom,
    eni_quota,
    eni_trunking,
    instance_registration,
    lb_target_type,
    network_mode,
    orphan_eni,
    public_ip,
    service_connect,
    static_port_conflict,
    subnet_ips,
    vpc_dns,
    wide_ports,
)
from auditor.checks.base import Check
from auditor.findings import Finding, severity_rank

CHECKS: tuple[Check, ...] = (
    eni_headroom.CHECK,
    eni_trunking.CHECK,
    subnet_ips.CHECK,
    wide_ports.CHECK,
    static_port_conflict.CHECK,
    network_mode.CHECK,
    public_ip.CHECK,
    egress_path.CHECK,
    lb_target_type.CHECK,
    orphan_eni.CHECK,
    eni_quota.CHECK,
    instance_registration.CHECK,
    az_spread.CHECK,
    vpc_dns.CHECK,
    service_connect.CHECK,
)


def coverage_gaps(check: Check, ctx: AnalysisContext, already: list[Finding]) -> list[Finding]:
    """A region-level unknown for each region where an API the check needs was not collected.

    Resource-level unknowns say which resources lack a verdict; this says that resources the
    audit never saw (a cluster list that was denied, say) may have problems too, so a region with
    gaps never reads as all-clear for the check.
    """
    reported = {
        (f.account, f.region) for f in already if f.resource_type == "region" and f.detail.get("unknown")
    }
    gaps: dict[tuple[str, str], list[str]] = {}
    for row in ctx.snapshot.coverage:
        if row.api in check.needs and row.status != "ok":
            gaps.setdefault((row.account, row.region), []).append(f"{row.api} ({row.status})")
    return [
        check.unknown(
            ctx.at_region(account, region, "coverage"),
            f"{check.id} in {region} is incomplete: {', '.join(apis)} not collected",
            sorted(a.split(" ")[0] for a in apis),
        )
        for (account, region), apis in sorted(gaps.items())
        if (account, region) not in reported
    ]


def run_checks(ctx: AnalysisContext) -> list[Finding]:
    """Every check's findings (with coverage gaps as unknowns), most severe first."""
    findings: list[Finding] = []
    for check in CHECKS:
        own = list(check.run(ctx))
        findings += own + coverage_gaps(check, ctx, own)
    return sorted(findings, key=finding_order)


def finding_order(f: Finding) -> tuple[int, str, str, str, str, str]:
    """The order reports list findings in: most severe first, then by check and place."""
    return (-severity_rank(f.severity), f.check, f.account, f.region, f.resource_id, f.sub_key)
