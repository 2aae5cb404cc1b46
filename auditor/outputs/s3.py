"""An S3 prefix as an output location: one folder per run, `latest/findings.json` last.

`s3://BUCKET/PREFIX` receives a run as `PREFIX/<YYYY-MM-DDTHHMMSSZ>/<file>` — every file but
`findings.json` first, then the run's `findings.json`, then a copy of it as
`PREFIX/latest/findings.json`. A reader that starts from `latest/` (or from a run's `findings.json`)
therefore never sees half a run, and an upload that fails leaves `latest/` on the previous run.
Objects are encrypted as the bucket's default encryption says (its algorithm and KMS key are sent
with every PutObject, so a bucket policy that requires the header is satisfied too).

Permissions: `s3:PutObject`, `s3:GetObject`, `s3:ListBucket` on the bucket, and optionally
`s3:GetEncryptionConfiguration` (without it, S3 applies the bucket default on its own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.outputs.base import FINDINGS, LATEST, OutputError, as_bytes, run_folder_name

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


def _detail(exc: Exception) -> str:
    """One line for a failed S3 call (S3 answers HEAD and some denials with a bare status code)."""
    import botocore.exceptions

    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message") or "").splitlines()[0] if error.get("Message") else ""
        http = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("403", "AccessDenied", "Forbidden", "AllAccessDisabled") or http == 403:
            return "AccessDenied (HTTP 403): the bucket policy or the role does not allow it"
        if code in ("404", "NoSuchBucket"):
            return "NoSuchBucket (HTTP 404): the bucket does not exist"
        return f"{code}: {message}"[:300]
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found"
    return f"{type(exc).__name__}: {exc}"[:300]


def parse_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b/` → ("bucket", "a/b"); OutputError for anything else."""
    rest = uri[len("s3://") :] if uri.startswith("s3://") else ""
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise OutputError(f"--out {uri!r}: not an S3 location (expected s3://BUCKET/PREFIX)")
    prefix = "/".join(p for p in prefix.split("/") if p)
    if any(p in (".", "..") for p in prefix.split("/")):
        raise OutputError(f"--out {uri!r}: '.' and '..' are not allowed in the prefix")
    return bucket, prefix


@dataclass(frozen=True)
class RunWrite:
    """Where one run went."""

    folder: str  # s3://bucket/prefix/<stamp>
    objects: dict[str, str]  # file name → its s3:// URI


@dataclass
class S3Prefix:
    """A bucket and a prefix ('' for the bucket's root), with its S3 client."""

    bucket: str
    prefix: str
    client: Any
    _sse: dict[str, str] | None = field(default=None, repr=False)

    @classmethod
    def from_uri(cls, uri: str, session: Any = None, endpoint_url: str | None = None) -> S3Prefix:
        bucket, prefix = parse_uri(uri)
        if session is None:
            import boto3

            session = boto3.session.Session()
        kwargs: dict[str, Any] = {"endpoint_url": endpoint_url} if endpoint_url else {}
        return cls(bucket, prefix, session.client("s3", **kwargs))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def child(self, name: str) -> S3Prefix:
        """The prefix one level down (the Lambda's `<out>/<account>/`), sharing client and settings."""
        return S3Prefix(self.bucket, self._key(name), self.client, self._sse)

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    # --- the reading side (also used by `trend`) ---------------------------------------------

    def list_keys(self) -> list[str]:
        """Every object key under the prefix, relative to it, '/'-separated."""
        start = f"{self.prefix}/" if self.prefix else ""
        keys: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            ):
                keys.extend(obj["Key"][len(start) :] for obj in page.get("Contents", ()))
        except Exception as exc:  # noqa: BLE001 - botocore's errors are many; each becomes one line
            raise OutputError(f"cannot list {self.uri}/: {_detail(exc)}") from None
        return [k for k in keys if k]

    def read_bytes(self, key: str) -> bytes:
        import botocore.exceptions

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            return bytes(body.read())
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(f"{self.uri}/{key}") from None
            raise OutputError(f"cannot read {self.uri}/{key}: {_detail(exc)}") from None
        except Exception as exc:  # noqa: BLE001
            raise OutputError(f"cannot read {self.uri}/{key}: {_detail(exc)}") from None

    # --- the writing side --------------------------------------------------------------------

    def check_reachable(self) -> None:
        """Before collecting: the bucket exists and these credentials may use it (HeadBucket).
        A PutObject deny shows only when writing; the run then fails before `latest/` moves."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:  # noqa: BLE001
            raise OutputError(f"cannot write to {self.uri}/: bucket {self.bucket}: {_detail(exc)}") from None

    def encryption(self) -> dict[str, str]:
        """PutObject arguments that repeat the bucket's default encryption ({} when unreadable)."""
        if self._sse is None:
            sse: dict[str, str] = {}
            try:
                rules = self.client.get_bucket_encryption(Bucket=self.bucket)[
                    "ServerSideEncryptionConfiguration"
                ]["Rules"]
                default = rules[0]["ApplyServerSideEncryptionByDefault"] if rules else {}
                if default.get("SSEAlgorithm"):
                    sse["ServerSideEncryption"] = default["SSEAlgorithm"]
                if default.get("KMSMasterKeyID") and "kms" in default.get("SSEAlgorithm", ""):
                    sse["SSEKMSKeyId"] = default["KMSMasterKeyID"]
            except Exception:  # noqa: BLE001 - not allowed or not set: S3 applies the bucket default
                sse = {}
            self._sse = sse
        return self._sse

    def _put(self, key: str, body: bytes | Path) -> str:
        suffix = key[key.rfind(".") :] if "." in key else ""
        args = {
            "Bucket": self.bucket,
            "Key": self._key(key),
            "ContentType": CONTENT_TYPES.get(suffix, "application/octet-stream"),
            **self.encryption(),
        }
        if isinstance(body, Path):  # a rendered file: streamed from disk, never read whole
            with open(body, "rb") as stream:
                self.client.put_object(Body=stream, **args)
        else:
            self.client.put_object(Body=body, **args)
        return f"s3://{self.bucket}/{self._key(key)}"

    def next_folder(self, generated_at: str) -> str:
        """The run folder a run of `generated_at` gets: its name, or `name-2`, `name-3` … when a run
        of the same second is already there."""
        name = run_folder_name(generated_at)
        candidate, n = name, 1
        try:
            while self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=self._key(candidate) + "/", MaxKeys=1
            ).get("KeyCount"):
                n += 1
                candidate = f"{name}-{n}"
        except Exception as exc:  # noqa: BLE001
            raise OutputError(f"cannot write to {self.uri}/: {_detail(exc)}") from None
        return candidate

    def write_run(
        self, files: Mapping[str, str | bytes | Path], generated_at: str, folder: str | None = None
    ) -> RunWrite:
        """Upload one run (into `folder`, default `next_folder(generated_at)`); `latest/findings.json`
        last. On any failure: OutputError naming the object, and `latest/` untouched."""
        # texts as UTF-8; rendered files on disk are uploaded from the file, never read whole
        data: dict[str, bytes | Path] = {
            n: c if isinstance(c, Path) else as_bytes({n: c})[n] for n, c in files.items()
        }
        folder = folder or self.next_folder(generated_at)
        order = [n for n in data if n != FINDINGS] + ([FINDINGS] if FINDINGS in data else [])
        objects: dict[str, str] = {}
        for name in order:
            try:
                objects[name] = self._put(f"{folder}/{name}", data[name])
            except Exception as exc:  # noqa: BLE001
                raise OutputError(
                    f"could not write {self.uri}/{folder}/{name}: {_detail(exc)}; the run is incomplete "
                    f"and {self.uri}/{LATEST}/ still points at the previous run"
                ) from None
        if FINDINGS in data:
            try:
                self._put(f"{LATEST}/{FINDINGS}", data[FINDINGS])
            except Exception as exc:  # noqa: BLE001
                raise OutputError(
                    f"wrote {self.uri}/{folder}/ but could not update {self.uri}/{LATEST}/{FINDINGS}: "
                    f"{_detail(exc)}"
                ) from None
        return RunWrite(folder=f"s3://{self.bucket}/{self._key(folder)}", objects=objects)
