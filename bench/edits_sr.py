"""Aider-style SEARCH/REPLACE blocks made from the gold hunks (dsfix only)."""
from __future__ import annotations


def render_sr(fs, edit=lambda text, rng: text, rng=None) -> str | None:
    """Each gold hunk as a SEARCH/REPLACE block (SEARCH = its old side)."""
    out = []
    for f in fs:
        if not f.old or not f.new or f.old[2:] != f.new[2:]:
            return None  # creations, deletions, renames: not this format's job
        for h in f.hunks:
            old = [ln[1:] for ln in h.body if ln[:1] in " -"]
            new = [ln[1:] for ln in h.body if ln[:1] in " +"]
            old = [edit(t, rng) if rng and rng.random() < 0.3 else t for t in old]
            out += [f.old[2:], "```python", "<<<<<<< SEARCH", *old, "=======", *new,
                    ">>>>>>> REPLACE", "```", ""]
    return "\n".join(out)


def _drift(text, rng):
    return rng.choice([text.rstrip() + "  ", " " + text, text.strip(), text.replace("    ", "  ")])


SR_CASES = {
    "sr_clean": lambda fs, rng: render_sr(fs),
    "sr_whitespace_drift": lambda fs, rng: render_sr(fs, _drift, rng),
}


def run_sr(pkg, text, src):
    try:
        r = pkg.apply_search_replace(text, src.get)
    except pkg.PatchError:
        return "refused", dict(src)
    return ("applied", {**src, **r.changes}) if r.ok else ("refused", dict(src))
