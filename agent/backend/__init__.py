"""dsfix.agent.backend."""
