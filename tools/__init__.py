"""dsfix.tools."""
