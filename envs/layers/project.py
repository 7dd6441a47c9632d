"""The project layer ``dsfix/project:<key>``: a repository's own environment on dsfix's base.

A venv at ``/opt/venv`` (first on PATH; the system interpreter's dist-packages are not in it) with
the project installed editable at the workdir, its test dependencies (``specs.testdeps``), then
``env.packages`` and ``env.setup``. The working tree is copied in only for the build and its
files are removed afterwards: at run time the environment copies the current tree to the same
path, so the editable install imports that copy, and a file deleted since the build is gone.

Key: the dependency files' content, base image id, Python, packages, setup commands, installer,
index and workdir; not the code. What is built from the code (an extension built in place by
``env.setup``) stays as it was at build time.
"""
from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, field

from ..specs.testdeps import TestDeps
from .docker_build import BUILD_LABEL

LAYOUT = "1"        # bump when the script or Dockerfile below change meaning
REPO = "dsfix/project"
VENV = "/opt/venv"
UV_VENV = "/opt/dsfix-uv"   # uv's own venv: never part of the project's
MARK = "dsfix-build:"       # prefix of the script's progress lines (parsed for failures)


@dataclass
class ProjectPlan:
    deps: TestDeps
    files: dict[str, str]                  # key file -> sha256 of its content
    base_tag: str
    base_id: str
    python: str
    interpreter: str = "/usr/bin/python3"
    workdir: str = "/repo"
    packages: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    installer: str = "auto"                # auto (uv, else pip) | uv | pip
    index_url: str | None = None

    @property
    def key(self) -> str:
        blob = {"layout": LAYOUT, "files": self.files, "base": self.base_id, "python": self.python,
                "packages": self.packages, "setup": self.setup, "installer": self.installer,
                "index": self.index_url, "workdir": self.workdir}
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:20]

    @property
    def tag(self) -> str:
        return f"{REPO}:{self.key}"

    def steps(self) -> list[tuple[str, str]]:
        """(name, shell command) in order; ``dsfix_install`` is uv, or pip."""
        d, q = self.deps, shlex.quote
        out = [(f"requirements {f}", f"dsfix_install -r {q(f)}") for f in d.requirement_files]
        if d.packaged:
            target = f".[{','.join(d.extras)}]" if d.extras else "."
            out.append(("the project (editable)", f"dsfix_install -e {q(target)}"))
        if d.requirements:
            out.append(("test dependencies", "dsfix_install " + shlex.join(d.requirements)))
        if self.packages:
            out.append(("env.packages", "dsfix_install " + shlex.join(self.packages)))
        out += [(f"env.setup: {c}", c) for c in self.setup]
        return out


def labels(plan: ProjectPlan, repo: str, commit: str) -> dict[str, str]:
    return {"dsfix": "1", "dsfix.layer": "project", "dsfix.repo": repo, "dsfix.commit": commit,
            "dsfix.parent": plan.base_tag, "dsfix.python": plan.python, "dsfix.spec": plan.key}


def dockerfile(plan: ProjectPlan) -> str:
    return "\n".join([
        f"FROM {plan.base_tag}",
        f"LABEL {BUILD_LABEL}",
        f"ENV PATH={VENV}/bin:$PATH VIRTUAL_ENV={VENV}",
        *(_uv_layer(plan) if plan.installer != "pip" else []),
        "COPY dsfix/ /dsfix/",
        f"COPY repo/ {plan.workdir}/",
        "RUN bash /dsfix/build.sh",
        ""])


def _uv_layer(plan: ProjectPlan) -> list[str]:
    """uv in a layer of its own, before anything of the project: Docker's build cache keeps it, so
    installing uv (a ~10 s download and venv, longer than many a project's whole install) is paid
    once per base image and build CA, not once per project image. A failure leaves no uv here, and
    the build script tries again (and, for ``auto``, goes on with pip)."""
    index = "".join(f"{e} && " for e in _index_exports(plan.index_url))   # a mirror keys the layer too
    return ["COPY dsfix/build_env.sh dsfix/ca.crt /dsfix/",
            f"RUN . /dsfix/build_env.sh && export PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore && {index}"
            f"{plan.interpreter} -m venv {UV_VENV} && {UV_VENV}/bin/python -m pip install -q uv "
            f"|| rm -rf {UV_VENV}"]


# uv when it can be had (the cached layer's, else pip-installed into its own venv now), else the
# venv's pip; a step uv fails is tried again with pip (old setup.py projects uv's build frontend
# refuses).
_INSTALLER = """
UV=
if [ "{installer}" != pip ]; then
  if [ -x {uvvenv}/bin/uv ]; then UV={uvvenv}/bin/uv
  elif {py} -m venv {uvvenv} && {uvvenv}/bin/python -m pip install -q uv; then UV={uvvenv}/bin/uv
  else [ "{installer}" = uv ] && {{ echo "{mark} FAILED installing uv"; exit 1; }}; fi
fi
if [ -n "$UV" ]; then echo "{mark} installer: $($UV --version) (falls back to pip per step)"
else echo "{mark} installer: pip $({venv}/bin/python -m pip --version | cut -d' ' -f2)"; fi
dsfix_install() {{
  if [ -n "$UV" ]; then
    "$UV" pip install --python {venv}/bin/python "$@" && return 0
    echo "{mark} uv failed; trying this step with pip"
  fi
  {venv}/bin/python -m pip install "$@"
}}
"""


def build_script(plan: ProjectPlan) -> str:
    """The one RUN of the build: venv, installer, steps (each announced, the first failure named),
    then the copied tree's own files removed (/dsfix/tree.txt lists them, NUL-separated)."""
    steps = plan.steps()
    lines = ["#!/bin/bash", "source /dsfix/build_env.sh", "set -uo pipefail",
             # no .git in the copy: setuptools-scm / hatch-vcs would fail to find a version
             "export SETUPTOOLS_SCM_PRETEND_VERSION=${SETUPTOOLS_SCM_PRETEND_VERSION:-0+dsfix}",
             "export UV_NO_CACHE=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore",
             *(_index_exports(plan.index_url)),
             f"echo '{MARK} python {plan.python}: venv {VENV}'",
             f"{plan.interpreter} -m venv {VENV} || {{ echo '{MARK} FAILED step: venv'; exit 1; }}",
             _INSTALLER.format(installer=plan.installer, py=plan.interpreter, uvvenv=UV_VENV, venv=VENV,
                               mark=MARK),
             *(_constraint_exports(plan)),
             f"cd {plan.workdir}"]
    for i, (name, cmd) in enumerate(steps, 1):
        lines += [f"echo {shlex.quote(f'{MARK} step {i}/{len(steps)}: {name}: {cmd}')}",
                  f"( {cmd} ) || {{ echo {shlex.quote(f'{MARK} FAILED step: {name}: {cmd}')}; exit 1; }}"]
    lines += [f"xargs -0 -a /dsfix/tree.txt rm -f -- && find {plan.workdir} -mindepth 1 -depth -type d -empty -delete",
              f"rm -rf {UV_VENV}", f"echo '{MARK} done'", ""]
    return "\n".join(lines)


CONSTRAINTS = "/dsfix/constraints.txt"


def _constraint_exports(plan: ProjectPlan) -> list[str]:
    """The project's pins (uv.lock, poetry.lock, constraints*.txt) constrain every install step."""
    if not plan.deps.constraints:
        return []
    return ["echo " + shlex.quote(f"{MARK} {len(plan.deps.constraints)} pins from the project's lock / constraints files"),
            f"export PIP_CONSTRAINT={CONSTRAINTS} UV_CONSTRAINT={CONSTRAINTS}"]


def _index_exports(index_url: str | None) -> list[str]:
    if not index_url:
        return []
    u = shlex.quote(index_url)
    return [f"export PIP_INDEX_URL={u} UV_DEFAULT_INDEX={u}"]
