"""swebench_spec() on the shipped SWE-bench data, and the generator's extraction."""

import json

import pytest

from dsfix.envs.specs import EXTRA_SPECS, PARSERS, RepoSpec, directives_for, swebench_spec
from dsfix.envs.specs import gen_swebench, swebench


def test_shipped_data_says_where_it_came_from():
    about = json.loads(swebench.DATA.read_text())["_about"]
    assert about["source"].startswith("swebench 4.1.0")
    assert "MIT" in about["license"]


def test_every_shipped_spec_is_a_valid_repo_spec():
    for repo, entry in swebench.repos().items():
        assert entry["parser"] in PARSERS
        for version in entry["versions"]:
            spec = swebench_spec(repo, version)
            assert isinstance(spec, RepoSpec) and spec.source == "swebench"


def test_django_spec():
    spec = swebench_spec("django/django", "3.0")
    assert spec.python == "3.6"
    assert spec.parser == "django"
    assert spec.test_cmd == "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1"
    assert "tests/requirements/py3.txt" in spec.install[0]
    assert spec.install[-1] == "python -m pip install -e ."
    assert spec.env == {"LANG": "en_US.UTF-8", "LANGUAGE": "en_US:en", "LC_ALL": "en_US.UTF-8"}
    # SWE-bench re-runs install before the tests, after its non-export eval commands
    assert spec.pre_test == ["sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen",
                             "python -m pip install -e ."]


def test_sympy_and_sphinx_specs():
    sympy = swebench_spec("sympy/sympy", "1.1")
    assert (sympy.python, sympy.parser) == ("3.9", "sympy")
    assert sympy.test_cmd.endswith("bin/test -C --verbose")
    sphinx = swebench_spec("sphinx-doc/sphinx", "7.2")
    assert sphinx.parser == "pytest_v2"
    assert sphinx.install.index("sed -i 's/pytest/pytest -rA/' tox.ini") < \
        sphinx.install.index("python -m pip install -e .[test]")  # pre_install before install


def test_pip_packages_follow_conda_packages():
    spec = swebench_spec("scikit-learn/scikit-learn", "0.20")
    assert spec.install == [
        "python -m pip install numpy scipy cython pytest pandas matplotlib",
        "python -m pip install cython numpy==1.19.2 setuptools scipy==1.5.2",
        "python -m pip install -v --no-use-pep517 --no-build-isolation -e .",
    ]


def test_unknown_repo_or_version_is_a_clear_key_error():
    with pytest.raises(KeyError, match="no SWE-bench spec for repo 'nobody/nothing'"):
        swebench_spec("nobody/nothing", "1.0")
    with pytest.raises(KeyError, match="django/django version '0.1'.*known versions"):
        swebench_spec("django/django", "0.1")


def test_adding_a_repo_is_a_few_lines(monkeypatch):
    monkeypatch.setitem(EXTRA_SPECS, "acme/widgets", {"parser": "pytest", "versions": {
        "2.0": {"python": "3.12", "install": "python -m pip install -e .", "test_cmd": "pytest -rA"}}})
    spec = swebench_spec("acme/widgets", "2.0")
    assert (spec.python, spec.install, spec.test_cmd) == ("3.12", ["python -m pip install -e ."], "pytest -rA")


def test_django_directives_are_modules():
    assert directives_for("django/django", ["tests/queries/test_q.py", "tests/admin_views/"]) == \
        ["queries.test_q", "admin_views."]
    assert directives_for("psf/requests", ["tests/test_utils.py"]) == ["tests/test_utils.py"]


FAKE_CONSTANTS = '''
TEST_PYTEST = "pytest -rA"
SPECS_DEMO = {k: {"python": "3.9", "install": "pip install -e .", "test_cmd": TEST_PYTEST}
              for k in ["1.0", "1.1"]}
SPECS_DEMO["1.1"]["packages"] = "requirements.txt"
MAP_REPO_VERSION_TO_SPECS_PY = {"demo/demo": SPECS_DEMO, "swe-bench/humaneval": {}}
MAP_REPO_TO_INSTALL_PY = {}
MAP_REPO_TO_REQS_PATHS = {"demo/demo": ["requirements/test.txt"]}
MAP_REPO_TO_ENV_YML_PATHS = {}
'''
FAKE_PARSERS = '''
def parse_log_pytest(log, test_spec):
    return {}
parse_log_demo = parse_log_pytest
MAP_REPO_TO_PARSER_PY = {"demo/demo": parse_log_demo}
'''


def test_generator_extracts_specs_and_resolves_parser_aliases():
    out = gen_swebench.extract({gen_swebench.CONSTANTS: FAKE_CONSTANTS,
                                gen_swebench.PARSERS: FAKE_PARSERS,
                                "swebench/__init__.py": '__version__ = "9.9.9"\n'})
    assert out["_about"]["source"].startswith("swebench 9.9.9")
    assert list(out["repos"]) == ["demo/demo"]  # no parser -> skipped
    demo = out["repos"]["demo/demo"]
    assert demo["parser"] == "pytest" and demo["reqs_paths"] == ["requirements/test.txt"]
    spec = swebench.to_repo_spec(demo["versions"]["1.1"], demo)
    assert "requirements/test.txt" in spec.install[0]


def test_generator_refuses_unknown_parser():
    with pytest.raises(SystemExit, match="no dsfix equivalent"):
        gen_swebench.parser_map("def parse_log_go(l, s): pass\nMAP_REPO_TO_PARSER_PY = {'a/b': parse_log_go}\n")
