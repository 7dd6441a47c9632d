"""One dsfix container, for fix, bench and eval alike: started with the same limits and owner labels
(envs.containers), named before the engine is asked so that an interrupt at any point of its
start leaves nothing behind, and removed on every exit path."""
from __future__ import annotations

import io
import logging
import os
import tarfile
import time
import uuid
from pathlib import PurePosixPath

from .base import EnvError
from .containers import hardening, owner_labels, remove_orphans

log = logging.getLogger(__name__)


class Container:
    def __init__(self, client, image: str, *, network: bool = False, memory: str = "4g", pids: int = 1024,
                 workdir: str = "/", labels: dict[str, str] | None = None, prefix: str = "dsfix",
                 **host: object):
        """Nothing is created until ``start()``. ``labels``: the caller's own, beside dsfix's and
        the owner's; ``host``: more of the engine's create options (``nano_cpus``, ``cpu_shares``)."""
        self.client, self.image, self.workdir = client, image, workdir
        self.handle = None
        # Known before the engine is asked: close() finds by name a container whose creation an
        # interrupt cut off before its handle came back.
        self.name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self._options = dict(
            init=True, working_dir=workdir, network_mode=None if network else "none",
            **hardening(memory, pids), **host, name=self.name,
            # DSFIX_TAG lets a caller (a batch run, a test session) find the containers it caused.
            labels={"dsfix": "1", "dsfix.tag": os.environ.get("DSFIX_TAG", ""), **(labels or {}), **owner_labels()})

    def start(self) -> Container:
        """Create and start it. Raises EnvError; on any exception (Ctrl-C too) the container,
        created or half-created, is removed before the exception goes on."""
        import docker.errors
        for line in remove_orphans(self.client):   # containers of dsfix runs that were killed (SIGKILL leaves them)
            log.info(line)
        try:
            self.handle = self.client.containers.create(self.image, ["sleep", "infinity"], **self._options)
            self.handle.start()
        except BaseException as e:
            self.close()
            if isinstance(e, docker.errors.DockerException):
                raise EnvError(f"cannot start a container from {self.image}: {e}") from e
            raise
        return self

    @property
    def id(self) -> str | None:
        return self.handle.id if self.handle else None

    def exec(self, command: str, timeout: int, workdir: str | None = None,
             environment: dict[str, str] | None = None, user: str = "") -> tuple[int, str, bool, float]:
        """``bash -c command`` under ``timeout`` inside the container (the SDK's exec has no
        deadline of its own), as ``user`` ("": the image's, root in dsfix's images):
        (exit code, output, timed out, seconds)."""
        argv = ["timeout", "-k", "5", str(timeout), "bash", "-c", command]
        t0 = time.monotonic()
        code, out = self.handle.exec_run(argv, workdir=workdir or self.workdir, demux=False,
                                         environment=environment or None, user=user)
        dt = time.monotonic() - t0
        return code, (out or b"").decode(errors="replace"), code in (124, 137) and dt >= timeout - 1, dt

    def put_file(self, path: str, text: str, mode: int = 0o644, owner: int = 0) -> None:
        """Write one file (its folder must exist), owned by uid and gid ``owner`` (the engine
        keeps a tar entry's owner)."""
        p = PurePosixPath(path)
        data = text.encode(errors="surrogateescape")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(p.name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            info.uid = info.gid = owner
            tar.addfile(info, io.BytesIO(data))
        if not self.handle.put_archive(str(p.parent), buf.getvalue()):
            raise EnvError(f"could not write {path} in the container")

    def alive(self) -> bool:
        try:
            self.handle.reload()
            return self.handle.status == "running"
        except Exception:  # noqa: BLE001 - gone: not alive
            return False

    def close(self) -> None:
        """Remove it (by handle, else by name); safe to call twice, and from another thread."""
        target = self.handle or self._by_name(self.name)
        if target:
            try:
                target.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone is fine
                pass
        self.handle = None

    def _by_name(self, name: str):
        try:
            return self.client.containers.get(name)
        except Exception:  # noqa: BLE001 - never created
            return None
