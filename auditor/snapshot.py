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
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor import limits
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


def record_fields(obj: Any) -> dict[str, Any]:
    """One level of a model object, for the JSON encoder (which walks the rest itself)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    raise TypeError(f"{type(obj).__name__} is not part of a snapshot")


def dump_chunks(snapshot: Snapshot, run_id: str | None = None) -> Iterator[str]:
    """`dumps(snapshot, run_id)` as a stream of text chunks: a large snapshot is written without
    building its JSON tree (or its text) in memory first."""
    head: dict[str, Any] = {"schema": SCHEMA}
    if run_id:
        head["run_id"] = run_id
    return json.JSONEncoder(indent=1, default=record_fields).iterencode({**head, "snapshot": snapshot})


def dumps(snapshot: Snapshot, run_id: str | None = None) -> str:
    """The snapshot as a JSON document with its schema version (and the run's id, when written as
    one file of a run)."""
    head: dict[str, Any] = {"schema": SCHEMA}
    if run_id:
        head["run_id"] = run_id
    return json.dumps({**head, "snapshot": to_jsonable(snapshot)}, indent=1)


def record_networks(field: str, record: Any) -> Iterator[str]:
    """Every address range in one record of the Snapshot field `field` that the checks compute with."""
    if field == "subnets":
        yield from (c for c in (record.cidr, *record.ipv6_cidrs) if c is not None)
    elif field == "vpcs":
        yield from (*record.cidrs, *record.ipv6_cidrs)
    elif field == "security_groups":
        yield from (r.cidr for r in (*record.ingress, *record.egress) if r.cidr is not None)


def _networks(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    """(where, CIDR) for every address range the checks compute with."""
    for field in ("subnets", "vpcs", "security_groups"):
        for i, record in enumerate(getattr(snapshot, field)):
            for cidr in record_networks(field, record):
                yield f"{field}[{i}]", cidr


def record_problem(field: str, record: Any) -> str | None:
    """Why `report` would refuse this record (a number out of range, a CIDR that is not one), or None."""
    problem = out_of_range(record, field)
    if problem:
        return problem
    for cidr in record_networks(field, record):
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return f"{field}: {cidr[:60]!r} is not a CIDR"
    return None


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


# Counts, sizes, ports and quotas are never negative; a security-group rule's port is -1 for "all".
NEGATIVE_ONE_ALLOWED = frozenset({"from_port", "to_port"})
MAX_COUNT = 2**64  # the addresses of an IPv6 /64; any count larger is not from AWS
GENERATED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\Z")
# The fields that identify a record; a record list holding two records with the same key is refused.
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "coverage": ("account", "region", "api"),
    "account_settings": ("account", "region", "name", "principal_arn", "asked_for"),
    "instance_types": ("region", "instance_type"),
    "quotas": ("account", "region", "service_code", "quota_code"),
    "missing_clusters": ("account", "region", "name"),
}


def _numbers(value: Any, path: str) -> Iterator[tuple[str, str, int | float]]:
    """(path, field name, number) for every number inside a model object."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            inner = getattr(value, f.name)
            if isinstance(inner, int | float) and not isinstance(inner, bool):
                yield f"{path}.{f.name}" if path else f.name, f.name, inner
            elif isinstance(inner, tuple | dict) or dataclasses.is_dataclass(inner):
                yield from _numbers(inner, f"{path}.{f.name}" if path else f.name)
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            if dataclasses.is_dataclass(item) or isinstance(item, tuple):
                yield from _numbers(item, f"{path}[{i}]")


def out_of_range(value: Any, path: str = "") -> str | None:
    """Why a number inside `value` (a model object) is one no AWS API returns, or None."""
    for where, name, number in _numbers(value, path):
        lowest = -1 if name in NEGATIVE_ONE_ALLOWED else 0
        if isinstance(number, float) and not math.isfinite(number):
            return f"{where}: {number} is not a finite number"
        if not lowest <= number <= MAX_COUNT:
            return f"{where}: {number} is out of range ({lowest} to 2**64)"
    return None


def _check_ranges(snapshot: Snapshot) -> None:
    problem = out_of_range(snapshot)
    if problem:
        raise SnapshotError(f"snapshot field {problem}")


def record_key(field: str, record: Any) -> Any:
    """What identifies a record of the Snapshot field `field`: two records with one key are one."""
    names = RECORD_KEYS.get(field)
    if names is None:
        first = dataclasses.fields(record)[0].name
        names = tuple(n for n in (first, "account", "region") if hasattr(record, n))
    return tuple(getattr(record, n) for n in names)


def _check_unique(snapshot: Snapshot) -> None:
    for f in dataclasses.fields(snapshot):
        records = getattr(snapshot, f.name)
        if not isinstance(records, tuple) or not records or not dataclasses.is_dataclass(records[0]):
            continue
        seen: set[Any] = set()
        for i, record in enumerate(records):
            key = record_key(f.name, record)
            if key in seen:
                raise SnapshotError(f"snapshot field {f.name}[{i}]: {key[0]!r} appears twice")
            seen.add(key)


def check_generated_at(value: str) -> str:
    """An ISO timestamp as the tool writes it; it names report folders, so nothing else passes."""
    if not GENERATED_AT.match(value):
        raise SnapshotError(
            f"snapshot field generated_at: {value[:40]!r} is not a time like 2026-11-25T10:00:00Z"
        )
    return value


def loads(text: str) -> Snapshot:
    """Parse a snapshot document; SnapshotError if it is not one this version reads."""
    try:
        doc = limits.loads_json(text, SnapshotError, "snapshot")
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"not a valid JSON snapshot: {exc}") from None
    if not isinstance(doc, dict) or "schema" not in doc:
        raise SnapshotError("not an ecs-net-audit snapshot: no 'schema' field")
    schema = doc["schema"]
    if schema == V1 and isinstance(doc.get("snapshot"), dict):
        doc["snapshot"] = _from_v1(doc["snapshot"])
    elif schema != SCHEMA:
        raise SnapshotError(f"snapshot schema {schema!r} is not supported (this version reads {SCHEMA!r})")
    if not {"schema", "snapshot"} <= set(doc) <= {"schema", "snapshot", "run_id"}:
        raise SnapshotError("snapshot document has unexpected top-level keys")
    try:
        snapshot: Snapshot = decode(Snapshot, doc["snapshot"], SnapshotError, "snapshot field")
    except RecursionError:
        raise SnapshotError("snapshot is nested too deeply") from None
    check_generated_at(snapshot.generated_at)
    _check_ranges(snapshot)
    _check_unique(snapshot)
    _check_networks(snapshot)
    return snapshot


def load(path: str | Path) -> Snapshot:
    """Read a snapshot file; SnapshotError (one line) if it cannot be read or parsed, or is larger
    than `limits.SNAPSHOT_MAX_BYTES`."""
    return loads(limits.read_bounded(path, limits.SNAPSHOT_MAX_BYTES, SnapshotError, "snapshot"))
