"""Several candidate patches per attempt, chosen by evidence (``samples`` > 1).

Small and open models gain most from sampling several patches and choosing with tests (Agentless,
OpenHands' critic). Every candidate answers the same prompt: the conversation so far plus one
request, so the shared prefix is identical and a provider's prompt cache serves it (the cache-hit
tokens are counted per candidate). Candidates with the same canonical diff are one candidate with
more votes; each distinct one is judged by the verifier. The choice, in order: accepted by the
verifier (verified before unverified), the reproduction passes, fewer regressions, more tests
that failed before now pass, it changes code (not only comments or blank lines: such a patch
cannot fix anything, yet is the smallest of all), more votes, the smaller patch, the earlier sample.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .blocks import obsolete_tests
from .status import Status


@dataclass
class Candidate:
    index: int
    text: str | None               # the answer's edit block (None: it held none)
    raw: str = ""                  # the whole answer, for the conversation when it wins
    applied: object = None         # agent.edit.Applied
    check: object = None           # agent.verifier.Check, for a distinct patch that applied
    votes: int = 1
    same_as: int | None = None     # the candidate whose patch this one repeats
    prompt_tokens: int = 0
    cache_hit: int = 0
    why: str = ""                  # why it won or lost

    def key(self) -> tuple:
        c = self.check
        status = {Status.VERIFIED: 2, Status.UNVERIFIED: 1}.get(c.status, 0)
        repro = c.repro is None or c.repro.exit_code == 0
        regressions = len(c.verdict.regressions) if c.verdict else 0
        fixed = len(c.verdict.fixed) if c.verdict else 0
        size = sum(1 for line in self.applied.patch.splitlines()
                   if line[:1] in "+-" and not line.startswith(("+++", "---")))
        return (status, repro, -regressions, fixed, changes_code(self.applied.patch), self.votes, -size,
                -self.index)

    def summary(self) -> dict:
        c = self.check
        return {"index": self.index, "votes": self.votes, "same_as": self.same_as,
                "applied": bool(self.applied and self.applied.ok),
                "status": c.status if c else None,
                "repro_passes": (c.repro is None or c.repro.exit_code == 0) if c else None,
                "regressions": c.verdict.regressions if c and c.verdict else [],
                "fixed": c.verdict.fixed if c and c.verdict else [],
                "prompt_tokens": self.prompt_tokens, "cache_hit": self.cache_hit, "why": self.why}


_HASH = (".py", ".pyi", ".rb", ".sh", ".pl", ".r", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".txt")
_SLASH = (".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".go", ".java", ".js", ".jsx", ".ts", ".tsx", ".kt",
          ".rs", ".scala", ".swift", ".php")


def _comment(path: str, line: str) -> bool:
    """A blank or comment line, by the file's language (a file of unknown kind: never a comment)."""
    s = line.strip()
    low = path.lower()
    if not s:
        return True
    if low.endswith(_HASH):
        return s.startswith("#")
    if low.endswith(_SLASH):
        return s.startswith(("//", "/*", "*"))   # a line of a /* */ block usually starts with *
    return False


def changes_code(patch: str) -> bool:
    """Whether the patch changes anything but comments and blank lines."""
    path, in_hunk = "", False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            in_hunk = False
        elif line.startswith("@@"):
            in_hunk = True
        elif not in_hunk and line.startswith(("+++ ", "--- ")):
            m = re.match(r"[+-]{3} (?:[ab]/)?(\S+)", line)
            path = m.group(1) if m and m.group(1) != "/dev/null" else path
        elif in_hunk and line[:1] in "+-" and not _comment(path, line[1:]):
            return True
    return False


def normalized(patch: str) -> str:
    """Patches that differ only in trailing whitespace or hunk line numbers are the same change."""
    return "\n".join(line.rstrip() for line in patch.splitlines() if not line.startswith("@@"))


def choose(cands: list[Candidate]) -> Candidate | None:
    """The best judged candidate (accepted or not: an unaccepted best is what the model hears
    about next), with every candidate's reason recorded in ``why``."""
    judged = [c for c in cands if c.check is not None]
    for c in cands:
        if c.applied is None or not c.applied.ok:
            c.why = "did not apply: " + (c.applied.feedback[:200] if c.applied else "no edit")
        elif c.same_as is not None:
            c.why = f"the same patch as candidate {c.same_as} (a vote for it)"
    if not judged:
        return None
    best = max(judged, key=Candidate.key)
    for c in judged:
        c.why = _why(c, best)
    return best


def _why(c: Candidate, best: Candidate) -> str:
    verdict = c.check.status or "not accepted"
    if c is best:
        return f"chosen: {verdict}, {c.votes} vote(s), best evidence of {_evidence(c)}"
    return f"lost to candidate {best.index}: {verdict}; {_evidence(c)}"


def _evidence(c: Candidate) -> str:
    status, repro, neg_reg, fixed, code, votes, neg_size, _ = c.key()
    return (f"reproduction {'passes' if repro else 'fails'}, {-neg_reg} regression(s), "
            f"{fixed} test(s) fixed, {-neg_size} changed line(s)" + ("" if code else ", comments only"))


def attempt_candidates(agent, first: str, lang: str) -> str | None:
    """One attempt with ``agent.cfg.samples`` candidates: the answer already in the conversation
    (``first``) and the rest sampled from the same prompt; each distinct patch judged by the
    verifier; the best by evidence concluded as a single attempt's patch would be."""
    prefix = agent.traj.messages[:-1]        # the request the first answer replied to
    step = agent.out.steps[-1]
    cands = [Candidate(0, first, agent.traj.messages[-1]["content"], prompt_tokens=step["prompt_tokens"])]
    for i in range(1, agent.cfg.samples):
        reply, text = agent.sample(prefix, lang, i)
        cands.append(Candidate(i, text, reply.content, prompt_tokens=reply.usage.prompt,
                               cache_hit=reply.usage.cache_hit))
    seen: dict[str, Candidate] = {}
    for c in cands:
        if c.text is None:
            continue
        c.applied = agent.apply(c.text)
        if not c.applied.ok:
            continue
        if (twin := seen.get(normalized(c.applied.patch))) is not None:
            twin.votes, c.same_as = twin.votes + 1, twin.index
            continue
        seen[normalized(c.applied.patch)] = c
        c.check = agent.verifier.check(c.applied.files, c.applied.syntax, obsolete_tests(c.raw), c.applied.changes)
    best = choose(cands)
    record = {"attempt": agent.out.attempts, "chosen": best.index if best else None,
              "candidates": [c.summary() for c in cands]}
    agent.traj.event("candidates", **record)
    agent.out.candidates.append(record)
    if best is None:
        failed = next((c.applied for c in cands if c.applied is not None), None)
        return agent._apply_feedback(lang, failed.feedback if failed else "no candidate held an edit")
    agent.traj.messages[-1]["content"] = agent.traj.redact.text(best.raw)   # the conversation goes on from it
    return agent.conclude(best.applied, best.check)
