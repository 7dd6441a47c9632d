"""One `dsfix fix` run: set up workspace, environment and model, run the loop, write the outputs."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from dsfix.common.atomic import write_atomic
from dsfix.common.redact import Redactor
from dsfix.envs.base import EnvError
from dsfix.envs.specs.unittest_results import unittest_command
from dsfix.envs.workspace import Workspace, WorkspaceError
from dsfix.prompts import render

from . import __version__
from .config import Settings
from .backend import local_model
from .context import build_context
from .errors import FormatError, LimitReached
from .loop import Agent, Outcome
from .preflight import own_packages, why_tests_cannot_run
from .status import Status
from .testplan import TestPlan, simple_pytest
from .model import LitellmModel, ModelError
from .report import build_report
from .trajectory import Trajectory

EXIT = {Status.VERIFIED: 0}
NOT_APPLIED = 3   # --apply: the patch is verified but could not be applied to the user's tree


@dataclass
class FixRequest:
    repo: Path
    issue: str
    out: Path
    settings: Settings
    apply: bool = False


def make_env(ws: Workspace, cfg: Settings, pristine: bool = False):
    """``pristine``: a Docker environment keeps an image of itself as set up, for ``fork()``."""
    from dsfix.envs.specs.repospec import run_timeout
    e = cfg.env
    # a large suite's spec may ask for more time; an explicit env.exec_timeout still wins
    timeout = run_timeout(e.exec_timeout, "exec_timeout" in e.model_fields_set, (cfg.spec or {}).get("test_timeout"))
    if e.kind == "local":
        from dsfix.envs.local_env import LocalEnvironment
        return LocalEnvironment(ws, timeout, e.setup)
    from dsfix.envs.docker_env import DockerEnvironment, docker_client
    from dsfix.envs.images import BASE_IMAGE
    spec = cfg.spec or {}   # a SWE-bench row's spec: packets dropped, local services (as in dsfix eval)
    # --- project image (issue #17): on the default base, the project's own image, built once
    image, setup, built = e.image, e.setup, None
    if e.project_image and e.image == BASE_IMAGE:
        from dsfix.envs.layers.project_build import ensure_project_image
        built = ensure_project_image(docker_client(timeout=600), ws, **project_options(e))
        image, setup = built.tag, []   # env.setup ran in the build
    # --- end project image
    env = DockerEnvironment(ws, image, pull=e.pull, network=e.network, memory=e.memory, cpus=e.cpus,
                            pids=e.pids, exec_timeout=timeout, setup=setup, workdir=e.workdir,
                            drop=spec.get("network") == "drop", services=spec.get("services") or None,
                            pristine=pristine, user=e.user)
    if built is not None:
        env.timings.add("image_build" if built.built else "image_lookup", built.seconds)
        env.image_source = "built" if built.built else "cached"
    return env


def project_options(e) -> dict:
    """EnvSettings -> ensure_project_image's options (also `dsfix env build REPO`)."""
    return dict(python=e.python, packages=e.packages, setup=e.setup, installer=e.installer,
                index_url=e.index_url, workdir=e.workdir, auto_install=e.auto_install)


def resolve_tests(ws: Workspace, cfg: Settings, ranked: list[str]) -> TestPlan:
    """The test command, its log parser and where it came from; how attempts narrow it."""
    from dsfix.envs.specs import resolve_spec
    # SWE-bench rows keep the text parsers, whose ids the harness grades by; users' repos get JUnit
    junit = not cfg.spec
    if cfg.test_cmd:
        ut = bool(unittest_command(cfg.test_cmd))   # one plain `python -m unittest ...`
        parser = "pytest" if "pytest" in cfg.test_cmd else "unittest" if ut else None
        return TestPlan(cfg.test_cmd, parser, "--test-cmd / dsfix.yaml test_cmd",
                        junit=junit and simple_pytest(cfg.test_cmd), unittest_results=junit and ut)
    spec = resolve_spec(ws.root, cfg.spec)   # cfg.spec: dsfix.yaml/--config's spec:, or a batch row's, checked
    ut = junit and spec.parser == "unittest" and bool(unittest_command(spec.test_cmd))
    # the rows' own parsers keep the results; a JUnit report beside them gives each file's seconds
    times = not junit and (spec.parser or "").startswith("pytest") and simple_pytest(spec.test_cmd)
    junit = junit and spec.parser == "pytest" and simple_pytest(spec.test_cmd)
    where = f"{spec.source} from {spec.origin}" if spec.origin else spec.source
    if cfg.test_scope == "related" and spec.test_files_arg:
        from .related import related_tests
        files = related_tests(ws.root, ranked[:3])
        if not files:
            return TestPlan(None, None, f"{where}: no tests linked to "
                                        f"{', '.join(ranked[:3]) or 'the localized files'}")
        return TestPlan(spec.test_cmd, spec.parser, f"{where}, related tests", files_arg=True,
                        scope="related", junit=junit, files=files, unittest_results=ut, junit_times=times)
    return TestPlan(spec.test_cmd or None, spec.parser, where, files_arg=spec.test_files_arg, junit=junit,
                    unittest_results=ut, junit_times=times)


def related_after_timeout(ws: Workspace, cfg: Settings, ranked: list[str], plan: TestPlan, baseline) -> TestPlan | None:
    """The detected suite ran past env.exec_timeout before any change (pypa/packaging's 62k tests
    on a loaded machine): the tests related to the localized files instead, what ``test_scope:
    related`` runs, said as such, rather than stopping. None when none are related."""
    if not (baseline is not None and baseline.timed_out and plan.scope == "all" and plan.files_arg
            and not cfg.test_cmd):
        return None
    from .related import related_tests
    files = related_tests(ws.root, ranked[:3])
    if not files:
        return None
    why = f"the whole suite ran past env.exec_timeout ({cfg.env.exec_timeout}s) before any change"
    return replace(plan, scope="related", files=files, source=f"{plan.source}, related tests ({why})")


def run_fix(req: FixRequest, progress=lambda msg: None, on_report=lambda report: None) -> tuple[int, dict]:
    """One repair: (exit code, report). report.json is written once, here, when the run ends,
    also when it raises (preflight, setup, Ctrl-C); ``on_report`` gets that report either way."""
    t0 = time.monotonic()
    ws = Workspace(req.repo)            # bad input raises before anything is created
    if (req.out / "trajectory.jsonl").exists() or (req.out / "report.json").exists():
        raise WorkspaceError(f"{req.out} already holds a run; give another --out (or remove it): "
                             "two runs are never mixed")
    req.out.mkdir(parents=True, exist_ok=True)
    redact = Redactor()
    traj = Trajectory(req.out / "trajectory.jsonl", redact)
    cfg = req.settings
    traj.event("run", dsfix=__version__, repo=str(ws.root), commit=ws.snapshot_sha(),
               settings=cfg.model_dump(mode="json"), ignored_repo_keys=cfg.ignored_repo_keys)
    report: dict = {}   # built where the loop ends (_write_outputs), completed by --apply
    try:
        with local_model(cfg.model, cfg.local) as model_cfg:   # starts and stops a local server if asked
            model = LitellmModel(model_cfg)
            model.name = cfg.model.name
            out = _run_loop(req, ws, model, traj, redact, progress, t0, report)
        if req.apply:
            report["applied"] = _maybe_apply(req, ws, out, redact)
    finally:   # a run that raised (or was stopped) still leaves its report
        if report:
            report = redact.obj(report)
            write_atomic(req.out / "report.json", json.dumps(report, indent=2, default=str))
            on_report(report)
    return exit_code(out.status, report.get("applied")), report


def exit_code(status: str, applied: dict | None) -> int:
    """0 verified (and applied, when asked); 1 not verified; NOT_APPLIED when a verified patch did
    not reach the user's tree under --apply: a script must not read that as success."""
    code = EXIT.get(status, 1)
    if code == 0 and applied is not None and not applied["applied"]:
        return NOT_APPLIED
    return code


def _run_loop(req: FixRequest, ws: Workspace, model, traj: Trajectory, redact: Redactor, progress, t0,
              report: dict) -> Outcome:
    """Ranking and tests first, with no model call: the preflight (can the tests run at all?)
    comes before any token is spent; then narrowing (model calls) shapes the prompt."""
    cfg = req.settings
    rmap, views, ranked = _context(ws, req, None, traj)
    plan = resolve_tests(ws, cfg, ranked)
    progress(f"tests: {plan.shown() if plan.command else 'none found'} ({plan.source})")
    out, env, agent = Outcome(), None, None
    try:
        progress(f"starting {cfg.env.kind} environment")
        env = make_env(ws, cfg, pristine=cfg.agent != "bash")
        agent = _agent(cfg, model, env, traj, ws, plan)
        progress("running the tests before any change")
        baseline = agent.baseline()
        if (narrowed := related_after_timeout(ws, cfg, ranked, plan, baseline)) is not None:
            plan = narrowed
            progress(f"the whole suite ran past env.exec_timeout; running {plan.shown()} ({plan.source})")
            baseline = agent.verifier.use_plan(plan) or agent.baseline()
        problem = why_tests_cannot_run(baseline, own_packages(ws.files()))
        if problem:
            raise PreflightError(problem)
        narrower = _narrower(cfg, model, traj, redact)
        if narrower is not None:
            rmap, views, ranked = _context(ws, req, narrower, traj)
        progress("running the loop")
        out = agent.run(render("task", issue=req.issue, repo_map=rmap, files=views))
    except LimitReached as e:
        out = agent.out
        out.status, out.message = e.status, str(e)
    except (ModelError, FormatError) as e:
        out = agent.out
        out.status = Status.MODEL_ERROR if isinstance(e, ModelError) else Status.FORMAT_ERROR
        out.message = str(e)
    except EnvError as e:
        out = agent.out if agent else out
        out.status, out.message = Status.ENV_ERROR, str(e)
        if agent is None or isinstance(e, PreflightError):
            raise  # could not set up, or the tests cannot run: exit code 2, before any model call
    except KeyboardInterrupt:
        out.status, out.message = Status.INTERRUPTED, "stopped by the user (Ctrl-C)"
        raise
    finally:
        timings = env.timings.summary() if env else {}
        if getattr(env, "image_source", None):
            timings["image_source"] = env.image_source   # present | pulled | built: cache hits for batch stats
        if getattr(env, "runs_as", None):
            timings["runs_as"] = env.runs_as   # who the tests and the model's commands ran as
        try:
            report.update(_write_outputs(req, out, model, traj, timings, plan, t0))
        finally:   # after the outputs: a Ctrl-C that cuts this short loses no report
            for e in {id(x): x for x in (env, getattr(agent, "env", None)) if x is not None}.values():
                e.close()   # agent mode judges in a fresh environment: both go
    return out


def _agent(cfg: Settings, model, env, traj: Trajectory, ws: Workspace, plan: TestPlan) -> Agent:
    """The strategy (agent.strategy): the pipeline, or agent mode (the model acts through shell
    commands, by tool calls where it takes them)."""
    from .strategy import choose
    mode = choose(cfg, getattr(model, "cfg", cfg.model))   # the settings the model is reached with
    traj.event("strategy", **mode.record())
    if mode.agent == "bash":
        from .bash_agent import BashAgent
        agent = BashAgent(model, env, traj, cfg, ws, plan, fresh_env=lambda: make_env(ws, cfg),
                          tool_calls=mode.tool_calls)
    else:
        # Verdicts in a container forked from the working one as it was set up: nothing the model's
        # code left in it reaches them. --env local runs on the user's machine, at their request, and
        # keeps one copy (README).
        agent = Agent(model, env, traj, cfg, ws, plan, fresh_env=env.fork if getattr(env, "pristine", None) else None)
    agent.out.strategy = mode.record()
    return agent


class PreflightError(EnvError):
    """The tests cannot run in this environment (no test collected, an import that fails)."""


def _context(ws: Workspace, req: FixRequest, narrower, traj: Trajectory):
    try:
        rmap, views, ranked = build_context(ws.root, req.issue, req.settings.context_tokens, narrow=narrower)
    except Exception as e:  # noqa: BLE001 - a weaker prompt beats no run; the trajectory says why
        rmap, views, ranked = "(unavailable)", [], []
        traj.event("localize_error", error=f"{type(e).__name__}: {e}")
    traj.event("localize", files=ranked, narrowed=narrower is not None,
               views=[{"path": v.path, "ranges": v.ranges} for v in views])
    return rmap, views, ranked


class _SideCalls:
    """Narrowing's model calls: redacted like the loop's; their tokens and cost join the run's
    totals (and max_cost), but not the step count, which limits and reports the loop's steps."""

    def __init__(self, model, redact: Redactor):
        self.model, self.redact = model, redact

    def query(self, messages):
        calls = self.model.totals.calls
        try:
            return self.model.query([{**m, "content": self.redact.text(m["content"])} for m in messages])
        finally:
            self.model.totals.calls = calls


def _narrower(cfg: Settings, model, traj: Trajectory, redact: Redactor):
    """build_context's narrowing hook, or None. Off by default for the scripted replay:
    its recorded answers begin with the loop's first step."""
    on = cfg.localize.narrow
    if on is None:
        on = not cfg.model.name.startswith("scripted/")
    if not on:
        return None
    from dsfix.tools.localize.narrow import NarrowOptions, narrow
    opts = NarrowOptions(stage_tokens=cfg.localize.narrow_tokens, candidates=cfg.localize.narrow_candidates)

    def record(st) -> None:
        # events, not traj.add_message: the loop's conversation starts with the task
        phase = f"narrow_{st.name}"
        if st.prompt:
            traj.event("message", role="user", content=st.prompt, phase=phase)
        if st.called:
            traj.event("message", role="assistant", content=st.answer, phase=phase, cost=st.cost,
                       tokens={"prompt": st.prompt_tokens, "completion": st.completion_tokens})
        # the cost is on the assistant message: batch budgets sum every top-level "cost"
        traj.event("narrow", **{k: v for k, v in st.summary().items() if k != "cost"})

    def run(root, issue, loc):
        try:
            out = narrow(root, issue, loc, _SideCalls(model, redact), opts, on_stage=record)
        except Exception as e:  # noqa: BLE001 - the ranker's answer still makes a good prompt
            traj.event("narrow_error", error=f"{type(e).__name__}: {e}")
            return loc
        traj.event("narrowed", files=out.files[:5], line_ranges=out.line_ranges, model=out.model_totals())
        return out
    return run


def _write_outputs(req, out, model, traj, timings, plan, t0) -> dict:
    """patch.diff and the trajectory's end; the report, for run_fix to write. Whole files or none
    (tmp + rename): a reader, or a run stopped mid-write, never sees half a file."""
    write_atomic(req.out / "patch.diff", out.patch)   # never altered: the loop refuses a patch holding a secret
    report = build_report(out, model, req.settings, timings, plan, time.monotonic() - t0)
    traj.event("end", status=out.status, message=out.message)
    traj.close()
    return report


def _maybe_apply(req: FixRequest, ws: Workspace, out: Outcome, redact: Redactor) -> dict:
    """Apply to the user's tree only a verified patch, only after the checks any patch from outside
    gets (envs.finalpatch.check_patch), and only if it applies on top of their tree as it is now."""
    from dsfix.envs.finalpatch import UnsafePatch, check_patch, host_git
    if out.status != Status.VERIFIED or not out.patch:
        return {"applied": False, "why": "no verified patch"}
    if secret := redact.secret_in(out.patch):
        return {"applied": False, "why": f"the patch contains the value of {secret}"}
    try:
        check_patch(out.patch)
        host_git(ws.root, "apply", "--check", "-", stdin=out.patch)
        host_git(ws.root, "apply", "-", stdin=out.patch)
    except UnsafePatch as e:
        return {"applied": False, "why": f"refused: {e}"}
    except RuntimeError as e:  # git's message is the explanation
        return {"applied": False, "why": f"does not apply on your working tree: {str(e).strip()[-300:]}"}
    return {"applied": True}


__all__ = ["FixRequest", "run_fix", "EnvError"]
