"""Agent mode (``--agent bash``): the model acts in the container, one shell command per step
(a tool call where the model takes tools, agent.tool_calls; else a fenced block), seeded with
dsfix's localization, and submits. dsfix computes the patch on the host from the
files the model changed, and the verifier judges it in a fresh container, exactly as it judges
the pipeline's: nothing the model ran while acting can change the verdict or the patch.
"""
from __future__ import annotations

from dsfix.envs.base import SCRATCH
from dsfix.envs.workspace import WorkspaceError
from dsfix.prompts import render
from dsfix.tools.commands import APPLY, SUBMIT, diff_payload, kind

from .blocks import obsolete_tests
from .edit import Applied
from .loop import Agent, Outcome
from .verifier import REPRO_PATH

HEAD, TAIL = 2000, 3000    # characters of an observation shown: its start and its end
MAX_FILE = 2_000_000       # a changed file larger than this is not taken into the patch


class BashAgent(Agent):
    def __init__(self, model, env, traj, cfg, ws, plan, fresh_env, tool_calls: bool = False):
        """``fresh_env()``: a new environment like ``env``, for each verdict. ``tool_calls``: the
        model acts by tool calls (agent.tool_calls), else by one fenced ```bash block per answer."""
        super().__init__(model, env, traj, cfg, ws, plan, fresh_env)
        self.fresh_env = fresh_env
        self.tool_calls = tool_calls
        self.answer = ""   # the answer that held the latest command: it may name obsolete tests

    def run(self, task: str) -> Outcome:
        self.traj.add_message("system", render("system_tools" if self.tool_calls else "system"))
        self.baseline()
        self.task = task
        plan = self.verifier.plan
        prompt = render("agent_tools" if self.tool_calls else "agent_bash", task=task,
                        test_cmd=plan.shown() if plan.command else None, steps=self.cfg.limits.max_steps)
        # the step, cost and stop-file limits end either (LimitReached)
        return self._by_tools(prompt) if self.tool_calls else self._by_blocks(prompt)

    def _by_blocks(self, prompt: str) -> Outcome:
        while True:
            command = self.ask(prompt, "bash", "act")
            self.answer = self.traj.messages[-1]["content"]
            what = kind(command)
            prompt = self.act(what, diff_payload(command) if what == APPLY else command)
            if prompt is None:
                return self.out

    def _by_tools(self, prompt: str) -> Outcome:
        from .tool_calls import ToolTurns
        turns = ToolTurns(self)
        self.traj.add_message("user", prompt, phase="act")
        while True:
            for call in turns.next():
                self.answer = turns.answer_text
                told = self._note(call.error) if call.error else self.act(call.kind, call.payload)
                if told is None:
                    return self.out
                turns.reply(call, told)

    def act(self, what: str, payload: str | None) -> str | None:
        """One command (tools.commands): what the model is told, or None when the run is over."""
        if what == SUBMIT:
            self.out.attempts += 1
            told = self._submit()
            if told is not None and self.out.attempts >= self.cfg.limits.max_attempts:
                self.out.message = f"no verified patch after {self.out.attempts} submissions"
                return None
            return told
        if what == APPLY:
            return self._apply_in_place(payload)
        return self._observe(self.run_cmd(payload, "act"))

    def _observe(self, r, note: str = "") -> str:
        out = r.output if r else ""
        if len(out) > HEAD + TAIL:   # the start says what ran, the end how it ended
            out = f"{out[:HEAD]}\n... ({len(out) - HEAD - TAIL} characters left out) ...\n{out[-TAIL:]}"
        left = max(0, self.cfg.limits.max_steps - self.model.totals.calls)
        return render("agent_observation", note=note, exit_code=r.exit_code if r else 0,
                      timed_out=bool(r and r.timed_out), output=out, left=left)

    # -- dsfix's own commands ------------------------------------------------------------
    def _apply_in_place(self, diff: str | None) -> str:
        """apply_diff: the model's diff on the container's current files, through dsfix's applier.
        None: a here-document dsfix could not read."""
        from dsfix.tools.diff import PatchError, apply_diff
        if diff is None:
            return self._note(f"{APPLY} takes the diff in a here-document: {APPLY} <<'EOF' ... EOF")

        def read(path: str) -> str | None:
            self._check(path)
            return self.env.read_file(path)
        try:
            result = apply_diff(diff, read)
            for path in result.changes:
                self._check(path)
        except (PatchError, ValueError, WorkspaceError) as e:
            return self._note(f"refused: {e}")
        if not result.ok:
            return self._note(result.feedback())
        for path, text in result.changes.items():
            self.env.write_file(path, text)
        self.traj.event("action", kind="apply_diff", files=sorted(result.changes), notes=result.notes)
        return self._note(f"applied to {', '.join(sorted(result.changes))}" +
                          (f" ({'; '.join(result.notes)})" if result.notes else ""), ok=True)

    def _check(self, path: str) -> None:
        self.ws.check_path(path)
        if path == SCRATCH or path.startswith(SCRATCH + "/"):
            raise ValueError(f"{path} is dsfix's scratch space, not part of the repository")

    def _note(self, text: str, ok: bool = False) -> str:
        from dsfix.envs.base import ExecResult
        return self._observe(ExecResult(0 if ok else 1, "", 0.0), note=text)

    def check(self, applied) -> str | None:
        """As the pipeline's, with the tests named obsolete in the answer that submitted."""
        obsolete = obsolete_tests(self.answer or "")
        if obsolete:
            self.traj.event("obsolete_named", tests=obsolete)
        return self.conclude(applied, self.verifier.check(applied.files, applied.syntax, obsolete))

    def _submit(self) -> str | None:
        """The patch of what the model changed, judged in a fresh container. None when accepted."""
        from dsfix.envs.finalpatch import UnsafePatch, canonical_patch
        from dsfix.tools.diff import syntax_errors
        changes = self._changes()
        try:
            patch = canonical_patch(self.ws.snapshot(), changes)
        except UnsafePatch as e:
            return self._note(f"your changes cannot become a patch: {e}")
        if not patch:
            return self._note("nothing is changed yet: edit the files, then submit")
        if leaked := self.traj.redact.secret_in(patch):
            return self._note(f"the patch was refused: it contains the value of {leaked}")
        self.traj.event("action", kind="submit", files=sorted(changes))
        script = self.env.read_file(REPRO_PATH)
        self._fresh(changes, script)
        syntax = [e for p, t in changes.items() if t is not None for e in syntax_errors(p, t)]
        applied = Applied(True, patch, syntax=syntax, files=sorted(changes), changes=changes)
        feedback = self.check(applied)
        return None if feedback is None else (
            feedback.rsplit("Write a corrected fix", 1)[0] +
            "You are now in a fresh copy of the repository that holds your patch: go on from there and submit again.\n")

    def _changes(self) -> dict[str, str | None]:
        """Path -> new text (None: deleted) of the files the model changed. The container's git
        only says where to look; every path is checked and every text read and diffed on the host."""
        r = self.env.execute("git status --porcelain -z --untracked-files=all")
        fields = [f for f in r.output.split("\0") if f]
        paths, i = [], 0
        while i < len(fields):
            entry = fields[i]
            paths.append(entry[3:])
            i += 2 if entry[:1] in "RC" else 1   # a rename's source follows it
        out: dict[str, str | None] = {}
        for path in dict.fromkeys(paths):
            try:
                self._check(path)
            except (ValueError, WorkspaceError):
                continue
            text = self.env.read_file(path)
            if (text is None and self.ws.snapshot().entry(path) is None) or len(text or "") > MAX_FILE:
                continue
            out[path] = text
        return out

    def _fresh(self, changes: dict[str, str | None], script: str | None) -> None:
        """A new environment holding exactly the patch: the one the model acted in is closed. The
        model's reproduction (.dsfix/repro.py), if it left one, is tried on the original code first."""
        old, self.env = self.env, self.fresh_env()
        self.env.timings = old.timings
        old.close()
        self.verifier.env = self.env
        if script and script != self.out.repro.get("script"):
            r = self.verifier.try_repro(script, self.task)
            self.out.repro = {"script": script, "before_exit": r.exit_code} if r.accepted else {}
            if not r.accepted:
                self.verifier.drop_repro()
                self.traj.event("repro_refused", reason=f"{r.own} of the script's own making" if r.own
                                else f"it does not fail on the original code (exit {r.exit_code})")
        elif script:
            self.env.write_file(REPRO_PATH, script)
        for path, text in changes.items():
            self.env.write_file(path, text)
