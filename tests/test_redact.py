import json

from dsfix.common.redact import Redactor
from dsfix.agent.trajectory import Trajectory


def test_secret_values_redacted_by_variable_name(tmp_path):
    env = {"DEEPSEEK_API_KEY": "sk-live-abcdef", "GH_TOKEN": "ghp_xyz123", "DB_PASSWORD": "hunter22",
           "MY_SECRET": "s3cr3t!!", "HOME": "/root", "SHORT_KEY": "ab"}
    r = Redactor(env)
    text = "key sk-live-abcdef token ghp_xyz123 pw hunter22 s3cr3t!! home /root ab"
    out = r.text(text)
    for v in ("sk-live-abcdef", "ghp_xyz123", "hunter22", "s3cr3t!!"):
        assert v not in out
    assert "[REDACTED:DEEPSEEK_API_KEY]" in out and "/root" in out and " ab" in out


def test_trajectory_is_redacted_and_flushed_per_event(tmp_path):
    t = Trajectory(tmp_path / "t.jsonl", Redactor({"X_TOKEN": "tok-999999"}))
    t.add_message("user", "here is tok-999999")
    t.event("observation", output={"nested": ["tok-999999"]})
    lines = (tmp_path / "t.jsonl").read_text().splitlines()  # readable before close: nothing lost on a crash
    assert len(lines) == 2 and "tok-999999" not in "".join(lines)
    assert t.messages[0]["content"] == "here is [REDACTED:X_TOKEN]"
    assert json.loads(lines[1])["type"] == "observation"
    t.close()


def test_credential_shapes_and_url_passwords_are_redacted_wherever_they_appear():
    r = Redactor({})
    text = ("key sk-proj-abcdefghijklmnop123456 gh ghp_abcdefghijklmnopqrstuvwxyz0123 "
            "slack xoxb-1234567890-abcdef aws AKIAABCDEFGHIJKLMNOP db postgres://u:hunter2pw@h/db\n"
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n")
    out = r.text(text)
    for leak in ("abcdefghijklmnop123456", "ghp_abc", "xoxb-1234", "AKIAABCD", "hunter2pw", "MIIEow"):
        assert leak not in out
    assert "postgres://u:[REDACTED:password]@h/db" in out


def test_secret_names_by_part_and_values_too_short_to_be_credentials():
    r = Redactor({"GH_PAT": "abcd1234efgh", "DATABASE_URL": "postgres://u:pass1234@h/db",
                  "OPENAI_API_KEY": "oracle", "PATH": "/usr/bin:/bin"})
    assert r.text("pat abcd1234efgh") == "pat [REDACTED:GH_PAT]"
    assert "pass1234" not in r.text("url postgres://u:pass1234@h/db")
    assert r.text("tools/oracle/run.py /usr/bin:/bin") == "tools/oracle/run.py /usr/bin:/bin"


def test_a_patch_holding_a_secret_is_named_not_altered():
    r = Redactor({"X_TOKEN": "tok-99999999"})
    assert r.secret_in("+token = 'tok-99999999'\n") == "X_TOKEN"
    assert r.secret_in("+fixture = 'sk-proj-abcdefghijklmnop123456'\n") is None   # shapes in code are code


def test_a_key_at_the_truncation_boundary_never_reaches_the_prompt(tmp_path):
    """Command output is redacted before it is cut to the tail the model sees."""
    from dsfix.agent.loop import TAIL, Agent
    from dsfix.envs.base import ExecResult, Timings
    secret = "canary123" + "Y" * 12

    class Env:
        timings = Timings()

        def execute(self, command, timeout=None):
            out = "x" * 5000 + secret + "z" * (TAIL - 9)   # the tail starts inside the key
            return ExecResult(1, out, 0.1)
    t = Trajectory(tmp_path / "t.jsonl", Redactor({"CANARY_KEY": secret}))
    agent = Agent.__new__(Agent)
    agent.env, agent.traj = Env(), t
    r = agent.run_cmd("python repro.py", "repro")
    assert "canary" not in r.output[-TAIL:] and "YYYY" not in r.output[-TAIL:]
    assert "canary" not in (tmp_path / "t.jsonl").read_text()
