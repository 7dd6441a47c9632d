"""dsfix.envs.evaluate."""
