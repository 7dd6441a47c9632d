"""The Docker environment: a fresh container per run (envs.runtime), the repo copied in, removed on
every exit path; optionally a pristine image of it as set up, from which ``fork()`` starts the
containers verdicts are made in."""
from __future__ import annotations

import io
import shlex
import tarfile
import time
from pathlib import PurePosixPath

from .base import BASELINE, RESET, EnvError, ExecResult, Timings
from .images import ensure_image
from . import unprivileged
from .containers import PRISTINE, remove_image
from .runtime import Container
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
                 drop: bool = False, services: list[str] | None = None, pristine: bool = False,
                 user: str = "auto", _prepared: bool = False, _uid: int | None = None):
        """``drop`` / ``services``: a RepoSpec's ``network == "drop"`` and ``services``, as in
        ``dsfix eval`` (no network: a route on which packets are dropped; local stand-ins started
        once, their variables exported to every command). Both need the spec's image (services
        are installed in its env layer). ``pristine``: keep an image of the container as set up,
        before anything else runs in it, for ``fork()``. ``user``: "auto" runs every command after
        set-up as an unprivileged user where the image allows it (envs.unprivileged), "root"
        keeps root. ``_prepared``: ``image`` is such an image, ``_uid`` the user its working copy
        was handed to."""
        self.timings = Timings()
        self.exec_env: dict[str, str] = {}
        self.exec_timeout = exec_timeout
        self.workdir = workdir.rstrip("/") or WORKDIR
        self.client = client or docker_client()
        self.container = None   # the engine's handle, once started
        self.box: Container | None = None
        self.pristine = None    # the image fork() starts from (owned, and removed, by this environment)
        self.uid: int | None = None    # who commands run as once set up (None: root)
        self.runs_as = "root"          # that, in words, for the report
        self._fork_args = dict(network=network, memory=memory, cpus=cpus, pids=pids, exec_timeout=exec_timeout,
                               workdir=workdir, drop=drop, services=services)
        t0 = time.monotonic()
        self.image_source = "present" if _prepared else ensure_image(self.client, image, pull)
        self.timings.add("image", time.monotonic() - t0)
        try:
            self._start(image, network, memory, cpus, pids)
            if drop and not network:
                from .network import drop_network
                drop_network(self.client, self.container, image)
            if _prepared:   # files, baseline commit, env.setup and the user are in the image; processes are not
                self._services(services)
                self._become(_uid)
            else:
                self._copy_in(ws)
                self._setup(services, setup)
                if user == "auto":
                    self._hand_over(ws)
            if pristine:
                self._keep_pristine()
        except BaseException:
            self.close()  # never leave a container behind, also on Ctrl-C
            raise

    def _keep_pristine(self) -> None:
        """Commit the container as set up, before any test or model code runs in it. The image
        carries the container's owner labels, so a killed run's is removed as its containers are."""
        t0 = time.monotonic()
        self.pristine = self.container.commit(repository="dsfix-pristine", tag=self.box.name,
                                              changes=[f"LABEL {PRISTINE}=1 dsfix.layer=pristine"], pause=True)
        self.timings.add("pristine", time.monotonic() - t0)

    def fork(self) -> DockerEnvironment:
        """A new environment as this one was right after setup: the same files and limits, none of
        what ran in this one since (no copy or baseline commit: it starts from the pristine image)."""
        if self.pristine is None:
            raise EnvError("this environment kept no pristine image to fork from")
        env = DockerEnvironment(None, self.pristine.id, client=self.client, _prepared=True, _uid=self.uid,
                                **self._fork_args)
        env.exec_env = dict(self.exec_env) or env.exec_env
        return env

    def _setup(self, services: list[str] | None, setup: list[str] | None) -> None:
        """Services, the baseline commit and env.setup: timed as "setup" (their execs also count
        under "exec"; a report's phases take them out of the loop's share)."""
        t0 = time.monotonic()
        self._services(services)
        for cmd in [BASELINE, *(setup or [])]:
            r = self.execute(cmd)
            if r.exit_code != 0:
                raise EnvError(f"setup command failed in container ({r.exit_code}): {cmd}\n{r.output[-2000:]}")
        self.timings.add("setup", time.monotonic() - t0)

    def _hand_over(self, ws: Workspace) -> None:
        """Give the working copy to the unprivileged user and run as it from now on; where the
        image does not allow it, stay root and say why (report: runs_as)."""
        t0 = time.monotonic()
        self.box.put_file(unprivileged.OWNED_LIST, unprivileged.owned_list(ws.snapshot().names))
        r = self.execute(unprivileged.handover_script(self.workdir), timeout=120)
        self.timings.add("setup", time.monotonic() - t0)
        if r.exit_code == 0:
            self._become(unprivileged.UID)
        else:
            reason = r.output.strip().splitlines()[-1] if r.output.strip() else f"exit {r.exit_code}"
            self.runs_as = f"root (the image does not allow an unprivileged user: {reason[:120]})"

    def _become(self, uid: int | None) -> None:
        self.uid = uid
        if uid is not None:
            self.runs_as = f"{unprivileged.NAME} (uid {uid})"

    def _start(self, image, network, memory, cpus, pids) -> None:
        t0 = time.monotonic()
        self.box = Container(self.client, image, network=network, memory=memory, pids=pids,
                             nano_cpus=int(cpus * 1e9))
        self.container = self.box.start().handle
        self.timings.add("container_start", time.monotonic() - t0)

    def _services(self, names: list[str] | None) -> None:
        if not names:
            return
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
        try:
            code, out, timed_out, dt = self.box.exec(command, t, self.workdir, self._environment(),
                                                     user=f"{self.uid}:{self.uid}" if self.uid is not None else "")
        except Exception as e:  # noqa: BLE001
            raise EnvError(f"container exec failed: {e}") from e
        r = ExecResult(code, out, round(dt, 3), timed_out, t)
        self.timings.exec(command, r)
        return r

    def _environment(self) -> dict[str, str]:
        return unprivileged.exec_environment(self.exec_env) if self.uid is not None else self.exec_env

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
        self.box.put_file(f"{self.workdir}/{path}", text, self._mode(path), owner=self.uid or 0)

    def _mode(self, path: str) -> int:
        r = self.execute(f"stat -c %a -- {shlex.quote(path)} 2>/dev/null || echo 644")
        return int(r.output.strip().splitlines()[-1] or "644", 8)

    def reset(self) -> None:
        self.execute(RESET)

    def close(self) -> None:
        if self.box is not None:
            self.box.close()
        self.container = None
        if self.pristine is not None:
            remove_image(self.client, self.pristine.id)
            self.pristine = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
