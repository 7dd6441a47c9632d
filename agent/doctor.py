"""`dsfix doctor`: check what a run needs and say, in one line each, how to fix each problem.

It never waits on the network for long: the model is called only with ``--model-check`` or when
the key it needs is set (or it is a server of the user's own, ``--api-base``)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from rich.table import Table

MIN_FREE_GB = 5.0
Row = tuple[str, str, str]   # (ok|warn|fail, detail, how to fix)


def check_docker() -> Row:
    from dsfix.envs.base import EnvError
    from dsfix.envs.docker_env import docker_client
    try:
        v = docker_client(timeout=5).version().get("Version", "?")
        return "ok", f"engine {v} reachable", ""
    except EnvError:
        return ("fail", "no Docker engine reachable",
                "start Docker (as root: scripts/docker-up.sh) and export DOCKER_HOST, or use --env local (no isolation)")


def check_image(image: str) -> Row:
    try:
        from dsfix.envs.docker_env import docker_client
        docker_client(timeout=5).images.get(image)
        return "ok", f"{image} present", ""
    except Exception:  # noqa: BLE001
        return "warn", f"{image} not present", "built or pulled on first use; to build it now: `dsfix env base`"


def check_orphans() -> Row:
    """Containers (and their pristine images) left by dsfix runs that were killed (their owner
    process is gone)."""
    try:
        from dsfix.envs.containers import orphan_images, orphans
        from dsfix.envs.docker_env import docker_client
        client = docker_client(timeout=5)
        left = [c.name for c in orphans(client)] + [(i.tags or [i.short_id])[0] for i in orphan_images(client)]
    except Exception:  # noqa: BLE001 - no engine: check_docker says so
        return "ok", "not checked (no engine)", ""
    if left:
        return "warn", f"{len(left)} container(s) or image(s) of killed dsfix runs: {', '.join(left[:3])}", \
            "`dsfix env prune` removes them (so does the next run)"
    return "ok", "no containers left by killed runs", ""


def check_disk(path: Path) -> Row:
    path.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(path).free / 2**30
    if free < MIN_FREE_GB:
        return "fail", f"{free:.1f} GiB free at {path}", f"free at least {MIN_FREE_GB} GiB (`dsfix env prune`)"
    return "ok", f"{free:.1f} GiB free at {path}", ""


def needs_key(name: str, api_base: str | None) -> list[str] | None:
    """The environment variables a model's provider needs and lacks; None when it needs no key
    (the scripted replay, the bundled local model, a server of the user's own)."""
    if api_base or name.startswith(("scripted/", "local")):
        return None
    if name.startswith(("deepseek/", "deepseek-")):
        return [] if os.environ.get("DEEPSEEK_API_KEY") else ["DEEPSEEK_API_KEY"]
    import litellm
    try:
        found = litellm.validate_environment(model=name)
    except Exception:  # noqa: BLE001 - an unknown provider: let the call say what it needs
        return []
    return list(found.get("missing_keys") or [])


def check_model(name: str, api_base: str | None, local=None, call: bool = False) -> Row:
    missing = needs_key(name, api_base)
    if missing:
        return ("fail", f"{name}: {', '.join(missing)} not set (no call made)",
                f"export {missing[0]}=<your key>, or pick another model with --model")
    if not call and missing is None:
        kind = "scripted replay (not a real model)" if name.startswith("scripted/") else "needs no key"
        return "ok", f"{name}: {kind}; not called (--model-check calls it)", ""
    return _call_model(name, api_base, local)


def _call_model(name: str, api_base: str | None, local) -> Row:
    from .backend import LocalBackendError, local_model
    from .config import ModelSettings
    from .model import LitellmModel, ModelError
    cfg = ModelSettings(name=name, api_base=api_base, max_tokens=1, timeout=10, retries=0)
    try:
        with local_model(cfg, local) as routed:   # `local/...` starts the bundled server for the check
            m = LitellmModel(routed)
            m.query([{"role": "user", "content": "ping"}])
    except LocalBackendError as e:
        return "fail", f"{name}: {str(e).splitlines()[0][:160]}", "see docs/local-backend.md (pip install 'dsfix[local]')"
    except ModelError as e:
        return "fail", f"{name}: {str(e).splitlines()[0][:160]}", "check the key, the network and the model name"
    price = "price known" if m.totals.cost_known else "no price: cost will be reported as unknown"
    return "ok", f"{name} answered ({price})", ""


def run_doctor(console, model: str | None, repo: Path, model_check: bool = False) -> int:
    from dsfix.envs.images import cache_dir
    from .config import ConfigError, load_settings
    try:
        cfg = load_settings(repo if repo.is_dir() else None)
    except ConfigError as e:
        console.print(f"[red]config:[/] {e}")
        return 2
    name = model or cfg.model.name
    rows = [("docker", *check_docker()), ("image", *check_image(cfg.env.image)), ("leftovers", *check_orphans()),
            ("disk", *check_disk(cache_dir())),
            ("model", *check_model(name, cfg.model.api_base, cfg.local, call=model_check))]
    t = Table(title="dsfix doctor")
    for col in ("check", "result", "detail", "how to fix"):
        t.add_column(col, overflow="fold")
    colour = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check, res, detail, fix in rows:
        t.add_row(check, f"[{colour[res]}]{res}[/]", detail, fix)
    console.print(t)
    return 1 if any(r[1] == "fail" for r in rows) else 0
