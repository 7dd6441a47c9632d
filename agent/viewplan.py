"""Which windows of which files a prompt shows, within a budget of characters.

Every place of every candidate file (places.py) is weighed: the file's weight (by its rank, from
the scores against the best one, sharpened: the top file holds the fix far more often than the
next ones) times the place's own, a little discounted for its length. The heaviest places go in
first while they fit (one a little over what is left, its head); then the class and def lines above
each window; then context around them.
"""
from __future__ import annotations

from collections import Counter

from dsfix.tools.localize.results import Localization, Symbol

from .places import Issue, Place, decorated_start, file_places
from .windows import FileView, Sizer, merge, render

MAX_FILES = 5
FILE_SHARPNESS = 6    # file weight: (score / best score) ** this. Rank 2 holds the fix ~1/5 as
                      # often as rank 1 on SWE-bench Lite tune + dev, with scores ~0.75 of the best
COST_EXPONENT = 0.5   # a place's weight per (characters ** this): short places first, not only
PLACE_SHARE = 0.4     # no single place takes more of the budget: a longer one shows its head
HEADER_CHARS = 40     # the "## path (lines ...)" line and the fence around a view
LEAD = 1              # lines shown above each place: a fix that adds code before a def anchors there,
                      # and a window starting at a method's first line hides the class line above
MAX_SIBLINGS = 3      # methods of one core name in a file, at most, for them to be siblings
HEAD_FIT = 0.5        # a place over the budget left still shows its head, if that is this share of it
SIBLING = 0.5         # a place's weight for its siblings (same-named methods of other classes in
                      # the file, `__rmatmul__` beside `__matmul__`): fixes often touch both


def plan_views(issue: str, loc: Localization, texts: dict[str, list[str]],
               syms: dict[str, list[Symbol]], budget: int) -> list[FileView]:
    """Views of `texts` (path -> lines) in `loc`'s file order, costing at most `budget`
    characters; `syms`: each file's symbols from the index."""
    files = [f for f in loc.files if f in texts][:MAX_FILES]
    plan = _Plan({f: texts[f] for f in files}, budget)
    for rel, span in _candidates(Issue.of(issue), loc, files, texts, syms, plan, budget):
        if not plan.add(rel, span) and HEAD_FIT:
            plan.add_head(rel, span)
    for rel in files:
        plan.add_headers(rel, syms.get(rel, []))
    plan.grow(files)
    return [render(rel, texts[rel], plan.ranges[rel]) for rel in files if plan.ranges[rel]]


def _candidates(issue: Issue, loc: Localization, files: list[str], texts, syms, plan: "_Plan",
                budget: int) -> list[tuple[str, tuple[int, int]]]:
    """(file, span) of every place, best first."""
    # the r-th file gets the r-th best score's weight: narrowing puts the model's picks first
    scores = sorted((loc.scores.get(f, 0.0) for f in files), reverse=True)
    narrowed = getattr(loc, "line_ranges", {})
    out = []
    for rank, rel in enumerate(files):
        fw = (scores[rank] / scores[0]) ** FILE_SHARPNESS if scores[0] > 0 else 0.5 ** rank
        ranked = [s for s in loc.symbols if s.file == rel]
        sizer = plan.sizers[rel]
        places = file_places(rel, texts[rel], syms.get(rel, []), ranked, issue, narrowed.get(rel, []))
        for p in places + siblings(ranked, syms.get(rel, []), texts[rel]):
            span = _clip(p, sizer, budget)
            span = (max(1, span[0] - LEAD), span[1])
            key = fw * p.weight / max(sizer.lines(*span), 1) ** COST_EXPONENT
            out.append((-key, rank, span[0], rel, span))
    out.sort()
    return [(rel, span) for *_, rel, span in out]


def _core(name: str) -> str:
    """`Cls.__rmatmul__` -> `matmul`; `AttributeDocumenter.add_directive_header` ->
    `add_directive_header`: the short name, without dunders and a reflected/in-place operator's
    prefix."""
    short = name.rpartition(".")[2]
    if short.startswith("__") and short.endswith("__"):
        short = short[2:-2]
        if short[:1] in "ri" and len(short) > 3:
            short = short[1:]
    return short


def siblings(ranked: list[Symbol], syms: list[Symbol], lines: list[str]) -> list[Place]:
    """For each ranked method, the same file's methods of the same core name (_core) elsewhere:
    the same method in a sibling class, the operator's reflected twin."""
    weight: dict[str, float] = {}
    for k, s in enumerate(ranked if SIBLING > 0 else []):
        if s.kind == "method":
            weight[_core(s.name)] = max(weight.get(_core(s.name), 0.0), (k + 1) ** -1.0)
    shown = {(s.start, s.end) for s in ranked}
    count = Counter(_core(s.name) for s in syms if s.kind == "method")
    out = []
    for s in syms:
        w = weight.get(_core(s.name))
        # a name every class has (`__init__`, `doit`) is no kinship
        if w and s.kind == "method" and (s.start, s.end) not in shown \
                and count[_core(s.name)] <= MAX_SIBLINGS:
            out.append(Place(decorated_start(lines, s), s.end, SIBLING * w, "symbol"))
    return out


def _clip(p: Place, sizer: Sizer, budget: int) -> tuple[int, int]:
    """A place too long for its share: its head, which has the signature and docstring."""
    a, b = p.start, min(p.end, sizer.n)
    limit = int(budget * PLACE_SHARE)
    while b > a and sizer.lines(a, b) > limit:
        b = a + (b - a) * 3 // 4
    return a, b


class _Plan:
    """Ranges chosen per file and the characters they cost so far."""

    def __init__(self, texts: dict[str, list[str]], budget: int):
        self.sizers = {rel: Sizer(lines) for rel, lines in texts.items()}
        self.ranges: dict[str, list[tuple[int, int]]] = {rel: [] for rel in texts}
        self.budget, self.used = budget, 0

    def cost_of(self, rel: str, ranges: list[tuple[int, int]]) -> int:
        return self.sizers[rel].cost(ranges) + (HEADER_CHARS + len(rel) if ranges else 0)

    def add(self, rel: str, span: tuple[int, int]) -> bool:
        """Show `span` too, if that fits; False when it does not or changes nothing."""
        new = merge(self.ranges[rel] + [span], self.sizers[rel].n)
        delta = self.cost_of(rel, new) - self.cost_of(rel, self.ranges[rel])
        if new == self.ranges[rel] or self.used + delta > self.budget:
            return False
        self.ranges[rel], self.used = new, self.used + delta
        return True

    def add_head(self, rel: str, span: tuple[int, int]) -> bool:
        """The longest head of `span` that still fits, when that is at least HEAD_FIT of it: a
        place a little over what is left shows its signature and first lines, rather than none."""
        a, b = span
        lo, hi = a + max(int((b - a + 1) * HEAD_FIT), 1) - 1, b - 1
        if lo > hi or not self.fits(rel, (a, lo)):
            return False
        while lo < hi:   # the longest head that fits: costs grow with the end line
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if self.fits(rel, (a, mid)) else (lo, mid - 1)
        return self.add(rel, (a, lo))

    def fits(self, rel: str, span: tuple[int, int]) -> bool:
        new = merge(self.ranges[rel] + [span], self.sizers[rel].n)
        return self.used + self.cost_of(rel, new) - self.cost_of(rel, self.ranges[rel]) <= self.budget

    def add_headers(self, rel: str, syms: list[Symbol]) -> None:
        """The class and def lines above each window: which method of which class it is."""
        for a, _ in list(self.ranges[rel]):
            for s in syms:
                if s.start < a <= s.end:
                    self.add(rel, (s.start, s.start))

    def grow(self, files: list[str]) -> None:
        """Context around the windows, a line above and below each in turn, better files first."""
        grown = True
        while grown:
            grown = False
            for rel in files:
                n = self.sizers[rel].n
                for a, b in list(self.ranges[rel]):
                    grown |= self.add(rel, (a - 1, a - 1)) if a > 1 else False
                    grown |= self.add(rel, (b + 1, b + 1)) if b < n else False
