"""Atomic file writes: a temporary file in the same folder, then a rename.

`write_run` puts one run's files in place as a set: every file is written to a temporary file
first; only then, with SIGINT/SIGTERM held back, are the files of an earlier run that this run
does not replace removed and the new files renamed into place. Two runs writing to the same
folder take turns (a lock on the folder). A rewritten file keeps its mode; a new one gets the
usual mode (0666 minus the umask). Temporary files never outlive the process's own exit path.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from auditor.errors import AuditorError
from auditor.interrupts import deferred

_TEMPS: set[str] = set()  # temporary files not yet renamed or removed, for clean-up on a signal
_TEMP_FOLDERS: set[str] = set()  # spool folders of a run in progress (auditor/combine.py, --org)
Content = str | bytes | Iterable[str]  # a whole file, or its text in chunks


class OutputError(AuditorError):
    """The output folder cannot be written (exit 2): found before collecting where possible."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _encode(data: str | bytes) -> bytes:
    # A lone surrogate from AWS data must not make the whole write fail: it is kept, escaped.
    return data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced, or the usual mode for a new file."""
    try:
        existing = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return 0o666 & ~_umask()
    if stat.S_ISREG(existing.st_mode):
        return stat.S_IMODE(existing.st_mode)
    return 0o666 & ~_umask()


def _write_temp(path: Path, data: Content) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _TEMPS.add(tmp)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, str | bytes):
                handle.write(_encode(data))
            else:  # chunks of a large document, written as they are made
                for chunk in data:
                    handle.write(_encode(chunk))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    _TEMPS.discard(tmp)


def remove_temporary_files() -> None:
    """Remove every temporary file and spool folder this process still has (after a signal or a
    failure)."""
    for tmp in list(_TEMPS):
        _discard(tmp)
    for folder in list(_TEMP_FOLDERS):
        remove_temporary_folder(Path(folder))


def temporary_folder(prefix: str) -> Path:
    """A new private folder under the system's temporary folder, removed by
    `remove_temporary_folder` or, after a signal, by `remove_temporary_files`."""
    folder = tempfile.mkdtemp(prefix=prefix)
    _TEMP_FOLDERS.add(folder)
    return Path(folder)


def remove_temporary_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _TEMP_FOLDERS.discard(str(folder))


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data)
    try:
        with deferred():
            os.replace(tmp, path)
            _TEMPS.discard(tmp)
    finally:
        if tmp in _TEMPS:
            _discard(tmp)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer at a time in `folder` (an advisory lock on the folder itself)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_run(
    folder: Path, batches: Iterable[Mapping[str, Content]], known_names: Iterable[str]
) -> list[Path]:
    """Put one run's files into `folder` as a set and remove any file of `known_names` that an
    earlier run left there and this run does not write. `batches` yields {name: content} one
    format at a time, so only one format's rendering is in memory while the others wait on disk
    as temporary files. OutputError (one line) if the folder cannot take them."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            temps: dict[str, str] = {}
            try:
                for batch in batches:
                    for name, data in batch.items():
                        temps[name] = _write_temp(folder / name, data)
                with deferred():
                    for stale in sorted(set(known_names) - set(temps)):
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(folder / stale)
                    for name, tmp in temps.items():
                        os.replace(tmp, folder / name)
                        _TEMPS.discard(tmp)
            finally:
                for tmp in temps.values():
                    if tmp in _TEMPS:
                        _discard(tmp)
    except OSError as exc:
        raise OutputError(f"cannot write the report to {folder}: {_describe(exc)}") from None
    return [folder / name for name in temps]


def check_writable(folder: Path) -> None:
    """Make sure `folder` can take the report before anything is collected: it is (or can be made)
    a folder, and a file can be created in it. Leaves no trace when it did not exist."""
    created: list[Path] = []
    try:
        missing = folder
        while not missing.exists() and missing != missing.parent:
            created.append(missing)
            missing = missing.parent
        if missing.exists() and not missing.is_dir():
            where = "it" if missing == folder else str(missing)
            raise OutputError(f"cannot write the report to {folder}: {where} exists and is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ecs-net-audit-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = "not a folder" if exc.errno == errno.ENOTDIR else _describe(exc)
        raise OutputError(f"cannot write the report to {folder}: {reason}") from None
    finally:
        for path in created:  # innermost first
            with contextlib.suppress(OSError):
                path.rmdir()
