"""The `dsfix` command line."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import typer
from rich.console import Console
from rich.markup import escape as rich_escape

from . import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, help="dsfix: from an issue to a verified patch.")
env_app = typer.Typer(no_args_is_help=True, help="Container images dsfix uses.")
app.add_typer(env_app, name="env")


def _mount_subcommands() -> None:
    # Each command lives beside the code it drives; importing these modules is cheap (typer only).
    from dsfix.envs.evaluate.cli import eval_cli
    from dsfix.envs.cli import env_cli
    from .backend.cli import model_app, serve_command
    from .batch.cli import bench_app
    app.add_typer(bench_app, name="bench")
    app.command("serve")(serve_command)
    app.add_typer(model_app, name="model")
    app.command("eval")(eval_cli)
    from dsfix.envs import cli as envs_cli
    envs_cli.repo_builder = _env_build_repo   # `env build REPO` needs the settings, which live here
    for cmd in env_cli.registered_commands:   # list | build | prune beside `env base`
        env_app.registered_commands.append(cmd)


def _env_build_repo(repo: Path, config: Optional[Path], force: bool) -> int:
    """`dsfix env build REPO`: the image `dsfix fix REPO` runs in, built now (or found cached)."""
    from dsfix.envs.base import EnvError
    from dsfix.envs.docker_env import docker_client
    from dsfix.envs.layers.project_build import ensure_project_image
    from dsfix.envs.workspace import Workspace, WorkspaceError
    from .config import ConfigError, load_settings
    from .run import project_options
    try:
        ws = Workspace(repo)   # bad input first: no engine is asked about a folder that is no repository
        e = load_settings(ws.root, config).env
        img = ensure_project_image(docker_client(timeout=600), ws, force=force, **project_options(e))
    except (ConfigError, WorkspaceError, EnvError) as err_:
        fail(str(err_).splitlines()[0])
    how = f"built in {img.seconds:.1f}s with {img.installer}" if img.built else f"cached ({img.seconds:.1f}s)"
    out.print(f"{img.tag}: {how}; python {img.python}")
    return 0


_mount_subcommands()
out = Console()
err = Console(stderr=True)


def fail(msg: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {msg}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out.print(f"dsfix {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                              help="Print the version and exit.")) -> None:
    """dsfix: from an issue to a verified patch."""


def _issue_text(issue: str | None, issue_file: Path | None) -> str:
    if issue and issue_file:
        fail("give either --issue or --issue-file, not both")
    if issue_file:
        if not issue_file.is_file():
            fail(f"issue file not found: {issue_file}")
        issue = issue_file.read_text(errors="replace")
    if not issue or not issue.strip():
        fail("no issue given: use --issue TEXT or --issue-file FILE")
    return issue.strip()


def _overrides(**kv) -> dict:
    """CLI flags become a nested override dict (None means 'not given')."""
    tree: dict = {}
    for dotted, value in kv.items():
        if value is None:
            continue
        node = tree
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return tree


AGENT_HELP = ("pipeline (default: dsfix asks for a reproduction and diffs; best for the bundled local "
              "Coder-V2 and models without tool calls), bash (the model acts through shell commands, by tool "
              "calls where it takes them; for models trained for tool use, e.g. deepseek-v4) or auto (bash for "
              "a model that takes tool calls, else pipeline).")


@app.command()
def fix(
    repo: str = typer.Argument(..., help="Path to the git repository to fix, or a GitHub issue URL."),
    issue: Optional[str] = typer.Option(None, "--issue", help="The issue text."),
    issue_file: Optional[Path] = typer.Option(None, "--issue-file", help="A file holding the issue text."),
    test_cmd: Optional[str] = typer.Option(None, "--test-cmd", help="Command that runs the tests (detected if absent)."),
    model: Optional[str] = typer.Option(None, "--model", help="Any litellm model string."),
    api_base: Optional[str] = typer.Option(None, "--api-base", help="Base URL of an OpenAI-compatible server."),
    env: Optional[str] = typer.Option(None, "--env", help="docker (default) or local (a temporary copy on this host)."),
    image: Optional[str] = typer.Option(None, "--image", help="Container image for the docker environment."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Most model calls."),
    max_cost: Optional[float] = typer.Option(None, "--max-cost", help="Most USD to spend."),
    agent: Optional[str] = typer.Option(None, "--agent", help=AGENT_HELP),
    samples: Optional[int] = typer.Option(None, "--samples", help="Pipeline: candidate patches per attempt, "
                                          "sampled from one prompt and chosen by test evidence (default 1)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Where to write patch.diff, trajectory.jsonl, report.json."),
    config: Optional[Path] = typer.Option(None, "--config", help="A YAML config file."),
    apply: bool = typer.Option(False, "--apply", help="Apply a verified patch to your working tree."),
    open_pr: bool = typer.Option(False, "--open-pr", help="Issue URL: push a branch and open a pull request."),
    branch: Optional[str] = typer.Option(None, "--branch", help="Issue URL: branch name (default dsfix/issue-N)."),
    github_api: Optional[str] = typer.Option(None, "--github-api", help="GitHub API base (GitHub Enterprise)."),
    strict: bool = typer.Option(False, "--strict", help="Refuse (exit 2) a repository dsfix.yaml that sets keys "
                                "a repository may not set, instead of ignoring them with a warning."),
) -> None:
    """Fix an issue in a repository (or a GitHub issue URL) and prove the patch with its tests."""
    from .backend import LocalBackendError
    from .config import ConfigError, load_settings
    from .run import EnvError
    from dsfix.envs.workspace import WorkspaceError
    overrides = _overrides(test_cmd=test_cmd, model__name=model, model__api_base=api_base, env__kind=env,
                           env__image=image, limits__max_steps=max_steps, limits__max_cost=max_cost,
                           samples=samples, agent=agent)
    is_url = repo.startswith(("http://", "https://"))
    _refuse_mixed_flags(is_url, bool(issue or issue_file), apply, bool(open_pr or branch or github_api))
    try:
        if is_url:
            load_settings(None, config, overrides)  # a bad --config fails before anything is cloned
            code, report, out_path = _fix_url(repo, config, overrides, out_dir, open_pr, branch, github_api, strict)
        else:
            code, report, out_path = _fix_path(Path(repo), _issue_text(issue, issue_file), config, overrides,
                                               out_dir, apply, strict)
    except (ConfigError, WorkspaceError, EnvError) as e:
        fail(str(e).splitlines()[0])
    except LocalBackendError as e:
        fail(str(e))  # its further lines are the server's log: what went wrong
    from .summary import print_summary
    print_summary(out, report, out_path)
    gh = report.get("github") or {}
    if gh.get("pr_url"):
        out.print(f"pull request: {gh['pr_url']}" + (" (opened)" if gh.get("pr_created") else " (updated)"))
    elif gh.get("comment_url"):
        out.print(f"commented on the issue: {gh['comment_url']}")
    raise typer.Exit(code)


def _refuse_mixed_flags(is_url: bool, has_issue: bool, apply: bool, github_flags: bool) -> None:
    if is_url and has_issue:
        fail("an issue URL brings its own text: drop --issue/--issue-file")
    if is_url and apply:
        fail("--apply changes a local working tree; with an issue URL use --open-pr")
    if not is_url and github_flags:
        fail("--open-pr, --branch and --github-api need an issue URL (https://HOST/OWNER/REPO/issues/N)")


def _fix_path(path: Path, text: str, config, overrides, out_dir, apply, strict):
    from .config import load_settings
    from .run import FixRequest, run_fix
    settings = load_settings(path if path.is_dir() else None, config, overrides, strict=strict)
    out_path = out_dir or _default_out(path.resolve().name)
    with err.status("dsfix is working...") as status:
        code, report = run_fix(FixRequest(path, text, out_path, settings, apply),
                               progress=lambda m: status.update(f"dsfix: {m}"))
    return code, report, out_path


def _fix_url(url: str, config, overrides, out_dir, open_pr, branch, github_api, strict):
    from dsfix.tools.github import GitHubError, default_out_name, github_fix
    from .config import load_settings
    from .run import FixRequest, run_fix
    try:
        out_path = out_dir or _default_out(default_out_name(url))
    except GitHubError as e:
        fail(str(e))
    with err.status("dsfix is working...") as status:
        progress = lambda m: status.update(f"dsfix: {m}")  # noqa: E731

        def run(repo_dir: Path, text: str, run_out: Path):
            settings = load_settings(repo_dir, config, overrides, strict=strict)
            return run_fix(FixRequest(repo_dir, text, run_out, settings), progress=progress)
        try:
            code, report = github_fix(url, run=run, out=out_path, open_pr=open_pr, branch=branch,
                                      github_api=github_api, progress=progress)
        except GitHubError as e:
            fail(str(e))
    return code, report, out_path


def _default_out(name: str) -> Path:
    # Outside the user's repository: their tree changes only with --apply.
    from dsfix.envs.images import cache_dir
    return cache_dir() / "runs" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


@app.command()
def doctor(model: Optional[str] = typer.Option(None, "--model", help="Model to check (default: configured)."),
           repo: Path = typer.Option(Path("."), "--repo", help="Repository whose dsfix.yaml to read."),
           model_check: bool = typer.Option(False, "--model-check", help="Call the model too (one tiny request).")
           ) -> None:
    """Check the Docker engine, the base image, the model's key and disk space; say how to fix problems."""
    from .doctor import run_doctor
    raise typer.Exit(run_doctor(out, model, repo, model_check))


@app.command("apply")
def apply_cmd(repo: Path = typer.Argument(...), patch: Path = typer.Argument(...),
              check: bool = typer.Option(False, "--check", help="Only check that it applies."),
              as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Apply a (possibly sloppy) unified diff by content: exit 0 applied, 1 refused, 2 bad input."""
    from dsfix.tools.diff import apply_command
    raise typer.Exit(apply_command(repo, patch, check, as_json))


@app.command()
def localize(repo: Path = typer.Argument(...), issue_file: Path = typer.Option(..., "--issue-file"),
             top_k: int = typer.Option(10, "--top-k"), as_json: bool = typer.Option(False, "--json"),
             model: Optional[str] = typer.Option(None, "--model", help="Narrow the ranking with this model "
                                                 "(files, then symbols, then line ranges); absent: no model call."),
             prompt: bool = typer.Option(False, "--prompt", help="Also the windows the first fix prompt shows "
                                         "(views, prompt_tokens); localizes as `dsfix fix` does, so --top-k "
                                         "is ignored.")) -> None:
    """Rank the files and symbols most likely to need a change; with --model, narrow them with the model."""
    from .localize_command import localize_command
    if not prompt:
        raise typer.Exit(localize_command(repo, issue_file, top_k, as_json, model))
    from .context import MAX_SYMBOLS, TOP_K, prompt_preview
    from .config import load_settings

    def preview(root, text, loc):
        return prompt_preview(root, text, loc, load_settings(root).context_tokens)
    raise typer.Exit(localize_command(repo, issue_file, TOP_K, as_json, model, MAX_SYMBOLS, preview))


@env_app.command("base")
def env_base() -> None:
    """Build dsfix's offline base image from a Debian root filesystem (no registry needed)."""
    from dsfix.envs.docker_env import docker_client
    from dsfix.envs.images import BASE_IMAGE, ensure_image
    from dsfix.envs.base import EnvError
    try:
        how = ensure_image(docker_client(), BASE_IMAGE, pull=False)
    except EnvError as e:
        fail(str(e))
    out.print(f"{BASE_IMAGE}: {how}")


def setup_logging() -> None:
    """dsfix's messages on stderr, one plain line each, for people: progress (an image being built,
    a download) dimmed, warnings as "warning: ..."; DSFIX_LOG=debug adds the detail (each line of
    an image build's output)."""
    import logging
    from dsfix.common.logs import show

    class OneLine(logging.Handler):
        def emit(self, record):
            msg = rich_escape(record.getMessage())
            if record.levelno >= logging.WARNING:
                err.print(f"[yellow]{record.levelname.lower()}:[/] {msg}", highlight=False, soft_wrap=True)
            else:
                err.print(f"[dim]{msg}[/]", highlight=False, soft_wrap=True)
    debug = os.environ.get("DSFIX_LOG", "").lower() == "debug"
    show(OneLine(level=logging.DEBUG if debug else logging.INFO))


def main() -> None:
    from dsfix.common.interrupts import cleaned_up, interrupted, stop_on_signals
    setup_logging()
    stop_on_signals()   # Ctrl-C and SIGTERM: `finally` blocks write report.json and remove containers
    try:
        app()
    except KeyboardInterrupt:
        cleaned_up()   # every `finally` has run: a late Ctrl-C must not turn 130 into death by SIGINT
        err.print("interrupted")
        sys.exit(130)
    except SystemExit:
        # typer turns a KeyboardInterrupt into Exit(130) itself, so the branch above is not reached;
        # the interpreter's shutdown then restores the default handler and a Ctrl-C in it (it can
        # take a second: threads joined, atexit) killed the process by SIGINT (-2) instead of 130
        if interrupted():
            cleaned_up()
            err.print("interrupted")
        raise
