"""What the user sees while collecting: a live line on stderr (only on a terminal, not with
--quiet) and a one-line summary at the end (calls, retries, time)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class CollectionProgress:
    """A `Progress` callback that keeps counts per region and redraws one status line."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None, interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self.started = time.monotonic()
        self.calls = 0
        self.retries = 0
        self._regions: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self._drawn = 0.0
        self._width = 0

    def __call__(self, region: str, api: str, calls: int, retries: int) -> None:
        with self._lock:
            self.calls += 1
            self.retries += retries
            self._regions[region] = (api, calls)
            now = time.monotonic()
            if self.live and now - self._drawn >= self.interval:
                self._drawn = now
                self._draw()

    def _draw(self) -> None:
        parts = [f"{r}: {api} ×{n}" for r, (api, n) in sorted(self._regions.items())]
        line = f"collecting… {self.calls} calls | " + " | ".join(parts)
        line = line[:160]
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def summary(self, regions: int) -> str:
        return (
            f"collected {regions} region{'s' if regions != 1 else ''} in "
            f"{time.monotonic() - self.started:.1f} s: {self.calls} calls, {self.retries} retries"
        )

    def finish(self, regions: int, quiet: bool) -> None:
        """Clear the live line; print the summary unless quiet."""
        with self._lock:
            if self.live and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
            if not quiet:
                self.stream.write(self.summary(regions) + "\n")
            self.stream.flush()
