"""Findings kept on disk, read as one sorted sequence: a many-account run's findings are not held in
memory all at once.

Each part (an account) writes its findings, already in report order (`checks.finding_order`), to a
file of its own, one JSON line each. Reading merges the files (`heapq.merge`: one finding per part
in memory), leaves out the findings a later step replaced (`replace`: the verdict on a subnet
shared between accounts) and merges in their replacements. Every reader — the reports, the
baseline, the counts — goes through `__iter__`, `__len__` or a slice, each a pass over the files.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from auditor.findings import Finding

MAX_FILES = 64  # more parts than this: their files are merged into one as they come


def _encode(f: Finding) -> str:
    return json.dumps(
        [
            f.check,
            f.severity,
            f.account,
            f.region,
            f.resource_type,
            f.resource_id,
            f.cluster,
            f.title,
            f.detail,
            f.recommendation,
            f.sub_key,
            f.stored_id,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode(line: str) -> Finding:
    c, sev, acct, region, rtype, rid, cluster, title, detail, rec, sub_key, stored = json.loads(line)
    return Finding(c, sev, acct, region, rtype, rid, cluster, title, detail, rec, sub_key, stored)


class FindingStore(Sequence[Finding]):
    """An append-only, sorted, on-disk sequence of findings (see the module's note)."""

    def __init__(self, folder: Path, order: Callable[[Finding], Any]) -> None:
        self.folder = folder
        self.order = order
        self.files: list[Path] = []
        self.written = 0
        self.left_out: set[tuple[str, str, str]] = set()  # (check, region, resource id) replaced
        self.left_out_count = 0
        self.extra: list[Finding] = []
        self.generation = 0  # merged files made so far
        self._keys: dict[tuple[str, str, str], int] = {}  # findings per replaceable key, for the count
        self.replaceable: Callable[[Finding], bool] = lambda f: False

    def add(self, findings: Iterable[Finding]) -> None:
        """One part's findings, in any order (sorted here)."""
        ordered = sorted(findings, key=self.order)
        if not ordered:
            return
        path = self.folder / f"findings-{self.generation:06d}-{len(self.files):06d}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for f in ordered:
                out.write(_encode(f) + "\n")
                if self.replaceable(f):
                    key = (f.check, f.region, f.resource_id)
                    self._keys[key] = self._keys.get(key, 0) + 1
        self.files.append(path)
        self.written += len(ordered)
        if len(self.files) > MAX_FILES:
            self._compact()

    def _compact(self) -> None:
        """Merge every file into one (in order, streamed), so that reading never holds more than
        MAX_FILES + 1 files open: an organisation of thousands of accounts stays under the
        descriptor limit (1,024 in Lambda and on many hosts)."""
        merged = self.folder / f"findings-{self.generation:06d}-merged.jsonl"
        self.generation += 1
        streams = [self._lines(p) for p in self.files]
        with open(merged, "w", encoding="utf-8") as out:
            for _, line in heapq.merge(*streams, key=lambda pair: pair[0]):
                out.write(line)
        for path in self.files:
            path.unlink()
        self.files = [merged]

    def _lines(self, path: Path) -> Iterator[tuple[Any, str]]:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield self.order(_decode(line)), line

    def replace(self, keys: set[tuple[str, str, str]], findings: Iterable[Finding]) -> None:
        """Leave out the stored findings at `keys` (check, region, resource id; only of the kind
        `replaceable` marks) and read `findings` in their place (a second call replaces the first's)."""
        self.left_out |= keys
        self.left_out_count = sum(n for key, n in self._keys.items() if key in self.left_out)
        self.extra = sorted(findings, key=self.order)

    def _read(self, path: Path) -> Iterator[Finding]:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield _decode(line)

    def _kept(self, path: Path) -> Iterator[Finding]:
        for f in self._read(path):
            if (f.check, f.region, f.resource_id) not in self.left_out:
                yield f

    def __iter__(self) -> Iterator[Finding]:
        streams = [self._kept(p) if self.left_out else self._read(p) for p in self.files]
        return heapq.merge(*streams, iter(self.extra), key=self.order)

    def __len__(self) -> int:
        return self.written - self.left_out_count + len(self.extra)

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return tuple(itertools.islice(iter(self), start, stop, step))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("finding index out of range")
        return next(itertools.islice(iter(self), position, None))

    def __repr__(self) -> str:
        return f"FindingStore({len(self)} findings in {len(self.files)} files)"


class Mapped(Sequence[Finding]):
    """`findings` with `fn` applied to each as it is read (a run's forecasts added to its findings
    without reading them all into memory)."""

    def __init__(self, findings: Sequence[Finding], fn: Callable[[Finding], Finding]) -> None:
        self.findings, self.fn = findings, fn

    def __iter__(self) -> Iterator[Finding]:
        return map(self.fn, self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        if isinstance(index, slice):
            return tuple(map(self.fn, self.findings[index]))
        return self.fn(self.findings[index])
