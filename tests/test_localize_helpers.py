"""Fixture repo shared by the localize tests (no tests here)."""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

FILES = {
    "pkg/__init__.py": '"""Tiny package."""\n',
    "pkg/parser.py": '''\
        """Config file parsing."""
        import re


        class ConfigParser:
            """Parses key = value lines."""

            def __init__(self, strict=False):
                self.strict = strict

            def parse_line(self, line):
                key, _, value = line.partition("=")
                if value.count('"') % 2:
                    raise ValueError("unterminated quoted value in config line")
                return key.strip(), value.strip()


        def load_config(text):
            parser = ConfigParser()
            return dict(parser.parse_line(l) for l in text.splitlines() if l)
        ''',
    "pkg/render.py": '''\
        """Render rows as a text table."""
        from pkg.parser import load_config


        def render_table(rows, width=80):
            out = []
            for row in rows:
                cells = [str(c) for c in row]
                out.append(" | ".join(cells)[:width])
            return "\\n".join(out)


        def render_config(text):
            return render_table(sorted(load_config(text).items()))
        ''',
    "pkg/utils.py": '''\
        """Small string helpers."""


        def slugify(text):
            return "-".join(text.lower().split())


        def truncate_words(text, count):
            return " ".join(text.split()[:count])
        ''',
    "tests/test_parser.py": '''\
        from pkg.parser import ConfigParser, load_config


        def test_parse_quoted_value_config_line():
            # quoted value config line parse quoted value config line
            assert ConfigParser().parse_line('a = "b"') == ("a", '"b"')


        def test_load_config_quoted_value():
            assert load_config('x = "quoted value"')
        ''',
    "docs/conf.py": 'project = "pkg"\n',
}


def make_repo(root: Path, git: bool = True) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    if git:
        run = lambda *a: subprocess.run(["git", "-C", str(root), *a], check=True,  # noqa: E731
                                        capture_output=True)
        run("init", "-q")
        run("add", "-A")
        run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return root

