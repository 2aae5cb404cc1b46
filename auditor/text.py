"""Text from AWS on its way to a person: control characters made visible, never acted on.

ANSI escape sequences could clear a terminal or rewrite its title; C1 controls do the same on some
terminals; bidirectional overrides (U+202A–U+202E, U+2066–U+2069) make `gnp.exe` read as `exe.png`;
a lone surrogate cannot even be encoded. Each is replaced by its escape (`\\x1b`, `\\u202e`), so
the reader sees that something was there. Used for the terminal, CSV, Markdown and HTML; the
snapshot keeps the original text (it is lossless) and findings.json escapes controls by JSON's rules.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, directional marks, embeddings, overrides and
# isolates, the line/paragraph separators, and lone surrogates.
_HOSTILE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_people(text: str) -> str:
    """`text` with every control character, direction override and lone surrogate escaped."""
    return _HOSTILE.sub(_escape, text)


def one_line(text: str) -> str:
    """`for_people`, and newlines and tabs as spaces: for a message on the terminal."""
    return for_people(text).replace("\r\n", " ").replace("\n", " ").replace("\t", " ")


def clean(value: Any) -> Any:
    """`for_people` applied to every string inside plain data (dicts, lists, tuples)."""
    if isinstance(value, str):
        return for_people(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
