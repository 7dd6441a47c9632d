"""The cases of bench/user_repos.py: real public repositories (none of them SWE-bench's), one real
bug-fix commit each (it changes code and adds a test), and a reproduction written from that test.

The repositories are fetched (``/work/.mirror/OWNER+NAME/repo``), never committed here; the bench
checks each out at the fix's parent. ``yaml`` is what dsfix needed from dsfix.yaml (goal: nothing).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    repo: str                 # owner/name on GitHub
    fix: str                  # the upstream fix commit; the run starts at its parent
    issue: str                # what a user would write
    repro: str                # a script that fails before the fix and passes after (from the fix's test)
    why: str = ""             # what the repository exercises (layout, runner, Python)
    yaml: dict = field(default_factory=dict)


CASES = [
    Case("pallets/click", "762c97eef7c1b3779678992f26a553a2a8c80793",
         "An optional Choice argument shows doubled brackets in the usage line: `[[foo|bar|baz]]`.",
         '''import click
from click.testing import CliRunner


@click.command()
@click.argument("method", type=click.Choice(["foo", "bar", "baz"]), required=False)
def cli(method):
    pass


out = CliRunner().invoke(cli, ["--help"]).output
assert "Usage: cli [OPTIONS] [foo|bar|baz]\\n" in out, out
''', "src/ layout, dependency groups, uv.lock"),
    Case("python-humanize/humanize", "823ad6096e1e5ba82ea876ce761fc2efebd76157",
         "`humanize.naturalsize(999999)` returns '1000.0 kB'; it should carry over to '1.0 MB'.",
         '''import humanize

got = humanize.naturalsize(999999)
assert got == "1.0 MB", got
''', "src/ layout, tox, test extras"),
    Case("tkem/cachetools", "57d2e4813d9801f97034559e22428bac6f7c6c9b",
         "`unittest.mock.create_autospec` on a class with a `@cachedmethod` emits warnings: the descriptor "
         "misbehaves when accessed through the class (obj is None).",
         '''import unittest.mock
import warnings

from cachetools import LRUCache, cachedmethod


class Cached:
    def __init__(self):
        self.cache = LRUCache(10)

    @cachedmethod(lambda self: self.cache)
    def get(self, value):
        return value


with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    unittest.mock.create_autospec(Cached, instance=True)
assert not w, [str(x.message) for x in w]
''', "src/ layout, tox, unittest-style tests"),
    Case("jd/tenacity", "c650fb45204635f07910948d5fc59a8c551ffdda",
         "`wait_exponential(multiplier=1e300, max=1e-100)` crashes with `ValueError: math domain error` "
         "instead of capping the wait at max.",
         '''from types import SimpleNamespace

import tenacity

wait = tenacity.wait_exponential(multiplier=1e300, max=1e-100)
got = wait(SimpleNamespace(attempt_number=1))
assert got == 1e-100, got
''', "flat layout, test extras"),
    Case("more-itertools/more-itertools", "f51a53bfd2fe9504063a33ef5f4a73e30d82d0e2",
         "`more_itertools.interleave_evenly([])` raises instead of yielding nothing.",
         '''import more_itertools as mi

assert list(mi.interleave_evenly([])) == []
assert list(mi.interleave_evenly([], lengths=[])) == []
''', "flat layout, unittest, tox, requirements/"),
    Case("mahmoud/boltons", "c1c25da365cf14878cf5317147e7a09b5d124df5",
         "`boltons.mathutils.Bits(4, 2)` is accepted although 4 does not fit in 2 bits.",
         '''from boltons.mathutils import Bits

assert Bits(3, 2).as_bin() == "11"
try:
    Bits(4, 2)
except ValueError:
    pass
else:
    raise AssertionError("Bits(4, 2) was accepted: 4 needs 3 bits")
''', "flat layout, tox, setup.cfg"),
    Case("un33k/python-slugify", "243354893ee8cc270aaae82eff5fe3ae37481439",
         "Only the first pre-translation of each language gets its uppercase variant: "
         "`slugify.PRE_TRANSLATIONS` lacks ('Ö', 'Oe'), ('Я', 'Ya') and the like.",
         '''from slugify import PRE_TRANSLATIONS

for pair in [("Ö", "Oe"), ("Ä", "Ae"), ("Я", "Ya"), ("Χ", "Ch")]:
    assert pair in PRE_TRANSLATIONS, (pair, PRE_TRANSLATIONS)
''', "flat layout, unittest in a root test.py, a runtime dependency"),
    Case("hynek/structlog", "c6e7cad18ffe91febf2b97dac03a465134b1a5d1",
         "A `WriteLogger` that went through pickle cannot log: `rv.msg('hello')` raises AttributeError.",
         '''import pickle
import sys

from structlog import WriteLogger

rv = pickle.loads(pickle.dumps(WriteLogger(sys.stdout)))
rv.msg("hello")
''', "src/ layout, tox, dependency groups, hatch-vcs"),
    Case("hukkin/tomli", "4e245a4bbbefed99e550e196095ea65c851cf31d",
         "`tomli.loads(b'v = 1')` raises AttributeError; it should raise TypeError: Expected str object, not 'bytes'.",
         '''import tomli

try:
    tomli.loads(b"v = 1")
except TypeError as e:
    assert str(e) == "Expected str object, not 'bytes'", e
else:
    raise AssertionError("no TypeError")
''', "src/ layout, flit, unittest"),
    Case("pypa/packaging", "4e79787a31c99348649bb0dafee2a5078d3595be",
         "`tags.generic_tags(..., platforms=[])` yields tags for the running platform instead of none: "
         "an explicitly empty platforms list is treated like `None`.",
         '''from packaging import tags

got = list(tags.generic_tags("sillywalk", ["abi"], []))
assert got == [], got
''', "src/ layout, nox, a large suite (62k tests: past the timeout, dsfix runs the related ones)"),
    Case("networkx/networkx", "139259c6c5479b35ddde9318203ae715b25a3192",
         "ISMAGS finds no isomorphism for an edgeless subgraph when `edge_match` accepts every edge "
         "(with `edge_match=None` it finds two).",
         '''import networkx as nx
from networkx.algorithms import isomorphism as iso

graph = nx.Graph([(0, 1)])
sub = nx.Graph()
sub.add_node(0)
got = list(iso.ISMAGS(graph, sub, edge_match=lambda e1, e2: True).find_isomorphisms())
assert sorted(map(sorted, (m.items() for m in got))) == [[(0, 0)], [(1, 0)]], got
''', "requires Python >= 3.12 (not the base's 3.11), tests inside the package"),
]
