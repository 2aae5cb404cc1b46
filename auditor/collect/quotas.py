"""Service Quotas: "Network interfaces per Region" (`vpc` / `L-DF5E4CA3`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from auditor.model import Quota

if TYPE_CHECKING:
    from auditor.collect.session import Recorder


ENI_QUOTA = ("vpc", "L-DF5E4CA3")
ENI_QUOTA_DEFAULT = 5000.0  # AWS's documented default, used (and said) only when the quota is unreadable


def collect_eni_quota(rec: Recorder) -> Quota:
    service_code, quota_code = ENI_QUOTA
    response = rec.call("service-quotas", "get_service_quota", ServiceCode=service_code, QuotaCode=quota_code)
    value = float(response["Quota"]["Value"])
    if not (math.isfinite(value) and 0 <= value <= 1e9):  # `1e400` reads as infinity
        raise ValueError(f"quota value {value} is not a count of interfaces")
    return Quota(
        account=rec.account,
        region=rec.region,
        service_code=service_code,
        quota_code=quota_code,
        value=value,
        source="service-quotas",
    )
