"""Findings: what a check says about one resource, with its evidence and what to do."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")
_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}


def severity_rank(severity: str) -> int:
    """A number that orders severities: info 0 … critical 4."""
    return _RANK[severity]


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per severity, every severity present, most severe first."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def finding_id(check: str, account: str, region: str, resource_id: str, sub_key: str = "") -> str:
    """Stable across runs: the same check on the same resource (and sub-key) gives the same id."""
    raw = "|".join((check, account, region, resource_id, sub_key))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Location:
    """Where a finding stands: the fields that, with the check, make its id."""

    account: str
    region: str
    resource_type: str
    resource_id: str
    cluster: str | None = None
    sub_key: str = ""

    def under(self, sub_key: str) -> Location:
        """The same resource, one aspect of it (a subnet of a service, a port of a group…)."""
        return Location(
            self.account, self.region, self.resource_type, self.resource_id, self.cluster, sub_key
        )


@dataclass(frozen=True)
class Finding:
    """One finding, in the shape of CONTRACT.md's `findings.json`."""

    check: str
    severity: str
    account: str
    region: str
    resource_type: str
    resource_id: str
    cluster: str | None
    title: str
    detail: dict[str, Any] = field(default_factory=dict)
    recommendation: str = ""
    sub_key: str = ""
    # the id a finding read back from a findings.json was written with (its sub_key is not
    # written, so the id cannot be made again): an organisation run keeps every account's ids
    stored_id: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def id(self) -> str:
        if self.stored_id:
            return self.stored_id
        return finding_id(self.check, self.account, self.region, self.resource_id, self.sub_key)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON object for this finding."""
        return {
            "id": self.id,
            "check": self.check,
            "severity": self.severity,
            "account": self.account,
            "region": self.region,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "cluster": self.cluster,
            "title": self.title,
            "detail": self.detail,
            "recommendation": self.recommendation,
        }


def unknown(
    check: str,
    account: str,
    region: str,
    resource_type: str,
    resource_id: str,
    cluster: str | None,
    title: str,
    missing: list[str],
    sub_key: str = "",
) -> Finding:
    """An info finding that says a verdict could not be reached because data was not collected."""
    return Finding(
        check=check,
        severity="info",
        account=account,
        region=region,
        resource_type=resource_type,
        resource_id=resource_id,
        cluster=cluster,
        title=title,
        detail={"unknown": True, "missing": missing},
        recommendation="Grant the read permissions listed by `ecs-net-audit policy` "
        f"({', '.join(missing)}) and run the audit again.",
        sub_key=sub_key,
    )
