"""Agent mode (``--agent bash``): the model acts in the container, one shell command per step,
seeded with dsfix's localization, and submits. dsfix computes the patch on the host from the
files the model changed, and the verifier judges it in a fresh container, exactly as it judges
the pipeline's: nothing the model ran while acting can change the verdict or the patch.
"""
from __future__ import annotations

from dsfix.envs.base import SCRATCH
from dsfix.envs.workspace import WorkspaceError
from dsfix.prompts import render
from dsfix.tools.commands import APPLY, SUBMIT, diff_payload, kind

from .edit import Applied
from .loop import Agent, Outcome
from .verifier import REPRO_PATH

HEAD, TAIL = 2000, 3000    # characters of an observation shown: its start and its end
MAX_FILE = 2_000_000       # a changed file larger than this is not taken into the patch


class BashAgent(Agent):
    def __init__(self, model, env, traj, cfg, ws, plan, fresh_env):
        """``fresh_env()``: a new environment like ``env``, for each verdict."""
        super().__init__(model, env, traj, cfg, ws, plan, fresh_env)
        self.fresh_env = fresh_env

    def run(self, task: str) -> Outcome:
        self.traj.add_message("system", render("system"))
        self.baseline()
        self.task = task
        plan = self.verifier.plan
        prompt = render("agent_bash", task=task, test_cmd=plan.shown() if plan.command else None,
                        steps=self.cfg.limits.max_steps)
        while True:   # the step, cost and stop-file limits end it (LimitReached)
            command = self.ask(prompt, "bash", "act")
            what = kind(command)
            if what == SUBMIT:
                self.out.attempts += 1
                prompt = self._submit()
                if prompt is None:
                    return self.out
                if self.out.attempts >= self.cfg.limits.max_attempts:
                    self.out.message = f"no verified patch after {self.out.attempts} submissions"
                    return self.out
            elif what == APPLY:
                prompt = self._apply_in_place(command)
            else:
                prompt = self._observe(self.run_cmd(command, "act"))

    def _observe(self, r, note: str = "") -> str:
        out = r.output if r else ""
        if len(out) > HEAD + TAIL:   # the start says what ran, the end how it ended
            out = f"{out[:HEAD]}\n... ({len(out) - HEAD - TAIL} characters left out) ...\n{out[-TAIL:]}"
        left = max(0, self.cfg.limits.max_steps - self.model.totals.calls)
        return render("agent_observation", note=note, exit_code=r.exit_code if r else 0,
                      timed_out=bool(r and r.timed_out), output=out, left=left)

    # -- dsfix's own commands ------------------------------------------------------------
    def _apply_in_place(self, command: str) -> str:
        """apply_diff: the model's diff on the container's current files, through dsfix's applier."""
        from dsfix.tools.diff import PatchError, apply_diff
        diff = diff_payload(command)
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
