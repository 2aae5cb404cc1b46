"""A local folder as an output location: `--out DIR` writes the run's files straight into DIR
(each atomically); as a root of runs it holds run folders (`DIR/<run>/findings.json`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.fileio import write_atomic
from auditor.outputs.base import as_bytes


@dataclass(frozen=True)
class LocalFolder:
    """A folder: the reading side shared with S3 (`list_keys`, `read_bytes`) and atomic writes."""

    root: Path

    @property
    def uri(self) -> str:
        return str(self.root)

    def list_keys(self) -> list[str]:
        """Every regular file under the root, relative, '/'-separated; temporary files left out."""
        if not self.root.is_dir():
            return []
        keys = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                keys.append(path.relative_to(self.root).as_posix())
        return sorted(keys)

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{self.root}/{key}")
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
