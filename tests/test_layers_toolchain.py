"""Standalone CPython toolchains: lookup, download (a real HTTP server on loopback), packing a prefix,
a base image made from one and an env layer whose /opt/venv runs that interpreter (real Docker)."""
from __future__ import annotations

import gzip
import http.server
import io
import os
import sys
import tarfile
import threading
import uuid
from pathlib import Path

import pytest

from dsfix.common.logs import captured
from dsfix.envs.layers import docker_build, store
from dsfix.envs.layers.builder import build
from dsfix.envs.layers.docker_build import dangling
from dsfix.envs.layers import toolchain
from dsfix.envs.layers.python import (Provision, PythonUnavailable, ensure_provision, provision_for,
                                      toolchain_tag)

MM = "%d.%d" % sys.version_info[:2]     # the version the session's toolchain carries


def fake_archive(payload: bytes = b"#!/bin/sh\n") -> bytes:
    """A small install_only-shaped archive (python/bin/python3)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("python/bin/python3")
        info.size, info.mode = len(payload), 0o755
        tf.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


class Server:
    """Serves ``files`` on loopback with Range support; ``cut_after`` drops the first reply midway."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests, self.cut_after = files, [], None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):   # noqa: N802 - http.server's name
                outer.requests.append((self.path, self.headers.get("Range")))
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = int(self.headers["Range"][6:].rstrip("-")) if self.headers.get("Range") else 0
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if outer.cut_after is not None:
                    self.wfile.write(body[start:start + outer.cut_after])
                    outer.cut_after = None
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server({})
    yield s
    s.close()


@pytest.fixture
def tcdir(tmp_path, monkeypatch):
    d = tmp_path / "python"
    monkeypatch.setenv("DSFIX_PYTHON_DIR", str(d))
    monkeypatch.delenv("DSFIX_PYTHON_PREFIXES", raising=False)
    return d


def test_local_lookup_takes_the_newest_patch_of_the_minor(tcdir):
    tcdir.mkdir()
    for name in ("cpython-3.10.9+20230116", "cpython-3.10.13+local", "cpython-3.12.1+20240107"):
        (tcdir / f"{name}-{toolchain.TRIPLE}-install_only.tar.gz").write_bytes(b"x")
    (tcdir / "cpython-3.10.99+x-aarch64-apple-darwin-install_only.tar.gz").write_bytes(b"x")   # other platform
    assert toolchain.local("3.10").name.startswith("cpython-3.10.13+local-")
    assert toolchain.local("3.12").name.startswith("cpython-3.12.1+")
    assert toolchain.local("3.8") is None


def test_download_is_atomic_and_resumes(tcdir, server):
    body = fake_archive(os.urandom(300_000))     # incompressible: the archive is ~300 kB
    server.files["/a.tar.gz"] = body
    dest = tcdir / "a.tar.gz"
    server.cut_after = 100_000
    with pytest.raises(toolchain.ToolchainUnavailable, match=r"(interrupted|stopped) at 100000 .*run again to resume"):
        toolchain.download(server.url + "/a.tar.gz", dest, "3.10")
    assert not dest.exists() and (tcdir / "a.tar.gz.part").stat().st_size == 100_000
    assert toolchain.download(server.url + "/a.tar.gz", dest, "3.10") == dest
    assert server.requests[-1] == ("/a.tar.gz", "bytes=100000-") and dest.read_bytes() == body
    assert not (tcdir / "a.tar.gz.part").exists()


def test_download_that_is_no_archive_is_refused_and_not_kept(tcdir, server):
    server.files["/b.tar.gz"] = b"<html>a login page</html>"
    with pytest.raises(toolchain.ToolchainUnavailable, match="not a gzip'd tar"):
        toolchain.download(server.url + "/b.tar.gz", tcdir / "b.tar.gz")
    assert not list(tcdir.iterdir())


def test_a_404_says_plainly_what_happened_and_how_to_work_offline(tcdir, server, monkeypatch):
    monkeypatch.setenv("DSFIX_PYTHON_URL", server.url + "/releases")
    with pytest.raises(toolchain.ToolchainUnavailable) as e:
        toolchain.find("3.10")
    msg = str(e.value)
    assert "HTTP 404" in msg and f"cannot reach 127.0.0.1:{server.httpd.server_address[1]}" in msg
    assert "answer every outside request with 404" in msg and str(tcdir) in msg
    assert "dsfix env python --from PREFIX" in msg
    full = toolchain.BUILDS["3.10"]
    assert server.requests[0][0] == f"/releases/{full.split('+')[1]}/cpython-{full.replace('+', '%2B')}-" \
                                    f"{toolchain.TRIPLE}-install_only.tar.gz"


def test_find_downloads_the_pinned_build_once(tcdir, server, monkeypatch):
    full = toolchain.BUILDS["3.12"]
    server.files[f"/{full.split('+')[1]}/{toolchain.archive_name(full).replace('+', '%2B')}"] = fake_archive()
    monkeypatch.setenv("DSFIX_PYTHON_URL", server.url)
    got = toolchain.find("3.12")
    assert got == tcdir / toolchain.archive_name(full) and tarfile.open(got).getnames() == ["python/bin/python3"]
    assert toolchain.find("3.12") == got and len(server.requests) == 1   # then local


def test_without_a_toolchain_fallback_applies_else_the_error_says_how(tcdir, monkeypatch):
    monkeypatch.setenv("DSFIX_PYTHON_URL", "")
    assert provision_for("3.9") == Provision("dsfix/base:bullseye", "3.9", "bullseye")
    p = provision_for("3.10", fallback=True)
    assert (p.tag, p.version, p.toolchain) == ("dsfix/base:bookworm", "3.11", None)
    with pytest.raises(PythonUnavailable, match=r"3.10 cannot be provisioned.*downloads are off.*"
                                                r"dsfix env python --from.*--python-fallback"):
        provision_for("3.10")
    (tcdir / toolchain.archive_name("3.10.13+local")).parent.mkdir(parents=True)
    (tcdir / toolchain.archive_name("3.10.13+local")).write_bytes(fake_archive())
    p = provision_for("3.10", fallback=True)       # a toolchain wins over the fallback
    assert p.version == "3.10" and p.tag.startswith("dsfix/base:py3.10-") and p.toolchain is not None
    assert p.interpreter == "/opt/python/3.10/bin/python3.10"


# ---------------------------------------------------------------- packing, base and env images

@pytest.fixture(scope="session")
def session_toolchain(tmp_path_factory) -> Path:
    """This interpreter's own installation (sys.base_prefix) packed as a toolchain, once per session."""
    prefix = Path(sys.base_prefix)
    if not (prefix / "bin" / f"python{MM}").exists() or not (prefix / "lib" / f"python{MM}" / "os.py").exists():
        why = f"{prefix} is not a plain python prefix (bin/python{MM}, lib/python{MM}) to pack"
        pytest.fail(f"CI needs a packable interpreter: {why}") if os.environ.get("CI") else pytest.skip(why)
    return toolchain.pack(prefix, tmp_path_factory.mktemp("toolchain"))


def test_pack_a_prefix_into_the_install_only_layout(session_toolchain):
    with tarfile.open(session_toolchain) as tf:
        names = set(tf.getnames())
    assert session_toolchain.name.startswith(f"cpython-{MM}.") and "+local-" in session_toolchain.name
    assert {f"python/bin/python{MM}", f"python/lib/python{MM}/os.py", f"python/lib/python{MM}/venv/__init__.py"} <= names
    assert not [n for n in names if f"lib/python{MM}/site-packages/" in n and not n.endswith("README.txt")]
    assert not [n for n in names if "/test/" in n or "__pycache__" in n]
    toolchain.check_archive(session_toolchain)


@pytest.fixture(scope="session")
def toolchain_base(docker_client, session_toolchain):
    prov = Provision(toolchain_tag(MM, session_toolchain), MM, "bookworm", session_toolchain)
    ensure_provision(docker_client, prov)
    yield prov
    docker_client.images.remove(prov.tag)


@pytest.mark.docker
def test_base_from_a_toolchain_and_an_env_whose_venv_runs_it(docker_client, toolchain_base, tmp_path):
    from evalfixture import FIXTURE_SPEC, make_fixture
    from dsfix.envs.sources import Sources
    from dsfix.envs.specs import RepoSpec
    img = docker_client.images.get(toolchain_base.tag)
    assert img.labels["dsfix.layer"] == "base" and img.labels["dsfix.python"] == MM
    assert img.labels["dsfix.interpreter"] == toolchain_base.interpreter
    fx = make_fixture(tmp_path / "fx", repo=f"local/toolchain-{uuid.uuid4().hex[:8]}")
    try:
        res = build(docker_client, fx["repo"], RepoSpec(**FIXTURE_SPEC), fx["env_commit"], fx["base_commit"],
                    sources=Sources(fx["mirrors"], online=False), provision=toolchain_base)
        assert res.built == ["env", "instance"] and res.python == MM
        probe = ("import sys, sysconfig, _dsfix_venv; print(sys.prefix, sys.base_prefix, "
                 "sysconfig.get_paths()['purelib'])")
        out = docker_client.containers.run(res.tag, ["python", "-c", probe], remove=True, network_mode="none")
        assert out.decode().split() == ["/opt/venv", f"/opt/python/{MM}", f"/opt/venv/lib/python{MM}/site-packages"]
        out = docker_client.containers.run(res.tag, ["bash", "-c", f"ls /opt/python/{MM}/lib/python{MM}/site-packages"],
                                           remove=True, network_mode="none")
        assert "zz_dsfix_venv.pth" in out.decode()      # the hook sits in the toolchain's site dir
        env = [r for r in store.list_images(docker_client) if r["repo"] == fx["repo"] and r["layer"] == "env"][0]
        assert env["parent"] == toolchain_base.tag
    finally:
        store.prune(docker_client, "env", repo=fx["repo"])


@pytest.mark.docker
def test_a_toolchain_missing_a_shared_library_says_which(docker_client, session_toolchain, tmp_path):
    broken = tmp_path / toolchain.archive_name(f"{MM}.0+broken")
    dropped = []
    with tarfile.open(session_toolchain) as src, gzip.open(broken, "wb", compresslevel=1) as gz, \
            tarfile.open(fileobj=gz, mode="w") as dst:
        for m in src:
            if m.name.startswith(f"python/lib/libpython{MM}.so"):
                dropped.append(m.name)
                continue
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    if not dropped:
        pytest.skip(f"{sys.base_prefix}'s python links libpython statically: nothing to take away")
    prov = Provision(toolchain_tag(MM, broken), MM, "bookworm", broken)
    lines: list[str] = []
    with pytest.raises(PythonUnavailable, match=rf"does not work on this base.*missing shared libraries: "
                                                rf"libpython{MM}\.so\.1\.0 \(needed by python{MM}\)"), \
            captured(lines.append):   # the build's own output lines are debug messages
        ensure_provision(docker_client, prov)
    steps = docker_build._step_ids([ln + "\n" for ln in lines])
    assert steps      # the failed build's own leftovers (its COPY steps) were removed with it
    assert not {i.id.split(":")[1][:12] for i in dangling(docker_client)} & steps

