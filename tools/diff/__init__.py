"""dsfix.tools.diff."""
