import pytest

from dsfix.agent.blocks import extract_block
from dsfix.agent.errors import FormatError


def test_extracts_tagged_block():
    assert extract_block("Fix:\n```diff\n--- a/x\n+++ b/x\n```\n", "diff") == "--- a/x\n+++ b/x\n"


def test_untagged_block_and_bare_diff():
    assert extract_block("```\nprint(1)\n```", "python") == "print(1)\n"
    bare = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
    assert extract_block(bare, "diff") == bare


def test_missing_or_ambiguous_block_is_a_format_error():
    with pytest.raises(FormatError, match="no ```python block"):
        extract_block("I think the fix is to change the loop.", "python")
    with pytest.raises(FormatError, match="exactly one"):
        extract_block("```python\na\n```\n```python\nb\n```", "python")


def test_edit_accepts_search_replace_or_a_diff():
    sr = "x.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    assert extract_block(f"```text\n{sr}```", "edit") == sr
    assert extract_block("```diff\n--- a/x\n+++ b/x\n```", "edit") == "--- a/x\n+++ b/x\n"
