"""detect_spec / resolve_spec on small fixture repositories (their dsfix.yaml read by the settings loader)."""

import textwrap
from pathlib import Path

import pytest

from dsfix.agent.config import ConfigError, load_settings
from dsfix.envs.specs import RepoSpec, detect_spec, resolve_spec


def make(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


PYTEST_TEST = "import pytest\n\ndef test_x():\n    assert True\n"
UNITTEST_TEST = "import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self): pass\n"


def test_pyproject_with_test_extra(tmp_path):
    repo = make(tmp_path, {
        "pyproject.toml": """
            [build-system]
            requires = ["setuptools"]
            [project]
            name = "demo"
            requires-python = ">=3.9"
            [project.optional-dependencies]
            docs = ["sphinx"]
            test = ["pytest", "hypothesis"]
            """,
        "tests/test_a.py": PYTEST_TEST,
    })
    spec = detect_spec(repo)
    assert spec.python == "3.11"
    assert spec.install == ['python -m pip install -e ".[test]"', "python -m pip install pytest"]
    assert spec.test_cmd == "python -m pytest -rA"
    assert (spec.parser, spec.test_files_arg, spec.source) == ("pytest", True, "detected")


def test_requires_python_excluding_default(tmp_path):
    repo = make(tmp_path, {"pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=3.8,<3.11"\n'})
    assert detect_spec(repo).python == "3.10"


def test_poetry_python_constraint(tmp_path):
    repo = make(tmp_path, {"pyproject.toml": """
        [tool.poetry]
        name = "d"
        [tool.poetry.dependencies]
        python = "^3.12"
        """})
    assert detect_spec(repo).python == "3.12"


def test_setup_cfg_classifiers_and_extras(tmp_path):
    repo = make(tmp_path, {
        "setup.cfg": """
            [metadata]
            name = demo
            classifiers =
                Programming Language :: Python :: 3.8
                Programming Language :: Python :: 3.9
            [options]
            python_requires = >=3.7
            [options.extras_require]
            testing = pytest
            [tool:pytest]
            addopts = -q
            """,
        "setup.py": "from setuptools import setup\nsetup()\n",
        "tests/test_a.py": PYTEST_TEST,
    })
    spec = detect_spec(repo)
    assert spec.python == "3.9"  # the listed version closest to 3.11
    assert spec.install[0] == 'python -m pip install -e ".[testing]"'


def test_setup_py_literals(tmp_path):
    repo = make(tmp_path, {
        "setup.py": """
            from setuptools import setup
            EXTRAS = {"dev": ["pytest", "black"]}
            setup(name="demo", python_requires=">=3.6, <3.10", extras_require=EXTRAS)
            """,
        "test_mod.py": PYTEST_TEST,
    })
    spec = detect_spec(repo)
    assert spec.python == "3.9"
    assert spec.install[0] == 'python -m pip install -e ".[dev]"'


def test_requirements_only_repo(tmp_path):
    repo = make(tmp_path, {
        "requirements.txt": "requests\n",
        "requirements-dev.txt": "pytest\n",
        "requirements-docs.txt": "sphinx\n",
        "app.py": "",
        "tests/test_app.py": PYTEST_TEST,
    })
    spec = detect_spec(repo)
    assert spec.install == ["python -m pip install -r requirements.txt",
                            "python -m pip install -r requirements-dev.txt",
                            "python -m pip install pytest"]
    assert spec.parser == "pytest"


def test_unittest_only_repo_as_package(tmp_path):
    repo = make(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name='d')\n",
                           "tests/__init__.py": "", "tests/test_u.py": UNITTEST_TEST})
    spec = detect_spec(repo)
    assert (spec.test_cmd, spec.parser, spec.test_files_arg) == (
        "python -m unittest -v", "unittest", True)
    assert spec.install == ["python -m pip install -e ."]


def test_unittest_only_repo_plain_dir(tmp_path):
    repo = make(tmp_path, {"tests/test_u.py": UNITTEST_TEST})
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m unittest discover -v -s tests"
    assert spec.test_files_arg is False and spec.install == []


def test_unittest_in_a_root_test_py(tmp_path):
    # python-slugify (2024): one unittest module named test.py at the root, no runner config
    repo = make(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name='d')\n",
                           "d/__init__.py": "", "test.py": UNITTEST_TEST})
    spec = detect_spec(repo)
    assert (spec.test_cmd, spec.parser) == ("python -m unittest -v", "unittest")


def test_tox_pytest_command(tmp_path):
    repo = make(tmp_path, {
        "setup.py": "from setuptools import setup\nsetup(name='d')\n",
        "tox.ini": """
            [tox]
            envlist = py311
            [testenv]
            deps =
                -r{toxinidir}/requirements-test.txt
                pytest-cov
            extras = tests
            commands = pytest --cov=demo -p no:randomly {posargs}
            """,
        "requirements-test.txt": "pytest\n",
    })
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m pytest --cov=demo -p no:randomly -rA"
    assert spec.install == [
        "python -m pip install -r requirements-test.txt",
        'python -m pip install -e ".[tests]"',
        "python -m pip install pytest-cov",
        "python -m pip install pytest",
    ]
    assert spec.test_files_arg


def test_tox_with_test_paths_disables_file_args(tmp_path):
    repo = make(tmp_path, {"tox.ini": "[testenv]\ncommands = python -m pytest tests -k 'not slow'\n"})
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m pytest tests -k 'not slow' -rA"
    assert spec.test_files_arg is False


def test_tox_complex_command_falls_back(tmp_path):
    repo = make(tmp_path, {"tox.ini": "[testenv]\ncommands = pytest {env:PYTEST_ARGS:}\n"})
    assert detect_spec(repo).test_cmd == "python -m pytest -rA"


def test_tox_command_continued_with_backslashes(tmp_path):
    # python-humanize's tox.ini: one pytest call over several lines; shlex used to raise on it
    repo = make(tmp_path, {"tox.ini": "[testenv]\nextras =\n    tests\ncommands =\n"
                                      "    {envpython} -m pytest \\\n      --cov humanize \\\n"
                                      "      --cov-report term \\\n      {posargs}\n"})
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m pytest --cov humanize --cov-report term -rA"
    assert spec.test_files_arg


def test_tox_command_that_is_not_shell_like_falls_back(tmp_path):
    repo = make(tmp_path, {"tox.ini": "[testenv]\ncommands = pytest -k 'unbalanced\n"})
    assert detect_spec(repo).test_cmd == "python -m pytest -rA"


def test_noxfile_pytest_session(tmp_path):
    repo = make(tmp_path, {"noxfile.py": """
        import nox

        @nox.session
        def lint(session):
            session.install("ruff")
            session.run("ruff", "check", ".")

        @nox.session(python=["3.10", "3.11"])
        def tests(session):
            session.install("-e", ".[test]")
            session.run("pytest", "-x")
        """})
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m pytest -x -rA"
    assert 'python -m pip install -e ".[test]"' not in spec.install  # not packaged
    assert "python -m pip install -e '.[test]'" in spec.install


def test_empty_repo_defaults(tmp_path):
    spec = detect_spec(tmp_path)
    assert spec == RepoSpec(python="3.11", install=["python -m pip install pytest"],
                            test_cmd="python -m pytest -rA", parser="pytest",
                            test_files_arg=True, env={}, source="detected",
                            origin="pytest's defaults (no pytest configuration found)")


def test_dsfix_yaml_overrides_fields(tmp_path):
    repo = make(tmp_path, {
        "pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=3.8"\n',
        "dsfix.yaml": """
            model: some-llm   # other config; not ours
            spec:
              python: "3.10"
              install: make dev
              test_cmd: python -m pytest -rA -x tests
              test_files_arg: false
              env: {DJANGO_SETTINGS_MODULE: app.settings, RETRIES: 3}
            """,
    })
    spec = resolve_spec(repo, load_settings(repo, environ={}).spec)
    assert spec.python == "3.10"
    assert spec.install == ["make dev"]
    assert spec.test_cmd == "python -m pytest -rA -x tests"
    assert spec.env == {"DJANGO_SETTINGS_MODULE": "app.settings", "RETRIES": "3"}
    assert (spec.parser, spec.test_files_arg, spec.source) == ("pytest", False, "settings")


def test_dsfix_yaml_without_spec_keeps_detection(tmp_path):
    repo = make(tmp_path, {"dsfix.yaml": "model: x\n"})
    assert resolve_spec(repo, load_settings(repo, environ={}).spec) == detect_spec(repo)


@pytest.mark.parametrize("body, match", [
    ("spec:\n  python: 3.10\n", "spec.python: python 3.1 is ambiguous"),
    ("spec:\n  parser: nose\n", r"spec.parser: unknown parser 'nose'; known: \['django'"),
    ("spec:\n  tset_cmd: pytest\n", "spec.tset_cmd: unknown key; known: env, install"),
    ("spec: [1, 2]\n", "spec must be a mapping"),
])
def test_dsfix_yaml_errors_are_clear(tmp_path, body, match):
    (tmp_path / "dsfix.yaml").write_text(body)
    with pytest.raises(ConfigError, match=match) as e:
        load_settings(tmp_path, environ={})
    assert str(e.value).startswith(f"{tmp_path / 'dsfix.yaml'}: invalid setting spec")


def test_tox_config_embedded_in_pyproject(tmp_path):
    repo = make(tmp_path, {"pyproject.toml": '''
        [project]
        name = "d"
        [tool.tox]
        legacy_tox_ini = """
        [testenv]
        deps = pytest-timeout
        commands = pytest --timeout=60 {posargs}
        """
        '''})
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m pytest --timeout=60 -rA"
    assert "python -m pip install pytest-timeout" in spec.install


@pytest.mark.parametrize("requires, classifiers, expected", [
    (">=3.8", [], "3.11"),
    ("<3.11", [], "3.10"),
    (">=3.12", [], "3.12"),
    ("~=3.9", [], "3.11"),
    ("==3.8.*", [], "3.8"),
    (">=3.7,!=3.11.*,<3.12", [], "3.10"),
    ("^3.9", [], "3.11"),          # poetry
    ("not a spec", [], "3.11"),
    (None, ["3.8", "3.9", "3.10"], "3.10"),
    (">=3.10", ["3.9", "3.10"], "3.10"),  # a listed version must also be allowed
])
def test_python_version_choice(requires, classifiers, expected):
    from dsfix.envs.specs import pyversion
    assert pyversion.choose(requires, classifiers) == expected


def test_a_config_that_forces_colour_still_gives_readable_results(tmp_path):
    # python-humanize's tox.ini: [pytest] addopts = --color=yes. Its -rA log was escape codes to the
    # parser: 708 tests ran, none was read. The detected command turns colour off again.
    import subprocess
    import sys
    from dsfix.envs.specs import parse_log
    repo = make(tmp_path, {"tox.ini": "[testenv]\ncommands = pytest {posargs}\n[pytest]\naddopts = --color=yes\n",
                           "tests/test_a.py": "def test_ok():\n    pass\n\n\ndef test_bad():\n    assert 0\n"})
    spec = detect_spec(repo)
    assert spec.test_cmd == "python -m pytest -rA --color=no"
    cmd = [sys.executable, *spec.test_cmd.split()[1:], "-p", "no:cacheprovider", "-p", "no:randomly"]
    out = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120).stdout
    assert parse_log("pytest", out) == {"tests/test_a.py::test_ok": "PASSED", "tests/test_a.py::test_bad": "FAILED"}
    (repo / "tox.ini").write_text("[testenv]\ncommands = pytest {posargs}\n")
    assert detect_spec(repo).test_cmd == "python -m pytest -rA"   # nothing forced: nothing added


def test_the_detected_command_says_where_it_came_from(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a(): pass\n")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    assert detect_spec(tmp_path).origin == "pyproject.toml [tool.pytest.ini_options]"
    (tmp_path / "tox.ini").write_text("[testenv]\ndeps = pytest\ncommands = pytest tests {posargs}\n")
    assert detect_spec(tmp_path).origin == "tox.ini [testenv] commands"
    (tmp_path / "tox.ini").unlink()
    (tmp_path / "noxfile.py").write_text("import nox\n@nox.session\ndef tests(session):\n"
                                         "    session.install('pytest')\n    session.run('pytest')\n")
    assert detect_spec(tmp_path).origin == "noxfile.py session tests"
    assert resolve_spec(tmp_path, {"test_cmd": "make test"}).origin == ""   # given, not detected
