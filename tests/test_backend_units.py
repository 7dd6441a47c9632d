"""The local backend's pieces that need no inference engine: names, weights in the Hugging Face cache
(through the real huggingface_hub code, offline), engine choice, server lifecycle rules, the CLI."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from backendkit import pids_with
from dsfix.agent.backend import LocalBackendError, alias_for, fim_prompt, is_local, local_model
from dsfix.agent.backend import server as srv
from dsfix.agent.backend.deepseek import BOS, EOS, render_chat
from dsfix.agent.backend.weights import parse_ref
from dsfix.agent.config import ModelSettings, Price

PY = sys.executable


def test_fim_prompt_is_deepseeks_format():
    assert fim_prompt("def f(x):\n    ", "\n    return y") == \
        "<｜fim▁begin｜>def f(x):\n    <｜fim▁hole｜>\n    return y<｜fim▁end｜>"


def test_chat_template_renders_deepseek_coder_v2_turns():
    text = render_chat([{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
                        {"role": "assistant", "content": "A"}, {"role": "user", "content": "V"}])
    assert text == f"{BOS}S\n\nUser: U\n\nAssistant: A{EOS}User: V\n\nAssistant:"


def test_model_names_and_refs(tmp_path):
    assert is_local("local") and is_local("local/x") and not is_local("localhost/x") and not is_local("openai/x")
    assert parse_ref("").repo_id == "bartowski/DeepSeek-Coder-V2-Lite-Instruct-GGUF"
    assert parse_ref("").filename == "DeepSeek-Coder-V2-Lite-Instruct-Q4_K_M.gguf"
    hf = parse_ref("", "transformers")
    assert (hf.repo_id, hf.filename) == ("deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct", None)
    assert parse_ref("deepseek-coder-v2-lite-base", "vllm").repo_id == "deepseek-ai/DeepSeek-Coder-V2-Lite-Base"
    assert parse_ref("deepseek-coder-v2-lite-base:Q8_0").filename == "DeepSeek-Coder-V2-Lite-Base-Q8_0.gguf"
    r = parse_ref("owner/repo:Q5_K_M")
    assert (r.repo_id, r.filename, r.quant) == ("owner/repo", None, "Q5_K_M")
    r = parse_ref("owner/repo/sub/file.gguf")
    assert (r.repo_id, r.filename) == ("owner/repo", "sub/file.gguf")
    f = tmp_path / "m.gguf"
    f.write_bytes(b"x")
    assert parse_ref(str(f)).path == f
    assert alias_for("", f) == "m" and alias_for("owner/Repo_X") == "repo_x"


def test_other_models_pass_through_unchanged():
    cfg = ModelSettings(name="deepseek/deepseek-coder")
    with local_model(cfg) as got:
        assert got is cfg


def test_shared_server_via_api_base_starts_nothing(monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Models(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.end_headers()
            self.wfile.write(b'{"data": []}')

        def log_message(self, *a):
            pass

    monkeypatch.setattr(srv.LocalServer, "start", lambda self: pytest.fail("must not start a server"))
    httpd = HTTPServer(("127.0.0.1", 0), Models)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        with local_model(ModelSettings(name="local", api_base=base)) as got:
            assert got.name.startswith("openai/") and got.api_base == base
            assert got.price == Price(input=0, output=0, cache_hit=0)
        with local_model(ModelSettings(name="local", api_base=base, price=Price(input=1, output=2))) as got:
            assert got.price == Price(input=1, output=2)
    finally:
        httpd.shutdown()
        httpd.server_close()
    with pytest.raises(LocalBackendError, match=r"no model server answers at .*dsfix serve"):
        with local_model(ModelSettings(name="local", api_base=base)):
            pass


def test_engine_choice(monkeypatch):
    installed = {"llama.cpp": False, "vllm": False, "transformers": False}
    monkeypatch.setattr(srv, "engine_installed", lambda e: installed[e])
    monkeypatch.setattr(srv, "has_gpu", lambda: True)
    with pytest.raises(LocalBackendError, match=r"pip install 'dsfix\[local\]'"):
        srv.pick_engine()
    installed["transformers"] = True
    assert srv.pick_engine() == "transformers"
    installed["llama.cpp"] = True
    assert srv.pick_engine() == "llama.cpp"
    installed["vllm"] = True
    assert srv.pick_engine() == "vllm"
    monkeypatch.setattr(srv, "has_gpu", lambda: False)
    assert srv.pick_engine() == "llama.cpp"
    assert srv.pick_engine("transformers") == "transformers"
    installed["transformers"] = False
    with pytest.raises(LocalBackendError, match="transformers engine is not installed"):
        srv.pick_engine("transformers")
    with pytest.raises(LocalBackendError, match="unknown engine"):
        srv.pick_engine("ollama")


def test_server_commands_pass_ctx_and_slots_and_leave_rope_alone(tmp_path):
    o = srv.ServeOptions(weights=tmp_path / "m.gguf", ctx=131072, parallel=4, alias="a")
    cmd = srv.server_command(o, 1234)
    assert cmd[1:3] == ["-m", "dsfix.agent.backend.llama_server"] and cmd[cmd.index("--n_ctx") + 1] == "131072"
    assert not any(a.startswith(("--rope", "--yarn")) for a in cmd)      # the GGUF's own YaRN applies
    o.engine = "vllm"
    cmd = srv.server_command(o, 1234)
    assert cmd[cmd.index("--max-model-len") + 1] == "131072" and cmd[cmd.index("--max-num-seqs") + 1] == "4"
    assert not any("rope" in a for a in cmd)
    o.engine = "transformers"
    cmd = srv.server_command(o, 1234)
    assert cmd[cmd.index("--parallel") + 1] == "4" and cmd[cmd.index("--ctx") + 1] == "131072"


def test_bad_model_path_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(srv, "pick_engine", lambda e=None: "llama.cpp")
    with pytest.raises(LocalBackendError, match="model file not found"):
        with local_model(ModelSettings(name=f"local/{tmp_path}/missing.gguf")):
            pass
    with pytest.raises(LocalBackendError, match="no .gguf file"):
        with local_model(ModelSettings(name=f"local/{tmp_path}")):
            pass


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        server = srv.LocalServer(srv.ServeOptions(weights=tmp_path / "m.gguf", port=port))
        with pytest.raises(LocalBackendError, match=f"port {port} on 127.0.0.1 is already in use.*--api-base"):
            server.start()
        assert server.proc is None


def _fake_engine(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_server.py"
    script.write_text(body)
    return [PY, str(script)]


def test_server_that_exits_fails_fast_with_its_stderr_tail(tmp_path, monkeypatch):
    cmd = _fake_engine(tmp_path, "import sys\nsys.stderr.write('llama_model_load: error loading model\\n')\nsys.exit(3)\n")
    monkeypatch.setattr(srv, "server_command", lambda o, port: cmd)
    server = srv.LocalServer(srv.ServeOptions(weights=tmp_path / "m.gguf", start_timeout=30))
    with pytest.raises(LocalBackendError, match=r"exited with code 3 before it was ready(.|\n)*error loading model"):
        server.start()


_pids_with = pids_with


HTTP_SERVER = """
import http.server, json, os, subprocess, sys
port = int(sys.argv[1])
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', 'child-of-' + sys.argv[2]])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(json.dumps({'data': []}).encode())
    def log_message(self, *a): pass
import signal
if sys.argv[3:] == ['stubborn']:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a stubborn server: needs SIGKILL
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
"""


def test_stop_kills_the_whole_process_group_even_when_sigterm_is_ignored(tmp_path, monkeypatch):
    marker = f"dsfix-test-{os.getpid()}-{tmp_path.name}"
    script = tmp_path / "srv.py"
    script.write_text(HTTP_SERVER)
    monkeypatch.setattr(srv, "server_command", lambda o, port: [PY, str(script), str(port), marker, "stubborn"])
    with srv.LocalServer(srv.ServeOptions(weights=tmp_path / "m.gguf", start_timeout=30)) as server:
        pid = server.pid
        assert server.alive() and Path(f"/proc/{pid}").exists()
        server.opts.start_timeout = 0
        assert _pids_with(marker), "the server's child should be running"
        import time
        t0 = time.monotonic()
        server.stop(grace=1.0)
        assert time.monotonic() - t0 < 8
    assert not Path(f"/proc/{pid}").exists() and not _pids_with(marker)


def test_atexit_stops_servers_left_running(tmp_path):
    """A program that forgets to stop the server (or crashes) leaves no process behind."""
    marker = f"dsfix-atexit-{os.getpid()}-{tmp_path.name}"
    (tmp_path / "srv.py").write_text(HTTP_SERVER)
    prog = f"""
from dsfix.agent.backend import server as srv
srv.server_command = lambda o, port: [{PY!r}, {str(tmp_path / 'srv.py')!r}, str(port), {marker!r}]
s = srv.LocalServer(srv.ServeOptions(weights='m.gguf', start_timeout=30)).start()
print(s.pid, flush=True)
raise SystemExit("crash")
"""
    out = subprocess.run([PY, "-c", prog], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[0])
    assert not Path(f"/proc/{pid}").exists() and not _pids_with(marker)


# ---- weights: the real huggingface_hub code against a local cache, offline ---------------------

def _populate_cache(cache: Path, repo_id: str, files: dict[str, bytes], commit: str = "a" * 40) -> None:
    """Lay files out as huggingface_hub does: blobs/<sha256>, snapshots/<commit>/<name> -> blob, refs/main."""
    root = cache / f"models--{repo_id.replace('/', '--')}"
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    for name, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        blob = root / "blobs" / sha
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = root / "snapshots" / commit / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))


def _offline_env(cache: Path) -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "HF_HOME": str(cache.parent / "hf"),
            "HF_HUB_DISABLE_TELEMETRY": "1"}


RESOLVE = """
import json, sys
from huggingface_hub import hf_hub_download
from dsfix.agent.backend.weights import resolve, LocalBackendError
out = {}
for ref in sys.argv[1:]:
    try:
        out[ref] = str(resolve(ref, progress=False))
    except LocalBackendError as e:
        out[ref] = "error: " + str(e)
out["hf_hub_download"] = hf_hub_download("bartowski/DeepSeek-Coder-V2-Lite-Instruct-GGUF",
                                         "DeepSeek-Coder-V2-Lite-Instruct-Q4_K_M.gguf")
print(json.dumps(out))
"""


def test_weights_resolve_offline_from_the_hf_cache(tmp_path):
    cache = tmp_path / "hub"
    _populate_cache(cache, "bartowski/DeepSeek-Coder-V2-Lite-Instruct-GGUF",
                    {"DeepSeek-Coder-V2-Lite-Instruct-Q4_K_M.gguf": b"GGUF-q4", "README.md": b"readme"})
    _populate_cache(cache, "someone/tiny-GGUF", {"tiny-Q8_0.gguf": b"GGUF-q8", "tiny-Q4_K_M.gguf": b"GGUF-q4km"})
    refs = ["", "local", "someone/tiny-GGUF", "someone/tiny-GGUF:Q8_0", "someone/tiny-GGUF/tiny-Q8_0.gguf",
            "someone/absent-GGUF/x.gguf", "someone/tiny-GGUF:IQ2_XS"]
    res = subprocess.run([PY, "-c", RESOLVE, *refs], capture_output=True, text=True, env=_offline_env(cache),
                         timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    snap = "snapshots/" + "a" * 40
    assert out[""].endswith(f"{snap}/DeepSeek-Coder-V2-Lite-Instruct-Q4_K_M.gguf")
    assert Path(out[""]).read_bytes() == b"GGUF-q4" and out[""] == out["local"] == out["hf_hub_download"]
    assert out["someone/tiny-GGUF"].endswith("tiny-Q4_K_M.gguf")
    assert out["someone/tiny-GGUF:Q8_0"].endswith("tiny-Q8_0.gguf") == out["someone/tiny-GGUF/tiny-Q8_0.gguf"].endswith("tiny-Q8_0.gguf") == True
    assert out["someone/absent-GGUF/x.gguf"].startswith("error: ") and "HF_HUB_OFFLINE is set" in out["someone/absent-GGUF/x.gguf"]
    assert "dsfix model pull" in out["someone/absent-GGUF/x.gguf"]
    assert "no IQ2_XS GGUF file found" in out["someone/tiny-GGUF:IQ2_XS"]


def _cli(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "dsfix.agent.backend.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_model_list_and_rm_use_the_hf_cache(tmp_path):
    cache = tmp_path / "hub"
    env = {**_offline_env(cache), "COLUMNS": "200"}
    assert "no cached models" in _cli("model", "list", env=env).stdout
    _populate_cache(cache, "owner/a-GGUF", {"a-Q4_K_M.gguf": b"x" * 3000, "a-Q8_0.gguf": b"y" * 5000})
    _populate_cache(cache, "owner/b-GGUF", {"b.gguf": b"z" * 7000})
    res = _cli("model", "list", "--json", env=env)
    rows = {(r["repo"], r["file"]): r["size"] for r in json.loads(res.stdout)}
    assert rows == {("owner/a-GGUF", "a-Q4_K_M.gguf"): 3000, ("owner/a-GGUF", "a-Q8_0.gguf"): 5000,
                    ("owner/b-GGUF", "b.gguf"): 7000}
    table = _cli("model", "list", env=env).stdout
    assert "a-Q8_0.gguf" in table and "5.0 KB" in table and "total: 15.0 KB" in table
    res = _cli("model", "rm", "owner/a-GGUF/a-Q8_0.gguf", "--yes", env=env)
    assert res.returncode == 0 and "5.0 KB freed" in res.stdout, res.stderr
    res = _cli("model", "rm", "owner/b-GGUF", "--yes", env=env)
    assert res.returncode == 0 and "7.0 KB freed" in res.stdout, res.stderr
    rows = json.loads(_cli("model", "list", "--json", env=env).stdout)
    assert [(r["repo"], r["file"]) for r in rows] == [("owner/a-GGUF", "a-Q4_K_M.gguf")]
    res = _cli("model", "rm", "owner/zzz", "--yes", env=env)
    assert res.returncode == 2 and "not in the Hugging Face cache" in res.stderr


def test_model_pull_offline_reports_a_clear_error_and_a_cached_hit(tmp_path):
    cache = tmp_path / "hub"
    env = _offline_env(cache)
    res = _cli("model", "pull", "owner/c-GGUF/c.gguf", env=env)
    assert res.returncode == 2 and "not in the Hugging Face cache" in res.stderr
    _populate_cache(cache, "owner/c-GGUF", {"c.gguf": b"c" * 2500})
    res = _cli("model", "pull", "owner/c-GGUF/c.gguf", env=env)
    assert res.returncode == 0 and "2.5 KB" in res.stdout, res.stderr


def test_serve_without_any_engine_names_the_extra(tmp_path):
    # an interpreter where no engine can be imported: dsfix says what to install
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text("import sys\nclass B:\n    def find_spec(self, name, *a):\n"
                       "        if name.split('.')[0] in ('llama_cpp', 'vllm', 'transformers', 'torch'):\n"
                       "            raise ImportError(name)\nsys.meta_path.insert(0, B())\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{os.environ.get('PYTHONPATH', '')}"}
    res = _cli("serve", "--model", str(tmp_path / "x.gguf"), env=env)
    assert res.returncode == 2 and "pip install 'dsfix[local]'" in res.stderr, res.stderr


# ---- downloads: resumable, through huggingface_hub's HTTP code, from a fake Hub on loopback ---------

class _FakeHub:
    """Serves one file as the Hub's /resolve/ endpoint does (HEAD metadata, GET with Range)."""

    def __init__(self, repo_id: str, filename: str, data: bytes, commit: str = "c" * 40):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.data, self.sha = data, hashlib.sha256(data).hexdigest()
        self.requests: list[tuple[str, str | None]] = []
        self.other: list[str] = []
        self.stall_after: int | None = None          # first GET: send this many bytes, then hang
        self.release = threading.Event()
        hub = self
        path = f"/{repo_id}/resolve/main/{filename}"

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _head(self, status, start):
                self.send_response(status)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", f'"{hub.sha}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(hub.data) - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(hub.data) - 1}/{len(hub.data)}")
                self.end_headers()

            def do_HEAD(self):
                if self.path.split("?")[0] != path:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hub.requests.append(("HEAD", None))
                self._head(200, 0)

            def do_GET(self):
                rng = self.headers.get("Range")
                if self.path.split("?")[0] != path:
                    hub.other.append(self.path)
                    return self.do_HEAD()
                hub.requests.append(("GET", rng))
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                self._head(206 if start else 200, start)
                body = hub.data[start:]
                if hub.stall_after is not None:
                    cut, hub.stall_after = hub.stall_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    hub.release.wait(60)
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_pull_resumes_an_interrupted_download_into_the_standard_cache(tmp_path):
    import time
    data = os.urandom(24_000_000)   # huggingface_hub writes in 10 MiB chunks
    hub = _FakeHub("owner/big-GGUF", "big-Q4_K_M.gguf", data)
    cache = tmp_path / "hub"
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(cache), "HF_HOME": str(tmp_path / "hf"),
           "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "COLUMNS": "160"}
    env.pop("HF_HUB_OFFLINE", None)
    try:
        hub.stall_after = 12_000_000
        # SIG_DFL: a test run started in the background (`cmd &`) ignores SIGINT, and children inherit that
        proc = subprocess.Popen([PY, "-m", "dsfix.agent.backend.cli", "model", "pull", "owner/big-GGUF/big-Q4_K_M.gguf"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        partial = cache / "models--owner--big-GGUF" / "blobs" / f"{hub.sha}.dsfix-partial"
        deadline = time.monotonic() + 60
        while not (partial.exists() and partial.stat().st_size >= 10 * 2**20) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)                 # Ctrl-C in the middle of the download
        proc.communicate(timeout=30)
        kept = partial.stat().st_size
        assert proc.returncode != 0 and 10 * 2**20 <= kept < len(data)
        hub.release.set()
        res = _cli("model", "pull", "owner/big-GGUF/big-Q4_K_M.gguf", env=env)
        assert res.returncode == 0, res.stderr
        assert ("GET", f"bytes={kept}-") in hub.requests   # only the rest was asked for
        assert "24.0 MB" in res.stdout and "24.0/24.0 MB" in res.stderr   # summary, and the progress bar                       # the size, in the progress bar and the summary
        blob = cache / "models--owner--big-GGUF" / "blobs" / hub.sha
        assert blob.read_bytes() == data and not partial.exists()
        found = subprocess.run([PY, "-c", "from huggingface_hub import hf_hub_download as d; "
                                "print(d('owner/big-GGUF', 'big-Q4_K_M.gguf', local_files_only=True))"],
                               env=env, capture_output=True, text=True, timeout=60)
        assert Path(found.stdout.strip()).read_bytes() == data, found.stderr
        n = len(hub.requests)
        assert _cli("model", "pull", "owner/big-GGUF/big-Q4_K_M.gguf", env=env).returncode == 0
        assert len(hub.requests) == n                        # cached: the Hub is not asked again
        res = _cli("model", "pull", "owner/big-GGUF/absent.gguf", env=env)
        assert res.returncode == 2 and "not found on the Hugging Face Hub" in res.stderr
    finally:
        hub.close()


def test_server_dies_with_dsfix_even_when_dsfix_is_sigkilled(tmp_path):
    """No atexit runs after SIGKILL: the kernel (PR_SET_PDEATHSIG) takes the server down with dsfix."""
    import time
    marker = f"dsfix-pdeath-{os.getpid()}-{tmp_path.name}"
    (tmp_path / "srv.py").write_text(HTTP_SERVER)
    prog = f"""
import time
from dsfix.agent.backend import server as srv
srv.server_command = lambda o, port: [{PY!r}, {str(tmp_path / 'srv.py')!r}, str(port), {marker!r}]
s = srv.LocalServer(srv.ServeOptions(weights='m.gguf', start_timeout=30)).start()
print(s.pid, flush=True)
time.sleep(120)
"""
    # TMPDIR: a SIGKILLed dsfix cannot remove its server's log directory; keep it under tmp_path
    proc = subprocess.Popen([PY, "-c", prog], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    pid = int(proc.stdout.readline())
    assert Path(f"/proc/{pid}").exists()
    proc.kill()
    proc.wait(10)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()
    for orphan in _pids_with(marker):   # the fake server's own child is not an engine's: end it here
        os.kill(orphan, signal.SIGKILL)


def test_stopped_server_leaves_no_log_directory_but_keeps_its_tail(tmp_path):
    """stop() removes the server's temporary log directory; exit notes still quote the log."""
    marker = f"dsfix-logdir-{os.getpid()}-{tmp_path.name}"
    (tmp_path / "srv.py").write_text(HTTP_SERVER)
    orig = srv.server_command
    srv.server_command = lambda o, port: [PY, str(tmp_path / "srv.py"), str(port), marker]
    try:
        s = srv.LocalServer(srv.ServeOptions(weights=tmp_path / "m.gguf", start_timeout=30))
        assert s.log_path is None          # nothing on disk before launch
        s.start()
        log_dir = s.log_path.parent
        s.log_path.open("a").write("last words\n")
        s.stop()
    finally:
        srv.server_command = orig
    assert not log_dir.exists()
    assert "last words" in s.log_tail()


def test_amx_cpus_load_models_without_weight_repacking(tmp_path, monkeypatch):
    """ggml's AMX repacking segfaults on Sapphire Rapids-class CPUs (llama.cpp#20824): the server
    turns it off there, and only there."""
    from dsfix.agent.backend import llama_server
    amx, plain = tmp_path / "amx", tmp_path / "plain"
    amx.write_text("flags\t\t: fpu avx2 avx512f amx_bf16 amx_tile amx_int8\n")
    plain.write_text("flags\t\t: fpu avx2 avx512f\n")
    assert llama_server.has_amx(str(amx)) and not llama_server.has_amx(str(plain))
    assert not llama_server.has_amx(str(tmp_path / "absent"))
    lib = pytest.importorskip("llama_cpp.llama_cpp")
    monkeypatch.setattr(lib, "llama_model_default_params", lib.llama_model_default_params)
    assert lib.llama_model_default_params().use_extra_bufts
    llama_server.no_weight_repacking()
    assert not lib.llama_model_default_params().use_extra_bufts
