"""Type-hint-driven decoding of plain JSON/TOML values into frozen dataclasses.

Used by the snapshot loader and the config loader, so that both check every field's type the same
way and raise their own error class with a one-line message. Each type's decoder is built once
(`decoder_for`, cached) from its hints; where a value does not fit, the path to it is put together
only then, on the way out, so a valid document pays nothing for it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from auditor.errors import AuditorError

Decoder = Callable[[Any], Any]


class Mismatch(Exception):
    """A value that does not fit its type; `path` grows as it passes up through the containers."""

    def __init__(self, message: str, value: Any = None, show_value: bool = True):
        super().__init__(message)
        self.message, self.value, self.show_value = message, value, show_value
        self.path: list[str] = []

    def at(self, step: str) -> Mismatch:
        self.path.append(step)
        return self

    def where(self) -> str:
        text = ""
        for step in reversed(self.path):
            text += step if step.startswith("[") or not text else f".{step}"
        return text or "<root>"

    def text(self) -> str:
        if not self.show_value:
            return self.message
        shown = repr(self.value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"expected {self.message}, got {shown}"


def _scalar(kind: type, expected: str, accepts: Callable[[Any], bool]) -> Decoder:
    def decode(value: Any) -> Any:
        if not accepts(value):
            raise Mismatch(expected, value)
        return float(value) if kind is float else value

    return decode


SCALARS: dict[Any, Decoder] = {
    bool: _scalar(bool, "true or false", lambda v: isinstance(v, bool)),
    int: _scalar(int, "a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    float: _scalar(float, "a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    str: _scalar(str, "a string", lambda v: isinstance(v, str)),
    Any: lambda v: v,
}


def _union(args: tuple[Any, ...]) -> Decoder:
    """`A | B | None`: None where allowed, else the first arm the value fits."""
    optional = type(None) in args
    arms = [decoder_for(a) for a in args if a is not type(None)]
    names = " or ".join(getattr(a, "__name__", str(a)) for a in args if a is not type(None))

    def decode(value: Any) -> Any:
        if value is None and optional:
            return None
        first: Mismatch | None = None
        for arm in arms:
            try:
                return arm(value)
            except Mismatch as exc:
                first = first or exc
        if len(arms) == 1 and first is not None:
            raise first
        raise Mismatch(names, value)

    return decode


def _tuple(args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        item = decoder_for(args[0])

        def decode_all(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise Mismatch("a list", value)
            out = []
            for i, v in enumerate(value):
                try:
                    out.append(item(v))
                except Mismatch as exc:
                    raise exc.at(f"[{i}]") from None
            return tuple(out)

        return decode_all
    items = [decoder_for(a) for a in args]

    def decode_fixed(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise Mismatch("a list", value)
        if len(value) != len(items):
            raise Mismatch(f"a list of {len(items)}", value)
        out = []
        for i, (decode, v) in enumerate(zip(items, value, strict=True)):
            try:
                out.append(decode(v))
            except Mismatch as exc:
                raise exc.at(f"[{i}]") from None
        return tuple(out)

    return decode_fixed


def _dict(args: tuple[Any, ...]) -> Decoder:
    key, item = decoder_for(args[0]), decoder_for(args[1])

    def decode(value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise Mismatch("an object", value)
        out = {}
        for k, v in value.items():
            try:
                out[key(k)] = item(v)
            except Mismatch as exc:
                raise exc.at(str(k)) from None
        return out

    return decode


def _dataclass(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Decoder] = {}

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            raise Mismatch(f"a {cls.__name__} object", value)
        if not fields:  # filled on first use: a dataclass may refer to itself
            fields.update({f.name: decoder_for(hints[f.name]) for f in dataclasses.fields(cls)})
        kwargs = {}
        for name, v in value.items():
            field_decoder = fields.get(name)
            if field_decoder is None:
                raise Mismatch(f"unknown key {name!r}", show_value=False)
            try:
                kwargs[name] = field_decoder(v)
            except Mismatch as exc:
                raise exc.at(name) from None
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise Mismatch(str(exc), show_value=False) from None

    return decode


@cache
def decoder_for(tp: Any) -> Decoder:
    """The decoder of one type, built from its hints once."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(tp))
    if origin is tuple:
        return _tuple(typing.get_args(tp))
    if origin is dict:
        return _dict(typing.get_args(tp))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp)
    if tp in SCALARS:
        return SCALARS[tp]
    raise TypeError(f"unsupported type {tp!r}")


def decode(tp: Any, value: Any, error: type[AuditorError], label: str) -> Any:
    """Rebuild a value of type `tp` from JSON/TOML values, checking every type on the way.

    A mismatch raises `error` with one line: `<label> <path>: expected …, got …`.
    """
    try:
        return decoder_for(tp)(value)
    except Mismatch as exc:
        raise error(f"{label} {exc.where()}: {exc.text()}") from None
