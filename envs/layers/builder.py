"""Build layered images: base (OS + Python) -> env (dependencies) -> instance (repo); list and prune: store.py.

What each layer holds and its hash: plan.py; its Dockerfile: dockerfiles.py; running the build:
docker_build.py; the disk guard: disk.py; SWE-bench's prebuilt images instead: official.py.

* **base** ``dsfix/base:<debian release>``: a Debian root filesystem, or ``dsfix/base:pyX.Y-<hash>``:
  bookworm's plus a standalone CPython toolchain (``python.ensure_base``, ``toolchain``).
* **env** ``dsfix/env:<hash>``: the repository's full history at ``/testbed`` checked out at
  ``environment_setup_commit``, a virtualenv at ``/opt/venv`` and the spec's ``install`` commands
  run there. Hash of: base image id, Python, repo, commit, install commands, layout version.
* **instance** ``dsfix/inst:<hash>``: ``/testbed`` reset to ``base_commit`` and ``install`` run
  again there (what SWE-bench's repo image does). Hash of: env hash, base commit.

Images are built by ``docker build`` from a generated Dockerfile. Steps that install from the
network run with ``network_mode="host"`` (this machine's engine has no bridge network; host
networking is the only way out); when a spec installs nothing the build runs with no network.
Test runs never get a network. Every image carries labels ``dsfix.layer``, ``dsfix.repo``,
``dsfix.commit``, ``dsfix.spec`` (hash of the spec), ``dsfix.parent``.

Before any build, ``check_disk`` refuses (``DiskSpaceError``) when the Docker data root has less
free space than ``min_free_gb`` (``DSFIX_MIN_FREE_GB``, default 10).
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..sources import Sources
from ..specs import RepoSpec
from ..specs import services as svc
from .disk import check_disk
from .docker_build import build_image, build_lock, image_exists
from .dockerfiles import BUILD_ENV, VENV_HOOK, build_ca, env_dockerfile, inst_dockerfile, install_script
from .drift import DRIFT_CONSTRAINTS
from .plan import Plan
from .python import Provision, ensure_provision, provision_for

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    tag: str                      # the image tests run in
    flavor: str                   # "dsfix" (our layers) or "official" (a pulled SWE-bench image)
    built: list[str] = field(default_factory=list)   # layers built now: base/env/instance
    seconds: dict[str, float] = field(default_factory=dict)
    python: str = ""


def plan_for(client, repo: str, spec: RepoSpec, env_commit: str, base_commit: str, *,
             python_fallback: bool = False, provision: Provision | None = None) -> Plan:
    plan = Plan(repo, spec, env_commit or base_commit, base_commit, python_fallback)
    prov = provision or provision_for(spec.python, python_fallback)
    ensure_provision(client, prov)
    plan.base_tag, plan.python, plan.interpreter = prov.tag, prov.version, prov.interpreter
    plan.base_id = client.images.get(plan.base_tag).id
    return plan


def build(client, repo: str, spec: RepoSpec, env_commit: str, base_commit: str, *,
          sources: Sources | None = None, python_fallback: bool = False, min_free: float | None = None,
          force: bool = False, provision: Provision | None = None) -> BuildResult:
    """Make sure base, env and instance images exist for this task; build what is missing.

    ``provision`` overrides how the spec's Python is provided (``python.provision_for``)."""
    sources = sources or Sources()
    t0 = time.monotonic()
    prov = provision or provision_for(spec.python, python_fallback)   # PythonUnavailable before any build
    had_base = image_exists(client, prov.tag)
    if not had_base:
        check_disk(client, min_free)
    plan = plan_for(client, repo, spec, env_commit, base_commit, python_fallback=python_fallback,
                    provision=prov)
    res = BuildResult(plan.inst_tag, "dsfix", python=plan.python)
    if force or not image_exists(client, plan.inst_tag):
        sources.ensure_commits(repo, plan.env_commit, base_commit)   # fail early and clearly
    if not had_base:
        res.built.append("base")
    res.seconds["base"] = round(time.monotonic() - t0, 3)

    t0 = time.monotonic()
    with build_lock(plan.env_tag):
        if force or not image_exists(client, plan.env_tag):
            check_disk(client, min_free)
            _build_env(client, plan, sources)
            res.built.append("env")
    res.seconds["env"] = round(time.monotonic() - t0, 3)

    t0 = time.monotonic()
    with build_lock(plan.inst_tag):
        if force or not image_exists(client, plan.inst_tag):
            check_disk(client, min_free)
            log.info(f"building instance layer {plan.inst_tag} for {repo}@{plan.base_commit[:12]}")
            build_image(client, plan.inst_tag, plan.labels("instance", plan.base_commit, plan.env_tag),
                        plan.network, dockerfile=inst_dockerfile(plan))
            res.built.append("instance")
    res.seconds["instance"] = round(time.monotonic() - t0, 3)
    return res


def _build_env(client, plan: Plan, sources: Sources) -> None:
    """The env layer, from a build context holding the repository's history and the scripts."""
    repo, spec = plan.repo, plan.spec
    ctx = Path(tempfile.mkdtemp(prefix="dsfix-envctx-"))
    try:
        sources.clone_bare(repo, ctx / "repo.git", plan.env_commit, plan.base_commit)
        (ctx / "install.sh").write_text(install_script(spec))
        (ctx / "build_env.sh").write_text(BUILD_ENV)
        (ctx / "_dsfix_venv.py").write_text(VENV_HOOK)
        (ctx / "constraints.txt").write_text("".join(c + "\n" for c in DRIFT_CONSTRAINTS.get(repo, [])))
        ca = build_ca() if plan.network == "host" else None
        (ctx / "ca.crt").write_bytes(ca.read_bytes() if ca else b"")
        if spec.services:   # their own venvs, with the base's interpreter, never /opt/venv
            (ctx / "services.sh").write_text(svc.build_script(spec.services, plan.interpreter or "/usr/bin/python3"))
        (ctx / "Dockerfile").write_text(env_dockerfile(plan))
        log.info(f"building env layer {plan.env_tag} for {repo}@{plan.env_commit[:12]} "
            f"(python {plan.python}, network {plan.network})")
        build_image(client, plan.env_tag, plan.labels("env", plan.env_commit, plan.base_tag),
                    plan.network, path=str(ctx))
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
