"""Data types shared by the diff parser, matcher and appliers."""
from __future__ import annotations

from dataclasses import dataclass, field


class PatchError(Exception):
    """Bad input: unparseable, empty or binary patch (CLI exit code 2)."""


class UnsafePathError(PatchError):
    """A path that is absolute, climbs out with '..', or goes through a symlink."""


@dataclass
class HunkFailure:
    """One hunk that could not be placed; hunk_index is 1-based (0 = whole file)."""
    path: str
    hunk_index: int
    message: str


@dataclass
class ApplyResult:
    ok: bool
    changes: dict[str, str | None] = field(default_factory=dict)
    failures: list[HunkFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def feedback(self) -> str:
        """Compact text for the model: what applied, and exactly what did not."""
        if self.ok:
            files = ", ".join(sorted(self.changes)) or "nothing"
            lines = [f"Patch applied cleanly to: {files}."]
            lines += [f"note: {n}" for n in self.notes]
            return "\n".join(lines)
        lines = [f"Patch NOT applied ({len(self.failures)} problem(s)); no file was changed."]
        for f in self.failures:
            where = f"{f.path} hunk {f.hunk_index}" if f.hunk_index else f.path
            lines.append(f"- {where}: {f.message}")
        return "\n".join(lines)


@dataclass
class Line:
    """One body line of a hunk: tag is ' ' (context), '-' or '+'."""
    tag: str
    text: str
    no_newline: bool = False  # followed by "\ No newline at end of file"


@dataclass
class Hunk:
    old_start: int | None  # 1-based line stated in the header, None if absent
    lines: list[Line] = field(default_factory=list)

    @property
    def old(self) -> list[Line]:
        return [ln for ln in self.lines if ln.tag != "+"]

    @property
    def new(self) -> list[Line]:
        return [ln for ln in self.lines if ln.tag != "-"]


@dataclass
class FilePatch:
    old_path: str | None  # None: /dev/null (new file)
    new_path: str | None  # None: /dev/null (deleted file)
    hunks: list[Hunk] = field(default_factory=list)
    inert: list[Hunk] = field(default_factory=list)  # hunks without '+'/'-' lines
    explicit_rename: bool = False  # "rename from/to" lines, not just differing paths
    copy: bool = False
    is_new: bool = False
    is_delete: bool = False
