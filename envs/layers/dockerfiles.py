"""The generated Dockerfiles of the env and instance layers and the scripts their builds run.

Steps that install from the network source ``BUILD_ENV`` (pip constraints, a CA bundle); test runs
never see it."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from ..specs import RepoSpec
from .docker_build import BUILD_LABEL
from .plan import TESTBED, VENV, Plan

# The venv's own tools, as old as SWE-bench's conda envs: pip 25.3 dropped the `setup.py develop`
# fallback for editable installs (pylint's `-e .` with setuptools~=62.6 needs it).
VENV_TOOLS = ["pip<25.3", "setuptools<70", "wheel"]

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
