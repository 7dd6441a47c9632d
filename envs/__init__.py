"""dsfix.envs."""
