"""apply_diff: pure application of a parsed diff to files served by read_file."""
from __future__ import annotations

from typing import Callable, Iterable

from .elisions import is_marker, parse_marker
from .hunks import patch_text
from .datatypes import ApplyResult, FilePatch, Hunk, HunkFailure, Line, PatchError
from .parse import parse_diff
from .relocate import relocate
from .paths import check_rel_path
from .syntax import syntax_errors
from .text import norm

ReadFile = Callable[[str], "str | None"]
ListFiles = Callable[[], "Iterable[str]"]


def apply_diff(diff_text: str, read_file: ReadFile,
               list_files: ListFiles | None = None) -> ApplyResult:
    """Apply a unified diff by content; PatchError/UnsafePathError on bad input.
    list_files, when given, lets a patch naming a missing file find the one it meant."""
    return apply_patches(parse_diff(diff_text), read_file, list_files)


def apply_patches(patches: list[FilePatch], read_file: ReadFile,
                  list_files: ListFiles | None = None) -> ApplyResult:
    """Apply file patches in order; later ones see earlier results. All or nothing."""
    overlay: dict[str, str | None] = {}
    originals: dict[str, str | None] = {}

    def read(p: str) -> str | None:
        if p not in overlay and p not in originals:
            originals[p] = read_file(p)
        return overlay[p] if p in overlay else originals[p]

    failures: list[HunkFailure] = []
    notes: list[str] = []
    for fp in patches:
        _apply_file(fp, read, overlay, failures, notes, list_files)
    check_syntax(overlay, originals, failures, notes)
    ok = not failures
    return ApplyResult(ok, dict(overlay) if ok else {}, failures, notes)


def resolve_path(raw: str, read) -> str:
    """Repo path for a header path: drop git's a/ b/ prefix unless the prefixed path exists."""
    if raw[:2] in ("a/", "b/") and len(raw) > 2:
        stripped = check_rel_path(raw[2:])
        if read(stripped) is not None or read(check_rel_path(raw)) is None:
            return stripped
    return check_rel_path(raw)


def _apply_file(fp: FilePatch, read, overlay, failures, notes, list_files=None) -> None:
    fail = lambda msg, path: failures.append(HunkFailure(path, 0, msg))  # noqa: E731
    if fp.old_path is None:
        return _create(fp, read, overlay, failures, notes, fail)
    src = resolve_path(fp.old_path, read)
    dst = resolve_path(fp.new_path, read) if fp.new_path is not None else None
    current = read(src)
    if current is None and dst and dst != src and not fp.explicit_rename and read(dst) is not None:
        src, current = dst, read(dst)  # "--- foo.orig +++ foo": an edit of the file that exists
    if current is None and dst == src and fp.hunks and not any(h.old for h in fp.hunks):
        notes.append(f"{src} does not exist; created it from the patch's added lines")
        return _create(fp, read, overlay, failures, notes, fail)
    if current is None and list_files is not None and dst == src:
        src, why = _meant_file(src, fp.hunks, read, list_files)
        if src is None:
            return fail(why, dst)
        notes.append(why)
        dst, current = src, read(src)
    if current is None:
        return fail("file does not exist (to create it, use --- /dev/null)", src)
    if (why := _inert_line(fp.inert, current)) is not None:
        return fail(why, src)
    if not fp.hunks and dst == src:
        return  # its hunks change nothing
    new = patch_text(src, current, fp.hunks, failures, notes)
    if new is None:
        return
    if dst is None:
        if new.strip():
            return fail("deletion patch does not remove the whole file", src)
        overlay[src] = None
    elif dst != src:
        if read(dst) is not None:
            return fail(f"cannot rename {src} to {dst}: {dst} already exists", dst)
        overlay[dst] = new
        if not fp.copy:
            overlay[src] = None
    else:
        overlay[src] = new


def _inert_line(inert: list[Hunk], text: str) -> str | None:
    """Why a hunk that changes nothing is refused: one of its lines is not in the file,
    so it is most likely an added line written without its '+' (dropping the hunk
    would lose that code). Hunks whose lines are all in the file are left out."""
    have = {norm(s) for s in text.split("\n")}
    for h in inert:
        for ln in h.lines:
            key = norm(ln.text)
            if key and key not in have and not is_marker(ln.text) and not parse_marker(ln.text):
                return (f"a hunk has no '+' or '-' lines, and its line {ln.text.strip()!r} is "
                        f"not in the file: if it is new code, mark it '+'")
    return None


def _meant_file(path: str, hunks: list[Hunk], read, list_files: ListFiles):
    """(the existing file a patch for the missing `path` meant, note) or (None, why)."""
    def applies(f: str) -> bool:
        try:
            text = read(f)
        except PatchError:  # a binary file, a directory: not the one meant
            return False
        return text is not None and patch_text(f, text, hunks, [], []) is not None
    return relocate(path, list_files(), applies)


def _create(fp, read, overlay, failures, notes, fail) -> None:
    dst = resolve_path(fp.new_path, read)
    if read(dst) is not None:
        return fail("file already exists, but the patch creates it (--- /dev/null)", dst)
    if any(ln.tag == "-" for h in fp.hunks for ln in h.lines):
        return fail("a new file cannot have removed ('-') lines", dst)
    new = patch_text(dst, "", [_as_addition(h) for h in fp.hunks], failures, notes)
    if new is not None:
        overlay[dst] = new


def _as_addition(h: Hunk) -> Hunk:
    """Context lines in a new-file hunk are content the model forgot to mark '+'."""
    lines = [Line("+", ln.text, ln.no_newline) for ln in h.lines]
    return Hunk(old_start=0, lines=lines)


def check_syntax(overlay, originals, failures, notes) -> None:
    """Refuse changes that break a file's syntax; only note errors it already had."""
    for path, text in overlay.items():
        if text is None:
            continue
        errs = syntax_errors(path, text)
        if not errs:
            continue
        before = originals.get(path)
        if before is not None and syntax_errors(path, before):
            notes.append(f"{path} already had syntax errors before the patch: {errs[0]}")
        else:
            failures.append(HunkFailure(path, 0, "patch would leave a syntax error: "
                                        + "; ".join(errs)))
