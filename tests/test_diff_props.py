"""Property-based tests: no crash but PatchError, round trips, no write outside the repo."""
import difflib
import os
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsfix.tools.diff import PatchError, apply_diff, apply_to_dir
from dsfix.tools.diff.parse import parse_diff

SETTINGS = settings(max_examples=int(os.environ.get("DSFIX_HYPOTHESIS_EXAMPLES", 60)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

PATHS = st.sampled_from(["f.py", "a/f.py", "b/f.py", "dir/g.txt", "../up.txt", "/abs.txt",
                         "link/x.txt", "link", "dir/../../esc.txt", "/dev/null", "new.txt",
                         ".git/config", "f.py\t2020-01-01 00:00:00", '"q f.txt"', "."])
BODY = st.sampled_from([" a", "-a", "+a", " b", "-b", "+b", "", "\\ No newline at end of file",
                        " x = 1", "-x = 1", "+x = (", "+y = 2", "--- f.py", "+++ f.py", "@@",
                        "@@ -1,3 +1,4 @@", "@@ -0,0 +1 @@", "@@ ... @@", "random prose",
                        "diff --git a/f.py b/f.py", "new file mode 100644", "deleted file mode 100644",
                        "rename from f.py", "rename to g.py", "Binary files a/x and b/x differ"])


@st.composite
def diffish(draw):
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            lines += [f"--- {draw(PATHS)}", f"+++ {draw(PATHS)}"]
        lines += draw(st.lists(BODY, max_size=8))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return eol.join(lines) + draw(st.sampled_from(["", eol]))


FILES = {"f.py": "a\nb\nx = 1\n", "dir/g.txt": "a\r\nb\r\n", "a/f.py": "a\nb"}


@SETTINGS
@given(st.one_of(diffish(), st.text(max_size=200)))
def test_parser_and_applier_only_raise_patch_error(text):
    try:
        parse_diff(text)
        r = apply_diff(text, FILES.get)
    except PatchError:
        return
    assert r.ok == (not r.failures)
    assert r.ok or r.changes == {}
    assert isinstance(r.feedback(), str)


def snapshot(top: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            out[str(p.relative_to(top))] = None if p.is_dir() else p.read_bytes() if not p.is_symlink() else os.readlink(p)
    return out


@SETTINGS
@given(diffish())
def test_never_writes_outside_repo(tmp_path_factory, text):
    top = tmp_path_factory.mktemp("sandbox")
    repo, outside = top / "repo", top / "outside"
    (repo / "dir").mkdir(parents=True)
    outside.mkdir()
    (outside / "x.txt").write_text("a\n")
    for rel, content in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content)
    os.symlink(outside, repo / "link")
    before = {k: v for k, v in snapshot(top).items() if not k.startswith("repo")}
    try:
        apply_to_dir(repo, text)
    except PatchError:
        pass
    after = {k: v for k, v in snapshot(top).items() if not k.startswith("repo")}
    assert after == before


LINE = st.sampled_from(["a", "b", "c", "", "    x = 1", "    return x", "def f():", "# c"])


def udiff(old: str, new: str, n: int = 3) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        "a/t.txt", "b/t.txt", n=n))


@st.composite
def edit_pair(draw, lines=LINE):
    old = draw(st.lists(lines, min_size=1, max_size=30))
    new = list(old)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(new)))
        op = draw(st.sampled_from(["ins", "del", "rep"]))
        if op == "ins" or i == len(new):
            new.insert(i, draw(lines) + "!")
        elif op == "del":
            del new[i]
        else:
            new[i] = new[i] + " # changed"
    return "".join(s + "\n" for s in old), "".join(s + "\n" for s in new)


@SETTINGS
@given(edit_pair(), st.sampled_from([0, 1, 3]))
def test_clean_difflib_diffs_apply_exactly(pair, n):
    old, new = pair
    assume(old != new)
    d = udiff(old, new, n)
    r = apply_diff(d, {"t.txt": old}.get)
    if n == 0:  # no context: may refuse, must never be wrong
        assert not r.ok or r.changes["t.txt"] == new
        return
    assert r.ok, r.feedback()
    assert r.changes["t.txt"] == new


UNIQUE = st.integers(0, 10**6).map(lambda i: f"v{i} = {i}")


@SETTINGS
@given(edit_pair(UNIQUE), st.integers(10, 200), st.booleans())
def test_distinct_lines_shifted_headers_exact(pair, shift, crlf):
    old, new = pair
    assume(old != new and len(set(old.splitlines())) == len(old.splitlines()))
    d = udiff(old, new).replace("@@ -", f"@@ -{shift}").replace(" +", f" +{shift}", 1)
    src = old.replace("\n", "\r\n") if crlf else old
    r = apply_diff(d, {"t.txt": src}.get)
    assert r.ok, r.feedback()
    assert r.changes["t.txt"] == (new.replace("\n", "\r\n") if crlf else new)


def corrupt(d: str, how: str) -> str:
    out = []
    for ln in d.splitlines():
        if ln.startswith("@@") and how == "nocounts":
            ln = "@@"
        elif ln[:1] == " " and how == "indent":
            ln = "  " + ln[1:]
        elif ln.startswith(("--- a/", "+++ b/")) and how == "noprefix":
            ln = ln[:4] + ln[6:]
        out.append(ln)
    return "\n".join(out) + "\n"


@SETTINGS
@given(edit_pair(UNIQUE), st.sampled_from(["nocounts", "indent", "noprefix"]))
def test_distinct_lines_model_slips_exact(pair, how):
    old, new = pair
    assume(old != new and len(set(old.splitlines())) == len(old.splitlines()))
    r = apply_diff(corrupt(udiff(old, new), how), {"t.txt": old}.get)
    assert r.ok, r.feedback()
    assert r.changes["t.txt"] == new


@SETTINGS
@given(edit_pair(), st.sampled_from(["nocounts", "indent"]))
def test_repetitive_files_never_wrong_without_line_numbers(pair, how):
    old, new = pair
    assume(old != new)
    r = apply_diff(corrupt(udiff(old, new), how), {"t.txt": old}.get)
    assert not r.ok or r.changes["t.txt"] == new, r.notes
