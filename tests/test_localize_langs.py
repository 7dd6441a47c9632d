"""Other languages in the index (tree-sitter, the `langs` extra) and their syntax checks.

In CI (CI=true) a missing grammar package is an error, not a skip, so these can't silently vanish."""
from __future__ import annotations

import importlib.util
import os
import textwrap
from pathlib import Path

import pytest

from conftest import git

_PACKAGES = ("tree_sitter", "tree_sitter_javascript", "tree_sitter_typescript", "tree_sitter_go",
             "tree_sitter_java", "tree_sitter_rust")
_MISSING = [m for m in _PACKAGES if importlib.util.find_spec(m) is None]


@pytest.fixture(autouse=True)
def _needs_grammars():
    if _MISSING:
        msg = f"tree-sitter packages missing: {', '.join(_MISSING)} (pip install '.[langs]')"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the langs extra: {msg}")
        pytest.skip(msg)


FILES = {
    "web/src/cart.js": """\
        import { formatPrice } from "./money";
        const TAX_RATE = 0.2;

        export class Cart {
          constructor(items) {
            this.items = items;
          }

          total() {
            return this.items.reduce((s, i) => s + i.price, 0);
          }

          applyCoupon = (code) => {
            throw new Error("coupon code is not valid here");
          };
        }

        export const cartSize = (cart) => cart.items.length;
        """,
    "web/src/money.ts": """\
        export interface Money {
          amount: number;
          currency: string;
        }

        export abstract class Converter<T> {
          abstract rate(from: string, to: string): number;

          convertCurrency(
            m: Money,
            to: string,
          ): Money {
            return { amount: m.amount * this.rate(m.currency, to), currency: to };
          }
        }
        """,
    "web/__tests__/cart.test.js": """\
        import { Cart } from "../src/cart";
        test("total", () => {
          expect(new Cart([]).total()).toBe(0);
        });
        """,
    "pkg/geo/distance.go": """\
        package geo

        const EarthRadius = 6371.0

        type Point struct {
        \tLat, Lon float64
        }

        func (p *Point) DistanceTo(q Point) float64 {
        \treturn (q.Lat - p.Lat) * EarthRadius
        }

        func Midpoint(a, b Point) Point {
        \treturn Point{(a.Lat + b.Lat) / 2, (a.Lon + b.Lon) / 2}
        }
        """,
    "app/src/main/java/com/acme/Ledger.java": """\
        package com.acme;

        public class Ledger {
            private long opening;

            @Override
            public String toString() {
                return "Ledger";
            }

            public long reconcileBalance(long delta) {
                return opening + delta;
            }

            static class Entry {
                void post() {}
            }
        }
        """,
    "engine/src/lib.rs": """\
        mod tokens;

        pub struct Tokenizer {
            pos: usize,
        }

        pub trait Lexer {
            fn next_token(&mut self) -> Option<String>;
        }

        impl Lexer for Tokenizer {
            fn next_token(&mut self) -> Option<String> {
                None
            }
        }
        """,
    "engine/src/tokens.rs": "pub fn split_words(s: &str) -> Vec<&str> { s.split(' ').collect() }\n",
    "server/app.py": "def handle_request(req):\n    return req\n",
    "web/src/lib.min.js": "function a(){return 1}" + "var x=1;" * 300 + "\n",
    "dist/bundle.js": "function bundled() {}\n",
}


@pytest.fixture
def poly_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "poly"
    for rel, text in FILES.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    return repo


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DSFIX_CACHE_DIR", str(tmp_path / "cache"))


def _spans(idx, path):
    return {s.name: (s.kind, s.start, s.end) for i in idx.file_syms[path] for s in [idx.symbols[i]]}


def test_symbols_spans_and_qualified_names(poly_repo):
    from dsfix.tools.localize.index import build_index
    idx = build_index(poly_repo)
    assert _spans(idx, "web/src/cart.js") == {
        "Cart": ("class", 4, 16), "Cart.constructor": ("method", 5, 7),
        "Cart.total": ("method", 9, 11), "Cart.applyCoupon": ("method", 13, 15),
        "cartSize": ("function", 18, 18)}
    assert _spans(idx, "web/src/money.ts") == {
        "Money": ("class", 1, 4), "Converter": ("class", 6, 15),
        "Converter.convertCurrency": ("method", 9, 14)}
    assert _spans(idx, "pkg/geo/distance.go") == {
        "Point": ("class", 5, 7), "Point.DistanceTo": ("method", 9, 11),
        "Midpoint": ("function", 13, 15)}
    assert _spans(idx, "app/src/main/java/com/acme/Ledger.java") == {
        "Ledger": ("class", 3, 18), "Ledger.toString": ("method", 6, 9),
        "Ledger.reconcileBalance": ("method", 11, 13), "Ledger.Entry": ("class", 15, 17),
        "Ledger.Entry.post": ("method", 16, 16)}
    rs = _spans(idx, "engine/src/lib.rs")
    assert rs["Lexer.next_token"] == ("method", 8, 8)
    assert ("Tokenizer.next_token", ("method", 12, 14)) in rs.items()
    sigs = {s.name: s.signature for s in idx.symbols}
    assert sigs["Point.DistanceTo"] == "func (p *Point) DistanceTo(q Point) float64"
    assert sigs["Converter.convertCurrency"] == "convertCurrency( m: Money, to: string, ): Money"
    assert sigs["Ledger.reconcileBalance"] == "public long reconcileBalance(long delta)"
    assert sigs["handle_request"] == "def handle_request(req):"  # Python as before
    # imports, literals, module-level names
    assert idx.imports["web/src/cart.js"] == {"web/src/money.ts"}
    assert idx.imports["engine/src/lib.rs"] == {"engine/src/tokens.rs"}
    assert idx.test_links["web/__tests__/cart.test.js"] == {"web/src/cart.js"}
    assert idx.literals["web/src/cart.js"] == ["coupon code is not valid here"]
    assert idx.assigns["EarthRadius"] == ["pkg/geo/distance.go"]
    assert "cartSize" not in idx.assigns  # a function, not a constant


def test_categories_and_skipped_files(poly_repo):
    from dsfix.tools.localize.classify import category
    from dsfix.tools.localize.index import build_index, list_files
    assert category("web/__tests__/cart.test.js") == "test"
    assert category("web/src/cart.spec.ts") == "test"
    assert category("pkg/geo/distance_test.go") == "test"
    assert category("app/src/test/java/com/acme/LedgerTest.java") == "test"
    assert category("engine/tests/lex.rs") == "test"
    assert category("web/node_modules/left-pad/index.js") == "vendor"
    assert category("pkg/latest.py") == "src" and category("spec/thing.py") == "src"  # Python as before
    listed = list_files(poly_repo)
    assert "dist/bundle.js" not in listed and "web/src/lib.min.js" not in listed
    idx = build_index(poly_repo)
    assert idx.categories["web/__tests__/cart.test.js"] == "test"
    assert not any(p.endswith(".min.js") or p.startswith("dist/") for p in idx.paths)


def test_minified_content_is_not_indexed(poly_repo):
    from dsfix.tools.localize.index import build_index
    (poly_repo / "web/src/packed.js").write_text("var a=1;" * 400 + "\n")
    (poly_repo / "web/src/broken.ts").write_bytes(b"export function ok() {}\n\xff\xfe class {{{\n")
    idx = build_index(poly_repo, sorted([*build_index(poly_repo).paths, "web/src/packed.js",
                                         "web/src/broken.ts", "web/src/missing.js"]))
    assert "web/src/packed.js" not in idx.paths and "web/src/missing.js" not in idx.paths
    assert "web/src/broken.ts" in idx.paths  # tree-sitter recovers what it can


@pytest.mark.parametrize("issue, path, symbol", [
    ("Cart.applyCoupon throws for every code", "web/src/cart.js", "Cart.applyCoupon"),
    ("`convertCurrency` uses the wrong rate", "web/src/money.ts", "Converter.convertCurrency"),
    ("DistanceTo returns the wrong distance", "pkg/geo/distance.go", "Point.DistanceTo"),
    ("reconcileBalance ignores the opening balance", "app/src/main/java/com/acme/Ledger.java",
     "Ledger.reconcileBalance"),
    ("next_token on Tokenizer never yields", "engine/src/lib.rs", "Tokenizer.next_token"),
    ("handle_request drops headers", "server/app.py", "handle_request"),
])
def test_localize_ranks_the_named_file_first(poly_repo, issue, path, symbol):
    from dsfix.tools.localize import localize
    loc = localize(poly_repo, issue, top_k=5)
    assert loc.files[0] == path
    assert loc.symbols[0].name == symbol and loc.symbols[0].file == path


def test_dirty_non_python_file_changes_the_index(poly_repo):
    from dsfix.tools.localize.index import get_index
    assert "Cart.checkout" not in {s.name for s in get_index(poly_repo).symbols}
    cart = poly_repo / "web/src/cart.js"
    cart.write_text(cart.read_text() + "\nCart.prototype.checkout = function () {};\n")
    assert "Cart.checkout" in {s.name for s in get_index(poly_repo).symbols}


def test_syntax_errors_other_languages():
    from dsfix.tools.diff import syntax_errors
    assert syntax_errors("a.ts", "let x: number = 1;\n") == []
    assert syntax_errors("a.ts", "let x: number = {;\n") == ["a.ts:1: syntax error (tree-sitter typescript)"]
    assert syntax_errors("a.go", "package a\n\nfunc f() {\n\treturn\n}\n") == []
    assert syntax_errors("a.go", "package a\n\nfunc f( {\n}\n")
    assert syntax_errors("A.java", "class A { void m() {} }\n") == []
    assert syntax_errors("A.java", "class A { void m( }\n")
    assert syntax_errors("a.rs", "fn f() -> u8 { 1 }\n") == []
    assert syntax_errors("a.rs", "fn f() -> u8 { 1 \n")
    assert syntax_errors("a.jsx", "const a = <div>hi</div>;\n") == []
    assert syntax_errors("a.tsx", "const a = <div>hi</div>;\n") == []


def test_applier_refuses_a_patch_that_breaks_ts_or_go_but_not_a_broken_file():
    from dsfix.tools.diff import apply_diff
    files = {"src/m.ts": "export function f(a: number): number {\n  return a;\n}\n",
             "geo.go": "package geo\n\nfunc F() int {\n\treturn 1\n}\n",
             "old.ts": "export function g( {\n  return 1;\n}\n"}
    broken_ts = ("--- a/src/m.ts\n+++ b/src/m.ts\n@@ -1,3 +1,3 @@\n export function f(a: number): number {\n"
                 "-  return a;\n+  return (a;\n }\n")
    r = apply_diff(broken_ts, files.get)
    assert not r.ok and "syntax error" in r.feedback() and "src/m.ts" in r.feedback()
    broken_go = ("--- a/geo.go\n+++ b/geo.go\n@@ -3,3 +3,3 @@\n func F() int {\n"
                 "-\treturn 1\n+\treturn 1 +\n }\n")
    r = apply_diff(broken_go, files.get)
    assert not r.ok and "syntax error" in r.feedback()
    fine_go = "--- a/geo.go\n+++ b/geo.go\n@@ -3,3 +3,3 @@\n func F() int {\n-\treturn 1\n+\treturn 2\n }\n"
    assert apply_diff(fine_go, files.get).ok
    # old.ts was already broken: the patch is not blocked, the error is only noted
    pre = ("--- a/old.ts\n+++ b/old.ts\n@@ -1,3 +1,3 @@\n export function g( {\n"
           "-  return 1;\n+  return 2;\n }\n")
    r = apply_diff(pre, files.get)
    assert r.ok and any("already had syntax errors" in n for n in r.notes)


@pytest.mark.parametrize("issue, path", [
    ("The totals are off.\n    at Cart.total (/home/ci/shop/web/src/cart.js:10:25)\n    at main (app.js:3:1)",
     "web/src/cart.js"),
    ("panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n"
     "\t/build/pkg/geo/distance.go:14 +0x1d", "pkg/geo/distance.go"),
    ("The rounding in web/src/money.ts is wrong for negative amounts", "web/src/money.ts"),
])
def test_paths_and_trace_frames_of_other_languages_point_at_their_file(poly_repo, issue, path):
    """A same-named copy elsewhere ties on words; only the path or frame tells them apart."""
    from dsfix.tools.localize import localize
    copy = poly_repo / "aaa_legacy" / Path(path).name
    copy.parent.mkdir()
    copy.write_text((poly_repo / path).read_text())
    git(poly_repo, "add", "-A")
    git(poly_repo, "commit", "-qm", "legacy copy")
    assert localize(poly_repo, issue, top_k=5).files[0] == path


def test_issue_signals_read_other_languages_paths_and_frames():
    from dsfix.tools.localize.signals import extract
    sig = extract("Broken in src/cart.ts since 2.0.\n"
                  "    at Cart.total (/home/ci/shop/web/src/cart.js:10:25)\n"
                  "\t/build/pkg/geo/distance.go:14 +0x1d\n"
                  "\tat com.acme.Ledger.post(Ledger.java:17)\n"
                  "thread 'main' panicked at engine/src/lib.rs:42:9:\n"
                  "and nothing in notes.txt or v1.2.3")
    assert {"src/cart.ts", "Ledger.java", "engine/src/lib.rs"} <= set(sig.paths)   # absolute: frames
    frames = {(f.path, f.line) for f in sig.frames}
    assert {("/home/ci/shop/web/src/cart.js", 10), ("/build/pkg/geo/distance.go", 14),
            ("Ledger.java", 17), ("engine/src/lib.rs", 42)} <= frames
    assert not any(p.endswith((".txt", ".3")) for p in sig.paths)
