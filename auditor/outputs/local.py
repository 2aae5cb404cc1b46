"""A local folder as an output location: `--out DIR` writes the run's files straight into DIR
(each atomically); as a root of runs it holds run folders (`DIR/<run>/findings.json`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.fileio import write_atomic
from auditor.limits import BASELINE_MAX_BYTES
from auditor.outputs.base import OutputError, as_bytes


@dataclass(frozen=True)
class LocalFolder:
    """A folder: the reading side shared with S3 (`list_keys`, `read_bytes`) and atomic writes."""

    root: Path
    max_depth: int | None = None  # folders below the root that are listed (None: all)

    @property
    def uri(self) -> str:
        return str(self.root)

    def list_keys(self) -> list[str]:
        """Every regular file under the root (at most `max_depth` folders down), relative,
        '/'-separated; hidden and temporary files left out."""
        if not self.root.is_dir():
            return []
        keys: list[str] = []
        base = len(self.root.parts)
        for folder, dirs, files in os.walk(self.root):
            depth = len(Path(folder).parts) - base
            keep = self.max_depth is None or depth < self.max_depth
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if keep else []
            rel = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if rel == "." else rel + "/"
            keys.extend(prefix + f for f in files if not f.startswith(".") and Path(folder, f).is_file())
        return sorted(keys)

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{self.root}/{key}")
        if path.stat().st_size > BASELINE_MAX_BYTES:  # not read into memory at all
            raise OutputError(f"{self.root}/{key} is larger than the limit of {BASELINE_MAX_BYTES:,} bytes")
        return path.read_bytes()

    def write_files(self, files: Mapping[str, str | bytes]) -> list[str]:
        """Write every file into the folder (rendered before, each written atomically)."""
        written = []
        for name, content in as_bytes(files).items():
            path = self._path(name)
            write_atomic(path, content)
            written.append(str(path))
        return written

    def _path(self, key: str) -> Path:
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise FileNotFoundError(f"{self.root}/{key}: not a key under this folder")
        return self.root.joinpath(*parts)
