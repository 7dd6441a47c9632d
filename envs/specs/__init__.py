"""dsfix.envs.specs."""
