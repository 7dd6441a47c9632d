"""Agent mode by tool calls, end to end: dsfix drives a scripted model served over HTTP on loopback
(tests.chatfake: replayed responses in OpenAI's chat-completions protocol, not a real model)
through litellm, in a real container -- commands, an edit through dsfix's applier, malformed
calls told back, submit, and a verdict from a fresh container; DeepSeek's thinking-mode rule for
reasoning_content; the step limit stopping a looping agent."""
from __future__ import annotations

import json

from chatfake import ScriptedChatServer, call, said
from clirun import dsfix, report
from conftest import commit_files
from test_fast_attempts import FILES

DIFF = ("--- a/calc/core.py\n+++ b/calc/core.py\n@@ -1,2 +1,2 @@\n def mean(xs):\n"
        "-    return sum(xs) / (len(xs) - 1)\n+    return sum(xs) / len(xs)\n")
REPRO = ("mkdir -p .dsfix && printf 'from calc.core import mean\\nassert mean([1, 2, 3]) == 2\\n' > .dsfix/repro.py"
         " && PYTHONPATH=. python3 .dsfix/repro.py")
KEY = "sk-canary-0123456789abcdef"
ISSUE = "mean() divides by one less than the number of values"


def _config(tmp_path, server, name="openai/scripted-tools", env: str = "", **model) -> str:
    """A trusted --config reaching the scripted model's server (no narrowing calls: the replay
    starts at the loop's first step)."""
    lines = [f"  {k}: {json.dumps(v)}" for k, v in {"name": name, "api_base": server.api_base, "retries": 0,
                                                   **model}.items()]
    path = tmp_path / "dsfix-config.yaml"
    path.write_text("model:\n" + "\n".join(lines) + "\nlocalize:\n  narrow: false\n" +
                    (f"env:\n  {env}\n" if env else ""))
    return str(path)


def _fix(tmp_path, server, *flags, **model):
    repo = commit_files(tmp_path / "calc", FILES)
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", ISSUE, "--config", _config(tmp_path, server, **model),
              "--out", str(out), *flags, env={"OPENAI_API_KEY": KEY, "DEEPSEEK_API_KEY": KEY})
    return r, out


def _events(out) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]


def _tool_results(out) -> list[str]:
    return [e["content"] for e in _events(out) if e["type"] == "message" and e["role"] == "tool"]


def test_tool_calls_act_edit_through_the_applier_submit_and_are_verified(docker_client, tmp_path):
    script = [
        said("Let me look.", [call("bash", {"command": "cat calc/core.py"})]),
        said(None, [call("bash", {"command": REPRO})]),
        # two malformed calls and a good one in one answer: each gets its own answer, none a crash
        said(None, [call("bash", '{"command": "ls"'), call("edit_file", {"path": "calc/core.py"}),
                    call("apply_diff", {"diff": DIFF})]),
        said(None, [call("bash", {"command": "PYTHONPATH=. python3 .dsfix/repro.py && echo fixed"})]),
        said("Done.", [call("submit", {})]),
    ]
    with ScriptedChatServer(script) as server:
        r, out = _fix(tmp_path, server, "--agent", "bash", tool_calls=True)
    assert r.returncode == 0, r.stderr + r.stdout
    assert server.refused == []                  # every call answered by its id, as the protocol requires
    rep = report(out)
    assert rep["status"] == "verified" and rep["attempts"] == 1 and rep["steps"] == 5
    assert rep["strategy"]["agent"] == "bash" and rep["strategy"]["tool_calls"] is True
    assert "agent mode, by tool calls" in r.stdout      # the summary says how it ran
    assert rep["reproduction"] == {"before_exit": 1, "after_exit": 0}
    assert all([t["function"]["name"] for t in q["tools"]] == ["bash", "apply_diff", "submit"]
               for q in server.requests)
    told = _tool_results(out)
    assert "return sum(xs) / (len(xs) - 1)" in told[0]
    assert "not valid JSON" in told[2] and "no tool named 'edit_file'" in told[3]
    assert "applied to calc/core.py" in told[4] and "fixed" in told[5]
    last = server.requests[-1]["messages"]
    assert [m["role"] for m in last[:2]] == ["system", "user"] and last[-1]["role"] == "tool"
    assert (out / "patch.diff").read_text().count("+    return sum(xs) / len(xs)") == 1


def test_deepseek_thinking_mode_gets_its_reasoning_back_and_secrets_stay_out(docker_client, tmp_path):
    """--agent auto on deepseek-v4-flash (which litellm's map says takes tools): agent mode by tool
    calls. The server refuses, as DeepSeek does, a request that drops the reasoning_content of a
    turn with tool calls; a command that prints the API key reaches the model redacted."""
    script = [
        said(None, [call("bash", {"command": f"echo key={KEY}"})], reasoning="first I check the key"),
        said("The divisor looks wrong.", reasoning="no tool this time"),   # told to call one
        said(None, [call("apply_diff", {"diff": DIFF})], reasoning="the divisor is wrong"),
        said(None, [call("submit", {})], reasoning="the tests will tell"),
    ]
    with ScriptedChatServer(script, deepseek_rules=True) as server:
        r, out = _fix(tmp_path, server, "--agent", "auto", name="deepseek/deepseek-v4-flash")
    assert r.returncode == 0, r.stderr + r.stdout
    assert server.refused == []
    rep = report(out)
    assert rep["status"] == "verified" and rep["strategy"]["tool_calls"] is True
    sent = server.requests[-1]["messages"]
    assert [m.get("reasoning_content") for m in sent if m["role"] == "assistant"] == [
        "first I check the key", "no tool this time", "the divisor is wrong"]
    assert all(KEY not in json.dumps(q["messages"]) for q in server.requests)
    assert "key=[REDACTED:" in _tool_results(out)[0]
    assert KEY not in (out / "trajectory.jsonl").read_text()


def test_the_step_limit_stops_a_looping_tool_calling_agent(docker_client, tmp_path):
    with ScriptedChatServer([said(None, [call("bash", {"command": "ls"})])], then="repeat") as server:
        r, out = _fix(tmp_path, server, "--agent", "bash", "--max-steps", "3", tool_calls=True)
    assert r.returncode == 1, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "limit_steps" and rep["steps"] == 3 and len(server.requests) == 3
    from dsfix.envs.containers import orphans
    assert not orphans(docker_client)      # its containers went with it (its process has ended)


NO_NET = "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)\" || echo no-network"


def test_the_cost_and_time_limits_hold_for_tool_calls(docker_client, tmp_path):
    """A command past the environment's time limit is cut and said so; a long output keeps its
    start and its end; the container has no network; the cost limit (a priced model) ends a loop
    that never submits."""
    script = [said(None, [call("bash", {"command": "sleep 60; echo never"})]),
              said(None, [call("bash", {"command": "echo START; seq 1 20000; echo END"})]),
              said(None, [call("bash", {"command": NO_NET})]),
              said(None, [call("bash", {"command": "ls"})])]
    with ScriptedChatServer(script, then="repeat") as server:
        r, out = _fix(tmp_path, server, "--agent", "bash", "--max-cost", "0.012", tool_calls=True,
                      price={"input": 1.0, "output": 1.0}, env="exec_timeout: 8")
    assert r.returncode == 1, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "limit_cost" and 4 <= rep["steps"] < 20, rep["message"]
    assert rep["cost_usd"] >= 0.012
    timed, long, net = _tool_results(out)[:3]
    assert "(timed out)" in timed and "never" not in timed
    assert "START" in long and "END" in long and "characters left out" in long and len(long) < 6000
    assert "no-network" in net
    from dsfix.envs.containers import orphans
    assert not orphans(docker_client)


def test_answers_without_a_tool_call_are_told_so_then_end_the_run(tmp_path):
    """A plain-text answer is told to call a tool; a fenced ```bash block is taken as a command;
    three answers in a row with neither end the run as a format error. (A local environment: no
    container is needed to see what the model is told.)"""
    script = [said("I will look at the code."), said("```bash\necho from-a-block\n```"),
              said("thinking"), said("still thinking"), said("done?")]
    with ScriptedChatServer(script) as server:
        r, out = _fix(tmp_path, server, "--agent", "bash", "--env", "local", tool_calls=True)
    assert r.returncode == 1, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "format_error" and rep["steps"] == 5, rep["message"]
    told = [e["content"] for e in _events(out) if e["type"] == "message" and e["role"] == "user"]
    assert told[1].startswith("Your answer called no tool") and "from-a-block" in told[2]
    assert server.refused == []
