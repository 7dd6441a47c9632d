"""Start, watch and stop a local OpenAI-compatible model server (llama.cpp, vLLM or transformers).

The server runs in its own process group; it is stopped by that group's id (SIGTERM, then SIGKILL)
when its `with` block ends, at interpreter exit (atexit), and by the kernel if dsfix itself is
killed (PR_SET_PDEATHSIG on Linux) - so no server outlives the run that started it.
"""
from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

from .weights import LocalBackendError

ENGINES = ("llama.cpp", "vllm", "transformers")
INSTALL_HINT = "pip install 'dsfix[local]'"
_MODULES = {"llama.cpp": "llama_cpp.server", "vllm": "vllm", "transformers": "transformers"}


def engine_installed(engine: str) -> bool:
    mod = _MODULES[engine]
    try:
        if engine == "llama.cpp":
            return importlib.util.find_spec("llama_cpp") is not None and \
                importlib.util.find_spec("uvicorn") is not None and importlib.util.find_spec("fastapi") is not None
        if engine == "transformers":
            return importlib.util.find_spec("transformers") is not None and importlib.util.find_spec("torch") is not None
        return importlib.util.find_spec(mod) is not None
    except (ImportError, ValueError):
        return False


def has_gpu() -> bool:
    """An NVIDIA GPU is usable: the driver's device nodes exist and nvidia-smi lists one."""
    if not Path("/dev/nvidiactl").exists() or not shutil.which("nvidia-smi"):
        return False
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def pick_engine(requested: str | None = None) -> str:
    """The user's choice, else: GPU + vLLM -> vllm; llama.cpp if installed; transformers if installed."""
    if requested:
        if requested not in ENGINES:
            raise LocalBackendError(f"unknown engine '{requested}': choose one of {', '.join(ENGINES)}")
        if not engine_installed(requested):
            extra = {"llama.cpp": "llama-cpp-python[server]", "vllm": "vllm",
                     "transformers": "transformers and torch"}[requested]
            raise LocalBackendError(f"the {requested} engine is not installed: {INSTALL_HINT} "
                                    f"(or install {extra})")
        return requested
    if engine_installed("vllm") and has_gpu():
        return "vllm"
    for engine in ("llama.cpp", "transformers"):
        if engine_installed(engine):
            return engine
    raise LocalBackendError(f"no local inference engine is installed: {INSTALL_HINT} "
                            "(llama.cpp; vLLM on a GPU server; transformers as the reference engine)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class ServeOptions:
    weights: Path                       # a GGUF file (llama.cpp) or a checkpoint directory / repo id
    engine: str = "llama.cpp"
    host: str = "127.0.0.1"
    port: int | None = None             # None: a free port
    ctx: int = 16384                    # context window (the model's RoPE scaling is left as it is)
    parallel: int = 1                   # concurrent requests (slots)
    alias: str = "dsfix-local"          # the model name the server answers to
    threads: int | None = None
    extra_args: list[str] = field(default_factory=list)
    start_timeout: float = 600.0        # loading a 10 GB model from a cold disk takes a while


def server_command(o: ServeOptions, port: int) -> list[str]:
    py = sys.executable
    if o.engine == "llama.cpp":
        cmd = [py, "-m", "dsfix.agent.backend.llama_server", "--model", str(o.weights), "--model_alias", o.alias,
               "--host", o.host, "--port", str(port), "--n_ctx", str(o.ctx), "--n_gpu_layers", "-1"]
        if o.threads:
            cmd += ["--n_threads", str(o.threads), "--n_threads_batch", str(o.threads)]
        # Chat template, stop tokens and RoPE scaling (YaRN to 128K) come from the GGUF's own metadata.
    elif o.engine == "vllm":
        cmd = [py, "-m", "vllm.entrypoints.openai.api_server", "--model", str(o.weights),
               "--served-model-name", o.alias, "--host", o.host, "--port", str(port),
               "--max-model-len", str(o.ctx), "--max-num-seqs", str(o.parallel), "--trust-remote-code"]
        if str(o.weights).endswith(".gguf"):
            from .deepseek import DEFAULT_HF_CHECKPOINT
            cmd += ["--tokenizer", DEFAULT_HF_CHECKPOINT]
    elif o.engine == "transformers":
        cmd = [py, "-m", "dsfix.agent.backend.hf_server", "--model", str(o.weights), "--alias", o.alias,
               "--host", o.host, "--port", str(port), "--ctx", str(o.ctx), "--parallel", str(o.parallel)]
    else:
        raise LocalBackendError(f"unknown engine '{o.engine}'")
    return cmd + list(o.extra_args)


def proxy_command(o: ServeOptions, port: int, upstreams: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "dsfix.agent.backend.proxy", "--host", o.host, "--port", str(port)]
    for u in upstreams:
        cmd += ["--upstream", u]
    return cmd


_live: dict[int, "LocalServer"] = {}
_live_lock = threading.Lock()


def _stop_all() -> None:
    with _live_lock:
        servers = list(_live.values())
    for s in servers:
        s.stop()


atexit.register(_stop_all)


def _preexec(sig: int):
    def run():
        os.setsid()  # own process group: stopped as a whole, and Ctrl-C in the terminal is ours to handle
        try:
            import ctypes
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG: die with dsfix
        except Exception:  # noqa: BLE001 - not Linux: atexit and the context manager still stop it
            pass
    return run


class LocalServer:
    """One server process. `with LocalServer(opts) as s:` starts it, waits until healthy, stops it."""

    def __init__(self, opts: ServeOptions):
        self.opts = opts
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self._log_dir: Path | None = None   # made at launch, removed at stop
        self._log = None
        self._kept_log: str | None = None   # the log's text once stop() has removed its directory
        self.stopped_by_us = False
        self.workers: list[LocalServer] = []   # llama.cpp with parallel > 1: one worker per slot

    @property
    def api_base(self) -> str:
        return f"http://{self.opts.host}:{self.port}/v1"

    @property
    def log_path(self) -> Path | None:
        return self._log_dir / "server.log" if self._log_dir else None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self._kept_log if self._kept_log is not None else self.log_path.read_text(errors="replace")
        except (OSError, AttributeError):   # no log yet
            return ""
        keep = [ln for ln in text.splitlines() if ln.strip()]
        return "\n".join(keep[-lines:])

    def start(self) -> "LocalServer":
        o = self.opts
        if o.port is not None and port_in_use(o.host, o.port):
            raise LocalBackendError(
                f"port {o.port} on {o.host} is already in use (another server?): pick another with --port, "
                f"or share the running server with --api-base http://{o.host}:{o.port}/v1")
        if o.engine == "llama.cpp" and o.parallel > 1 and not self.workers:
            # llama-cpp-python serves one request at a time: N workers (weights mmap'd, shared) + a proxy
            try:
                for _ in range(o.parallel):
                    self.workers.append(LocalServer(replace(o, host="127.0.0.1", port=None, parallel=1)).start())
            except BaseException:
                self.stop()
                raise
        tries = 1 if o.port is not None else 3
        for attempt in range(tries):
            self.port = o.port if o.port is not None else free_port(o.host)
            try:
                self._launch()
                self._wait_ready()
                return self
            except BaseException as e:
                # a free port can be taken between our check and the server's bind: try another
                if attempt + 1 < tries and "address already in use" in str(e).lower():
                    self._stop_proc()
                    continue
                self.stop()
                raise
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        o = self.opts
        cmd = (proxy_command(o, self.port, [w.api_base[:-len("/v1")] for w in self.workers]) if self.workers
               else server_command(o, self.port))
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self._log_dir is None or not self._log_dir.is_dir():   # stop() removes it
            self._log_dir = Path(tempfile.mkdtemp(prefix="dsfix-server-"))
        self._kept_log = None
        self._log = open(self.log_path, "ab")
        sig = signal.SIGTERM if o.engine == "vllm" else signal.SIGKILL
        self.stopped_by_us = False
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, preexec_fn=_preexec(sig), close_fds=True)
        with _live_lock:
            _live[self.proc.pid] = self

    def _wait_ready(self) -> None:
        o, deadline = self.opts, time.monotonic() + self.opts.start_timeout
        url = f"{self.api_base}/models"
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise LocalBackendError(f"the {o.engine} server exited with code {rc} before it was ready "
                                        f"(model {o.weights}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        json.loads(r.read() or b"{}")
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise LocalBackendError(f"the {o.engine} server did not become ready within "
                                        f"{o.start_timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and all(w.alive() for w in self.workers)

    def exit_note(self) -> str | None:
        """Why the server is gone, when it died on its own (None while it runs or after stop())."""
        for w in self.workers:
            note = w.exit_note()
            if note:
                return note
        if self.proc is None or self.stopped_by_us or self.proc.poll() is None:
            return None
        return f"the local {self.opts.engine} server (pid {self.proc.pid}) exited with code " \
               f"{self.proc.returncode}:\n{self.log_tail()}"

    def stop(self, grace: float = 10.0) -> None:
        """Stop the server's whole process group (and its workers): SIGTERM, then SIGKILL after `grace` s."""
        self._stop_proc(grace)
        for w in self.workers:
            w.stop(grace)
        self.cleanup_logs()

    def _stop_proc(self, grace: float = 10.0) -> None:
        p = self.proc
        if p is None:
            return
        was_running = p.poll() is None
        self.stopped_by_us = self.stopped_by_us or was_running
        pgid = p.pid  # setsid() made the server its group's leader
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                p.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # the leader is gone; make sure nothing else of its group is left
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                break
        if p.poll() is None:
            p.wait(timeout=5)
        with _live_lock:
            _live.pop(p.pid, None)
        if self._log:
            self._log.close()
            self._log = None

    def cleanup_logs(self) -> None:
        """Remove the log directory, keeping the log's last lines for exit_note() and errors."""
        if self._log_dir is None or (self.proc is not None and self.proc.poll() is None):
            return   # never launched, or still running: its log is still being written
        if self._kept_log is None:
            try:
                self._kept_log = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-200:])
            except OSError:
                self._kept_log = ""
        shutil.rmtree(self._log_dir, ignore_errors=True)
        for w in self.workers:
            w.cleanup_logs()

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.cleanup_logs()
