"""The environment layer against a real Docker engine (and the local copy)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import dsfix_containers
from dsfix.envs.docker_env import DockerEnvironment
from dsfix.envs.images import BASE_IMAGE
from dsfix.envs.local_env import LocalEnvironment
from dsfix.envs.workspace import Workspace, WorkspaceError


@pytest.fixture
def docker_env(docker_client, buggy_repo):
    env = DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, exec_timeout=60, client=docker_client)
    yield env
    env.close()


@pytest.fixture
def local_env(buggy_repo):
    env = LocalEnvironment(Workspace(buggy_repo), exec_timeout=60)
    yield env
    env.close()


@pytest.fixture(params=["docker", "local"])
def env(request):
    return request.getfixturevalue(f"{request.param}_env")


def test_copy_read_write_reset(env, buggy_repo):
    original = (buggy_repo / "inventory/batching.py").read_text()
    assert env.read_file("inventory/batching.py") == original
    assert env.read_file("missing.py") is None and env.read_file("inventory") is None
    env.write_file("inventory/batching.py", original.replace("size + 1, size", "size, size"))
    env.write_file("new/pkg/mod.py", "X = 1\n")
    assert env.execute("python -m pytest -q -p no:cacheprovider").exit_code == 1  # tests ran, bytecode written
    status = env.execute("git status --porcelain").output.split()
    assert status == ["M", "inventory/batching.py", "??", "new/"]   # test runs' bytecode is excluded
    env.reset()
    assert env.execute("git status --porcelain").output == "" and env.read_file("new/pkg/mod.py") is None
    assert env.read_file("inventory/batching.py") == original
    assert (buggy_repo / "inventory/batching.py").read_text() == original  # the user's tree is untouched


def test_exec_timeout_and_exit_codes(env):
    r = env.execute("sleep 30", timeout=2)
    assert r.timed_out and r.seconds < 15
    r = env.execute("echo out; echo err >&2; exit 3")
    assert r.exit_code == 3 and "out" in r.output and "err" in r.output and not r.timed_out


def test_container_has_no_network_and_limits(docker_env):
    r = docker_env.execute("python -c \"import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)\"")
    assert r.exit_code != 0 and ("unreachable" in r.output or "Errno" in r.output)
    attrs = docker_env.container.attrs["HostConfig"]
    assert attrs["NetworkMode"] == "none" and attrs["PidsLimit"] == 1024 and attrs["Memory"] == 4 * 2**30
    assert attrs["Init"] is True


def test_container_removed_on_close_and_on_setup_failure(docker_client, buggy_repo):
    before = {c.id for c in dsfix_containers(docker_client)}
    env = DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, client=docker_client)
    assert env.container.id not in before
    env.close()
    with pytest.raises(Exception, match="setup command failed"):
        DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, client=docker_client, setup=["exit 7"])
    assert {c.id for c in dsfix_containers(docker_client)} == before


def test_workspace_refuses_bad_repos_and_paths(tmp_path, buggy_repo):
    with pytest.raises(WorkspaceError, match="not a git repository"):
        Workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="not a directory"):
        Workspace(tmp_path / "nope")
    (buggy_repo / "link").symlink_to(tmp_path)
    ws = Workspace(buggy_repo)
    for bad in ("../x", "/etc/passwd", "link/evil.py"):
        with pytest.raises(WorkspaceError):
            ws.check_path(bad)
    ws.check_path("inventory/stock.py")
    (buggy_repo / "untracked.py").write_text("x = 1\n")
    (buggy_repo / ".gitignore").write_text("ignored.txt\n")
    (buggy_repo / "ignored.txt").write_text("no\n")
    files = ws.files()
    assert "untracked.py" in files and "ignored.txt" not in files


def test_local_commands_run_without_the_callers_secrets(buggy_repo, monkeypatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-local-0123456789abcdef")
    monkeypatch.setenv("GH_PAT", "ghp_abcdefghijklmnopqrstuvwxyz0123")
    monkeypatch.setenv("DSFIX_HARMLESS", "visible-value")
    with LocalEnvironment(Workspace(buggy_repo), exec_timeout=60) as env:
        out = env.execute("env").output
    assert "DEEPSEEK_API_KEY" not in out and "GH_PAT" not in out and "ghp_" not in out
    assert "DSFIX_HARMLESS=visible-value" in out and "PATH=" in out


def test_containers_are_hardened(docker_env):
    host = docker_env.container.attrs["HostConfig"]
    assert host["MemorySwap"] == host["Memory"] and "no-new-privileges" in host["SecurityOpt"]
    assert {"NET_RAW", "MKNOD"} <= set(host["CapDrop"])
    labels = docker_env.container.labels
    import os
    assert labels["dsfix.pid"] == str(os.getpid()) and labels["dsfix.started"]


def test_ctrl_c_while_the_engine_creates_the_container_leaves_none(docker_client, buggy_repo, monkeypatch):
    """The handle never came back (the interrupt hit between the engine's create and its reply):
    the container is still found by its name and removed."""
    from docker.models.containers import ContainerCollection
    before = {c.id for c in dsfix_containers(docker_client)}
    real = ContainerCollection.create

    def create_then_interrupt(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise KeyboardInterrupt
    monkeypatch.setattr(ContainerCollection, "create", create_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, client=docker_client)
    assert {c.id for c in dsfix_containers(docker_client)} == before


def _made_then_killed(code: str, orphaned) -> str:
    """Run ``code`` in a process (it prints what it made, then waits) and SIGKILL it: what it made
    is not ``orphaned()`` while its owner lives, and is after. Returns what it printed."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    made = proc.stdout.readline().strip()
    assert made and made not in orphaned()   # its owner is alive
    proc.kill()
    proc.wait()
    assert made in orphaned()
    return made


def test_a_killed_runs_container_is_found_reported_and_pruned(docker_client, tmp_path):
    """SIGKILL leaves a container (nothing in the process can run): doctor reports it, prune and the
    next run remove it; a live owner's container is never touched."""
    from clirun import dsfix
    from dsfix.envs.containers import orphans
    code = ("import os, docker\nfrom dsfix.envs.containers import owner_labels\n"
            "c = docker.from_env().containers.run('dsfix/base:bookworm', ['sleep', 'infinity'], detach=True,"
            " labels={'dsfix': '1', 'dsfix.tag': 'orphan-test', **owner_labels()}, network_mode='none')\n"
            "print(c.name, flush=True)\nimport time; time.sleep(600)\n")
    name = _made_then_killed(code, lambda: {c.name for c in orphans(docker_client)})
    r = dsfix("doctor", "--repo", str(tmp_path), env={"COLUMNS": "400"})
    assert "killed dsfix runs" in r.stdout and name in r.stdout
    # --repo of no real repository: the orphan goes, and no cached image of the engine this suite
    # shares with its user (their SWE-bench layers) is removed by a test.
    r = dsfix("env", "prune", "--layer", "instance", "--repo", "dsfix-tests/no-such-repo")
    assert r.returncode == 0 and name in r.stdout, r.stderr
    assert name not in {c.name for c in docker_client.containers.list(all=True)}


def test_local_runs_leave_no_copy_and_no_process(buggy_repo, tmp_path):
    import glob
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "dsfix-local-*")))
    with pytest.raises(Exception, match="setup command failed"):
        LocalEnvironment(Workspace(buggy_repo), setup=["exit 3"])
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "dsfix-local-*"))) == before
    # Ctrl-C while a command runs: its whole process group goes too.
    marker = tmp_path / "child.pid"
    code = (f"from dsfix.envs.local_env import LocalEnvironment\nfrom dsfix.envs.workspace import Workspace\n"
            f"env = LocalEnvironment(Workspace({str(buggy_repo)!r}))\n"
            f"try:\n    env.execute('sleep 300 & echo $! > {marker}; wait')\nfinally:\n    env.close()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(marker.read_text())
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    time.sleep(0.2)
    try:   # gone, or a zombie waiting for this machine's init to reap it
        state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        state = "gone"
    assert state in ("gone", "Z", "X"), state
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "dsfix-local-*"))) == before


def test_a_fork_is_the_environment_as_set_up_and_nothing_run_since(docker_client, buggy_repo):
    """Verdicts run in a fork: what code did in the working container (a .pth in site-packages, a
    changed file, bytecode in an ignored folder) is not in it; its limits are the same; the
    pristine image goes with the environment that kept it. As root: the fork must hold even where
    the image allows no unprivileged user (tests/test_unprivileged.py has that user's own)."""
    env = DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, client=docker_client,
                            pristine=True, pids=512, user="root")
    try:
        env.execute("echo 'import os' > /usr/local/lib/python3.11/dist-packages/zz.pth && "
                    "echo broken > inventory/batching.py && mkdir -p tests/__pycache__ && touch tests/__pycache__/x.pyc")
        with env.fork() as fork:
            r = fork.execute("ls /usr/local/lib/python3.11/dist-packages; ls tests/__pycache__; git status --porcelain")
            assert "zz.pth" not in r.output and "x.pyc" not in r.output and "batching" not in r.output, r.output
            assert fork.read_file("inventory/batching.py") == (buggy_repo / "inventory/batching.py").read_text()
            host = fork.container.attrs["HostConfig"]
            assert host["PidsLimit"] == 512 and host["NetworkMode"] == "none" and "no-new-privileges" in host["SecurityOpt"]
        assert env.read_file("inventory/batching.py") == "broken\n"   # the working one is left as it is
        image = env.pristine.id
    finally:
        env.close()
    assert image not in {i.id for i in docker_client.images.list(filters={"label": "dsfix.pristine=1"})}


def test_a_killed_runs_pristine_image_is_reported_and_pruned(docker_client, buggy_repo, tmp_path):
    from clirun import dsfix
    from dsfix.envs.containers import orphan_images
    code = ("from dsfix.envs.docker_env import DockerEnvironment\nfrom dsfix.envs.workspace import Workspace\n"
            f"env = DockerEnvironment(Workspace({str(buggy_repo)!r}), 'dsfix/base:bookworm', pull=False, pristine=True)\n"
            "print(env.pristine.id, flush=True)\nimport time; time.sleep(600)\n")
    image = _made_then_killed(code, lambda: {i.id for i in orphan_images(docker_client)})
    r = dsfix("doctor", "--repo", str(tmp_path), env={"COLUMNS": "400"})
    assert "killed dsfix runs" in r.stdout and "dsfix-pristine:" in r.stdout, r.stdout
    # on an engine shared with other dsfix processes of this host, their next run may sweep it first
    there = image in {i.id for i in docker_client.images.list(all=True)}
    r = dsfix("env", "prune", "--layer", "instance", "--repo", "dsfix-tests/no-such-repo")   # no cached image goes
    assert r.returncode == 0 and ("removed image" in r.stdout or not there), r.stdout + r.stderr
    assert image not in {i.id for i in docker_client.images.list(all=True)}
