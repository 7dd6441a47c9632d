"""The repository's tests and the model's commands run as an unprivileged user in fix and bench
containers (envs.unprivileged), against a real Docker engine: what that user can and cannot do,
that a fork keeps it, and that an image which does not allow it stays root and says why."""
from __future__ import annotations

import uuid

import pytest

from dsfix.envs.docker_env import DockerEnvironment
from dsfix.envs.images import BASE_IMAGE
from dsfix.envs.workspace import Workspace

SITE = "/usr/local/lib/python3.11/dist-packages"


@pytest.fixture
def env(docker_client, buggy_repo):
    e = DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, exec_timeout=60,
                          client=docker_client, pristine=True)
    yield e
    e.close()


def test_commands_run_unprivileged_and_own_the_working_copy(env):
    assert env.runs_as == "dsfix (uid 10001)"
    r = env.execute("id -u; echo $HOME; touch inventory/new.py tests/t.txt $HOME/x && mkdir -p a/b && echo ok")
    assert r.output.split() == ["10001", "/home/dsfix", "ok"], r.output
    env.write_file("inventory/batching.py", "x = 1\n")     # written by dsfix, owned by the user
    r = env.execute("echo y = 2 >> inventory/batching.py && cat inventory/batching.py && git status --porcelain")
    assert r.exit_code == 0 and "y = 2" in r.output and "batching.py" in r.output, r.output
    env.reset()                                             # git as the user: the repository is its own
    assert env.read_file("inventory/batching.py") != "x = 1\ny = 2\n"
    assert env.execute("ls a inventory/new.py 2>&1; git status --porcelain").output.count("No such file") == 2


def test_the_interpreter_git_and_etc_are_out_of_reach(env):
    """What a reproduction once did as root (a .pth in site-packages, a wrapper over git) is refused."""
    for cmd in (f"echo 'import os' > {SITE}/zz.pth", "echo 'exit 0' > /usr/bin/git",
                "echo 'x:x:0:0::/:/bin/sh' >> /etc/passwd", "pip install --no-index nothing-here -q"):
        r = env.execute(cmd)
        assert r.exit_code != 0, (cmd, r.output)
    assert "zz.pth" not in env.execute(f"ls {SITE}").output


def test_a_fork_runs_as_the_same_user(env):
    with env.fork() as fork:
        assert fork.runs_as == env.runs_as
        assert fork.execute("id -u; touch inventory/x.py && echo ok").output.split() == ["10001", "ok"]


def test_root_when_asked_or_when_the_image_does_not_allow_it(docker_client, buggy_repo):
    with DockerEnvironment(Workspace(buggy_repo), BASE_IMAGE, pull=False, client=docker_client, user="root") as e:
        assert e.runs_as == "root" and e.execute("id -u").output.strip() == "0"
    # An image without xargs (minimal images): the hand-over cannot run, the run goes on as root.
    c = docker_client.containers.run(BASE_IMAGE, ["rm", "/usr/bin/xargs"], detach=True, network_mode="none")
    tag = f"dsfix-tests/no-xargs:{uuid.uuid4().hex[:8]}"
    try:
        c.wait()
        c.commit(repository=tag.split(":")[0], tag=tag.split(":")[1])
        with DockerEnvironment(Workspace(buggy_repo), tag, pull=False, client=docker_client) as e:
            assert e.runs_as.startswith("root (") and "no xargs" in e.runs_as, e.runs_as
            assert e.execute("id -u").output.strip() == "0"
    finally:
        c.remove(force=True)
        docker_client.images.remove(tag, force=True)
