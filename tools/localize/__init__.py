"""dsfix.tools.localize."""
