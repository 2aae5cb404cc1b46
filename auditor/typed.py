"""Type-hint-driven decoding of plain JSON/TOML values into frozen dataclasses.

Used by the snapshot loader and the config loader, so that both check every field's type the same
way and raise their own error class with a one-line message.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any

from auditor.errors import AuditorError


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fail(error: type[AuditorError], label: str, path: str, expected: str, value: Any) -> AuditorError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return error(f"{label} {path or '<root>'}: expected {expected}, got {shown}")


def decode(tp: Any, value: Any, error: type[AuditorError], label: str, path: str = "") -> Any:
    """Rebuild a value of type `tp` from JSON/TOML values, checking every type on the way.

    A mismatch raises `error` with one line: `<label> <path>: expected …, got …`.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        return decode(non_none[0], value, error, label, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise _fail(error, label, path, "a list", value)
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v, error, label, f"{path}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise _fail(error, label, path, f"a list of {len(args)}", value)
        return tuple(
            decode(a, v, error, label, f"{path}[{i}]")
            for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if origin is dict:
        if not isinstance(value, dict):
            raise _fail(error, label, path, "an object", value)
        _, vt = typing.get_args(tp)
        return {k: decode(vt, v, error, label, f"{path}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise _fail(error, label, path, f"a {tp.__name__} object", value)
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(value) - names
        if unknown:
            raise error(f"{label} {path or '<root>'}: unknown key {sorted(unknown)[0]!r}")
        kwargs = {
            k: decode(hints[k], v, error, label, f"{path}.{k}" if path else k) for k, v in value.items()
        }
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise error(f"{label} {path or '<root>'}: {exc}") from None
    if tp is bool:
        if not isinstance(value, bool):
            raise _fail(error, label, path, "true or false", value)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(error, label, path, "a whole number", value)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(error, label, path, "a number", value)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _fail(error, label, path, "a string", value)
        return value
    if tp is Any:
        return value
    raise error(f"{label} {path}: unsupported type {tp!r}")  # pragma: no cover
