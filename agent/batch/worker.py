"""Run one instance: check out its repository at base_commit, run `dsfix fix`, return a result row.

A plain function of plain data, so the local pool and Ray run exactly the same code.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import traceback
from pathlib import Path


def checkout(repo: str, commit: str, dest: Path, mirrors: str | None) -> None:
    """A working clone of `repo` at `commit`, sharing objects with the mirror (no copy)."""
    from dsfix.envs.sources import Sources
    src = Sources(mirrors).ensure_commits(repo, commit)
    for cmd in (["git", "clone", "-q", "--no-checkout", "--shared", str(src), str(dest)],
                ["git", "-C", str(dest), "checkout", "-q", "--detach", commit]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"cannot check out {repo} at {commit[:12]} from {src}: {r.stderr.strip()[-300:]}")


def instance_overrides(instance: dict, job: dict) -> dict:
    """A SWE-bench-style row runs in its own instance image (the layers `dsfix eval` uses), with the
    spec's test command scoped to tests related to the localized files. Other rows: nothing to add."""
    if not job.get("instance_images") or not instance.get("version"):
        return {}
    from dsfix.envs.evaluate.run import spec_for
    try:
        spec = spec_for(instance)
    except (KeyError, ValueError):
        return {}  # no known spec: the base image and the detected spec
    from dsfix.envs.docker_env import docker_client
    from dsfix.envs.layers import build
    from dsfix.envs.sources import Sources
    base = instance["base_commit"]
    image = build(docker_client(), instance["repo"], spec, instance.get("environment_setup_commit") or base, base,
                  sources=Sources(job.get("mirrors"))).tag
    return {"env": {"image": image, "workdir": "/testbed", "pull": False}, "test_scope": "related",
            "spec": {"test_cmd": spec.test_cmd, "parser": spec.parser, "test_files_arg": spec.test_files_arg,
                     "source": spec.source, "network": spec.network, "services": list(spec.services)}}


def run_instance(instance: dict, job: dict) -> dict:
    from dsfix.agent.config import load_settings, merge
    from dsfix.agent.run import FixRequest, run_fix
    iid = instance["instance_id"]
    t0 = time.monotonic()
    row = {"instance_id": iid, "model_name_or_path": job["model_name"], "outcome": "error", "status": None,
           "verified": False, "cost_usd": 0.0, "cost_known": True, "steps": 0, "error": None}
    tmp = Path(tempfile.mkdtemp(prefix=f"dsfix-{iid[:40]}-"))
    try:
        checkout(instance["repo"], instance["base_commit"], tmp / "repo", job.get("mirrors"))
        overrides = merge(merge(job["overrides"], instance_overrides(instance, job)),
                          {"model": {"name": job["model"].replace("{instance_id}", iid)}})
        settings = load_settings(None, overrides=overrides, environ=job.get("environ"))
        code, report = run_fix(FixRequest(tmp / "repo", instance["problem_statement"], Path(job["out"]), settings))
        patch = (Path(job["out"]) / "patch.diff").read_text()
        row.update(outcome="patched" if patch.strip() else "no_patch", status=report["status"],
                   verified=report["verified"], cost_usd=report["cost_usd"] or 0.0,
                   cost_known=report["cost_known"], steps=report["steps"], model_patch=patch)
        if report["status"] == "env_error":
            row.update(outcome="error", error=report["message"])
    except Exception as e:  # noqa: BLE001 - any failure here is infrastructure, recorded apart
        row["error"] = f"{type(e).__name__}: {str(e)[:500]}"
        row["traceback"] = traceback.format_exc()[-2000:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    row["seconds"] = round(time.monotonic() - t0, 3)
    return row
