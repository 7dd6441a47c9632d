"""Regenerate ``swebench_specs.json`` from a SWE-bench release.

    python -m dsfix.envs.specs.gen_swebench SOURCE [-o swebench_specs.json]

SOURCE is a swebench wheel (``pip download --no-deps swebench==4.1.0``), an
unpacked tree / site-packages dir containing ``swebench/``, or omitted to use an
installed ``swebench``.  4.1.0 is the last release that ships the per-version
specs in ``swebench/harness/constants/python.py`` (5.x moved them into the
dataset).

Why a generator instead of a dependency: ``swebench`` pulls in datasets,
modal, pre-commit, ghapi, ... for what is a few hundred lines of data.  Nothing
from swebench is imported: ``constants/python.py`` is pure literals and is
executed on its own; the repo -> parser map is read with ``ast``.

The extracted data is SWE-bench's, MIT licensed (c) 2023 Carlos E Jimenez,
John Yang, Alexander Wettig, Shunyu Yao, Kexin Pei, Ofir Press, Karthik R
Narasimhan; the notice is kept in the JSON's ``_about``.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import zipfile
from pathlib import Path

CONSTANTS = "swebench/harness/constants/python.py"
PARSERS = "swebench/harness/log_parsers/python.py"
# SWE-bench parser function -> dsfix parser name (see parsers.py)
PARSER_NAMES = {
    "parse_log_pytest": "pytest", "parse_log_pytest_options": "pytest_options",
    "parse_log_pytest_v2": "pytest_v2", "parse_log_django": "django",
    "parse_log_seaborn": "seaborn", "parse_log_sympy": "sympy",
    "parse_log_matplotlib": "matplotlib",
}
LICENSE = ("MIT License. Copyright (c) 2023 Carlos E Jimenez, John Yang, Alexander Wettig, "
           "Shunyu Yao, Kexin Pei, Ofir Press, Karthik R Narasimhan. "
           "https://github.com/SWE-bench/SWE-bench/blob/main/LICENSE")


def read_sources(source: str | None) -> dict[str, str]:
    """Text of the two swebench files we need, plus swebench/__init__.py."""
    names = [CONSTANTS, PARSERS, "swebench/__init__.py"]
    if source and source.endswith(".whl"):
        with zipfile.ZipFile(source) as whl:
            return {n: whl.read(n).decode() for n in names}
    if source:
        root = Path(source)
    else:
        spec = importlib.util.find_spec("swebench")  # locates, does not import
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("swebench is not installed; pass a wheel or directory")
        root = Path(list(spec.submodule_search_locations)[0]).parent
    return {n: (root / n).read_text() for n in names}


def parser_map(text: str) -> dict[str, str]:
    """repo -> dsfix parser name, from MAP_REPO_TO_PARSER_PY and its aliases."""
    tree = ast.parse(text)
    alias, table = {}, {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if isinstance(node.value, ast.Name):
            alias[name] = node.value.id
        elif name == "MAP_REPO_TO_PARSER_PY" and isinstance(node.value, ast.Dict):
            table = {ast.literal_eval(k): v.id for k, v in zip(node.value.keys, node.value.values)}
    out = {}
    for repo, fn in table.items():
        while fn in alias:
            fn = alias[fn]
        if fn not in PARSER_NAMES:
            raise SystemExit(f"{repo}: SWE-bench parser {fn} has no dsfix equivalent yet")
        out[repo] = PARSER_NAMES[fn]
    return out


def extract(sources: dict[str, str]) -> dict:
    data: dict = {}
    exec(compile(sources[CONSTANTS], CONSTANTS, "exec"), data)  # literals only, see docstring
    parsers = parser_map(sources[PARSERS])
    version = re.search(r'__version__\s*=\s*"([^"]+)"', sources["swebench/__init__.py"])
    repos = {}
    for repo, versions in sorted(data["MAP_REPO_VERSION_TO_SPECS_PY"].items()):
        if repo not in parsers:
            continue  # e.g. swe-bench/humaneval: no log parser, not a real repo
        repos[repo] = {
            "parser": parsers[repo],
            "reqs_paths": data["MAP_REPO_TO_REQS_PATHS"].get(repo, []),
            "env_yml_paths": data["MAP_REPO_TO_ENV_YML_PATHS"].get(repo, []),
            "repo_install": data["MAP_REPO_TO_INSTALL_PY"].get(repo),
            "versions": {v: versions[v] for v in sorted(versions)},
        }
    return {
        "_about": {
            "source": f"swebench {version[1] if version else '?'} (PyPI), "
                      f"{CONSTANTS} and {PARSERS}",
            "generator": "python -m dsfix.envs.specs.gen_swebench",
            "license": LICENSE,
        },
        "repos": repos,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?", help="swebench wheel or directory")
    ap.add_argument("-o", "--output", default=str(Path(__file__).with_name("swebench_specs.json")))
    args = ap.parse_args(argv)
    out = extract(read_sources(args.source))
    Path(args.output).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out['repos'])} repos to {args.output}")


if __name__ == "__main__":
    main()
