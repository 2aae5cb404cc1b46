"""SIGINT and SIGTERM: stop within seconds, never in the middle of putting a run's files in place.

`install()` turns both signals into `Interrupted` in the main thread (exit 130 or 143, by the
shell's convention 128 + the signal number) and sets `STOP`, which every wait in collection polls,
so worker threads give up instead of waiting for a hung call. Inside `deferred()` — the few
microseconds in which a run's files are renamed into place — a signal is held and raised at its
end, so a folder never holds half of one run and half of another.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP = threading.Event()
_lock = threading.Lock()
_depth = 0
_pending: int | None = None


class Interrupted(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error of the tool's
    """The user (SIGINT) or the system (SIGTERM) asked the tool to stop."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def _handler(signum: int, frame: FrameType | None) -> None:
    global _pending
    STOP.set()
    if _depth:
        _pending = signum
        return
    raise Interrupted(signum)


def install() -> None:
    """Route SIGINT and SIGTERM to `Interrupted` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    STOP.clear()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handler)


def uninstall() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block is done, then act on them."""
    global _depth, _pending
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            pending, _pending = (_pending, None) if _depth == 0 else (None, _pending)
        if pending is not None:
            raise Interrupted(pending)
