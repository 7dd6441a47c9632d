"""Build (or reuse) a repository's project image (``project.py``): its plan, the docker build, and
a failure explained in one line (which step, its last error, what to set in dsfix.yaml)."""
from __future__ import annotations

import logging
import hashlib
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..images import cache_dir
from ..specs.testdeps import TestDeps, read_test_deps
from ..workspace import Workspace
from .disk import check_disk
from .docker_build import LayerBuildError, build_image, build_lock, image_exists
from .dockerfiles import BUILD_ENV, build_ca
from .project import MARK, ProjectPlan, build_script, dockerfile, labels
from .python import RELEASES, Provision, PythonUnavailable, ensure_provision, provision_for

log = logging.getLogger(__name__)


class ProjectBuildError(LayerBuildError):
    """The project image could not be built: first line for the CLI, then the failing step's tail."""


@dataclass
class ProjectImage:
    tag: str
    built: bool            # False: reused from the cache
    seconds: float
    python: str
    installer: str = ""    # what installed, from the build log ("uv 0.x", "pip 23.0.1"); "" if reused


def plan_project(client, ws: Workspace, *, python: str | None = None, packages=(), setup=(),
                 installer: str = "auto", index_url: str | None = None, workdir: str = "/repo",
                 auto_install: bool = True) -> ProjectPlan:
    snap = ws.snapshot()
    deps = _copied_only(read_test_deps(ws.root), set(snap.names)) if auto_install else TestDeps()
    files = {f: hashlib.sha256(snap.entry(f).data).hexdigest() for f in deps.key_files if snap.entry(f)}
    prov = choose_provision(python, deps)
    ensure_provision(client, prov)
    return ProjectPlan(deps, files, prov.tag, client.images.get(prov.tag).id, prov.version,
                       prov.interpreter or "/usr/bin/python3", workdir.rstrip("/") or "/repo",
                       list(packages), list(setup), installer, index_url)


def choose_provision(python: str | None, deps: TestDeps) -> Provision:
    """``env.python`` when given; else the project's best allowed Python, or, when that one cannot
    be had (no toolchain offline for 3.12, say), the next allowed version a Debian release ships
    (``requires-python = ">=3.12"`` runs on trixie's 3.13 rather than not at all)."""
    best = deps.pythons[0] if deps.pythons else deps.python
    wants = [python] if python else [best] + [v for v in deps.pythons[1:] if v in RELEASES]
    first: PythonUnavailable | None = None
    for v in wants:
        try:
            prov = provision_for(v)
        except PythonUnavailable as e:
            first = first or e
            continue
        if first:
            log.info(f"python {wants[0]} cannot be had here (no Debian release ships it, and no toolchain was found or "
                f"downloaded); using {prov.version}, which the project also allows")
        return prov
    raise PythonUnavailable(f"{first}; or choose another with env.python in dsfix.yaml")


def _copied_only(deps: TestDeps, names: set[str]) -> TestDeps:
    """Requirement files the build gets (git-ignored ones are not copied)."""
    deps.requirement_files = [f for f in deps.requirement_files if f in names]
    deps.key_files = [f for f in deps.key_files if f in names]
    return deps


def ensure_project_image(client, ws: Workspace, *, force: bool = False, **opts) -> ProjectImage:
    t0 = time.monotonic()
    plan = plan_project(client, ws, **opts)
    with build_lock(plan.tag):
        if not force and image_exists(client, plan.tag):
            return ProjectImage(plan.tag, False, round(time.monotonic() - t0, 3), plan.python)
        check_disk(client)
        log.info(f"building the environment image {plan.tag} (python {plan.python}; "
            f"{len(plan.steps())} install steps; network only while building)")
        lines = _build(client, ws, plan)
    return ProjectImage(plan.tag, True, round(time.monotonic() - t0, 3), plan.python, _installer(lines))


def _build(client, ws: Workspace, plan: ProjectPlan) -> list[str]:
    ctx = Path(tempfile.mkdtemp(prefix="dsfix-projctx-"))
    logfile = cache_dir() / "build-logs" / f"{plan.key}.log"
    logfile.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []

    def seen(text: str) -> None:   # the whole log to the file; dsfix's progress lines to the user
        for line in text.splitlines():
            lines.append(line)
            if line.startswith(MARK):
                log.info(line[len(MARK):].strip())
    try:
        _context(ctx, ws, plan)
        build_image(client, plan.tag, labels(plan, ws.root.name, ws.snapshot_sha()), "host", on_line=seen,
                    path=str(ctx))
    except LayerBuildError as e:
        raise ProjectBuildError(explain(lines or str(e).splitlines(), logfile)) from None
    finally:
        logfile.write_text("\n".join(lines) + "\n")
        shutil.rmtree(ctx, ignore_errors=True)
    return lines


def _context(ctx: Path, ws: Workspace, plan: ProjectPlan) -> None:
    snap = ws.snapshot()
    (ctx / "repo").mkdir()
    snap.extract(ctx / "repo")
    d = ctx / "dsfix"
    d.mkdir()
    (d / "build.sh").write_text(build_script(plan))
    (d / "build_env.sh").write_text(BUILD_ENV)
    (d / "constraints.txt").write_text("".join(f"{c}\n" for c in plan.deps.constraints))
    (d / "tree.txt").write_bytes(b"".join(n.encode("utf-8", "surrogateescape") + b"\0" for n in snap.names))
    ca = build_ca()
    (d / "ca.crt").write_bytes(ca.read_bytes() if ca else b"")
    (ctx / "Dockerfile").write_text(dockerfile(plan))


def _installer(lines: list[str]) -> str:
    found = [l.split("installer:", 1)[1].strip() for l in lines if l.startswith(f"{MARK} installer:")]
    return found[-1].split(" (")[0] if found else ""


HINTS = {
    "venv": "choose another Python with env.python: 'X.Y'",
    "env.packages": "correct env.packages",
    "env.setup": "correct that env.setup command",
}
DEFAULT_HINT = ("add or pin what it needs with env.packages: [...], choose the Python with env.python: 'X.Y', "
                "or install it your way with env.auto_install: false and env.setup: [...]")


def explain(lines: list[str], logfile: Path) -> str:
    """One line (the failing step, its last error, the fix in dsfix.yaml), then the step's tail."""
    fails = [i for i, l in enumerate(lines) if l.startswith(f"{MARK} FAILED")]
    end = fails[-1] if fails else len(lines)
    step = lines[end][len(f"{MARK} FAILED"):].strip().removeprefix("step:").strip() if fails else "docker build"
    starts = [i for i, l in enumerate(lines[:end]) if l.startswith(MARK)]
    tail = [l for l in lines[(starts[-1] + 1 if starts else 0):end] if l.strip() and not l.startswith(MARK)][-15:]
    errors = [l for l in tail if re.search(r"error|not found|no matching|because|cannot|failed", l, re.I)]
    last = (errors or tail or ["(no output)"])[-1].strip()
    hint = next((h for k, h in HINTS.items() if step.startswith(k)), DEFAULT_HINT)
    return (f"the environment image could not be built: {step} failed: {last[:300]}; in dsfix.yaml, {hint} "
            f"(full log: {logfile})\n" + "\n".join(tail))
