"""`dsfix serve` and `dsfix model pull | list | rm` (mounted by dsfix.agent.cli)."""
from __future__ import annotations

import time
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from dsfix.common.interrupts import stop_on_signals

out = Console()
err = Console(stderr=True)


def _fail(msg: str, code: int = 2) -> None:
    from rich.markup import escape
    err.print(f"[bold red]error:[/] {escape(msg)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def serve_command(
    model: Optional[str] = typer.Option(None, "--model", help="Alias, path (GGUF file or checkpoint dir) or "
                                        "Hugging Face repo id (default: DeepSeek-Coder-V2-Lite-Instruct Q4_K_M)."),
    engine: Optional[str] = typer.Option(None, "--engine", help="llama.cpp | vllm | transformers "
                                         "(default: vllm on a GPU when installed, else llama.cpp, else transformers)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    ctx: int = typer.Option(16384, "--ctx", help="Context window in tokens (the model's own RoPE scaling "
                            "reaches 128K; more context costs more memory)."),
    parallel: int = typer.Option(1, "--parallel", help="Concurrent request slots."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads (llama.cpp)."),
) -> None:
    """Serve the local DeepSeek-Coder-V2 model as an OpenAI-compatible API until Ctrl-C."""
    from . import alias_for
    from .server import LocalServer, ServeOptions, pick_engine
    from .weights import LocalBackendError, parse_ref, resolve
    ref = model or ""
    if ref.startswith("local/"):
        ref = ref[len("local/"):]
    if ref == "local":
        ref = ""
    try:
        eng = pick_engine(engine)
        weights = resolve(parse_ref(ref, eng), eng)
        alias = alias_for(ref, weights if weights.is_file() else None)
        server = LocalServer(ServeOptions(weights=weights, engine=eng, host=host, port=port, ctx=ctx,
                                          parallel=parallel, alias=alias, threads=threads))
        err.print(f"starting {eng} with {weights} ...", highlight=False)
        server.start()
    except LocalBackendError as e:
        _fail(str(e))
    stop_on_signals()   # SIGTERM stops the server like Ctrl-C
    out.print(f"serving [bold]{alias}[/] ({eng}) at [bold]{server.api_base}[/]", highlight=False)
    out.print(f"use it: dsfix fix REPO --issue ... --model local --api-base {server.api_base}", highlight=False)
    code = 0
    try:
        while server.alive():
            time.sleep(0.5)
        note = server.exit_note()
        err.print(note or "the server stopped", highlight=False)
        code = 1
    except KeyboardInterrupt:
        err.print("stopping the server", highlight=False)
    finally:
        server.stop()
        server.cleanup_logs()
    raise typer.Exit(code)


model_app = typer.Typer(no_args_is_help=True, help="Local model weights in the Hugging Face cache.")


@model_app.command("pull")
def pull(model: Optional[str] = typer.Argument(None, help="Alias, owner/repo[:QUANT] or owner/repo/FILE "
                                               "(default: DeepSeek-Coder-V2-Lite-Instruct Q4_K_M)."),
         engine: str = typer.Option("llama.cpp", "--engine", help="llama.cpp: one GGUF file; "
                                    "vllm/transformers: the whole checkpoint.")) -> None:
    """Download weights once into the Hugging Face cache (resumes an interrupted download)."""
    from .weights import LocalBackendError, human, parse_ref, resolve
    try:
        ref = parse_ref(model, engine)
        if ref.path is not None:
            _fail(f"{ref.path} is a local path: nothing to pull")
        path = resolve(ref, engine)
    except LocalBackendError as e:
        _fail(str(e))
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
    out.print(f"{ref.label}: {human(size)} at {path}", highlight=False)


@model_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List model files in the Hugging Face cache, with their sizes."""
    import json
    from .weights import cached_models, human
    rows = cached_models()
    if as_json:
        out.print_json(json.dumps([{"repo": r.repo_id, "file": r.filename, "size": r.size, "path": str(r.path),
                                    "revision": r.revision} for r in rows]))
        return
    if not rows:
        out.print("no cached models (dsfix model pull)")
        return
    t = Table("repo", "file", "size", "revision")
    for r in rows:
        t.add_row(r.repo_id, r.filename, human(r.size), r.revision[:8])
    out.print(t)
    out.print(f"total: {human(sum(r.size for r in rows))}", highlight=False)


@model_app.command("rm")
def rm(model: str = typer.Argument(..., help="owner/repo (every file) or owner/repo/FILE."),
       yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Delete cached weights (a whole repo or one file) and free the disk space."""
    from .weights import LocalBackendError, human, remove
    if not yes and not typer.confirm(f"delete {model} from the Hugging Face cache?"):
        raise typer.Exit(1)
    try:
        freed = remove(model)
    except LocalBackendError as e:
        _fail(str(e))
    out.print(f"removed {model}: {human(freed)} freed", highlight=False)


def standalone_app() -> typer.Typer:
    """`python -m dsfix.agent.backend.cli serve|model ...`: the same commands without the main CLI."""
    app = typer.Typer(add_completion=False, no_args_is_help=True, help="dsfix's local model backend.")
    app.command("serve")(serve_command)
    app.add_typer(model_app, name="model")
    return app


if __name__ == "__main__":
    standalone_app()()
