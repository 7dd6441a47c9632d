"""Local services a repository's tests talk to, run inside the no-network test container.

A RepoSpec's ``services: ["httpbin"]`` makes dsfix

* at **build time** (env layer, network host): create ``/opt/services/<name>``, a virtualenv of
  the base image's own interpreter -- never the tested ``/opt/venv`` -- and install the service's
  pinned ``packages`` there, write its ``files`` and run its ``build`` commands
  (``build_script``); the service definitions are part of the env layer's hash;
* at **test time** (``start_script``, run by the eval script before the tests, and by the fix
  loop's containers): map the service's ``hosts`` to 127.0.0.1 in ``/etc/hosts``, start it in the
  background with an empty environment from ``/`` (``env -i``, ``python -I``: nothing of the
  tested env leaks in, nothing of the service leaks out), wait until ``probe`` answers (else print
  ``>>>>> Service Failed: <name>`` and exit 1: an infrastructure error, never a test failure) and
  export its ``env`` for the tests.

``httpbin`` stands in for ``httpbin.org``: httpbin (PyPI, psf/httpbin) served on 127.0.0.1:80
and :443, ``httpbin.org`` mapped to 127.0.0.1, HTTPS with a certificate for ``httpbin.org``
issued at build time by a local CA (``trustme``) that the tests trust through
``REQUESTS_CA_BUNDLE``. Tests keep their own URLs (``HTTPBIN_URL`` is set to the value they
default to, ``http://httpbin.org/``), including the ``https://httpbin.org/...`` ones they hard-code.
It is not the real httpbin.org: its version (pinned here) may answer some endpoints differently.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass, field

ROOT = "/opt/services"
LOG_DIR = "/tmp/dsfix-services"
READY, FAILED = ">>>>> Service Ready", ">>>>> Service Failed"


@dataclass(frozen=True)
class Service:
    name: str
    start: str                                  # argv after the service venv's python -I ({home}: its dir)
    probe: str                                  # URL that answers once the service is up
    packages: tuple[str, ...] = ()              # pip requirements (pinned) for its venv
    files: dict[str, str] = field(default_factory=dict)   # venv-relative path -> text
    build: tuple[str, ...] = ()                 # shell, in the venv dir, after the install
    hosts: tuple[str, ...] = ()                 # names mapped to 127.0.0.1 for the tests
    env: dict[str, str] = field(default_factory=dict)     # exported for the tests

    @property
    def home(self) -> str:
        return f"{ROOT}/{self.name}"


HTTPBIN_SERVE = '''"""dsfix: httpbin on 127.0.0.1:80 (http) and :443 (https, certificate for httpbin.org)."""
import os
import ssl
import threading

from httpbin import app
from werkzeug.serving import make_server

here = os.path.dirname(os.path.abspath(__file__))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(here, "server.pem"))
# threaded: HTTP/1.1 with keep-alive, as httpbin.org answers
plain = make_server("127.0.0.1", 80, app, threaded=True)
tls = make_server("127.0.0.1", 443, app, threaded=True, ssl_context=ctx)
threading.Thread(target=tls.serve_forever, daemon=True).start()
plain.serve_forever()
'''

HTTPBIN_CERTS = '''"""dsfix: a local CA and a certificate for httpbin.org (build time, once per image)."""
import trustme

ca = trustme.CA(organization_name="dsfix local httpbin CA")
ca.cert_pem.write_to_path("ca.pem")
ca.issue_cert("httpbin.org", "www.httpbin.org").private_key_and_cert_chain_pem.write_to_path("server.pem")
'''

SERVICES: dict[str, Service] = {
    "httpbin": Service(
        name="httpbin",
        packages=("httpbin==0.10.2", "flask==3.1.3", "werkzeug==3.1.3", "trustme==1.2.1"),
        files={"serve.py": HTTPBIN_SERVE, "certs.py": HTTPBIN_CERTS},
        build=("bin/python -I certs.py",),
        start="{home}/serve.py",
        probe="http://127.0.0.1:80/get",
        hosts=("httpbin.org", "www.httpbin.org"),
        env={"HTTPBIN_URL": "http://httpbin.org/", "REQUESTS_CA_BUNDLE": f"{ROOT}/httpbin/ca.pem"},
    ),
}


def get(name: str) -> Service:
    try:
        return SERVICES[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; known: {sorted(SERVICES)}") from None


def key(names: list[str]) -> list[dict]:
    """What goes into the env layer's hash: the full definitions, in order."""
    return [asdict(get(n)) for n in names]


def needs_network(names: list[str]) -> bool:
    return any(get(n).packages for n in names)


def build_script(names: list[str], python: str) -> str:
    """Shell (env layer build): one venv per service with ``python`` (the base's interpreter)."""
    lines = ["#!/bin/bash", "source /dsfix/build_env.sh", "unset PIP_CONSTRAINT   # the repo's drift pins are not the service's",
             "set -euxo pipefail", "unset VIRTUAL_ENV PYTHONPATH"]
    for n in names:
        s = get(n)
        lines.append(f"{shlex.quote(python)} -m venv {s.home}")
        for rel, text in s.files.items():
            lines.append(f"cat > {s.home}/{rel} <<'DSFIX_SERVICE_FILE'\n{text.rstrip(chr(10))}\nDSFIX_SERVICE_FILE")
        if s.packages:
            lines.append(f"{s.home}/bin/python -m pip install -q --no-cache-dir "
                         + " ".join(shlex.quote(p) for p in s.packages))
        lines += [f"(cd {s.home} && {c})" for c in s.build]
    return "\n".join(lines) + "\n"


def _py_probe(s: Service) -> str:
    code = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)"
    return f"env -i {s.home}/bin/python -I -c {shlex.quote(code)} {shlex.quote(s.probe)} >/dev/null 2>&1"


def start_script(names: list[str], wait_s: int = 60) -> str:
    """Shell (test time): map hosts, start each service unless it already answers, wait, export."""
    if not names:
        return ""
    lines = [f"mkdir -p {LOG_DIR}"]
    for n in names:
        s = get(n)
        log = f"{LOG_DIR}/{n}.log"
        for h in s.hosts:
            pat = h.replace(".", "\\.")
            lines.append(f"grep -qE '[[:space:]]{pat}([[:space:]]|$)' /etc/hosts || echo '127.0.0.1 {h}' >> /etc/hosts")
        lines.append(f"{_py_probe(s)} || (cd / && exec env -i PATH=/usr/bin:/bin HOME=/root setsid "
                     f"{s.home}/bin/python -I {s.start.format(home=s.home)} </dev/null >{log} 2>&1 &)")
        lines.append(f"dsfix_ok=0; for _ in $(seq 1 {wait_s * 5}); do if {_py_probe(s)}; then dsfix_ok=1; break; fi;"
                     " sleep 0.2; done")
        lines.append(f"if [ $dsfix_ok = 1 ]; then echo '{READY}: {n}'; else echo '{FAILED}: {n}'; "
                     f"tail -n 40 {log}; exit 1; fi")
    for n in names:
        lines += [f"export {k}={json.dumps(v)}" for k, v in get(n).env.items()]
    return "\n".join(lines) + "\n"


def env_for(names: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n in names:
        out.update(get(n).env)
    return out
