"""Imports point down the layers and never go round in a circle (read from the source, not run).

    agent (the CLI, the loop)              may import everything below
    tools | envs                           each other: never
    prompts                                templates, for both
    common                                 the shared leaves: nothing of dsfix

Every import counts, a late one inside a function too: it hides a cycle from Python, not from
whoever has to change one side of it.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RANK = {"agent": 3, "tools": 2, "envs": 2, "prompts": 1, "common": 0}


def _modules() -> dict[str, Path]:
    out = {}
    for top in RANK:
        for p in sorted((ROOT / top).rglob("*.py")):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(["dsfix", *parts])] = p
    return out


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The dsfix modules ``name`` imports: ``from pkg import sub`` is the submodule when there is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found |= {f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names}
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imported(m, p, set(mods)) for m, p in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _explain(graph: dict[str, set[str]], cycles: list[list[str]]) -> str:
    return "\n".join(f"{c}: " + ", ".join(f"{a} -> {b}" for a in c for b in sorted(graph[a]) if b in c)
                     for c in cycles)


def _packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between subpackages and top modules (dsfix.envs.layers, dsfix.envs.docker_env)."""
    def unit(m: str) -> str:
        return ".".join(m.split(".")[:3])
    out: dict[str, set[str]] = {unit(m): set() for m in graph}
    for a, bs in graph.items():
        out[unit(a)] |= {unit(b) for b in bs if unit(b) != unit(a)}
    return out


def test_the_graph_is_read():
    """A parser that found nothing would pass everything below."""
    g = _graph()
    assert len(g) > 100 and "dsfix.common.paths" in g["dsfix.tools.diff.paths"]
    assert "dsfix.envs.workspace" in g["dsfix.agent.run"] and "dsfix.agent.config" in g["dsfix.agent.run"]


def test_imports_point_down():
    up = sorted(f"{a} -> {b}" for a, bs in _graph().items() for b in bs
                if a.split(".")[1] != b.split(".")[1] and RANK[b.split(".")[1]] >= RANK[a.split(".")[1]])
    assert not up, "imports that point up or sideways (move the shared part down, e.g. to common/):\n" + "\n".join(up)


def test_no_module_imports_itself_in_a_circle():
    g = _graph()
    cycles = _cycles(g)
    assert not cycles, "import cycles between modules:\n" + _explain(g, cycles)


def test_no_package_imports_itself_in_a_circle():
    """Acyclic modules can still tangle their packages: envs.docker_env used a module of
    envs.evaluate, which runs tests in docker_env's containers."""
    g = _packages(_graph())
    cycles = _cycles(g)
    assert not cycles, "import cycles between packages:\n" + _explain(g, cycles)


def test_the_cycle_finder_finds_cycles():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(g) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# Imported only when present, and on purpose not a dependency of dsfix.
UNDECLARED = {
    "tomli": "Python 3.10's tomllib, read when installed (envs/specs/project.py)",
    "torch": "the reference engine (agent/backend/hf_server.py), installed by hand",
    "transformers": "the same",
}


def test_every_third_party_import_is_declared():
    """A package the code imports is in pyproject's dependencies or extras (on a3c6e61 the tiny
    test model's `tokenizers` was not)."""
    import re
    import sys
    import tomllib
    from importlib.metadata import packages_distributions
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=\[ ;]", d)[0].lower().replace("_", "-")
                for d in conf["dependencies"] + [d for ds in conf["optional-dependencies"].values() for d in ds]}
    dists = packages_distributions()
    missing = {}
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            tops = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                    [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            for top in {t.split(".")[0] for t in tops}:
                if top in sys.stdlib_module_names or top in ("dsfix", "__future__") or top in UNDECLARED:
                    continue
                homes = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
                if not homes & declared:
                    missing.setdefault(top, []).append(name)
    assert not missing, f"imported but not in pyproject.toml: {missing}"
