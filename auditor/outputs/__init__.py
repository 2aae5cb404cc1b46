"""Where a run's results go: its files into a local folder or an S3 prefix (and reading earlier
runs back), and the opt-in writes beyond them (Security Hub, `securityhub.py`).

Both locations offer the same reading side, used by `--baseline latest` and by `trend`:
`list_keys()` (every file under the root, relative, '/'-separated) and `read_bytes(key)`.
Writing differs: a folder keeps `--out DIR`'s meaning (the files straight into DIR, each atomic);
an S3 prefix gets one folder per run, `PREFIX/<YYYY-MM-DDTHHMMSSZ>/`, and `PREFIX/latest/findings.json`
last, so that a reader never sees half a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from auditor.outputs.base import (
    FINDINGS,
    LATEST,
    SCHEMA,
    OutputError,
    as_bytes,
    parse_findings,
    run_folder_name,
)

__all__ = [
    "FINDINGS",
    "LATEST",
    "SCHEMA",
    "Location",
    "OutputError",
    "as_bytes",
    "empty_run",
    "is_s3",
    "open_location",
    "parse_findings",
    "previous_run",
    "run_findings_keys",
    "run_folder_name",
    "s3_location",
]


class Location(Protocol):
    """A root holding runs: a local folder or an S3 prefix."""

    @property
    def uri(self) -> str:
        """Where the root is, for messages: a folder path or `s3://bucket/prefix`."""
        ...

    def list_keys(self) -> list[str]:
        """Every object under the root, relative to it, '/'-separated."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """One object's content; FileNotFoundError when there is none."""
        ...


def is_s3(out: str | None) -> bool:
    return bool(out) and str(out).startswith("s3://")


def open_location(
    out: str | Path, session: Any = None, endpoint_url: str | None = None, max_depth: int | None = None
) -> Any:
    """The Location for `--out` (an `s3://BUCKET/PREFIX` URI or a folder). `session` is a boto3
    session, used only for S3 (default: the standard credential chain); `max_depth` bounds how
    many folders deep a local folder is listed."""
    if is_s3(str(out)):
        from auditor.outputs.s3 import S3Prefix

        return S3Prefix.from_uri(str(out), session=session, endpoint_url=endpoint_url)
    from auditor.outputs.local import LocalFolder

    return LocalFolder(Path(out), max_depth=max_depth)


def run_findings_keys(keys: list[str], depth: int = 1) -> list[str]:
    """The one rule for what counts as a run under a root, used by `--baseline latest`, the
    per-run history and `trend`: a `findings.json` in the root itself or at most `depth` folders
    below it (`depth=1`: `ROOT/<run>/findings.json`, as `./reports/<stamp>/` and `--out s3://`
    write them; `trend` reads `depth=2` for the Lambda's `ROOT/<account>/<run>/`). A `latest/`
    folder holds a copy, not a run of its own; hidden and temporary files are not runs."""
    found = []
    for key in keys:
        parts = key.split("/")
        if parts[-1] != FINDINGS or len(parts) - 1 > depth:
            continue
        if LATEST in parts[:-1] or any(p.startswith(".") or not p for p in parts):
            continue
        found.append(key)
    return sorted(found)


def previous_run(location: Location) -> dict[str, Any] | None:
    """The most recent run's findings.json under `location` (by its `generated_at`), or None when
    there is none. An S3 root answers from `latest/findings.json` alone (one GET)."""
    if is_s3(location.uri):
        try:
            return parse_findings(
                location.read_bytes(f"{LATEST}/{FINDINGS}"), f"{location.uri}/{LATEST}/{FINDINGS}"
            )
        except FileNotFoundError:
            pass  # no latest pointer (first run, or written by hand): look at the runs themselves
    best: dict[str, Any] | None = None
    for key in run_findings_keys(location.list_keys()):
        try:
            doc = parse_findings(location.read_bytes(key), f"{location.uri}/{key}")
        except (OutputError, FileNotFoundError):
            continue  # not a run of this tool (or gone meanwhile): not a baseline candidate
        if best is None or str(doc.get("generated_at", "")) > str(best.get("generated_at", "")):
            best = doc
    return best


def empty_run() -> dict[str, Any]:
    """A baseline with no findings: what `--baseline latest` compares with when there is no earlier
    run, so that every finding is `new`."""
    return {"schema": SCHEMA, "generated_at": "", "findings": []}


def s3_location(out: str, profile: str | None = None, endpoint_url: str | None = None) -> Any:
    """The S3Prefix for an `s3://` `--out`, with the scan's profile and endpoint; checked reachable
    (HeadBucket) so that a wrong bucket is found before collecting."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.session.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound:
        raise OutputError(f"AWS profile {profile!r} not found (needed to write to {out})") from None
    location = open_location(out, session=session, endpoint_url=endpoint_url)
    location.check_reachable()
    return location
