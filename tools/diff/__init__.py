"""dsfix.tools.diff: apply model-written patches by content, exactly, or refuse with reasons.

Unified diffs (tolerant of wrong line numbers, counts, whitespace and context) and
Aider-style SEARCH/REPLACE blocks. See apply_diff / apply_to_dir / apply_command.
"""
from .apply import apply_diff
from .command import apply_command
from .fs import apply_to_dir
from .datatypes import ApplyResult, HunkFailure, PatchError, UnsafePathError
from .search_replace import apply_search_replace
from .syntax import syntax_errors

__all__ = [
    "ApplyResult", "HunkFailure", "PatchError", "UnsafePathError",
    "apply_diff", "apply_search_replace", "apply_to_dir", "syntax_errors", "apply_command",
]
