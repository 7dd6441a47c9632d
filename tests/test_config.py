from pathlib import Path

import pytest

from dsfix.agent.config import ConfigError, load_settings


def test_precedence_defaults_yaml_config_env_cli(tmp_path: Path):
    (tmp_path / "dsfix.yaml").write_text("model:\n  name: repo/model\n  temperature: 0.5\nlimits:\n  max_steps: 7\n")
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("model:\n  name: file/model\nlimits:\n  max_cost: 9\n")
    env = {"DSFIX_LIMITS__MAX_COST": "3.5", "DSFIX_ENV__KIND": "local"}
    s = load_settings(tmp_path, cfg_file, {"limits": {"max_steps": 2}}, environ=env)
    assert s.model.name == "file/model"        # --config beats dsfix.yaml
    assert s.model.temperature == 0.5          # dsfix.yaml beats defaults
    assert s.limits.max_cost == 3.5            # env beats files
    assert s.limits.max_steps == 2             # CLI beats everything
    assert s.env.kind == "local"
    assert s.env.image == "dsfix/base:bookworm"


def test_secrets_refused_in_yaml(tmp_path: Path):
    (tmp_path / "dsfix.yaml").write_text("model:\n  api_key: sk-123\n")
    with pytest.raises(ConfigError, match="environment"):
        load_settings(tmp_path, environ={})


def test_unknown_and_invalid_settings_are_one_line_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="limits.max_stepz"):
        load_settings(None, overrides={"limits": {"max_stepz": 1}}, environ={})
    with pytest.raises(ConfigError, match="env.kind"):
        load_settings(None, overrides={"env": {"kind": "vm"}}, environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_settings(None, tmp_path / "missing.yaml", environ={})
