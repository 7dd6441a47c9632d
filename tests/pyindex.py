"""A package index on 127.0.0.1 for image builds in tests: what a build needs (pytest, setuptools,
uv) downloaded once by the host's pip, plus wheels written here. Builds use host networking, so
the container reaches this loopback server; the test containers themselves have no network."""
from __future__ import annotations

import base64
import hashlib
import html
import http.server
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

BUILD_NEEDS = ["pytest", "setuptools", "wheel", "uv"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def write_wheel(dest: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """A minimal pure-Python wheel (PEP 427) holding ``files``."""
    dist = f"{name.replace('-', '_')}-{version}"
    info = {f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
            f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: dsfix-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    entries = {**files, **info}
    record = [f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()},{len(t.encode())}"
              for p, t in entries.items()] + [f"{dist}.dist-info/RECORD,,"]
    path = dest / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for p, t in {**entries, f"{dist}.dist-info/RECORD": "\n".join(record) + "\n"}.items():
            z.writestr(p, t)
    return path


def download(dest: Path, names: list[str] = BUILD_NEEDS) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "-d", str(dest), *names],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"the host's pip could not download {names} for the test index:\n{r.stderr[-2000:]}"


def make_simple(wheels: Path, root: Path) -> None:
    """A PEP 503 'simple' tree: root/<project>/index.html linking to ../../files/<wheel>."""
    by_name: dict[str, list[str]] = {}
    for w in sorted(wheels.iterdir()):
        if w.suffix in (".whl", ".gz", ".zip"):
            by_name.setdefault(_norm(re.split(r"-\d", w.name, maxsplit=1)[0]), []).append(w.name)
    for name, files in by_name.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../files/{html.escape(f)}">{html.escape(f)}</a>\n' for f in files)
        (root / name / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")


class Index:
    """Serve ``top`` (with ``simple/`` and ``files/``) on 127.0.0.1; ``url`` is the index URL."""

    def __init__(self, top: Path):
        handler = lambda *a, **kw: _Quiet(*a, directory=str(top), **kw)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):   # pip's requests are not the test's output
        pass
