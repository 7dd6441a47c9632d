"""How dsfix's containers are made, for fix, bench and eval alike: the limits they run under, and
the owner process on their labels, so that one whose owner died (SIGKILL, a crashed bot) is found
and removed by the next run and by `dsfix env prune`, and reported by `dsfix doctor`."""
from __future__ import annotations

import os
import socket

HOST, PID, STARTED = "dsfix.host", "dsfix.pid", "dsfix.started"
PRISTINE = "dsfix.pristine"   # an image of a run's container as set up (DockerEnvironment.fork)

# Capabilities no test suite needs; the rest of Docker's default set stays (chown, setuid and
# kill are used by real suites). Costs: no raw sockets (ping), no device nodes, no chroot.
CAP_DROP = ["NET_RAW", "MKNOD", "AUDIT_WRITE", "SETFCAP", "SYS_CHROOT", "NET_BIND_SERVICE"]


def hardening(memory: str, pids: int) -> dict:
    """The limits every dsfix container gets (fix, bench and eval): memory with no extra swap,
    a process cap, no privilege gain through setuid binaries, fewer capabilities."""
    return {"mem_limit": memory, "memswap_limit": memory, "pids_limit": pids,
            "security_opt": ["no-new-privileges"], "cap_drop": CAP_DROP}


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22): a pid reused
    by another process has another start time."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_labels() -> dict[str, str]:
    pid = os.getpid()
    return {HOST: socket.gethostname(), PID: str(pid), STARTED: _start_ticks(pid) or ""}


def owner_alive(labels: dict[str, str]) -> bool:
    """True unless the container's owner is known to be gone: same host, and its pid is dead or
    now a different process. Containers from other hosts (a shared engine) are never judged."""
    if labels.get(HOST) != socket.gethostname() or not labels.get(PID, "").isdigit():
        return True
    ticks = _start_ticks(int(labels[PID]))
    return ticks is not None and (not labels.get(STARTED) or ticks == labels[STARTED])


def orphans(client) -> list:
    """dsfix's containers whose owner process is gone."""
    return [c for c in _dsfix_containers(client) if not owner_alive(c.labels or {})]


def _dsfix_containers(client) -> list:
    """Each inspected on its own: a full list inspects every container and fails as a whole when
    one is removed meanwhile (another run, worker or session ending), which would fail this run."""
    import docker.errors
    out = []
    for s in client.containers.list(all=True, sparse=True, filters={"label": "dsfix=1"}):
        try:
            out.append(client.containers.get(s.id))
        except docker.errors.NotFound:
            pass   # gone since the list: nothing to judge
    return out


def remove_orphans(client) -> list[str]:
    """Remove the containers and pristine images of dsfix runs whose process is gone; one line
    for each removed, for the caller to show (`dsfix env prune` prints them as its result)."""
    said = []
    for c in orphans(client):
        try:
            c.remove(force=True)
            said.append(f"removed {c.name}: its dsfix process ({c.labels.get(PID)}) is gone")
        except Exception:  # noqa: BLE001 - removed meanwhile by someone else
            pass
    for img in orphan_images(client):   # after the containers: one of them may have used it
        if remove_image(client, img.id):
            said.append(f"removed image {', '.join(img.tags) or img.short_id}: its dsfix process "
                        f"({img.labels.get(PID)}) is gone")
    return said


def orphan_images(client) -> list:
    """Pristine images (DockerEnvironment.fork) whose owner process is gone."""
    try:
        images = client.images.list(filters={"label": f"{PRISTINE}=1"})
    except Exception:  # noqa: BLE001 - listing failed: nothing judged this time
        return []
    return [i for i in images if not owner_alive(i.labels or {})]


def remove_image(client, image_id: str) -> bool:
    try:
        client.images.remove(image_id, force=True, noprune=False)
        return True
    except Exception:  # noqa: BLE001 - gone already, or still used by a container being removed
        return False
