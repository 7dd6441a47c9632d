"""The working tree as dsfix copied it into the environment, kept on the host.

Edits are read from and diffed against this snapshot, never against what is inside the
environment: code that runs there (the repository's tests, the model's reproduction) can change
files, git, or anything else in the container, but not the patch dsfix reports.
"""
from __future__ import annotations

import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

REG, EXE, LINK = 0o100644, 0o100755, 0o120000


@dataclass(frozen=True)
class Entry:
    mode: int       # REG, EXE or LINK (git's file modes)
    data: bytes     # the content, or a symlink's target


class Snapshot:
    """A tar of ``names`` under ``root`` (symlinks kept as links, never followed), in a temporary
    file on the host, with an index to read any entry back."""

    def __init__(self, root: Path, names: list[str]):
        self._tar = tempfile.TemporaryFile(prefix="dsfix-snapshot-")
        with tarfile.open(fileobj=self._tar, mode="w") as tar:
            tar.add(root, arcname=".", recursive=False)
            for name in names:
                info = tar.gettarinfo(str(root / name), arcname=name)
                if info.isreg():
                    with open(root / name, "rb") as f:
                        tar.addfile(info, f)
                elif info.issym():
                    tar.addfile(info)
        with tarfile.open(fileobj=self.stream(), mode="r") as tar:   # read back: offsets to seek to
            self._index = {m.name: m for m in tar.getmembers() if m.isreg() or m.issym()}

    @property
    def names(self) -> list[str]:
        return sorted(self._index)

    def stream(self):
        """The tar, from its start (to copy into an environment)."""
        self._tar.seek(0)
        return self._tar

    def entry(self, name: str) -> Entry | None:
        info = self._index.get(name)
        if info is None:
            return None
        if info.issym():
            return Entry(LINK, info.linkname.encode("utf-8", "surrogateescape"))
        with tarfile.open(fileobj=self.stream(), mode="r") as tar:
            data = tar.extractfile(info).read()
        return Entry(EXE if info.mode & stat.S_IXUSR else REG, data)

    def read_text(self, name: str) -> str | None:
        """A regular file's text (undecodable bytes kept), or None when absent or not a regular file."""
        e = self.entry(name)
        if e is None or e.mode == LINK:
            return None
        return e.data.decode("utf-8", errors="surrogateescape")

    def extract(self, dest: Path) -> None:
        with tarfile.open(fileobj=self.stream(), mode="r") as tar:
            tar.extractall(dest, filter="tar")

    def close(self) -> None:
        self._tar.close()
