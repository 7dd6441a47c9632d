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
