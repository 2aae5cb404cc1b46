"""The checks: pure functions `(snapshot, config) -> Iterator[Finding]`, one module per check id.

The registry is the explicit tuple `CHECKS`; a test asserts that every module under this package
is in it (but `base`, which holds the Check type) and that ids are unique. Nothing here imports
boto3: analysis runs offline.
"""

from __future__ import annotations

from auditor.checks import (
    egress_path,
    eni_headroom,
    eni_quota,
    eni_trunking,
    lb_target_type,
    network_mode,
    orphan_eni,
    public_ip,
    static_port_conflict,
    subnet_ips,
    wide_ports,
)
from auditor.checks.base import Check
from auditor.config import Config
from auditor.findings import Finding, severity_rank
from auditor.model import Snapshot

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
)


def run_checks(snapshot: Snapshot, config: Config) -> list[Finding]:
    """Every check's findings, most severe first, then by check, region and resource."""
    findings = [f for check in CHECKS for f in check.run(snapshot, config)]
    return sorted(
        findings,
        key=lambda f: (-severity_rank(f.severity), f.check, f.account, f.region, f.resource_id, f.sub_key),
    )
