import json

from dsfix.agent.redact import Redactor
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
