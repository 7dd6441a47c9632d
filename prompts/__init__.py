"""dsfix.prompts."""
