"""The related tests the loop runs are test modules, never conftest.py or helpers."""
from __future__ import annotations

from conftest import commit_files

from dsfix.agent.related import related_tests


def test_only_modules_with_tests_are_related(tmp_path):
    files = {
        "pkg/__init__.py": "", "pkg/mod.py": "def f():\n    return 1\n",
        "tests/test_mod.py": "from pkg.mod import f\n\ndef test_f():\n    assert f() == 1\n",
        "tests/conftest.py": "from pkg.mod import f\n",
        "tests/helpers.py": "from pkg.mod import f\n",
        "pkg/testutils/lint_module_test.py": "from pkg.mod import f\n\nclass LintModuleTest:\n    pass\n",
        "tests/mod_test.py": "import pkg.mod\n\nclass TestMod:\n    def test_x(self):\n        pass\n",
    }
    commit_files(tmp_path, files)
    assert sorted(related_tests(tmp_path, ["pkg/mod.py"])) == ["tests/mod_test.py", "tests/test_mod.py"]


def test_the_repositorys_python_files_say_which_files_are_tests(tmp_path):
    """pylint and astroid configure `python_files = *test_*.py`: their unittest_*.py are tests."""
    files = {
        "setup.cfg": "[tool:pytest]\npython_files = *test_*.py\n",
        "pkg/__init__.py": "", "pkg/modutils.py": "def f():\n    return 1\n",
        "tests/unittest_modutils.py": "from pkg.modutils import f\n\ndef test_f():\n    assert f() == 1\n",
    }
    commit_files(tmp_path, files)
    assert related_tests(tmp_path, ["pkg/modutils.py"]) == ["tests/unittest_modutils.py"]
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = -q\n")   # pytest's defaults again
    assert related_tests(tmp_path, ["pkg/modutils.py"]) == []


def test_tests_beside_the_module_come_before_far_importers(tmp_path):
    """A central module is imported by many test files; the namesake, then the module's own package's
    tests come first, not the alphabetically first importers elsewhere."""
    files = {"pkg/__init__.py": "", "pkg/core/__init__.py": "", "pkg/core/symbol.py": "S = 1\n",
             "pkg/core/tests/test_symbol.py": "from pkg.core.symbol import S\n\ndef test_s():\n    pass\n",
             "pkg/core/tests/test_basic.py": "from pkg.core.symbol import S\n\ndef test_b():\n    pass\n"}
    for name in ("algebra", "bessel", "calculus", "diff", "euler", "fourier", "geometry", "hyper"):
        files[f"pkg/{name}/__init__.py"] = ""
        files[f"pkg/{name}/tests/test_{name}.py"] = "from pkg.core.symbol import S\n\ndef test_x():\n    pass\n"
    commit_files(tmp_path, files)
    got = related_tests(tmp_path, ["pkg/core/symbol.py"])
    assert got[:2] == ["pkg/core/tests/test_symbol.py", "pkg/core/tests/test_basic.py"]
    assert len(got) == 8
