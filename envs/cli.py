"""``dsfix env list | build | prune | python``: the layered images (a typer sub-app, ``env_cli``).

Beside envs/layers, not in it: ``env build --dataset`` reads datasets and SWE-bench specs
(envs/evaluate), which itself builds on the layers."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

env_cli = typer.Typer(no_args_is_help=True, help="Layered images: base -> env -> instance.")


def _client():
    from dsfix.envs.docker_env import docker_client
    return docker_client(timeout=600)


def _gb(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _fail(e: Exception) -> None:
    typer.echo(f"dsfix env: {e}", err=True)
    raise typer.Exit(2)


@env_cli.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """dsfix's images by layer, with the disk each layer uses on its own."""
    import json

    from rich.console import Console
    from rich.table import Table

    from dsfix.envs.base import EnvError
    from dsfix.envs.layers.disk import free_bytes
    from dsfix.envs.layers.store import disk_by_layer, list_images
    try:
        client = _client()
        rows = list_images(client)
    except EnvError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({"images": rows, "by_layer": disk_by_layer(client)}, indent=2))
        return
    t = Table(title="dsfix images")
    for col in ("layer", "tag", "repo", "commit", "python", "own size", "total size"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["layer"], r["tag"], r["repo"], r["commit"][:12], r["python"], _gb(r["own"]), _gb(r["size"]))
    c = Console()
    c.print(t)
    for layer, d in disk_by_layer(client).items():
        c.print(f"{layer}: {d['images']} image(s), {_gb(d['bytes'])}")
    root, free = free_bytes(client)
    c.print(f"free on the Docker data root {root}: {_gb(free) if free is not None else 'unknown (remote engine)'}")


# `dsfix env build REPO`: set by the agent's CLI, which owns settings (dsfix.yaml, --config);
# called as repo_builder(repo, config, force) -> exit code.
repo_builder = None


@env_cli.command("build")
def build_cmd(
    repo: Optional[Path] = typer.Argument(None, help="A repository: build (or reuse) its environment image."),
    config: Optional[Path] = typer.Option(None, "--config", help="With REPO: a YAML config file."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="JSON/JSONL file or Hugging Face name."),
    instance_ids: Optional[List[str]] = typer.Option(None, "--instance-ids", help="Only these (repeat or comma-separate)."),
    mirrors: Optional[str] = typer.Option(None, "--mirrors", help="Dir of OWNER__REPO.git, or JSON map."),
    pull: bool = typer.Option(False, "--pull/--no-pull", help="Try the official SWE-bench image first."),
    python_fallback: bool = typer.Option(False, "--python-fallback", help="Nearest newer Python when the spec's cannot be provisioned."),
    force: bool = typer.Option(False, "--force", help="Rebuild env and instance layers even when cached."),
    min_free_gb: Optional[float] = typer.Option(None, "--min-free-gb", help="Refuse to build below this free space (default DSFIX_MIN_FREE_GB or 10)."),
) -> None:
    """Build (or reuse) a repository's environment image, or the base, env and instance images of
    dataset instances (--dataset)."""
    if (repo is None) == (dataset is None):
        _fail(ValueError("give a repository or --dataset, not both"))
    if repo is not None:
        raise typer.Exit(repo_builder(repo, config, force))
    from dsfix.envs.base import EnvError
    from dsfix.envs.evaluate.dataset import DatasetError, load_dataset
    from dsfix.envs.evaluate.run import spec_for
    from dsfix.envs.layers import build, try_official
    from dsfix.envs.sources import Sources
    try:
        rows = load_dataset(dataset)
        ids = [i for chunk in (instance_ids or []) for i in chunk.split(",") if i.strip()]
        rows = [r for r in rows if not ids or r["instance_id"] in ids]
        if not rows:
            raise DatasetError("no matching instance")
        client, sources = _client(), Sources(mirrors)
    except (DatasetError, EnvError) as e:
        _fail(e)
    failed = 0
    for r in rows:
        iid = r["instance_id"]
        try:
            if pull and try_official(client, iid):
                typer.echo(f"{iid}: official image")
                continue
            res = build(client, r["repo"], spec_for(r), r["environment_setup_commit"], r["base_commit"],
                        sources=sources, python_fallback=python_fallback, min_free=min_free_gb, force=force)
            typer.echo(f"{iid}: {res.tag} (built: {', '.join(res.built) or 'nothing, cached'}; "
                       f"{sum(res.seconds.values()):.1f}s)")
        except (EnvError, KeyError, ValueError) as e:
            failed += 1
            typer.echo(f"{iid}: FAILED {str(e).splitlines()[0] if str(e) else type(e).__name__}", err=True)
    raise typer.Exit(1 if failed else 0)


@env_cli.command("prune")
def prune_cmd(
    layer: str = typer.Option("instance", "--layer", help="instance, env (and its instances), project (repositories' images), all (all but base), base (everything)."),
    repo: Optional[str] = typer.Option(None, "--repo", help="Only images of this OWNER/REPO."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be removed."),
) -> None:
    """Remove containers of killed dsfix runs, then dsfix's images of a layer (and dangling leftovers
    of failed builds); say what that frees."""
    from dsfix.envs.base import EnvError
    from dsfix.envs.containers import orphan_images, orphans, remove_orphans
    from dsfix.envs.layers.store import prune
    try:
        client = _client()
        if dry_run:
            for c in orphans(client):
                typer.echo(f"would remove container {c.name} (its dsfix process is gone)")
            for i in orphan_images(client):
                typer.echo(f"would remove image {(i.tags or [i.short_id])[0]} (its dsfix process is gone)")
        else:
            for line in remove_orphans(client):   # before images: they may hold them
                typer.echo(line)
        removed = prune(client, layer, repo=repo, dry_run=dry_run)
    except (EnvError, ValueError) as e:
        _fail(e)
    for r in removed:
        typer.echo(f"{'would remove' if dry_run else 'removed'} {r['tag']} ({r['layer']}, {_gb(r['own'])})")
    typer.echo(f"{'would free' if dry_run else 'freed'} about {_gb(sum(r['own'] for r in removed))} "
               f"in {len(removed)} image(s)")


@env_cli.command("python")
def python_cmd(
    version: Optional[str] = typer.Argument(None, help="X.Y: find (or download) its CPython toolchain."),
    from_prefix: Optional[str] = typer.Option(None, "--from", help="Pack the Python installed at this prefix (e.g. ~/.pyenv/versions/3.10.13)."),
    base: bool = typer.Option(False, "--base", help="Also build the base image for it now."),
) -> None:
    """CPython toolchains for versions no Debian release ships: list, pack a prefix, or fetch one."""

    from dsfix.envs.base import EnvError
    from dsfix.envs.layers import toolchain
    from dsfix.envs.layers.python import ensure_base
    try:
        if from_prefix:
            tar = toolchain.pack(Path(from_prefix).expanduser())
            version = version or ".".join(tar.name.split("-")[1].split(".")[:2])
        elif version:
            tar = toolchain.find(version)
        else:
            d = toolchain.toolchain_dir()
            found = sorted(d.glob("cpython-*-install_only.tar.gz")) if d.is_dir() else []
            for t in found:
                typer.echo(f"{t.name}  {_gb(t.stat().st_size)}")
            typer.echo(f"{len(found)} toolchain(s) in {d} (DSFIX_PYTHON_DIR)")
            return
        typer.echo(str(tar))
        if base:
            typer.echo(ensure_base(_client(), version)[0])
    except EnvError as e:
        _fail(e)
