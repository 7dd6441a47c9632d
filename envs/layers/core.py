"""Build layered images: base (OS + Python) -> env (dependencies) -> instance (repo); list and prune: store.py.

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

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..base import EnvError
from ..images import cache_dir
from ..sources import Sources
from ..specs import RepoSpec
from ..specs import services as svc
from .drift import DRIFT_CONSTRAINTS
from .python import Provision, ensure_provision, provision_for

LAYOUT = "4"            # bump when the Dockerfiles below change meaning
TESTBED = "/testbed"
VENV = "/opt/venv"
ENV_REPO, INST_REPO = "dsfix/env", "dsfix/inst"
OFFICIAL = "swebench/sweb.eval.x86_64.{}"


class LayerBuildError(EnvError):
    """An image layer could not be built (the log tail is in the message)."""


class DiskSpaceError(EnvError):
    """Not enough free space on the Docker data root to build safely."""


def official_image(instance_id: str) -> str:
    """The prebuilt SWE-bench image name for an instance."""
    return OFFICIAL.format(instance_id.replace("__", "_1776_").lower()) + ":latest"


def _h(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def spec_hash(spec: RepoSpec) -> str:
    return _h(spec.model_dump())[:16]


# ---------------------------------------------------------------- disk guard

def min_free_gb() -> float:
    return float(os.environ.get("DSFIX_MIN_FREE_GB", "10"))


def free_bytes(client) -> tuple[str, int | None]:
    root = client.info().get("DockerRootDir") or "/var/lib/docker"
    try:
        return root, shutil.disk_usage(root).free
    except OSError:
        return root, None   # a remote engine: its disk cannot be seen from here


def check_disk(client, min_gb: float | None = None) -> None:
    need = min_free_gb() if min_gb is None else min_gb
    root, free = free_bytes(client)
    if free is not None and free < need * 2**30:
        raise DiskSpaceError(
            f"refusing to build: {free / 2**30:.1f} GiB free on the Docker data root {root}, "
            f"below the {need:g} GiB threshold (free space with `dsfix env prune`, or set DSFIX_MIN_FREE_GB)")


# ---------------------------------------------------------------- keys and Dockerfiles

@dataclass
class Plan:
    """What goes into the env and instance layers of one task."""
    repo: str
    spec: RepoSpec
    env_commit: str
    base_commit: str
    python_fallback: bool = False
    base_tag: str = ""
    base_id: str = ""
    python: str = ""
    interpreter: str = ""     # a toolchain base's interpreter; "" for a Debian release's python3

    @property
    def network(self) -> str:
        return "host" if self.spec.install or svc.needs_network(self.spec.services) else "none"

    @property
    def env_key(self) -> str:
        return _h({"layout": LAYOUT, "base": self.base_id, "python": self.python, "repo": self.repo,
                   "commit": self.env_commit, "install": self.spec.install,
                   "constraints": DRIFT_CONSTRAINTS.get(self.repo, []),
                   "site": not self.spec.install,
                   # local services' venvs (only when there are some: other hashes stay as they were)
                   **({"services": svc.key(self.spec.services)} if self.spec.services else {})})[:20]

    @property
    def inst_key(self) -> str:
        return _h({"layout": LAYOUT, "env": self.env_key, "commit": self.base_commit})[:20]

    @property
    def env_tag(self) -> str:
        return f"{ENV_REPO}:{self.env_key}"

    @property
    def inst_tag(self) -> str:
        return f"{INST_REPO}:{self.inst_key}"

    def labels(self, layer: str, commit: str, parent: str) -> dict[str, str]:
        return {"dsfix": "1", "dsfix.layer": layer, "dsfix.repo": self.repo, "dsfix.commit": commit,
                "dsfix.spec": spec_hash(self.spec), "dsfix.parent": parent, "dsfix.python": self.python}


# The venv's own tools, as old as SWE-bench's conda envs: pip 25.3 dropped the `setup.py develop`
# fallback for editable installs (pylint's `-e .` with setuptools~=62.6 needs it).
VENV_TOOLS = ["pip<25.3", "setuptools<70", "wheel"]

# Packages released after SWE-bench's images were built that break old checkouts; pinned (as pip
# constraints, only while installing) so a build today gets what the official images have.

# The system interpreter, reached through a symlink to the venv's python (tox-current-env links
# .tox/<env>/bin/python to sys.executable; CPython then finds no pyvenv.cfg), sees the venv's
# packages first -- as a symlink to a conda env's interpreter would.
VENV_HOOK = """import site
import sys

if sys.prefix == sys.base_prefix:
    n = len(sys.path)
    site.addsitedir("/opt/venv/lib/python%d.%d/site-packages" % sys.version_info[:2])
    added = sys.path[n:]
    del sys.path[n:]
    sys.path[0:0] = added
"""

BUILD_ENV = """# sourced by network build steps only: never part of the test environment
[ -s /dsfix/constraints.txt ] && export PIP_CONSTRAINT=/dsfix/constraints.txt
if [ -s /dsfix/ca.crt ]; then
  export PIP_CERT=/dsfix/ca.crt SSL_CERT_FILE=/dsfix/ca.crt REQUESTS_CA_BUNDLE=/dsfix/ca.crt CURL_CA_BUNDLE=/dsfix/ca.crt
fi
export PIP_DEFAULT_TIMEOUT=${PIP_DEFAULT_TIMEOUT:-120} PIP_DISABLE_PIP_VERSION_CHECK=1
"""


def build_ca() -> Path | None:
    """A CA bundle for build steps that reach PyPI through a TLS-inspecting proxy.

    ``DSFIX_BUILD_CA``, else the host's ``PIP_CERT`` / ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``.
    It is copied to ``/dsfix/ca.crt`` and exported only while installing, never in test runs.
    """
    for var in ("DSFIX_BUILD_CA", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        v = os.environ.get(var)
        if v and Path(v).is_file():
            return Path(v)
    return None


def install_script(spec: RepoSpec) -> str:
    """The spec's install commands, in one shell session that stops at the first failure."""
    lines = ["#!/bin/bash", "source /dsfix/build_env.sh", "set -euxo pipefail", f"source {VENV}/bin/activate",
             f"cd {TESTBED}"]
    for k, v in spec.env.items():
        lines.append(f"export {k}={shlex.quote(v)}")
    return "\n".join(lines + list(spec.install)) + "\n"


# Put at the top of every generated Dockerfile: the intermediate images of a failed build carry it,
# so they can be found and removed (`prune`, `_docker_build`'s cleanup).
BUILD_LABEL = "dsfix.build=1"


def _venv_and_hook(plan: Plan, site: str, upgrade: str) -> tuple[str, str]:
    """Create /opt/venv with the base's interpreter; put the venv hook in that interpreter's site dir."""
    if not plan.interpreter:     # a Debian release: its python3, the hook in its dist-packages
        return (f"python3 -m venv --copies{site} {VENV}{upgrade}", "d=$(/usr/bin/python3 -c 'import sys; "
                "print([p for p in sys.path if p.endswith(\"dist-packages\")][-1])')")
    py = plan.interpreter
    return (f"{py} -m venv --copies{site} {VENV}{upgrade}",
            f"d=$({py} -c 'import sysconfig; print(sysconfig.get_paths()[\"purelib\"])') && mkdir -p $d")


def env_dockerfile(plan: Plan) -> str:
    site = " --system-site-packages" if not plan.spec.install else ""
    # --copies: a real interpreter in /opt/venv, like a conda env's. Tools that symlink to
    # sys.executable (tox-current-env, used by sphinx's specs) otherwise end up outside the venv.
    # A fresh venv's pip is as old as the Debian release; SWE-bench's conda envs have a recent one.
    pip = any("pip" in c for c in plan.spec.install)
    tools = " ".join(shlex.quote(t) for t in VENV_TOOLS)
    upgrade = (f" && . /dsfix/build_env.sh && {VENV}/bin/python -m pip install -q -U {tools}"
               if pip else "") + (
               " && (command -v patch >/dev/null || (apt-get update -qq && apt-get install -y -qq patch"
               " && rm -rf /var/lib/apt/lists/*))" if pip else "")
    venv, hook_dir = _venv_and_hook(plan, site, upgrade)
    return "\n".join([
        f"FROM {plan.base_tag}",
        f"LABEL {BUILD_LABEL}",
        f"ENV PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin VIRTUAL_ENV={VENV}",
        "COPY ca.crt build_env.sh install.sh constraints.txt _dsfix_venv.py /dsfix/",
        f"COPY repo.git {TESTBED}/.git",
        f"RUN {venv} && cd {TESTBED} && git config core.bare false"
        f" && git config --global --add safe.directory {TESTBED}"
        f" && git -c advice.detachedHead=false checkout -q -f {plan.env_commit} && git clean -fdq"
        f" && {hook_dir}"
        " && cp /dsfix/_dsfix_venv.py $d/ && echo 'import _dsfix_venv' > $d/zz_dsfix_venv.pth",
        "RUN bash /dsfix/install.sh" if plan.spec.install else "RUN true",
        *(["COPY services.sh /dsfix/", "RUN bash /dsfix/services.sh"] if plan.spec.services else []),
        f"WORKDIR {TESTBED}", ""])


def inst_dockerfile(plan: Plan) -> str:
    return "\n".join([
        f"FROM {plan.env_tag}",
        f"LABEL {BUILD_LABEL}",
        f"RUN cd {TESTBED} && git -c advice.detachedHead=false checkout -q -f {plan.base_commit}"
        f" && git clean -fdq" + (" && bash /dsfix/install.sh" if plan.spec.install else ""),
        f"WORKDIR {TESTBED}", ""])


# ---------------------------------------------------------------- building

@contextlib.contextmanager
def _lock(name: str):
    d = cache_dir() / "locks"
    d.mkdir(parents=True, exist_ok=True)
    with open(d / (name.replace("/", "_").replace(":", "_") + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _exists(client, tag: str) -> bool:
    import docker.errors
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _docker_build(client, tag: str, labels: dict, network: str, log, *, path: str | None = None,
                  dockerfile: str | None = None, timeout: int = 3600) -> None:
    kwargs = dict(tag=tag, labels=labels, network_mode=network, rm=True, forcerm=True, pull=False,
                  timeout=timeout)
    lines: list[str] = []
    try:
        _stream_build(client, tag, kwargs, lines, log, path, dockerfile)
    except LayerBuildError:
        remove_dangling(client, _step_ids(lines), log)
        raise
    if not _exists(client, tag):
        raise LayerBuildError(f"building {tag} produced no image\n" + "".join(lines)[-3000:])


def _stream_build(client, tag, kwargs, lines, log, path, dockerfile) -> None:
    import docker.errors
    try:
        if path:
            stream = client.api.build(path=path, decode=True, **kwargs)
        else:
            stream = client.api.build(fileobj=io.BytesIO(dockerfile.encode()), decode=True, **kwargs)
        for chunk in stream:
            if "stream" in chunk:
                text = chunk["stream"]
                lines.append(text)
                log(text.rstrip("\n")) if text.strip() else None
            if "error" in chunk:
                lines.append(chunk["error"])
                raise LayerBuildError(f"building {tag} failed: {chunk['error'].strip()}\n"
                                      + "".join(lines)[-3000:])
    except docker.errors.DockerException as e:
        raise LayerBuildError(f"building {tag} failed: {e}\n" + "".join(lines)[-3000:]) from e


def _step_ids(lines: list[str]) -> set[str]:
    """The images a (classic) build made for its steps, from its " ---> <id>" lines."""
    return set(re.findall(r"^ ---> ([0-9a-f]{12})\s*$", "".join(lines), flags=re.MULTILINE))


def dangling(client) -> list:
    """Untagged, childless images left by dsfix's builds (they carry BUILD_LABEL)."""
    return client.images.list(filters={"dangling": True, "label": BUILD_LABEL})


def remove_dangling(client, only: set[str] | None = None, log=print) -> list[dict]:
    """Remove dangling build leftovers (``only``: just these short ids); returns what was removed."""
    removed = []
    for img in dangling(client):
        short = img.id.split(":")[-1][:12]
        if only is not None and short not in only:
            continue
        parent = img.attrs.get("Parent") or ""
        size = img.attrs.get("Size", 0)
        try:
            own = size - client.images.get(parent).attrs.get("Size", 0) if parent else size
        except Exception:  # noqa: BLE001 - parent gone: count it all
            own = size
        try:
            client.images.remove(img.id, force=False, noprune=False)   # also its untagged parents
        except Exception as e:  # noqa: BLE001 - in use (a build running from it): leave it
            log(f"kept dangling {short}: {e}")
            continue
        removed.append({"tag": short, "id": short, "layer": "dangling", "repo": "", "own": max(own, 0), "size": size})
    return removed


@dataclass
class BuildResult:
    tag: str                      # the image tests run in
    flavor: str                   # "dsfix" (our layers) or "official" (a pulled SWE-bench image)
    built: list[str] = field(default_factory=list)   # layers built now: base/env/instance
    seconds: dict[str, float] = field(default_factory=dict)
    python: str = ""


def plan_for(client, repo: str, spec: RepoSpec, env_commit: str, base_commit: str, *,
             python_fallback: bool = False, provision: Provision | None = None, log=print) -> Plan:
    plan = Plan(repo, spec, env_commit or base_commit, base_commit, python_fallback)
    prov = provision or provision_for(spec.python, python_fallback, log)
    ensure_provision(client, prov, log)
    plan.base_tag, plan.python, plan.interpreter = prov.tag, prov.version, prov.interpreter
    plan.base_id = client.images.get(plan.base_tag).id
    return plan


def build(client, repo: str, spec: RepoSpec, env_commit: str, base_commit: str, *,
          sources: Sources | None = None, python_fallback: bool = False, min_free: float | None = None,
          force: bool = False, provision: Provision | None = None, log=print) -> BuildResult:
    """Make sure base, env and instance images exist for this task; build what is missing.

    ``provision`` overrides how the spec's Python is provided (``python.provision_for``)."""
    sources = sources or Sources()
    t0 = time.monotonic()
    prov = provision or provision_for(spec.python, python_fallback, log)   # PythonUnavailable before any build
    had_base = _exists(client, prov.tag)
    if not had_base:
        check_disk(client, min_free)
    plan = plan_for(client, repo, spec, env_commit, base_commit, python_fallback=python_fallback,
                    provision=prov, log=log)
    res = BuildResult(plan.inst_tag, "dsfix", python=plan.python)
    if force or not _exists(client, plan.inst_tag):
        sources.ensure_commits(repo, plan.env_commit, base_commit)   # fail early and clearly
    if not had_base:
        res.built.append("base")
    res.seconds["base"] = round(time.monotonic() - t0, 3)

    t0 = time.monotonic()
    with _lock(plan.env_tag):
        if force or not _exists(client, plan.env_tag):
            check_disk(client, min_free)
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
                log(f"building env layer {plan.env_tag} for {repo}@{plan.env_commit[:12]} "
                    f"(python {plan.python}, network {plan.network})")
                _docker_build(client, plan.env_tag, plan.labels("env", plan.env_commit, plan.base_tag),
                              plan.network, log, path=str(ctx))
            finally:
                shutil.rmtree(ctx, ignore_errors=True)
            res.built.append("env")
    res.seconds["env"] = round(time.monotonic() - t0, 3)

    t0 = time.monotonic()
    with _lock(plan.inst_tag):
        if force or not _exists(client, plan.inst_tag):
            check_disk(client, min_free)
            log(f"building instance layer {plan.inst_tag} for {repo}@{plan.base_commit[:12]}")
            _docker_build(client, plan.inst_tag, plan.labels("instance", plan.base_commit, plan.env_tag),
                          plan.network, log, dockerfile=inst_dockerfile(plan))
            res.built.append("instance")
    res.seconds["instance"] = round(time.monotonic() - t0, 3)
    return res


def try_official(client, instance_id: str, log=print) -> str | None:
    """Pull the prebuilt SWE-bench image; None when it cannot be had (offline, unknown)."""
    import docker.errors
    name = official_image(instance_id)
    if _exists(client, name):
        return name
    try:
        repo, _, tag = name.rpartition(":")
        client.images.pull(repo, tag=tag)
        log(f"pulled {name}")
        return name
    except docker.errors.DockerException as e:
        log(f"official image {name} unavailable ({type(e).__name__}); building dsfix layers")
        return None
