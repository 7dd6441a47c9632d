"""dsfix's own cost of each strategy (issue #13): the same real fix, made three ways, on real
repositories (bench/user_repos_cases.py), with a scripted model playing a good one (replayed
answers, not a real model), so the time measured is dsfix's:

  pipeline -- the baseline: the reproduction, then the upstream fix as a diff (the replay of
              bench/user_repos.py);
  fenced   -- agent mode by fenced commands: write the reproduction, `apply_diff <<'EOF'` the fix,
              run it, `submit`;
  tools    -- agent mode by tool calls, the same steps as calls to `bash`, `apply_diff`, `submit`
              (a scripted model served over HTTP on loopback: tests/chatfake.py).

Every mode must end `verified` with no container left. Prints per case and mode: status, model
steps, seconds in all, in the repository's test runs, and the rest (dsfix's own: what a strategy
adds), container starts, and the characters dsfix sent the model (tools: the request bodies, the
tool schemas included; the others: the conversation, request by request).

    python bench/agent_modes.py --repos pallets/click,jd/tenacity,python-humanize/humanize
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from chatfake import ScriptedChatServer, call, said  # noqa: E402
from user_repos import CASES, checkout, dsfix, left_behind, real_fix, replay  # noqa: E402

MODES = ("pipeline", "fenced", "tools")
REPRO_CMD = "mkdir -p .dsfix && cat > .dsfix/repro.py <<'PYEOF'\n{repro}PYEOF\npython .dsfix/repro.py; echo exit $?"


def steps(case, diff: str) -> list[tuple[str, str]]:
    """The agent's steps, as (tool, argument) pairs: reproduce, edit, check, submit."""
    return [("bash", REPRO_CMD.format(repro=case.repro)), ("apply_diff", diff),
            ("bash", "python .dsfix/repro.py && echo fixed"), ("submit", "")]


def fenced_answers(case, diff: str) -> list[str]:
    out = []
    for tool, arg in steps(case, diff):
        cmd = f"apply_diff <<'EOF'\n{arg}EOF" if tool == "apply_diff" else arg or "submit"
        out.append(f"Next:\n```bash\n{cmd}\n```")
    return out


def tool_script(case, diff: str) -> list[dict]:
    key = {"bash": "command", "apply_diff": "diff"}
    return [said(None, [call(tool, {key[tool]: arg} if tool in key else {})]) for tool, arg in steps(case, diff)]


def sent_chars(out: Path) -> int:
    """Characters of the conversation dsfix kept (what it sent the model, request after request)."""
    msgs, total = [], 0
    for line in (out / "trajectory.jsonl").read_text().splitlines():
        e = json.loads(line)
        if e["type"] == "message" and e.get("phase") not in ("sample",):
            if e["role"] == "assistant":
                total += sum(len(json.dumps(m)) for m in msgs)   # the request that got this answer
            msgs.append({k: e.get(k) for k in ("role", "content", "tool_calls", "tool_call_id") if e.get(k)})
    return total


def run_mode(mode: str, repo: Path, case, work: Path, args) -> dict:
    diff, out, pids = real_fix(repo, case), work / f"out-{mode}", []
    flags = ["--issue", case.issue, "--out", str(out)]
    env = {"DSFIX_ENV__EXEC_TIMEOUT": str(args.exec_timeout), "DSFIX_LOCALIZE__NARROW": "false"}
    server = None
    if mode == "pipeline":
        flags += ["--model", replay(work / "pipeline.json", case, diff, "error")]
    elif mode == "fenced":
        (work / "fenced.json").write_text(json.dumps({"responses": fenced_answers(case, diff)}))
        flags += ["--model", f"scripted/{work / 'fenced.json'}", "--agent", "bash"]
    else:
        server = ScriptedChatServer(tool_script(case, diff)).__enter__()
        flags += ["--model", "openai/scripted-tools", "--api-base", server.api_base, "--agent", "bash"]
        env.update({"DSFIX_MODEL__TOOL_CALLS": "true", "OPENAI_API_KEY": "sk-bench-not-a-key-0000"})
    try:
        r, secs = dsfix("fix", str(repo), *flags, env=env, pids=pids)
    finally:
        if server:
            server.__exit__(None, None, None)
    rep = json.loads((out / "report.json").read_text()) if (out / "report.json").is_file() else {}
    ph = rep.get("phases") or {}
    chars = sum(len(json.dumps(q)) for q in server.requests) if server else (sent_chars(out) if rep else 0)
    return {"status": rep.get("status") or f"rc {r.returncode}", "steps": rep.get("steps"), "seconds": secs,
            "image": ph.get("image"), "container": ph.get("container"), "baseline": ph.get("baseline"), "verdict": ph.get("verdict"),
            "tests": ph.get("tests"), "sent_chars": chars, "leaked": left_behind(args.client, pids),
            "why": "" if rep.get("status") == "verified" else (rep.get("message") or r.stderr[-300:])}


def own_seconds(r: dict) -> float | None:
    """The run's seconds outside the repository's own test runs (baseline, verdict, the related
    tests and reproductions): dsfix's bookkeeping, container starts, the model's commands. On a
    loaded machine the same suite's time varies twofold; this part is what a strategy adds. The
    image is built before the first mode runs; any image time left is taken out too."""
    parts = [r["baseline"], r["verdict"], r["tests"], r.get("image") or 0.0]
    return None if None in parts else round(r["seconds"] - sum(parts), 1)


def table(rows: list[dict]) -> Table:
    t = Table(title="dsfix's own cost per strategy (scripted model; the same real fix)")
    for col in ("repo", "mode", "status", "steps", "total s", "tests s", "dsfix's own s", "containers s",
                "chars sent", "left"):
        t.add_column(col, justify="left" if col in ("repo", "mode", "status") else "right")
    for r in rows:
        f = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        tests = None if own_seconds(r) is None else r["baseline"] + r["verdict"] + r["tests"]
        t.add_row(r["repo"], r["mode"], r["status"], str(r["steps"]), f(r["seconds"]), f(tests),
                  f(own_seconds(r)), f(r["container"]), str(r["sent_chars"]), str(r["leaked"]))
    return t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", default="pallets/click,jd/tenacity,python-humanize/humanize")
    ap.add_argument("--exec-timeout", type=int, default=900)
    ap.add_argument("--out", default="/tmp/dsfix-bench-agent-modes", help="where agent_modes.json goes")
    ap.add_argument("--table", metavar="JSON", help="only print the table of an earlier run's agent_modes.json")
    args = ap.parse_args()
    if args.table:
        Console(width=200).print(table(json.loads(Path(args.table).read_text())))
        return 0
    from dsfix.envs.docker_env import docker_client
    args.client = docker_client(timeout=600)
    want = [r.strip() for r in args.repos.split(",") if r.strip()]
    cases = [c for c in CASES if c.repo in want]
    if len(cases) != len(want):
        raise SystemExit(f"no such case among {', '.join(want)}")
    console, rows = Console(width=200), []
    Path(args.out).mkdir(parents=True, exist_ok=True)
    for case in cases:
        work = Path(tempfile.mkdtemp(prefix="dsfix-bench-am-", dir="/tmp"))
        try:
            repo = checkout(case, work / case.repo.split("/")[1], case.yaml)
            r, secs = dsfix("env", "build", str(repo))   # every mode then meets the cached image
            console.print(f"{case.repo}: env build {secs:.1f}s: {r.stdout.strip() or r.stderr.strip()[-300:]}")
            for mode in MODES:
                rows.append({"repo": case.repo, "mode": mode, **run_mode(mode, repo, case, work, args)})
                console.print(f"{case.repo} {mode}: {rows[-1]}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        (Path(args.out) / "agent_modes.json").write_text(json.dumps(rows, indent=2))
    console.print(table(rows))
    bad = [r for r in rows if r["status"] != "verified" or r["leaked"]]
    for r in bad:
        console.print(f"[red]target missed[/] {r['repo']} {r['mode']}: {r['status']} {r['why']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
