"""What goes into one task's env and instance layers, and the content hashes that name them."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..specs import RepoSpec
from ..specs import services as svc
from .drift import DRIFT_CONSTRAINTS

LAYOUT = "4"            # bump when the Dockerfiles (dockerfiles.py) change meaning
TESTBED = "/testbed"
VENV = "/opt/venv"
ENV_REPO, INST_REPO = "dsfix/env", "dsfix/inst"


def _h(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def spec_hash(spec: RepoSpec) -> str:
    return _h(spec.model_dump())[:16]


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
