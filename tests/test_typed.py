"""typed.decode: every arm of a union is tried, and a mismatch names its path."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from auditor.errors import ConfigError
from auditor.typed import decode


@dataclass(frozen=True)
class Inner:
    n: int


@dataclass(frozen=True)
class Outer:
    either: int | str
    maybe: Inner | None = None
    items: tuple[Inner | str, ...] = ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"either": 3}, Outer(3)),
        ({"either": "three"}, Outer("three")),  # the second arm of the union
        ({"either": 1, "maybe": None}, Outer(1)),
        ({"either": 1, "maybe": {"n": 2}}, Outer(1, Inner(2))),
        ({"either": 1, "items": [{"n": 1}, "x"]}, Outer(1, items=(Inner(1), "x"))),
    ],
)
def test_decodes_each_arm_of_a_union(value, expected):
    assert decode(Outer, value, ConfigError, "t") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"either": 1.5}, "t either: expected int or str, got 1.5"),
        ({"either": True}, "t either: expected int or str, got True"),
        ({"either": 1, "maybe": {"n": "2"}}, "t maybe.n: expected a whole number, got '2'"),
        ({"either": 1, "items": [{"n": 1}, 5]}, "t items[1]: expected Inner or str, got 5"),
        ({"either": 1, "other": 1}, "t <root>: unknown key 'other'"),
    ],
)
def test_mismatches_name_their_path(value, message):
    with pytest.raises(ConfigError) as info:
        decode(Outer, value, ConfigError, "t")
    assert str(info.value) == message
