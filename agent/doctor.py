"""`dsfix doctor`: check what a run needs and say how to fix each problem."""
from __future__ import annotations

import shutil
from pathlib import Path

from rich.table import Table

MIN_FREE_GB = 5.0


def check_docker() -> tuple[str, str, str]:
    from dsfix.envs.base import EnvError
    from dsfix.envs.docker_env import docker_client
    try:
        v = docker_client(timeout=10).version().get("Version", "?")
        return "ok", f"engine {v} reachable", ""
    except EnvError:
        return ("fail", "no Docker engine reachable",
                "install Docker and start it (or run scripts/docker-up.sh as root), then export DOCKER_HOST; "
                "or use --env local to run on this host without isolation")


def check_image(image: str) -> tuple[str, str, str]:
    try:
        from dsfix.envs.docker_env import docker_client
        docker_client(timeout=10).images.get(image)
        return "ok", f"{image} present", ""
    except Exception:  # noqa: BLE001
        return "warn", f"{image} not present", "it is pulled or built on first use; to build now: `dsfix env base`"


def check_disk(path: Path) -> tuple[str, str, str]:
    path.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(path).free / 2**30
    if free < MIN_FREE_GB:
        return "fail", f"{free:.1f} GiB free at {path}", f"free at least {MIN_FREE_GB} GiB (docker image prune)"
    return "ok", f"{free:.1f} GiB free at {path}", ""


def check_model(name: str, api_base: str | None, local=None) -> tuple[str, str, str]:
    from .backend import LocalBackendError, local_model
    from .config import ModelSettings
    from .model import LitellmModel, ModelError
    cfg = ModelSettings(name=name, api_base=api_base, max_tokens=1, timeout=20, retries=0)
    try:
        with local_model(cfg, local) as routed:   # `local/...` starts the bundled server for the check
            m = LitellmModel(routed)
            m.query([{"role": "user", "content": "ping"}])
    except LocalBackendError as e:
        return "fail", f"{name}: {str(e).splitlines()[0][:160]}", "see docs/local-backend.md (pip install 'dsfix[local]')"
    except ModelError as e:
        return "fail", f"{name}: {str(e)[:160]}", _model_hint(name)
    price = "price known" if m.totals.cost_known else "no price: cost will be reported as unknown"
    return "ok", f"{name} answered ({price})", ""


def _model_hint(name: str) -> str:
    provider = name.split("/", 1)[0].upper() if "/" in name else "the provider"
    return (f"set {provider}_API_KEY in the environment (e.g. DEEPSEEK_API_KEY for deepseek/...), "
            f"check the network, or pick another model with --model / dsfix.yaml")


def run_doctor(console, model: str | None, repo: Path) -> int:
    from dsfix.envs.images import cache_dir
    from .config import ConfigError, load_settings
    try:
        cfg = load_settings(repo if repo.is_dir() else None)
    except ConfigError as e:
        console.print(f"[red]config:[/] {e}")
        return 2
    rows = [("docker", *check_docker()), ("image", *check_image(cfg.env.image)),
            ("disk", *check_disk(cache_dir())),
            ("model", *check_model(model or cfg.model.name, cfg.model.api_base, cfg.local))]
    t = Table(title="dsfix doctor")
    for col in ("check", "result", "detail", "how to fix"):
        t.add_column(col, overflow="fold")
    colour = {"ok": "green", "warn": "yellow", "fail": "red"}
    for name, res, detail, fix in rows:
        t.add_row(name, f"[{colour[res]}]{res}[/]", detail, fix)
    console.print(t)
    return 1 if any(r[1] == "fail" for r in rows) else 0
