"""The Docker environment: a fresh container per run, the repo copied in, removed on every exit path."""
from __future__ import annotations

import io
import os
import shlex
import tarfile
import time
import uuid
from pathlib import PurePosixPath

from .base import BASELINE, RESET, EnvError, ExecResult, Timings
from .images import ensure_image
from .containers import hardening, owner_labels, remove_orphans
from .workspace import Workspace

WORKDIR = "/repo"   # where the repo is copied unless the image has its own place (SWE-bench: /testbed)


def docker_client(timeout: int = 120):
    import docker
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client
    except Exception as e:  # noqa: BLE001 - any failure here means "no engine"
        raise EnvError(f"Docker engine unreachable ({type(e).__name__}); run `dsfix doctor` for how to fix it") from e


class DockerEnvironment:
    def __init__(self, ws: Workspace, image: str, *, pull: bool = True, network: bool = False,
                 memory: str = "4g", cpus: float = 2.0, pids: int = 1024, exec_timeout: int = 300,
                 setup: list[str] | None = None, client=None, workdir: str = WORKDIR,
                 drop: bool = False, services: list[str] | None = None):
        """``drop`` / ``services``: a RepoSpec's ``network == "drop"`` and ``services``, as in
        ``dsfix eval`` (no network: a route on which packets are dropped; local stand-ins started
        once, their variables exported to every command). Both need the spec's image (services
        are installed in its env layer)."""
        self.timings = Timings()
        self.exec_env: dict[str, str] = {}
        self.exec_timeout = exec_timeout
        self.workdir = workdir.rstrip("/") or WORKDIR
        self.client = client or docker_client()
        self.container = None
        self._name: str | None = None
        remove_orphans(self.client)   # containers of dsfix runs that were killed (SIGKILL leaves them)
        t0 = time.monotonic()
        self.image_source = ensure_image(self.client, image, pull)
        self.timings.add("image", time.monotonic() - t0)
        try:
            self._start(image, network, memory, cpus, pids)
            if drop and not network:
                from .network import drop_network
                drop_network(self.client, self.container, image, log=lambda m: None)
            self._copy_in(ws)
            self._setup(services, setup)
        except BaseException:
            self.close()  # never leave a container behind, also on Ctrl-C
            raise

    def _setup(self, services: list[str] | None, setup: list[str] | None) -> None:
        """Services, the baseline commit and env.setup: timed as "setup" (their execs also count
        under "exec"; a report's phases take them out of the loop's share)."""
        t0 = time.monotonic()
        if services:
            self._start_services(services)
        for cmd in [BASELINE, *(setup or [])]:
            r = self.execute(cmd)
            if r.exit_code != 0:
                raise EnvError(f"setup command failed in container ({r.exit_code}): {cmd}\n{r.output[-2000:]}")
        self.timings.add("setup", time.monotonic() - t0)

    def _start(self, image, network, memory, cpus, pids) -> None:
        import docker.errors
        t0 = time.monotonic()
        # The name is known before the engine is asked, so close() can remove a container whose
        # creation a Ctrl-C interrupted before its handle came back.
        self._name = f"dsfix-{uuid.uuid4().hex[:12]}"
        try:
            self.container = self.client.containers.create(
                image, ["sleep", "infinity"], init=True, working_dir="/",
                network_mode=None if network else "none", **hardening(memory, pids), nano_cpus=int(cpus * 1e9),
                # DSFIX_TAG lets a caller (a batch run, a test session) find the containers it caused.
                labels={"dsfix": "1", "dsfix.tag": os.environ.get("DSFIX_TAG", ""), **owner_labels()},
                name=self._name)
            self.container.start()
        except docker.errors.DockerException as e:
            raise EnvError(f"cannot start a container from {image}: {e}") from e
        self.timings.add("container_start", time.monotonic() - t0)

    def _start_services(self, names: list[str]) -> None:
        from .specs import services as svc
        r = self.execute(svc.start_script(names), timeout=120)
        if r.exit_code != 0:
            raise EnvError(f"services {', '.join(names)} did not come up in the container:\n{r.output[-2000:]}")
        self.exec_env = svc.env_for(names)

    def _copy_in(self, ws: Workspace) -> None:
        t0 = time.monotonic()
        self.container.exec_run(["mkdir", "-p", "--", self.workdir], workdir="/")
        if not self.container.put_archive(self.workdir, ws.snapshot().stream()):
            raise EnvError(f"could not copy the repository into the container at {self.workdir}")
        self.timings.add("copy", time.monotonic() - t0)

    def execute(self, command: str, timeout: int | None = None) -> ExecResult:
        t = timeout or self.exec_timeout
        # `timeout` inside the container: the SDK's exec has no deadline of its own.
        argv = ["timeout", "-k", "5", str(t), "bash", "-c", command]
        t0 = time.monotonic()
        try:
            code, out = self.container.exec_run(argv, workdir=self.workdir, demux=False,
                                                environment=self.exec_env or None)
        except Exception as e:  # noqa: BLE001
            raise EnvError(f"container exec failed: {e}") from e
        dt = time.monotonic() - t0
        timed_out = code in (124, 137) and dt >= t - 1
        r = ExecResult(code, (out or b"").decode(errors="replace"), round(dt, 3), timed_out, t)
        self.timings.exec(command, r)
        return r

    def read_file(self, path: str) -> str | None:
        import docker.errors
        try:
            stream, _ = self.container.get_archive(f"{self.workdir}/{path}")
        except docker.errors.NotFound:
            return None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                return None  # a directory or a symlink is not a file we edit
            return tar.extractfile(member).read().decode(errors="surrogateescape")

    def write_file(self, path: str, text: str | None) -> None:
        if text is None:
            self.execute(f"rm -f -- {shlex.quote(path)}")
            return
        p = PurePosixPath(path)
        self.execute(f"mkdir -p -- {shlex.quote(str(p.parent))}")
        data = text.encode(errors="surrogateescape")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(p.name)
            info.size, info.mode, info.mtime = len(data), self._mode(path), int(time.time())
            tar.addfile(info, io.BytesIO(data))
        self.container.put_archive(f"{self.workdir}/{p.parent}", buf.getvalue())

    def _mode(self, path: str) -> int:
        r = self.execute(f"stat -c %a -- {shlex.quote(path)} 2>/dev/null || echo 644")
        return int(r.output.strip().splitlines()[-1] or "644", 8)

    def reset(self) -> None:
        self.execute(RESET)

    def close(self) -> None:
        target = self.container or (self._name and self._by_name(self._name))
        if target:
            try:
                target.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone is fine
                pass
        self.container, self._name = None, None

    def _by_name(self, name: str):
        try:
            return self.client.containers.get(name)
        except Exception:  # noqa: BLE001 - never created
            return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
