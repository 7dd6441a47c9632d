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

from .phases import localize_seconds, near_timeout_rows, row_image_source, row_phases


def checkout(repo: str, commit: str, dest: Path, mirrors: str | None) -> None:
    """A working clone of `repo` at `commit`, sharing objects with the mirror (no copy)."""
    from dsfix.envs.sources import Sources
    src = Sources(mirrors).ensure_commits(repo, commit)
    for cmd in (["git", "clone", "-q", "--no-checkout", "--shared", str(src), str(dest)],
                ["git", "-C", str(dest), "checkout", "-q", "--detach", commit]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"cannot check out {repo} at {commit[:12]} from {src}: {r.stderr.strip()[-300:]}")


def instance_spec(instance: dict, job: dict):
    """The RepoSpec of a SWE-bench-style row (None: other rows, or no known spec)."""
    if not job.get("instance_images") or not instance.get("version"):
        return None
    from dsfix.envs.evaluate.run import spec_for
    try:
        return spec_for(instance)
    except (KeyError, ValueError):
        return None  # no known spec: the base image and the detected spec


def instance_overrides(instance: dict, job: dict, spec, built: dict) -> dict:
    """A SWE-bench-style row runs in its own instance image (the layers `dsfix eval` uses), with the
    spec's test command scoped to tests related to the localized files. ``built`` gets the layers
    built now and the seconds the layers took. Other rows: nothing to add."""
    if spec is None:
        return {}
    from dsfix.envs.docker_env import docker_client
    from dsfix.envs.layers import build
    from dsfix.envs.sources import Sources
    base = instance["base_commit"]
    res = build(docker_client(), instance["repo"], spec, instance.get("environment_setup_commit") or base, base,
                sources=Sources(job.get("mirrors")))
    built.update(layers=res.built, seconds=round(sum(res.seconds.values()), 3))
    return {"env": {"image": res.tag, "workdir": "/testbed", "pull": False}, "test_scope": "related",
            "spec": {"test_cmd": spec.test_cmd, "parser": spec.parser, "test_files_arg": spec.test_files_arg,
                     "source": spec.source, "network": spec.network, "services": list(spec.services),
                     "test_timeout": spec.test_timeout}}


def instance_settings(instance: dict, job: dict, built: dict):
    """This instance's settings; a spec's test_timeout sets env.exec_timeout unless a setting did."""
    from dsfix.agent.config import load_settings, merge
    from dsfix.envs.specs.repospec import run_timeout
    iid = instance["instance_id"]
    overrides = merge(merge(job["overrides"], instance_overrides(instance, job, instance_spec(instance, job), built)),
                      {"model": {"name": job["model"].replace("{instance_id}", iid)}})
    settings = load_settings(None, overrides=overrides, environ=job.get("environ"))
    e = settings.env
    e.exec_timeout = run_timeout(e.exec_timeout, "exec_timeout" in e.model_fields_set,
                                 (settings.spec or {}).get("test_timeout"))
    return settings


def _new_row(iid: str, job: dict) -> dict:
    return {"instance_id": iid, "model_name_or_path": job["model_name"], "outcome": "error", "status": None,
            "verified": False, "cost_usd": 0.0, "cost_known": True, "steps": 0, "error": None}


def _from_report(row: dict, report: dict, patch: str) -> None:
    row.update(outcome="patched" if patch.strip() else "no_patch", status=report["status"],
               verified=report["verified"], cost_usd=report["cost_usd"] or 0.0,
               cost_known=report["cost_known"], steps=report["steps"], model_patch=patch)
    if report["status"] == "env_error":
        row.update(outcome="error", error=report["message"])


def run_instance(instance: dict, job: dict) -> dict:
    from dsfix.agent.run import FixRequest, run_fix
    iid, out = instance["instance_id"], Path(job["out"])
    t0 = time.monotonic()
    row, built, checkout_s, settings = _new_row(iid, job), {}, 0.0, None
    reports: list[dict] = []   # run_fix's report, also when it raised (an env_error before the loop)
    tmp = Path(tempfile.mkdtemp(prefix=f"dsfix-{iid[:40]}-"))
    try:
        checkout(instance["repo"], instance["base_commit"], tmp / "repo", job.get("mirrors"))
        checkout_s = time.monotonic() - t0
        settings = instance_settings(instance, job, built)
        code, report = run_fix(FixRequest(tmp / "repo", instance["problem_statement"], out, settings),
                               on_report=reports.append)
        _from_report(row, report, (out / "patch.diff").read_text())
    except Exception as e:  # noqa: BLE001 - any failure here is infrastructure, recorded apart
        row["error"] = f"{type(e).__name__}: {str(e)[:500]}"
        row["traceback"] = traceback.format_exc()[-2000:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    row["seconds"] = round(time.monotonic() - t0, 3)
    _add_timings(row, out, reports[0] if reports else None, built, checkout_s, settings)
    return row


def _add_timings(row: dict, out: Path, report: dict | None, built: dict, checkout_s: float, settings) -> None:
    row["image_source"] = row_image_source(built.get("layers"), report)
    row["phases"] = row_phases(report, checkout_s, built.get("seconds", 0.0),
                               localize_seconds(out / "trajectory.jsonl"), row["seconds"])
    row["near_timeout"] = near_timeout_rows(report)
    row["test_timeout"] = settings.env.exec_timeout if settings else None
