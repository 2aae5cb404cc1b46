"""Collection: turn an account's API answers into one Snapshot.

The only package (with `demo/`) that talks to AWS. `specs.py` is the collector table everything
else derives from; `runner.py` runs it (regions in parallel, each region's calls in dependency
order); `session.py` holds clients, retries and call accounting; `ratelimits.py` the token
buckets; one module per AWS service parses its answers. The names below are loaded on first use,
so that importing `auditor.collect.specs` (as the checks do, for their declared needs) does not
load boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.collect.runner import collect, collect_region, enabled_regions, identify
    from auditor.collect.specs import PERMISSIONS

__all__ = ["PERMISSIONS", "collect", "collect_region", "enabled_regions", "identify"]


def __getattr__(name: str) -> Any:
    if name == "PERMISSIONS":
        from auditor.collect.specs import PERMISSIONS

        return PERMISSIONS
    if name in __all__:
        from auditor.collect import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
