"""The appliers compared: dsfix (this tree's, and optionally another revision's
tools/diff beside it), `git apply` and GNU `patch --fuzz=3`; and the verdict on a result."""
from __future__ import annotations

import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GIT = ["git", "apply", "-p1", "--whitespace=nowarn"]
PATCH = ["patch", "-p1", "--fuzz=3", "--batch", "--forward", "--no-backup-if-mismatch",
         "-r", "/dev/null", "-s", "-i"]


def diff_package_at(ref: str, name: str = "dsfix_diff_base"):
    """tools/diff as it is at git revision `ref`, imported as package `name`; None when
    it is the same as this tree's (then there is nothing to compare)."""
    same = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", ref, "--", "tools/diff"])
    if same.returncode == 0:
        return None
    data = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "tools/diff"],
                          capture_output=True, check=True).stdout
    tmp = Path(tempfile.mkdtemp(prefix="edits-base-"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / "tools" / "diff").rename(tmp / name)
    sys.path.insert(0, str(tmp))
    return importlib.import_module(name)


def run_dsfix(pkg, diff, src, inst):
    """Apply with a dsfix diff package; files outside `src` are the repository's own."""
    def read(p):
        return src[p] if p in src else inst.read_any(p)
    try:
        r = pkg.apply_diff(diff, read, lambda: inst.tree)
    except pkg.PatchError:
        return "refused", dict(src), None
    if not r.ok:
        return "refused", dict(src), r
    return "applied", {**src, **r.changes}, r


def run_cli(cmd, diff, src, paths):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for p, t in src.items():
            if t is not None:
                (root / p).parent.mkdir(parents=True, exist_ok=True)
                (root / p).write_bytes(t.encode("utf-8", "surrogateescape"))
        (root / ".patch").write_bytes(diff.encode("utf-8", "surrogateescape"))
        try:
            rc = subprocess.run(cmd + [str(root / ".patch")], cwd=root, capture_output=True,
                                timeout=30, stdin=subprocess.DEVNULL).returncode
        except subprocess.TimeoutExpired:
            rc = 124
        out = {}
        for p in paths:
            f = root / p
            out[p] = f.read_bytes().decode("utf-8", "surrogateescape") if f.is_file() else None
    return ("applied" if rc == 0 else "refused"), out


def apply_gold(patch, src, paths):
    return run_cli(GIT, patch, src, paths)


def classify(status, out, src, expected):
    keys = set(src) | set(expected) | set(out)
    same = all(out.get(k) == expected.get(k) for k in keys)
    if same and status == "applied":
        return "exact"
    touched = any(out.get(k) != src.get(k) for k in keys)
    return "wrong" if status == "applied" or touched else "refused"
