"""dsfix.tools.github."""
