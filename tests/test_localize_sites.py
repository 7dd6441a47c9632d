"""Behaviour sites (tools/localize/sites.py): where a quoted message is produced, and where the
options and config keys an issue names are declared and read, ranked as symbols, on fixture files."""
import pytest

from dsfix.tools.localize import evidence, localize, signals
from dsfix.tools.localize.index import get_index

pytestmark = pytest.mark.usefixtures("isolated_index_cache")

FILLER = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(40))


def _repo(tmp_path):
    from test_localize_helpers import make_repo
    repo = make_repo(tmp_path / "r", git=False)
    (repo / "tool").mkdir()
    (repo / "tool" / "__init__.py").write_text("")
    # a long module: the entry point on top, the message raised deep inside, far from it
    (repo / "tool" / "fmt.py").write_text(
        "def render(value, spec):\n    return _apply(value, spec)\n\n\n" + FILLER
        + "def _apply(value, spec):\n    if spec not in ('d', 's'):\n"
        "        raise ValueError('unknown format code for this value type')\n"
        "    return format(value, spec)\n")
    (repo / "tool" / "cli.py").write_text(
        "import argparse\n\n\ndef parser():\n    p = argparse.ArgumentParser()\n"
        "    p.add_argument(\n        '--show-scope',\n        action='store_true',\n"
        "        dest='showscope',\n    )\n    p.add_argument('--width', type=int)\n    return p\n")
    (repo / "tool" / "main.py").write_text(
        "def main(args):\n    if args.showscope:\n        return listing(args)\n    return 0\n\n\n"
        "def listing(args):\n    return run_session(args, _listing_main)\n\n\n"
        "def run_session(args, fn):\n    return fn(args)\n\n\n"
        "def _listing_main(args):\n    for name in sorted(args.items):\n        print(name)\n")
    (repo / "tool" / "paths.py").write_text(
        "import os\n\n\ndef expand(linter, element):\n    return _is_ignored(linter, element)\n\n\n"
        "def _is_ignored(linter, element):\n"
        "    return any(p.match(element) for p in linter.config.ignore_paths)\n")
    return repo


def _ev(repo, issue, steps=None):
    idx = get_index(repo)
    ev = evidence.collect(idx, issue, signals.extract(issue), steps)
    named = {(idx.symbols[s].file, idx.symbols[s].name): v for s, v in ev.symbols.items()}
    return ev, named


def test_a_quoted_message_ranks_the_function_that_raises_it(tmp_path):
    repo = _repo(tmp_path)
    issue = "render(3, 'x') fails with ValueError: unknown format code for this value type"
    _, named = _ev(repo, issue)
    assert named.get(("tool/fmt.py", "_apply"), 0) > 0
    _, before = _ev(repo, issue, evidence.STEPS[:3])   # the literal credited the file only
    assert ("tool/fmt.py", "_apply") not in before
    loc = localize(repo, issue, top_k=5, max_symbols=3)
    assert ("tool/fmt.py", "_apply") in [(s.file, s.name) for s in loc.symbols]


def test_an_option_is_found_where_declared_and_read_and_its_readers_callees_follow(tmp_path):
    repo = _repo(tmp_path)
    issue = "Show the scope in the listing\n\n`tool --show-scope` prints names but never their scope."
    assert "--show-scope" in signals.extract(issue).names
    ev, named = _ev(repo, issue)
    assert ev.files["tool/cli.py"]["site"] > 0          # declared there
    assert named[("tool/main.py", "main")] > 0           # read as `args.showscope` (its dest=)
    assert named[("tool/main.py", "listing")] > 0        # called by the reader
    assert named[("tool/main.py", "_listing_main")] > 0  # passed on, one call further in
    assert named[("tool/main.py", "_listing_main")] < named[("tool/main.py", "listing")]
    _, before = _ev(repo, issue, evidence.STEPS[:3])
    assert ("tool/main.py", "_listing_main") not in before
    loc = localize(repo, issue, top_k=5)
    assert "tool/main.py" in loc.files[:2]


def test_a_config_key_finds_the_code_that_reads_it(tmp_path):
    repo = _repo(tmp_path)
    issue = ("Recursive mode ignores my ignore list\n\n```ini\n[tool.MASTER]\n"
             "ignore-paths = [\"^gen/.*$\"]\n```\n")
    assert "ignore-paths" in signals.extract(issue).names
    ev, named = _ev(repo, issue)
    assert named[("tool/paths.py", "_is_ignored")] > 0   # `.ignore_paths`: the other spelling
    assert ev.files["tool/paths.py"]["site"] > 0


def test_names_leave_out_generic_options_and_python_variables():
    issue = ("Output of `pylint --version`:\n\n```python\nupdate_dict = {'a': 1}\n"
             "ds.update(update_dict)\n```\n\n`--recursive=y` ignores `ignore-paths`\n")
    names = signals.extract(issue).names
    assert names == {"--recursive", "ignore-paths"}


def test_a_name_in_too_many_files_says_nothing(tmp_path):
    from dsfix.tools.localize import sites
    repo = _repo(tmp_path)
    for i in range(sites.MAX_FILES + 1):
        (repo / "tool" / f"mod{i}.py").write_text(f"def f{i}(c):\n    return c.ignore_paths\n")
    ev, named = _ev(repo, "```ini\nignore-paths = x\n```")
    assert not any("site" in kinds for kinds in ev.files.values())
    assert ("tool/paths.py", "_is_ignored") not in named


def test_a_hyphenated_name_with_a_keyword_part_and_a_getter_that_reads_it(tmp_path):
    """`import-mode`: the index keeps no `import` (a keyword), so the other part narrows the files
    alone; `config.getoption("--import-mode")` reads the option, and what the reader calls follows."""
    repo = _repo(tmp_path)
    (repo / "tool" / "opts.py").write_text(
        "def addoptions(parser):\n    parser.addoption(\n        '--import-mode',\n"
        "        default='prepend',\n    )\n")
    (repo / "tool" / "collect.py").write_text(
        "from tool.loader import load_module\n\n\ndef collect(config, path):\n"
        "    mode = config.getoption('--import-mode')\n    return load_module(path, mode)\n")
    (repo / "tool" / "loader.py").write_text(
        "import sys\n\n\ndef load_module(path, mode):\n    return sys.modules.get(str(path))\n")
    issue = "Module imported twice under `import-mode` importlib"
    assert "import-mode" in signals.extract(issue).names
    ev, named = _ev(repo, issue)
    assert ev.files["tool/opts.py"]["site"] > 0                # declared there
    assert named[("tool/collect.py", "collect")] > 0            # read with a getter
    assert named[("tool/loader.py", "load_module")] > 0         # what the reader calls
