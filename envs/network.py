"""The test container's view of the outside: RepoSpec ``network`` ("none" or "drop").

Every test container is started with ``network_mode="none"``: its network namespace has only
``lo``. For ``network: drop`` (``drop_network``) a short-lived helper container joins that
namespace (``network_mode="container:<id>"``) with no capability but CAP_NET_ADMIN, runs
``dropnet.py`` (a discarding interface, a default route through it, nameservers unreachable) and
exits -- before any patch is applied or test runs. Why this cannot reach anything:

* the namespace gets no veth, bridge or tunnel: the new interface is a ``dummy`` (or ``ifb``)
  device, which discards what it is sent; there is no link to the host or to other containers;
* CAP_NET_ADMIN acts on the helper's own network namespace (the test container's); the helper
  has its own PID and mount namespaces and no CAP_SYS_ADMIN, so it cannot enter or name another
  one; it runs dsfix's fixed script and is removed;
* the test container itself never gets CAP_NET_ADMIN (docker's default capabilities), so the
  tests cannot add or change interfaces or routes;
* loopback stays the container's own: 127.0.0.1 is not the host's.

``tests/test_eval_services.py`` checks it: a connect to 10.255.255.1 times out, the host's
addresses (a port listening on all of them) do not answer, names do not resolve.
"""
from __future__ import annotations

import logging
from pathlib import Path

from . import dropnet
from .base import EnvError
from .containers import owner_labels

log = logging.getLogger(__name__)

# run the script with whatever Python the image has (dsfix's layers, SWE-bench's official images)
_RUN = ('for p in python3 python /opt/miniconda3/bin/python3; do command -v "$p" >/dev/null && '
        'exec "$p" -c "$0" "$@"; done; echo "dsfix: no python in the image to set up the network" >&2; exit 1')


class NetworkSetupError(EnvError):
    """The test container's network could not be set up as the spec asks."""


def nameservers(container) -> list[str]:
    code, out = container.exec_run(["cat", "/etc/resolv.conf"])
    if code != 0:
        return []
    return [w[1] for w in (line.split() for line in (out or b"").decode(errors="replace").splitlines())
            if len(w) >= 2 and w[0] == "nameserver"]


def drop_network(client, container, image: str) -> str:
    """Give ``container`` (started with network none) a dropping default route; returns the
    helper's one-line report. Raises NetworkSetupError."""
    script = Path(dropnet.__file__).read_text()
    try:
        out = client.containers.run(
            image, [script, *nameservers(container)], entrypoint=["sh", "-c", _RUN], user="0",
            network_mode=f"container:{container.id}", cap_drop=["ALL"], cap_add=["NET_ADMIN"],
            remove=True, stdout=True, stderr=True,
            # the owner's labels: one left by an interrupt is removed as the runtime's are (prune, next run)
            labels={"dsfix": "1", "dsfix.role": "dropnet", **owner_labels()})
    except Exception as e:  # noqa: BLE001 - ContainerError (the script failed), APIError
        raise NetworkSetupError(f"network 'drop' could not be set up: {type(e).__name__}: {e}"[:2000]) from e
    msg = (out or b"").decode(errors="replace").strip().splitlines()
    line = next((m for m in msg if m.startswith("dsfix-dropnet:")), " | ".join(msg))
    log.debug(line)   # run_instance.log keeps it; `dsfix fix` shows it with DSFIX_LOG=debug
    return line
