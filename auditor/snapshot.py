"""Save and load a Snapshot as JSON, losslessly: `load(save(s)) == s`.

The encoding follows the dataclasses' type hints (`typed.decode`), so there is no per-class code to
drift out of step: a dataclass becomes an object of its fields, a tuple a list, and loading
rebuilds exactly the declared types. The file carries a schema version; a file of another version, or one that
does not match the types, raises SnapshotError with one line saying why.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor.errors import SnapshotError
from auditor.model import Snapshot
from auditor.typed import decode

SCHEMA = "ecs-net-audit/snapshot/v2"
V1 = "ecs-net-audit/snapshot/v1"  # v1 kept notes in `extra`; v2 has the typed `missing_clusters`


def to_jsonable(obj: Any) -> Any:
    """Turn a model object (dataclasses, tuples, dicts, scalars) into plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def dumps(snapshot: Snapshot) -> str:
    """The snapshot as a JSON document with its schema version."""
    return json.dumps({"schema": SCHEMA, "snapshot": to_jsonable(snapshot)}, indent=1)


def _no_constant(name: str) -> float:
    raise SnapshotError(f"not a valid JSON snapshot: {name} is not a number JSON allows")


def _networks(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    """(where, CIDR) for every address range the checks compute with."""
    for i, subnet in enumerate(snapshot.subnets):
        for cidr in (subnet.cidr, *subnet.ipv6_cidrs):
            if cidr is not None:
                yield f"subnets[{i}]", cidr
    for i, vpc in enumerate(snapshot.vpcs):
        for cidr in (*vpc.cidrs, *vpc.ipv6_cidrs):
            yield f"vpcs[{i}]", cidr
    for i, group in enumerate(snapshot.security_groups):
        for rule in (*group.ingress, *group.egress):
            if rule.cidr is not None:
                yield f"security_groups[{i}]", rule.cidr


def _check_networks(snapshot: Snapshot) -> None:
    for where, cidr in _networks(snapshot):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise SnapshotError(f"snapshot field {where}: {cidr!r} is not a CIDR") from None


def _from_v1(fields: dict[str, Any]) -> dict[str, Any]:
    """A v1 snapshot's fields as v2's: `extra["missing_clusters:<region>"] = "a,b"` becomes
    `missing_clusters` records (v1 snapshots hold one account)."""
    extra = fields.pop("extra", {})
    if not isinstance(extra, dict):
        raise SnapshotError("snapshot field extra: expected an object")
    accounts = fields.get("accounts") or [""]
    missing = []
    for key, names in extra.items():
        if not (isinstance(key, str) and key.startswith("missing_clusters:") and isinstance(names, str)):
            raise SnapshotError(f"snapshot field extra: unknown note {key!r}")
        region = key.split(":", 1)[1]
        missing += [{"account": accounts[0], "region": region, "name": n} for n in names.split(",") if n]
    return {**fields, "missing_clusters": missing}


def loads(text: str) -> Snapshot:
    """Parse a snapshot document; SnapshotError if it is not one this version reads."""
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SnapshotError(f"not a valid JSON snapshot: {exc}") from None
    if not isinstance(doc, dict) or "schema" not in doc:
        raise SnapshotError("not an ecs-net-audit snapshot: no 'schema' field")
    schema = doc["schema"]
    if schema == V1 and isinstance(doc.get("snapshot"), dict):
        doc["snapshot"] = _from_v1(doc["snapshot"])
    elif schema != SCHEMA:
        raise SnapshotError(f"snapshot schema {schema!r} is not supported (this version reads {SCHEMA!r})")
    if set(doc) != {"schema", "snapshot"}:
        raise SnapshotError("snapshot document has unexpected top-level keys")
    try:
        snapshot: Snapshot = decode(Snapshot, doc["snapshot"], SnapshotError, "snapshot field")
    except RecursionError:
        raise SnapshotError("snapshot is nested too deeply") from None
    _check_networks(snapshot)
    return snapshot


def load(path: str | Path) -> Snapshot:
    """Read a snapshot file; SnapshotError (one line) if it cannot be read or parsed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    return loads(text)
