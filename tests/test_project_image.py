"""The project image (envs/layers/project*.py): what is found to install, how a failure reads, and
with a real engine: built once and reused, the copied tree is what imports, `dsfix fix` verifies.

The fixture has a src/ layout and a third-party test dependency (`dsfix-testdep`, a wheel written
here) that only the loopback index in tests/pyindex.py serves: neither exists on the base image.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path

import pytest

from clirun import dsfix, report, script
from conftest import commit_files, git
from dsfix.common.logs import captured
from dsfix.envs.layers.project import MARK, ProjectPlan, build_script
from dsfix.envs.layers.project_build import choose_provision, ensure_project_image, explain
from dsfix.envs.layers.python import PythonUnavailable
from dsfix.envs.specs.testdeps import read_test_deps
from dsfix.envs.workspace import Workspace
from pyindex import Index, download, make_simple, write_wheel

SESSION = uuid.uuid4().hex[:8]   # in pyproject.toml: this session's first build is a real one
BUG = "    return sum(xs) / (len(xs) + 1)\n"
FIX = "    return sum(xs) / len(xs)\n"


def make_project(path: Path, extra: str = "") -> Path:
    files = {
        "pyproject.toml": f'''# test session {SESSION}{extra}
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "0.1.0"
requires-python = ">=3.9"

[project.optional-dependencies]
test = ["dsfix-testdep>=1.0"]

[tool.pytest.ini_options]
testpaths = ["tests"]
''',
        "src/calc/__init__.py": f"def mean(xs):\n{BUG}",
        "tests/conftest.py": "import dsfix_testdep  # a test dependency the base image lacks\n",
        "tests/test_calc.py": "from calc import mean\nfrom dsfix_testdep import double\n\n\n"
                              "def test_mean():\n    assert mean([1, 2, 3]) == 2\n\n\n"
                              "def test_double():\n    assert double(2) == 4\n",
        "ISSUE.md": "calc.mean([1, 2, 3]) returns 1.5 instead of 2.\n",
    }
    return commit_files(path, files)


# ---------------------------------------------------------------- static: no engine

def test_test_deps_found_where_projects_keep_them(tmp_path):
    (tmp_path / "pyproject.toml").write_text('''
[project]
name = "p"
[project.optional-dependencies]
test = ["a"]
docs = ["sphinx"]
dev = ["b"]
[dependency-groups]
lint = ["ruff"]
base = ["c>=1"]
tests = ["d", {include-group = "base"}]
[tool.pytest.ini_options]
''')
    (tmp_path / "tox.ini").write_text("[testenv]\ndeps =\n  e\n  -r{toxinidir}/requirements-test.txt\n"
                                      "  {env:X}\nextras = dev\ncommands = pytest\n")
    (tmp_path / "requirements-test.txt").write_text("f\n")
    (tmp_path / "requirements-docs.txt").write_text("sphinx\n")
    d = read_test_deps(tmp_path)
    assert d.packaged and d.extras == ["test", "dev"]
    assert d.requirement_files == ["requirements-test.txt"]
    assert d.requirements == ["d", "c>=1", "e", "pytest"]
    assert set(d.key_files) == {"pyproject.toml", "tox.ini", "requirements-test.txt"}


def test_plan_steps_and_key_follow_dependencies_only(tmp_path):
    d = read_test_deps(make_project(tmp_path / "p"))
    plan = ProjectPlan(d, {"pyproject.toml": "h1"}, "dsfix/base:bookworm", "sha256:b", "3.11",
                       packages=["x==1"], setup=["echo hi"])
    assert [n for n, _ in plan.steps()] == ["the project (editable)", "test dependencies", "env.packages",
                                            "env.setup: echo hi"]
    assert plan.steps()[0][1] == "dsfix_install -e '.[test]'"
    same = ProjectPlan(d, {"pyproject.toml": "h1"}, "dsfix/base:bookworm", "sha256:b", "3.11",
                       packages=["x==1"], setup=["echo hi"])
    assert same.key == plan.key
    for change in ({"files": {"pyproject.toml": "h2"}}, {"base_id": "sha256:c"}, {"packages": ["x==2"]}):
        other = ProjectPlan(**{**plan.__dict__, **change})
        assert other.key != plan.key, change


def test_a_failed_step_reads_as_one_line_with_the_fix(tmp_path):
    lines = [f"{MARK} step 1/2: the project (editable): dsfix_install -e .", "Collecting x",
             "  × No solution found when resolving dependencies:", "  ╰─▶ Because nope was not found in the package registry",
             f"{MARK} uv failed; trying this step with pip", "ERROR: No matching distribution found for nope",
             f"{MARK} FAILED step: env.packages: dsfix_install nope"]
    msg = explain(lines, tmp_path / "x.log")
    first = msg.splitlines()[0]
    assert first.startswith("the environment image could not be built: env.packages: dsfix_install nope failed: "
                            "ERROR: No matching distribution found for nope; in dsfix.yaml, correct env.packages")
    assert str(tmp_path / "x.log") in first and "No matching distribution" in msg.splitlines()[-1]


def test_a_python_the_project_allows_when_the_best_cannot_be_had(tmp_path, monkeypatch):
    # networkx: requires-python >=3.12; 3.12 needs a toolchain (none here, downloads off), and
    # Debian trixie's 3.13 is allowed too: that one, not a failed run
    monkeypatch.setenv("DSFIX_PYTHON_DIR", str(tmp_path / "no-toolchains"))
    monkeypatch.setenv("DSFIX_PYTHON_URL", "")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "g"\nrequires-python = ">=3.12,!=3.14.1"\n')
    deps = read_test_deps(tmp_path)
    assert deps.python == "3.12" and deps.pythons[:2] == ["3.12", "3.13"]
    logs: list[str] = []
    with captured(logs.append):
        prov = choose_provision(None, deps)
    assert (prov.version, prov.release, prov.toolchain) == ("3.13", "trixie", None)
    assert any("using 3.13" in l for l in logs), logs
    with pytest.raises(PythonUnavailable, match="env.python"):   # asked for by name: that one or nothing
        choose_provision("3.12", deps)


UV_LOCK = """version = 1
[[package]]
name = "dsfix-testdep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "calc"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "numpy"
version = "2.2.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.3.4"
source = { registry = "https://pypi.org/simple" }
"""


def test_lock_pins_become_build_constraints(tmp_path):
    repo = make_project(tmp_path / "calc", extra=" pins")
    (repo / "uv.lock").write_text(UV_LOCK)
    (repo / "constraints-ci.txt").write_text("-r other.txt\nattrs<30  # a comment\n")
    d = read_test_deps(repo)
    # one version: pinned; several (one per Python): left free; the project itself: not a pin
    assert d.constraints == ["dsfix-testdep==1.0", "attrs<30"]
    assert {"uv.lock", "constraints-ci.txt"} <= set(d.key_files)
    plan = ProjectPlan(d, {}, "dsfix/base:bookworm", "sha256:b", "3.11")
    assert "export PIP_CONSTRAINT=/dsfix/constraints.txt UV_CONSTRAINT=/dsfix/constraints.txt" in build_script(plan)


# ---------------------------------------------------------------- real engine

@pytest.fixture(scope="module")
def index(tmp_path_factory):
    top = tmp_path_factory.mktemp("index")
    files = top / "files"
    files.mkdir()
    download(files)
    for v in ("1.0", "2.0"):   # the same code; a lock may pin the older one
        write_wheel(files, "dsfix-testdep", v, {"dsfix_testdep/__init__.py": f"VERSION = {v!r}\n\n\n"
                                                "def double(x):\n    return 2 * x\n"})
    make_simple(files, top / "simple")
    srv = Index(top)
    yield srv.url
    srv.close()


def _remove(client, tag):
    try:
        client.images.remove(tag, force=True)
    except Exception:  # noqa: BLE001 - already gone
        pass


def test_built_once_reused_and_the_copied_tree_imports(docker_client, index, tmp_path):
    from dsfix.envs.docker_env import DockerEnvironment
    repo = make_project(tmp_path / "calc", extra=" reuse")
    logs: list[str] = []
    t0 = time.monotonic()
    with captured(logs.append, logging.INFO):
        first = ensure_project_image(docker_client, Workspace(repo), index_url=index)
    try:
        assert first.built and first.installer.startswith("uv "), logs
        assert any(l.startswith("step 1/2: the project (editable)") for l in logs), logs
        print(f"first build {time.monotonic() - t0:.1f}s with {first.installer}")
        # an edit to the code (and a deleted file), no change to the dependency files: no build
        (repo / "src/calc/__init__.py").write_text(f"EDITED = True\n\n\ndef mean(xs):\n{FIX}")
        (repo / "tests/test_calc.py").unlink()
        (repo / "tests/test_new.py").write_text("def test_new():\n    pass\n")
        again = ensure_project_image(docker_client, Workspace(repo), index_url=index)
        assert again.tag == first.tag and not again.built
        print(f"cached lookup {again.seconds:.2f}s")
        with DockerEnvironment(Workspace(repo), again.tag, pull=False, client=docker_client) as env:
            r = env.execute("command -v python; python -c 'import calc, dsfix_testdep; print(calc.__file__, calc.EDITED)'")
            assert r.exit_code == 0 and r.output.split() == ["/opt/venv/bin/python", "/repo/src/calc/__init__.py",
                                                            "True"], r.output
            r = env.execute("python -m pytest -q -p no:cacheprovider")
            assert r.exit_code == 0 and "1 passed" in r.output, r.output   # only test_new: the deleted file is gone
            r = env.execute("python -c 'import sys; print(sys.flags.no_site, [p for p in sys.path if \"dist-packages\" in p])'")
            assert r.output.split() == ["0", "[]"], r.output
    finally:
        _remove(docker_client, first.tag)


def test_uv_is_installed_once_for_every_project_image(docker_client, index, tmp_path):
    """uv's own install (a venv and a download) is a cached layer shared by project images, not a
    cost of every build; with env.installer pip there is no such layer."""
    base = len(docker_client.images.get("dsfix/base:bookworm").attrs["RootFS"]["Layers"])
    tags = []
    try:
        for name, inst in (("one", "auto"), ("two", "auto"), ("three", "pip")):
            repo = make_project(tmp_path / name, extra=f" uv layer {name}")
            (repo / "NOTES.txt").write_text(name)   # another tree: another build context
            tags.append(ensure_project_image(docker_client, Workspace(repo), index_url=index, installer=inst).tag)
        one, two, pip = (docker_client.images.get(t).attrs["RootFS"]["Layers"][base:] for t in tags)
        assert one[:2] == two[:2] and one[-2] != two[-2]   # build_env + uv shared; each tree its own
        assert len(pip) == len(one) - 2 and pip[0] != one[0]
    finally:
        for t in tags:
            _remove(docker_client, t)


def test_fix_gets_past_preflight_and_verifies(docker_client, index, tmp_path):
    repo = make_project(tmp_path / "calc")
    answer = f"The mean divides by one too many.\n\n```diff\n--- a/src/calc/__init__.py\n+++ b/src/calc/__init__.py\n" \
             f"@@ -1,2 +1,2 @@\n def mean(xs):\n-{BUG}+{FIX}```\n"
    repro = "A script that shows it:\n\n```python\nfrom calc import mean\n\nassert mean([1, 2, 3]) == 2, mean([1, 2, 3])\n```\n"
    model = script(tmp_path / "replay.json", [repro, answer])   # a scripted replay of these answers, not a model
    out = tmp_path / "out"
    env = {"DSFIX_ENV__INDEX_URL": index, "DSFIX_ENV__PROJECT_IMAGE": "true"}
    r = dsfix("fix", str(repo), "--issue-file", str(repo / "ISSUE.md"), "--model", model, "--out", str(out), env=env)
    try:
        assert r.returncode == 0, r.stderr + r.stdout
        rep = report(out)
        assert rep["status"] == "verified", rep
        before, after = rep["tests"]["before"]["counts"], rep["tests"]["after"]["counts"]
        assert before == {"PASSED": 1, "FAILED": 1} and after == {"PASSED": 2}, rep["tests"]
        # the second run finds the image: no build
        r2 = dsfix("env", "build", str(repo), env=env)
        assert r2.returncode == 0 and "cached" in r2.stdout and "building" not in r2.stderr, r2.stderr + r2.stdout
    finally:
        for line in (r.stdout + r.stderr).split():
            if line.startswith("dsfix/project:"):
                _remove(docker_client, line.rstrip(";),"))


def test_a_package_that_cannot_install_stops_with_one_line(docker_client, index, tmp_path):
    repo = make_project(tmp_path / "calc", extra=" broken")
    (repo / "dsfix.yaml").write_text(json.dumps({"env": {"packages": ["dsfix-no-such-package==9"]}}))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "broken")
    r = dsfix("env", "build", str(repo), env={"DSFIX_ENV__INDEX_URL": index})
    assert r.returncode == 2, r.stderr + r.stdout
    err = [l for l in r.stderr.splitlines() if l.startswith("error") or "could not be built" in l]
    assert len(err) == 1 and "env.packages" in err[0] and "dsfix-no-such-package" in err[0], r.stderr


def test_the_lock_decides_the_version_installed(docker_client, index, tmp_path):
    # the index has dsfix-testdep 1.0 and 2.0; the project's uv.lock says 1.0 (as click's lock
    # keeps the pytest its filterwarnings=error suite works with)
    from dsfix.envs.docker_env import DockerEnvironment
    repo = make_project(tmp_path / "calc", extra=" locked")
    (repo / "uv.lock").write_text(UV_LOCK)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "lock")
    logs: list[str] = []
    with captured(logs.append, logging.INFO):
        img = ensure_project_image(docker_client, Workspace(repo), index_url=index)
    try:
        assert any("pins from the project's lock" in l for l in logs), logs
        with DockerEnvironment(Workspace(repo), img.tag, pull=False, client=docker_client) as env:
            r = env.execute("python -c 'import dsfix_testdep; print(dsfix_testdep.VERSION)'")
            assert r.exit_code == 0 and r.output.strip() == "1.0", r.output
    finally:
        _remove(docker_client, img.tag)
