"""Tool calls read into agent mode's commands (tools.commands.schema), the strategy a model gets
(agent.strategy, --agent auto), and the model layer's tool calls over real HTTP on loopback
(a scripted model, tests.chatfake)."""
from __future__ import annotations

import pytest

from chatfake import ScriptedChatServer, call, said
from dsfix.agent.config import ModelSettings, Settings
from dsfix.agent.model import LitellmModel
from dsfix.agent.strategy import choose
from dsfix.tools.commands.schema import CallError, read_call


def test_a_call_becomes_the_command_a_fenced_answer_would_hold():
    assert read_call("bash", '{"command": "ls -la"}') == ("shell", "ls -la")
    assert read_call("submit", "") == ("submit", None) == read_call("submit", "{}")
    assert read_call("bash", '{"command": "submit"}') == ("submit", None)
    assert read_call("apply_diff", '{"diff": "--- a/x\\n"}') == ("apply_diff", "--- a/x\n")
    heredoc = "apply_diff <<'EOF'\n--- a/x\n+++ b/x\nEOF"
    assert read_call("bash", '{"command": %s}' % __import__("json").dumps(heredoc)) == ("apply_diff",
                                                                                         "--- a/x\n+++ b/x\n")


@pytest.mark.parametrize("name, args, says", [
    ("bash", '{"command": "ls"', "not valid JSON"),
    ("bash", '["ls"]', "must be a JSON object"),
    ("bash", '{"cmd": "ls"}', "needs a non-empty string 'command'"),
    ("apply_diff", '{"diff": "  "}', "needs a non-empty string 'diff'"),
    ("run_shell", '{"command": "ls"}', "no tool named 'run_shell'; the tools are bash, apply_diff, submit"),
])
def test_a_malformed_call_says_what_to_send(name, args, says):
    with pytest.raises(CallError, match=says.replace("(", r"\(")):
        read_call(name, args)


def _cfg(name: str, agent: str, **model) -> Settings:
    return Settings(agent=agent, model=ModelSettings(name=name, **model))


@pytest.mark.parametrize("name, agent, tool_calls, want", [
    ("deepseek/deepseek-v4-flash", "pipeline", None, ("pipeline", False)),   # the default stays the pipeline
    ("deepseek/deepseek-v4-flash", "auto", None, ("bash", True)),            # litellm's map: tools
    ("deepseek-v4-pro", "auto", None, ("bash", True)),                        # a bare DeepSeek name
    ("openai/my-server-model", "auto", None, ("pipeline", False)),           # unknown to the map
    ("openai/my-server-model", "auto", True, ("bash", True)),                # ... unless the config says
    ("deepseek/deepseek-v4-flash", "bash", False, ("bash", False)),          # fenced commands
    ("local", "auto", True, ("pipeline", False)),                            # the bundled Coder-V2
    ("scripted/answers.json", "auto", None, ("pipeline", False)),            # the scripted replay
    ("scripted/answers.json", "bash", None, ("bash", False)),
])
def test_the_strategy_fits_the_model(name, agent, tool_calls, want):
    cfg = _cfg(name, agent, tool_calls=tool_calls)
    got = choose(cfg, cfg.model)
    assert (got.agent, got.tool_calls) == want, got.why


def test_the_local_backend_is_judged_by_the_name_the_user_gave():
    """Inside a run the local model is reached as openai/<alias>; auto still keeps the pipeline."""
    cfg = _cfg("local", "bash")
    reached = cfg.model.model_copy(update={"name": "openai/deepseek-coder-v2-lite"})
    assert (choose(cfg, reached).agent, choose(cfg, reached).tool_calls) == ("bash", False)
    assert choose(_cfg("local", "auto"), reached).agent == "pipeline"


def test_the_model_layer_returns_tool_calls_and_deepseeks_reasoning(monkeypatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-test-0123456789")
    with ScriptedChatServer([said("look", [call("bash", {"command": "ls"}), call("submit", "{}")],
                                  reasoning="why ls")]) as server:
        model = LitellmModel(ModelSettings(name="deepseek/deepseek-v4-flash", api_base=server.api_base, retries=0))
        reply = model.query([{"role": "user", "content": "fix it"}], tools=[
            {"type": "function", "function": {"name": "bash", "parameters": {"type": "object", "properties": {}}}}])
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("bash", '{"command": "ls"}'), ("submit", "{}")]
    assert reply.content == "look" and reply.reasoning_field == reply.reasoning == "why ls"
    assert server.requests[0]["tools"][0]["function"]["name"] == "bash"
    assert model.totals.calls == 1 and reply.cost is not None   # priced as any other answer


def test_the_scripted_server_refuses_what_deepseek_refuses():
    """The guard the end-to-end tests rely on can fail: a dropped reasoning_content, an unanswered call."""
    server = ScriptedChatServer([said(None, [call("bash", {"command": "ls"})], reasoning="r")],
                                deepseek_rules=True)
    status, body = server.answer({"messages": [{"role": "user", "content": "go"}]})
    tc = body["choices"][0]["message"]["tool_calls"]
    dropped = {"messages": [{"role": "user", "content": "go"}, {"role": "assistant", "tool_calls": tc},
                            {"role": "tool", "tool_call_id": tc[0]["id"], "content": "x"}]}
    assert server.answer(dropped)[0] == 400 and "reasoning_content" in server.refused[-1]
    unanswered = {"messages": [{"role": "user", "content": "go"},
                               {"role": "assistant", "tool_calls": tc, "reasoning_content": "r"},
                               {"role": "user", "content": "next"}]}
    assert server.answer(unanswered)[0] == 400 and "not answered" in server.refused[-1]
    server.server.server_close()


def test_auto_leaves_the_scripted_replay_in_the_pipeline(tmp_path):
    """--agent auto changes nothing for a model without tool calls: the same replay, the same
    verdict, and report.json says why (a local environment: the strategy is what is tested)."""
    from clirun import dsfix, report, script
    from conftest import commit_files
    from test_fast_attempts import FILES, REPRO, RIGHT
    repo = commit_files(tmp_path / "calc", FILES)
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "mean() is off by one", "--agent", "auto", "--env", "local",
              "--model", script(tmp_path / "s.json", [REPRO, RIGHT]), "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "verified" and rep["steps"] == 2
    assert rep["strategy"]["agent"] == "pipeline" and "scripted replay" in rep["strategy"]["why"]


def test_fix_help_says_when_to_use_which_strategy():
    from clirun import dsfix
    r = dsfix("fix", "--help", env={"COLUMNS": "200"})
    text = " ".join(r.stdout.replace("│", " ").split())   # rich wraps the help in a panel
    assert r.returncode == 0
    for words in ("best for the bundled local Coder-V2 and models without tool calls",
                  "by tool calls where it takes them", "auto (bash for a model that takes tool calls"):
        assert words in text, words


def test_tool_calls_read_whatever_shape_a_server_sends():
    """Arguments sent as an object rather than JSON text, a call without an id: read, not a crash."""
    from types import SimpleNamespace as NS
    from dsfix.agent.model import tool_calls_of
    msg = NS(tool_calls=[NS(id=None, function=NS(name="bash", arguments={"command": "ls"})),
                         NS(id="c2", function=NS(name="submit", arguments=None))])
    got = [(c.id, c.name, read_call(c.name, c.arguments)) for c in tool_calls_of(msg)]
    assert got == [("call_0", "bash", ("shell", "ls")), ("c2", "submit", ("submit", None))]
