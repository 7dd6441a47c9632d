"""The plan-edit-test loop: reproduce the issue, propose a diff, prove it with tests, repeat."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from dsfix.prompts import render

from .blocks import extract_block
from .config import Settings
from .errors import FormatError, LimitReached
from .judge import TestRun, compare
from .model import Model
from .preflight import own_error
from .status import Status
from .trajectory import Trajectory

REPRO_PATH = ".dsfix/repro.py"
# The repository's own code first (a src/ layout's too), ahead of anything installed in the image.
REPRO_CMD = (f"PYTHONPATH=\"$([ -d src ] && printf %s \"$PWD/src:\")$PWD${{PYTHONPATH:+:$PYTHONPATH}}\" "
             f"python3 {REPRO_PATH}")
TAIL = 3000  # characters of command output shown to the model
SR_MARKER = "<<<<<<< SEARCH"


@dataclass
class Outcome:
    status: Status = Status.FAILED
    patch: str = ""
    message: str = ""
    attempts: int = 0
    baseline: TestRun | None = None
    final: TestRun | None = None
    repro: dict = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)


class Agent:
    def __init__(self, model: Model, env, traj: Trajectory, cfg: Settings, ws,
                 test_cmd: str | None, parser: str | None):
        """``ws``: the Workspace; edits are checked against its paths and read from its snapshot."""
        self.model, self.env, self.traj, self.cfg = model, env, traj, cfg
        self.ws, self.test_cmd, self.parser = ws, test_cmd, parser
        self.out = Outcome()
        self.fmt = cfg.edit_format
        self.apply_failures = 0   # in a row
        self._baselined = False

    # -- model steps -------------------------------------------------------------
    def ask(self, prompt: str, lang: str, phase: str) -> str:
        """One model step: send, account, enforce limits, return the requested block."""
        self.traj.add_message("user", prompt, phase=phase)
        for _ in range(3):  # three format errors in a row end the step
            self._check_limits()
            reply = self.model.query(self.traj.messages)
            self.traj.add_message("assistant", reply.content, phase=phase, tokens=vars(reply.usage),
                                  cost=reply.cost, seconds=reply.seconds,
                                  **({"reasoning": reply.reasoning} if reply.reasoning else {}))
            self.out.steps.append({"phase": phase, "seconds": reply.seconds, "cost": reply.cost,
                                   "prompt_tokens": reply.usage.prompt, "completion_tokens": reply.usage.completion})
            try:
                return extract_block(reply.content, lang)
            except FormatError as e:
                self.traj.add_message("user", render("feedback_format", error=str(e), lang=lang), phase="format")
        raise FormatError(f"three answers in a row without a ```{lang} block")

    def _check_limits(self) -> None:
        t, lim = self.model.totals, self.cfg.limits
        if t.calls >= lim.max_steps:
            raise LimitReached(Status.LIMIT_STEPS, f"step limit reached ({lim.max_steps} model calls)")
        if t.cost_known and t.cost >= lim.max_cost:
            raise LimitReached(Status.LIMIT_COST, f"cost limit reached (${t.cost:.4f} >= ${lim.max_cost})")
        if lim.stop_file and os.path.exists(lim.stop_file):
            raise LimitReached(Status.STOPPED, f"stopped at a step boundary: {lim.stop_file} exists")

    # -- environment steps ---------------------------------------------------------
    def run_cmd(self, command: str, kind: str):
        r = self.env.execute(command)
        r.output = self.traj.redact.text(r.output)   # before any cut: half a key is still a key
        self.traj.event("observation", kind=kind, command=command, exit_code=r.exit_code,
                        seconds=r.seconds, timed_out=r.timed_out, output=r.output[-TAIL * 2:])
        return r

    def run_tests(self) -> TestRun | None:
        if not self.test_cmd:
            return None
        t0 = time.monotonic()
        run = TestRun.from_exec(self.test_cmd, self.run_cmd(self.test_cmd, "tests"), self.parser)
        self.env.timings.add("test_run", time.monotonic() - t0)
        return run

    # -- the loop ------------------------------------------------------------------
    def baseline(self) -> TestRun | None:
        """The tests before any change (run once; the preflight reads it before any model call)."""
        if not self._baselined:
            self.out.baseline, self._baselined = self.run_tests(), True
        return self.out.baseline

    def run(self, task: str) -> Outcome:
        self.traj.add_message("system", render("system"))
        self.baseline()
        repro_output = self.reproduce(task)
        prompt = render(self._edit_template(), task="", repro=repro_output or "")
        while self.out.attempts < self.cfg.limits.max_attempts:
            self.out.attempts += 1
            prompt = self.attempt(prompt)
            if prompt is None:
                return self.out
        self.out.message = f"no verified patch after {self.out.attempts} attempts"
        return self.out

    def _edit_template(self) -> str:
        return "edit" if self.fmt == "udiff" else "edit_search_replace"

    def reproduce(self, task: str) -> str | None:
        """Ask for a failing script; returns its output when it fails as it should."""
        prompt = render("reproduce", task=task)
        for _ in range(2):
            script = self.ask(prompt, "python", "reproduce")
            self.env.write_file(REPRO_PATH, script)
            r = self.run_cmd(REPRO_CMD, "repro")
            self.out.repro = {"script": script, "before_exit": r.exit_code}
            own = own_error(r.output, task) if r.exit_code != 0 else None
            if r.exit_code != 0 and not r.timed_out and not own:
                return r.output[-TAIL:]
            if own:
                self.traj.event("repro_refused", reason=f"{own} of the script's own making")
            prompt = render("feedback_repro", code=r.exit_code, output=r.output[-TAIL:], own=own)
        self.out.repro = {}  # no trustworthy reproduction: tests alone must prove the fix
        self.env.write_file(REPRO_PATH, None)
        return None

    def attempt(self, prompt: str) -> str | None:
        """One edit attempt. Returns the next prompt, or None when verified."""
        from .edit import apply_edit
        lang = "diff" if self.fmt == "udiff" else "edit"
        text = self.ask(prompt, lang, "edit")
        fmt = "search_replace" if SR_MARKER in text else "udiff"   # whichever the model actually wrote
        self.env.reset()
        applied = apply_edit(self.env, text, fmt, self.ws.check_path, self.ws.snapshot())
        leaked = self.traj.redact.secret_in(applied.patch) if applied.ok else None
        if leaked:   # refused, never silently altered
            applied.ok, applied.feedback = False, f"the patch was refused: it contains the value of {leaked}"
        self.traj.event("action", kind="apply", format=fmt, ok=applied.ok, notes=applied.notes,
                        feedback=applied.feedback)
        if not applied.ok:
            return self._apply_feedback(lang, applied.feedback)
        self.apply_failures = 0
        self.out.patch = applied.patch
        return self.check(applied)

    def _apply_feedback(self, lang: str, feedback: str) -> str:
        """Say what did not match; after repeated diff failures, ask for search/replace instead."""
        self.apply_failures += 1
        text = render("feedback_apply", what="diff" if lang == "diff" else "edit", feedback=feedback)
        n = self.cfg.switch_format_after
        if self.fmt == "udiff" and n and self.apply_failures >= n:
            self.fmt = "search_replace"
            self.traj.event("switch_format", to=self.fmt, after_failures=self.apply_failures)
            text += "\n" + render("edit_search_replace", task="", repro="")
        return text

    def check(self, applied) -> str | None:
        repro = self.run_cmd(REPRO_CMD, "repro") if self.out.repro else None
        after = self.run_tests()
        self.out.final = after
        verdict = compare(self.out.baseline, after) if after else None
        repro_ok = repro is None or repro.exit_code == 0
        tests_ok = verdict is None or verdict.tests_ok
        proven = bool(self.out.repro) or bool(verdict and verdict.fixed)
        if self.out.repro:
            self.out.repro["after_exit"] = repro.exit_code
        if not applied.syntax and repro_ok and tests_ok:
            self.out.status = Status.VERIFIED if proven else Status.UNVERIFIED
            self.out.message = ("the reproduction now passes and no test regressed" if self.out.repro else
                                f"{len(verdict.fixed)} failing test(s) now pass, none regressed" if proven else
                                "tests pass, but nothing failed before the patch, so nothing proves the fix")
            return None
        return render("feedback_tests", syntax="\n".join(applied.syntax), patch=applied.patch,
                      repro=repro.output[-TAIL:] if repro else "", repro_code=repro.exit_code if repro else 0,
                      tests=(f"dsfix: {after.problem}\n" if after and after.problem else "") +
                      (after.tail[-TAIL:] if after and not (verdict and verdict.tests_ok) else ""),
                      tests_code=after.exit_code if after else 0, test_cmd=self.test_cmd or "",
                      regressions=verdict.regressions if verdict else [])
