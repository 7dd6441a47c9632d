"""Layered images: keys, Dockerfiles, Python provisioning, disk guard, cache reuse, list/prune, CLI."""
from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from evalfixture import FIXTURE_SPEC, make_fixture
from dsfix.common.logs import captured
from dsfix.envs.layers import docker_build, store
from dsfix.envs.layers.builder import build
from dsfix.envs.layers.disk import DiskSpaceError, check_disk
from dsfix.envs.layers.docker_build import BUILD_LABEL, LayerBuildError, dangling, remove_dangling
from dsfix.envs.layers.dockerfiles import env_dockerfile, inst_dockerfile, install_script
from dsfix.envs.layers.drift import DRIFT_CONSTRAINTS
from dsfix.envs.layers.official import official_image
from dsfix.envs.layers.plan import Plan, spec_hash
from dsfix.envs.cli import env_cli
from dsfix.envs.layers.python import PythonUnavailable, release_for
from dsfix.envs.sources import Sources, SourceError
from dsfix.envs.specs import RepoSpec


def test_python_versions_map_to_debian_releases():
    assert release_for("3.9") == ("bullseye", "3.9")
    assert release_for("3.11") == ("bookworm", "3.11")
    assert release_for("3.13") == ("trixie", "3.13")
    with pytest.raises(PythonUnavailable, match=r"python 3.10 cannot be provisioned offline.*3.11"):
        release_for("3.10")
    assert release_for("3.10", fallback=True) == ("bookworm", "3.11")
    assert release_for("3.8", fallback=True) == ("bullseye", "3.9")
    with pytest.raises(PythonUnavailable):
        release_for("3.14", fallback=True)


def _plan(**kw) -> Plan:
    spec = RepoSpec(**{**FIXTURE_SPEC, **kw.pop("spec", {})})
    p = Plan("o/r", spec, kw.get("env", "a" * 40), kw.get("base", "b" * 40))
    p.base_tag, p.base_id, p.python = "dsfix/base:bookworm", kw.get("base_id", "sha256:1"), "3.11"
    return p


def test_keys_hash_what_went_into_each_layer():
    p = _plan()
    assert p.env_tag.startswith("dsfix/env:") and p.inst_tag.startswith("dsfix/inst:")
    assert _plan().env_key == p.env_key and _plan().inst_key == p.inst_key          # stable
    assert _plan(base="c" * 40).env_key == p.env_key != _plan(env="c" * 40).env_key
    assert _plan(base="c" * 40).inst_key != p.inst_key
    assert _plan(spec={"install": ["pip install x"]}).env_key != p.env_key
    assert _plan(base_id="sha256:2").env_key != p.env_key                          # a new base, new envs
    sphinx = _plan()
    sphinx.repo = "sphinx-doc/sphinx"
    assert DRIFT_CONSTRAINTS["sphinx-doc/sphinx"] and sphinx.env_key != p.env_key
    assert _plan(spec={"test_cmd": "pytest -x"}).env_key == p.env_key               # tests don't shape images
    assert p.network == "none" and _plan(spec={"install": ["pip install x"]}).network == "host"
    labels = p.labels("env", p.env_commit, p.base_tag)
    assert labels["dsfix.layer"] == "env" and labels["dsfix.repo"] == "o/r" and labels["dsfix.commit"] == "a" * 40


def test_dockerfiles():
    d = env_dockerfile(_plan())
    assert "FROM dsfix/base:bookworm" in d and "--system-site-packages" in d and "pip install" not in d
    assert f"checkout -q -f {'a' * 40}" in d and "zz_dsfix_venv.pth" in d and "venv --copies" in d
    d = env_dockerfile(_plan(spec={"install": ["python -m pip install -e ."]}))
    assert "--system-site-packages" not in d and "pip install -q -U 'pip<25.3'" in d and "bash /dsfix/install.sh" in d
    i = inst_dockerfile(_plan())
    assert i.startswith(f"FROM {_plan().env_tag}") and f"checkout -q -f {'b' * 40}" in i
    for d in (env_dockerfile(_plan()), i):     # a failed build's intermediates carry the label
        assert d.splitlines()[1] == f"LABEL {BUILD_LABEL}"
    tc = _plan()
    tc.interpreter = "/opt/python/3.10/bin/python3.10"
    d = env_dockerfile(tc)
    assert "RUN /opt/python/3.10/bin/python3.10 -m venv --copies" in d and "python3 -m venv" not in d
    assert "/opt/python/3.10/bin/python3.10 -c 'import sysconfig" in d and "/usr/bin/python3" not in d
    script = install_script(RepoSpec(install=["a", "b"], env={"X": "1 2"}))
    assert "set -euxo pipefail" in script and script.rstrip().endswith("a\nb") and "export X='1 2'" in script
    assert official_image("django__django-11099") == "swebench/sweb.eval.x86_64.django_1776_django-11099:latest"


def test_sources_mirror_dir_json_map_and_archive(tmp_path):
    fx = make_fixture(tmp_path / "fx")
    src = Sources(fx["mirrors"], online=False)
    assert src.has_commit(fx["repo"], fx["base_commit"]) and not src.has_commit(fx["repo"], "f" * 40)
    tree = src.archive(fx["repo"], fx["env_commit"], tmp_path / "tree")
    assert (tree / "calc.py").read_text().startswith("def mul") and not (tree / ".git").exists()
    m = tmp_path / "map.json"
    m.write_text(json.dumps({"x/y": str(fx["mirrors"] / "local__calc.git")}))
    assert Sources(m, online=False).has_commit("x/y", fx["base_commit"])
    with pytest.raises(SourceError, match="no mirror for a/b"):
        src.git_dir("a/b")
    with pytest.raises(SourceError, match="not found"):
        src.ensure_commits(fx["repo"], "f" * 40)
    with pytest.raises(SourceError, match="OWNER/REPO"):
        src.git_dir("../etc")
    with pytest.raises(SourceError, match="no such directory"):
        Sources(tmp_path / "nope")


@pytest.mark.docker
def test_disk_guard_refuses_before_building(docker_client, tmp_path):
    with pytest.raises(DiskSpaceError, match="below the 1e\\+09 GiB threshold"):
        check_disk(docker_client, 1e9)
    fx = make_fixture(tmp_path / "fx", repo=f"local/guard-{uuid.uuid4().hex[:8]}")
    with pytest.raises(DiskSpaceError):
        build(docker_client, fx["repo"], RepoSpec(**FIXTURE_SPEC), fx["env_commit"], fx["base_commit"],
              sources=Sources(fx["mirrors"], online=False), min_free=1e9)
    assert not [r for r in store.list_images(docker_client) if r["repo"] == fx["repo"]]


@pytest.mark.docker
def test_build_cache_list_prune_and_cli(docker_client, tmp_path):
    fx = make_fixture(tmp_path / "fx", repo=f"local/layers-{uuid.uuid4().hex[:8]}")
    src, spec = Sources(fx["mirrors"], online=False), RepoSpec(**FIXTURE_SPEC)
    args = (docker_client, fx["repo"], spec, fx["env_commit"], fx["base_commit"])
    try:
        first = build(*args, sources=src)
        assert first.built == ["env", "instance"] and first.tag.startswith("dsfix/inst:")
        assert build(*args, sources=src).built == []        # cached by content hash
        mine = {r["layer"]: r for r in store.list_images(docker_client) if r["repo"] == fx["repo"]}
        assert set(mine) == {"env", "instance"}
        assert mine["instance"]["commit"] == fx["base_commit"] and mine["env"]["commit"] == fx["env_commit"]
        assert mine["instance"]["parent"] == mine["env"]["tag"] and mine["env"]["parent"] == "dsfix/base:bookworm"
        assert 0 <= mine["instance"]["own"] < mine["instance"]["size"]
        img = docker_client.images.get(first.tag)
        assert img.labels["dsfix.layer"] == "instance" and img.labels["dsfix.spec"] == spec_hash(spec)
        # the instance image holds the repo at base_commit with its history
        out = docker_client.containers.run(first.tag, ["git", "rev-parse", "HEAD"], remove=True, network_mode="none")
        assert out.decode().strip() == fx["base_commit"]

        runner = CliRunner()
        r = runner.invoke(env_cli, ["list", "--json"])
        assert r.exit_code == 0 and any(i["repo"] == fx["repo"] for i in json.loads(r.output)["images"])
        r = runner.invoke(env_cli, ["prune", "--layer", "instance", "--repo", fx["repo"], "--dry-run"])
        assert r.exit_code == 0 and "would remove dsfix/inst:" in r.output
        assert build(*args, sources=src).built == []
        r = runner.invoke(env_cli, ["prune", "--layer", "instance", "--repo", fx["repo"]])
        assert r.exit_code == 0 and "removed dsfix/inst:" in r.output
        assert build(*args, sources=src).built == ["instance"]   # env reused
        r = runner.invoke(env_cli, ["build", "--dataset", str(fx["dataset"]), "--mirrors", str(fx["mirrors"]),
                                    "--instance-ids", "local__calc-1,local__calc-broken-env"])
        assert r.exit_code == 1 and "nothing, cached" in r.output and "FAILED" in r.output
    finally:
        store.prune(docker_client, "env", repo=fx["repo"])
    assert not [r for r in store.list_images(docker_client) if r["repo"] == fx["repo"]]


@pytest.mark.docker
def test_failed_build_leftovers_are_found_pruned_and_cleaned(docker_client):
    mark = uuid.uuid4().hex
    dockerfile = f"FROM dsfix/base:bookworm\nLABEL {BUILD_LABEL}\nRUN echo {mark} > /mark\nRUN false\n"
    kwargs = dict(tag=f"dsfix/test:{mark[:12]}", labels={}, network_mode="none", rm=True, forcerm=True, pull=False)
    lines: list[str] = []
    with pytest.raises(LayerBuildError):     # without the cleanup: what a failed build leaves
        docker_build._stream_build(docker_client, kwargs["tag"], kwargs, lines, lambda m: None, None, dockerfile)
    left = {i.id.split(":")[1][:12] for i in dangling(docker_client)} & docker_build._step_ids(lines)
    assert len(left) == 1
    assert left <= {r["tag"] for r in store.prune(docker_client, "instance", dry_run=True) if r["layer"] == "dangling"}
    assert [r["tag"] for r in remove_dangling(docker_client, left)] == list(left)
    assert not {i.id.split(":")[1][:12] for i in dangling(docker_client)} & left
    logged: list[str] = []
    with pytest.raises(LayerBuildError):     # with it: nothing is left
        docker_build.build_image(docker_client, kwargs["tag"], {}, "none", on_line=logged.append, dockerfile=dockerfile)
    again = docker_build._step_ids([m + "\n" for m in logged])
    assert again and not {i.id.split(":")[1][:12] for i in dangling(docker_client)} & again


@pytest.mark.docker
def test_a_prune_sweep_leaves_a_running_builds_step_images(docker_client):
    """A build's step images are dangling until it ends: `dsfix env prune` in another terminal (or a
    test) used to delete them and break the build. While a build of this host runs, the sweep keeps
    every dangling image; afterwards it removes the leftovers."""
    mark = uuid.uuid4().hex
    dockerfile = f"FROM dsfix/base:bookworm\nLABEL {BUILD_LABEL}\nRUN echo {mark} > /mark\nRUN false\n"
    kwargs = dict(tag=f"dsfix/test:{mark[:12]}", labels={}, network_mode="none", rm=True, forcerm=True, pull=False)
    lines: list[str] = []
    with pytest.raises(LayerBuildError):     # a step image, dangling, as a running build has them
        docker_build._stream_build(docker_client, kwargs["tag"], kwargs, lines, lambda m: None, None, dockerfile)
    left = {i.id.split(":")[1][:12] for i in dangling(docker_client)} & docker_build._step_ids(lines)
    assert len(left) == 1
    said: list[str] = []
    with docker_build.build_in_flight(), captured(said.append):     # another build of this host is running
        assert remove_dangling(docker_client) == []
    assert left <= {i.id.split(":")[1][:12] for i in dangling(docker_client)}
    assert "a dsfix image build is running" in said[0]
    assert left <= {r["tag"] for r in remove_dangling(docker_client)}
