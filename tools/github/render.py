"""Text dsfix writes to GitHub (PR body, issue comment) and the issue text it gives the model."""
from __future__ import annotations

import re

from .api import IssueRef

COMMENT_MARKER = "<!-- dsfix:status -->"
MAX_BODY = 60000          # GitHub refuses bodies over 65536 characters
MAX_ISSUE_BODY = 20000
MAX_COMMENT = 4000
MAX_COMMENTS_TEXT = 30000


def pr_marker(ref: IssueRef) -> str:
    return f"<!-- dsfix:pr {ref} -->"


def trailer(ref: IssueRef) -> str:
    return f"dsfix-issue: {ref}"


def issue_text(issue: dict, comments: list[dict], ref: IssueRef) -> str:
    """The issue as the model reads it: title, labels, body, then the discussion (dsfix's own comments left out).

    Untrusted text: it only ever travels as a Python string (never through a shell)."""
    parts = [f"# {issue.get('title') or ''}".rstrip(), f"(GitHub issue {ref})"]
    labels = [lb.get("name", "") if isinstance(lb, dict) else str(lb) for lb in issue.get("labels") or []]
    labels = [lb for lb in labels if lb and lb != "dsfix"]
    if labels:
        parts.append("Labels: " + ", ".join(labels))
    body = (issue.get("body") or "").strip()
    parts.append(_clip(body, MAX_ISSUE_BODY) if body else "(no description)")
    discussion, used = [], 0
    for c in comments:
        text = (c.get("body") or "").strip()
        if not text or COMMENT_MARKER in text or re.fullmatch(r"/dsfix\s*", text):
            continue
        entry = f"Comment by @{(c.get('user') or {}).get('login', '?')}:\n{_clip(text, MAX_COMMENT)}"
        if used + len(entry) > MAX_COMMENTS_TEXT:
            discussion.append("(later comments left out)")
            break
        discussion.append(entry)
        used += len(entry)
    if discussion:
        parts.append("## Discussion\n\n" + "\n\n".join(discussion))
    return "\n\n".join(parts).strip() + "\n"


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[:n] + "\n[... cut ...]"


def fence(text: str, lang: str = "") -> str:
    """A code fence longer than any backtick run inside, so the text cannot break out of it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    f = "`" * max(3, longest + 1)
    return f"{f}{lang}\n{text.rstrip()}\n{f}"


def files_changed(patch: str) -> list[tuple[str, int, int]]:
    """(path, lines added, lines removed) per file of a git diff."""
    out: list[list] = []
    for line in patch.splitlines():
        m = re.match(r"^diff --git a/(.+?) b/(.+)$", line)
        if m:
            out.append([m.group(2), 0, 0])
        elif out and line.startswith("+") and not line.startswith("+++ "):
            out[-1][1] += 1
        elif out and line.startswith("-") and not line.startswith("--- "):
            out[-1][2] += 1
    return [tuple(x) for x in out]


def cost_text(report: dict) -> str:
    tok = report.get("tokens") or {}
    tokens = f"{tok.get('prompt', 0)} prompt + {tok.get('completion', 0)} completion tokens"
    if report.get("cost_known") and report.get("cost_usd") is not None:
        return f"${report['cost_usd']:.4f} ({tokens})"
    return f"unknown (no price known for model `{report.get('model', '?')}`; {tokens})"


def _counts(run: dict | None) -> str:
    if not run:
        return "not run"
    counts = run.get("counts") or {}
    if counts:
        return ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    return f"exit code {run.get('exit_code')}"


def tests_lines(report: dict) -> list[str]:
    t = report.get("tests") or {}
    if not t.get("command"):
        return ["- Tests: no test command was found (set `test_cmd` in `dsfix.yaml`)."]
    lines = [f"- Test command: `{t['command']}` ({t.get('source', '?')})",
             f"- Before the patch: {_counts(t.get('before'))}",
             f"- After the patch: {_counts(t.get('after'))}"]
    before = (t.get("before") or {}).get("statuses") or {}
    after = (t.get("after") or {}).get("statuses") or {}
    fixed = sorted(k for k, v in after.items() if v == "PASSED" and before.get(k) not in ("PASSED", None))
    if fixed:
        shown = ", ".join(f"`{x}`" for x in fixed[:10]) + (f" and {len(fixed) - 10} more" if len(fixed) > 10 else "")
        lines.append(f"- Now passing: {shown}")
    rep = report.get("reproduction")
    if rep:
        lines.append(f"- Reproduction script: exit {rep.get('before_exit')} before, "
                     f"{rep.get('after_exit', 'not run')} after")
    return lines


def pr_body(ref: IssueRef, report: dict, patch: str, trajectory: str) -> str:
    files = files_changed(patch)
    lines = [pr_marker(ref), f"Closes #{ref.number}.", "",
             f"dsfix wrote this patch and verified it by running the repository's tests {_where(report)}. "
             "Please review it like any other contribution.", "",
             "### What changed", *([f"- `{p}` (+{a} −{r})" for p, a, r in files] or ["- (no files)"]), "",
             "### Why it is believed correct", f"{report.get('message') or report.get('status')}", "",
             *tests_lines(report), "",
             "### Run",
             f"- Model: `{report.get('model', '?')}`; {report.get('steps', '?')} model calls, "
             f"{report.get('attempts', '?')} edit attempts",
             f"- Cost: {cost_text(report)}",
             f"- Trajectory (every prompt, answer and command): {trajectory}", ""]
    body = "\n".join(lines)
    room = MAX_BODY - len(body) - 200
    shown = patch if len(patch) <= room else patch[:max(room, 0)] + "\n... (cut; see the branch)\n"
    return body + "\n<details><summary>The patch</summary>\n\n" + fence(shown, "diff") + "\n\n</details>\n"


def _where(report: dict) -> str:
    env = report.get("environment") or {}
    if env.get("kind") == "local":
        return "in a temporary copy on the host (local environment, not isolated)"
    image = f" (`{env['image']}`)" if env.get("image") else ""
    return f"in a Docker container{image} with {'network access' if env.get('network') else 'no network'}"


def failure_comment(ref: IssueRef, report: dict, trajectory: str, branch: str) -> str:
    status = report.get("status", "?")
    lines = [COMMENT_MARKER, f"**dsfix could not produce a verified fix** (status `{status}`).", "",
             f"{report.get('message') or 'no message'}", "",
             "### What was tried",
             f"- {report.get('steps', 0)} model calls with `{report.get('model', '?')}`, "
             f"{report.get('attempts', 0)} edit attempts",
             *tests_lines(report),
             f"- Cost: {cost_text(report)}",
             f"- Trajectory (every prompt, answer and command): {trajectory}", "",
             _advice(status, report), "",
             "No branch was pushed and no pull request was opened. To try again, remove and re-add the "
             "`dsfix` label or comment `/dsfix`; this comment is updated in place."]
    return "\n".join(lines)


def error_comment(ref: IssueRef, error: str, trajectory: str) -> str:
    return "\n".join([COMMENT_MARKER, "**dsfix could not run** on this issue.", "", fence(error), "",
                      f"Logs: {trajectory}", "",
                      "No branch was pushed and no pull request was opened. Fix the cause above, then re-add the "
                      "`dsfix` label or comment `/dsfix`; this comment is updated in place."])


def success_comment(ref: IssueRef, pr_url: str | None, report: dict) -> str:
    return "\n".join([COMMENT_MARKER, f"**dsfix opened a verified fix**: {pr_url}", "",
                      f"{report.get('message') or ''}", f"Cost: {cost_text(report)}"])


def _advice(status: str, report: dict) -> str:
    return {
        "unverified": "The tests passed, but nothing failed before the patch, so nothing proved the fix. A failing "
                      "test or exact reproduction steps in the issue help.",
        "limit_steps": "The run reached its step limit (`limits.max_steps`).",
        "limit_cost": "The run reached its cost limit (`limits.max_cost`).",
        "model_error": "The model could not be reached or refused the request: check the model key secret.",
        "format_error": "The model's answers could not be read as code or a diff.",
        "env_error": "The test environment failed: check Docker on the runner and the test command.",
    }.get(status, "More detail in the issue (expected vs. actual behaviour, a failing test) usually helps.")
