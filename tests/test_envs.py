"""The environment layer against a real Docker engine (and the local copy)."""
from __future__ import annotations

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
