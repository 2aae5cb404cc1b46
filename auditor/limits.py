"""Bounds on every input file: size, nesting, and the numbers JSON may carry.

A snapshot, a baseline (`findings.json`) or a config that is larger than its limit, nested deeper
than any document the tool writes, or that holds a number no AWS API returns (an integer of more
than 18 digits, an `Infinity` spelled `1e400`) is refused with the caller's error class (exit 2) and
one line. The limits are documented in docs/OUTPUT.md ("Input limits").
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from auditor.errors import AuditorError

SNAPSHOT_MAX_BYTES = 1024**3  # 1 GiB: five times the largest snapshot measured (benchmarks/README.md)
BASELINE_MAX_BYTES = 1024**3
CONFIG_MAX_BYTES = 1024**2  # 1 MiB
MAX_INT_DIGITS = 20  # 2**64 (an IPv6 /64's addresses, as moto counts them) fits; far below Python's 4,300
MAX_NUMBER = 1e15  # a float larger than this is not a count or a quota
_CHUNK = 1024**2
BOM = b"\xef\xbb\xbf"


def read_bounded(path: str | Path, limit: int, error: type[AuditorError], what: str) -> str:
    """The UTF-8 text of `path` (a BOM is dropped), refused if over `limit` bytes or not text.

    Reads in chunks, so `/dev/zero` or an endless pipe stops at the first chunk (NUL bytes are not
    text) or at the limit, never exhausting memory."""
    chunks: list[bytes] = []
    size = 0
    try:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    break
                if b"\0" in chunk:
                    raise error(f"{what} {path} is not a text file (it holds NUL bytes)")
                size += len(chunk)
                if size > limit:
                    raise error(f"{what} {path} is larger than the limit of {limit:,} bytes")
                chunks.append(chunk)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except MemoryError:
        raise error(f"{what} {path} is too large to read into memory") from None
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None


def _parse_int(error: type[AuditorError], what: str) -> Any:
    def parse(text: str) -> int:
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise error(f"{what}: the number {text[:20]}… is out of range ({MAX_INT_DIGITS} digits at most)")
        return int(text)

    return parse


def _parse_float(error: type[AuditorError], what: str) -> Any:
    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise error(f"{what}: the number {text[:20]} is out of range")
        return value

    return parse


def _no_constant(error: type[AuditorError], what: str) -> Any:
    def parse(name: str) -> float:
        raise error(f"{what}: {name} is not a number JSON allows")

    return parse


def loads_json(text: str, error: type[AuditorError], what: str) -> Any:
    """`json.loads` with the number bounds above; a one-line `error` about `what` for anything it
    refuses but malformed JSON (json.JSONDecodeError, which the caller words)."""
    try:
        return json.loads(
            text,
            parse_int=_parse_int(error, what),
            parse_float=_parse_float(error, what),
            parse_constant=_no_constant(error, what),
        )
    except json.JSONDecodeError:
        raise  # the caller words it
    except RecursionError:
        raise error(f"{what} is nested too deeply") from None
    except (ValueError, MemoryError) as exc:  # what the number hooks did not foresee
        raise error(f"{what} cannot be read: {type(exc).__name__}") from None
