"""The plan-edit-test loop, today's strategy: ask for a reproduction, then for a diff, and let the
verifier (agent.verifier) judge each patch; feed its findings back until one is proven."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from dsfix.envs.workspace import WorkspaceError
from dsfix.prompts import render
from dsfix.tools.lookup import Request, answer, find_requests

from .blocks import extract_block, obsolete_tests
from .config import Settings
from .errors import FormatError, LimitReached
from .judge import TestRun
from .model import Model
from .status import Status
from .testplan import TestPlan
from .verifier import Verifier
from .trajectory import Trajectory

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
    lookups: int = 0    # answers that asked to see more code instead of giving a fix
    candidates: list[dict] = field(default_factory=list)   # per attempt with samples > 1: every candidate
    checks: list[dict] = field(default_factory=list)   # per checked attempt: which tests ran, seconds
    strategy: dict = field(default_factory=dict)   # agent.strategy: pipeline or agent mode, and why


class Agent:
    def __init__(self, model: Model, env, traj: Trajectory, cfg: Settings, ws, plan: TestPlan, fresh_env=None):
        """``ws``: the Workspace; edits are checked against its paths and read from its snapshot.
        ``plan``: which tests to run when (agent.testplan). ``fresh_env()``: a new environment
        like ``env``, in which the verifier makes its decisive runs (None: it makes them in ``env``)."""
        self.model, self.env, self.traj, self.cfg = model, env, traj, cfg
        self.ws = ws
        self.verifier = Verifier(env, plan, ws.root, lambda cmd, kind: self.run_cmd(cmd, kind, self.verifier.env),
                                 frozenset(ws.snapshot().names), fresh_env)
        self.out = Outcome()
        self.fmt = cfg.edit_format
        self.apply_failures = 0   # in a row
        self.lookups_left = cfg.limits.max_lookups

    # -- model steps -------------------------------------------------------------
    def ask(self, prompt: str, lang: str, phase: str, lookups: bool = False) -> str | list[Request]:
        """One model step: send, account, enforce limits, return the requested block (or, when
        ``lookups`` are allowed and the answer holds no such block, the look-ups it asks for)."""
        self.traj.add_message("user", prompt, phase=phase)
        for _ in range(3):  # three format errors in a row end the step
            self._check_limits()
            reply = self.model.query(self.traj.messages)
            self.traj.add_message("assistant", reply.content, **self._account(reply, phase))
            try:
                return extract_block(reply.content, lang)
            except FormatError as e:
                if lookups and (reqs := find_requests(reply.content)):
                    return reqs
                self.traj.add_message("user", render("feedback_format", error=str(e), lang=lang), phase="format")
        raise FormatError(f"three answers in a row without a ```{lang} block")

    def _account(self, reply, phase: str) -> dict:
        """Count one answer in the steps; its metadata for the trajectory."""
        self.out.steps.append({"phase": phase, "seconds": reply.seconds, "cost": reply.cost,
                               "prompt_tokens": reply.usage.prompt, "completion_tokens": reply.usage.completion})
        return dict(phase=phase, tokens=vars(reply.usage), cost=reply.cost, seconds=reply.seconds,
                    **({"reasoning": reply.reasoning} if reply.reasoning else {}))

    def sample(self, prefix: list[dict], lang: str, index: int):
        """One more answer to the request that ends ``prefix``, sampled: recorded in the
        trajectory, not in the conversation. (reply, its block or None)."""
        self._check_limits()
        reply = self.model.query(prefix, temperature=self.cfg.sample_temperature)
        self.traj.event("message", role="assistant", content=self.traj.redact.text(reply.content),
                        candidate=index, **self._account(reply, "sample"))
        try:
            return reply, extract_block(reply.content, lang)
        except FormatError:
            return reply, None

    def _check_limits(self) -> None:
        t, lim = self.model.totals, self.cfg.limits
        if t.calls >= lim.max_steps:
            raise LimitReached(Status.LIMIT_STEPS, f"step limit reached ({lim.max_steps} model calls)")
        if t.cost_known and t.cost >= lim.max_cost:
            raise LimitReached(Status.LIMIT_COST, f"cost limit reached (${t.cost:.4f} >= ${lim.max_cost})")
        if lim.stop_file and os.path.exists(lim.stop_file):
            raise LimitReached(Status.STOPPED, f"stopped at a step boundary: {lim.stop_file} exists")

    # -- environment steps ---------------------------------------------------------
    def run_cmd(self, command: str, kind: str, env=None):
        """Run in ``env`` (default: the one the agent works in), recorded and redacted."""
        r = (env or self.env).execute(command)
        r.output = self.traj.redact.text(r.output)   # before any cut: half a key is still a key
        self.traj.event("observation", kind=kind, command=command, exit_code=r.exit_code,
                        seconds=r.seconds, timed_out=r.timed_out, output=r.output[-TAIL * 2:])
        if r.near_timeout:   # slow enough that the next run may not finish: said, with its time
            self.traj.event("near_timeout", kind=kind, command=command, seconds=r.seconds, timeout=r.timeout)
        return r

    # -- the loop ------------------------------------------------------------------
    def baseline(self) -> TestRun | None:
        self.out.baseline = self.verifier.baseline()
        return self.out.baseline

    def run(self, task: str) -> Outcome:
        self.traj.add_message("system", render("system"))
        self.baseline()
        repro_output = self.reproduce(task)
        prompt = render(self._edit_template(), task="", repro=repro_output or "", lookups=self.lookups_left)
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
            r = self.verifier.try_repro(script, task)
            self.out.repro = {"script": script, "before_exit": r.exit_code}
            if r.accepted:
                return r.output[-TAIL:]
            if r.own:
                self.traj.event("repro_refused", reason=f"{r.own} of the script's own making")
            prompt = render("feedback_repro", code=r.exit_code, output=r.output[-TAIL:], own=r.own)
        self.out.repro = {}  # no trustworthy reproduction: tests alone must prove the fix
        self.verifier.drop_repro()
        return None

    def attempt(self, prompt: str) -> str | None:
        """One edit attempt (with ``samples`` > 1, several candidates). Returns the next prompt,
        or None when accepted."""
        lang = "diff" if self.fmt == "udiff" else "edit"
        text = self._edit_answer(prompt, lang)
        if self.cfg.samples > 1:
            from .candidates import attempt_candidates
            return attempt_candidates(self, text, lang)
        applied = self.apply(text)
        if not applied.ok:
            return self._apply_feedback(lang, applied.feedback)
        return self.check(applied)

    def apply(self, text: str):
        """The model's edit on the original files, checked; the patch is computed on the host."""
        from .edit import apply_edit
        fmt = "search_replace" if SR_MARKER in text else "udiff"   # whichever the model actually wrote
        self.env.reset()
        applied = apply_edit(self.env, text, fmt, self.ws.check_path, self.ws.snapshot())
        leaked = self.traj.redact.secret_in(applied.patch) if applied.ok else None
        if leaked:   # refused, never silently altered
            applied.ok, applied.feedback = False, f"the patch was refused: it contains the value of {leaked}"
        self.traj.event("action", kind="apply", format=fmt, ok=applied.ok, notes=applied.notes,
                        feedback=applied.feedback)
        return applied

    def _edit_answer(self, prompt: str, lang: str) -> str:
        """The model's edit; first, while it has look-ups left, the code it asks to see."""
        while True:
            got = self.ask(prompt, lang, "edit", lookups=self.lookups_left > 0)
            if isinstance(got, str):
                return got
            self.lookups_left -= 1
            self.out.lookups += 1
            self.traj.event("lookup", requests=[vars(r) for r in got], left=self.lookups_left)
            prompt = render("lookup_answer", answer=answer(got, self._read, self.ws.snapshot().names),
                            left=self.lookups_left, fence="diff" if lang == "diff" else "text")

    def _read(self, path: str) -> str | None:
        """A look-up's read: the host's snapshot, paths checked as an edit's are."""
        try:
            self.ws.check_path(path)
        except WorkspaceError as e:
            raise ValueError(str(e)) from None
        return self.ws.snapshot().read_text(path)

    def _apply_feedback(self, lang: str, feedback: str) -> str:
        """Say what did not match; after repeated diff failures, ask for search/replace instead."""
        self.apply_failures += 1
        text = render("feedback_apply", what="diff" if lang == "diff" else "edit", feedback=feedback)
        n = self.cfg.switch_format_after
        if self.fmt == "udiff" and n and self.apply_failures >= n:
            self.fmt = "search_replace"
            self.traj.event("switch_format", to=self.fmt, after_failures=self.apply_failures)
            text += "\n" + render("edit_search_replace", task="", repro="", lookups=self.lookups_left)
        return text

    def check(self, applied) -> str | None:
        obsolete = obsolete_tests(self.traj.messages[-1]["content"])   # the answer that held the edit
        if obsolete:
            self.traj.event("obsolete_named", tests=obsolete)
        return self.conclude(applied, self.verifier.check(applied.files, applied.syntax, obsolete, applied.changes))

    def conclude(self, applied, c) -> str | None:
        """The verifier's verdict on a patch: None when accepted, else what to tell the model."""
        self.apply_failures = 0
        self.out.patch = applied.patch
        if c.repro is not None:
            self.out.repro["after_exit"] = c.repro.exit_code
        self.out.final = c.tests
        self.out.checks.append({"attempt": self.out.attempts, **c.record,
                                **({"excused": c.verdict.excused} if c.verdict and c.verdict.excused else {})})
        if c.status is not None:
            self.out.status, self.out.message = c.status, c.message
            return None
        after, verdict, repro = c.tests, c.verdict, c.repro
        return render("feedback_tests", syntax="\n".join(applied.syntax), patch=applied.patch,
                      repro=repro.output[-TAIL:] if repro else "", repro_code=repro.exit_code if repro else 0,
                      tests=(f"dsfix: {after.problem}\n" if after and after.problem else "") +
                      (after.tail[-TAIL:] if after and not (verdict and verdict.tests_ok) else ""),
                      tests_code=after.exit_code if after else 0, test_cmd=after.command if after else "",
                      regressions=verdict.regressions if verdict else [])
