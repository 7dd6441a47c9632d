"""Compact BM25 with CSR postings so an index pickles and loads in milliseconds."""
from __future__ import annotations

import math
from array import array
from collections import Counter


class BM25:
    def __init__(self, terms: list[str], offsets: array, doc_ids: array,
                 tfs: array, doc_len: array, k1: float = 1.2, b: float = 0.75):
        self.terms, self.offsets, self.doc_ids, self.tfs = terms, offsets, doc_ids, tfs
        self.doc_len, self.k1, self.b = doc_len, k1, b
        self.n_docs = len(doc_len)
        self.avgdl = (sum(doc_len) / self.n_docs) if self.n_docs else 1.0
        self._vocab: dict[str, int] | None = None

    @classmethod
    def build(cls, docs: list[Counter]) -> "BM25":
        vocab: dict[str, int] = {}
        postings: list[list[int]] = []  # per term: doc, tf, doc, tf, ...
        doc_len = array("I")
        for d, counts in enumerate(docs):
            doc_len.append(sum(counts.values()))
            for term, tf in counts.items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(postings)
                    postings.append([])
                postings[tid].extend((d, tf))
        offsets, doc_ids, tfs = array("I", [0]), array("I"), array("I")
        for plist in postings:
            doc_ids.extend(plist[0::2])
            tfs.extend(plist[1::2])
            offsets.append(len(doc_ids))
        return cls(list(vocab), offsets, doc_ids, tfs, doc_len)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_vocab"] = None  # rebuilt lazily; keeps the pickle small
        return state

    @property
    def vocab(self) -> dict[str, int]:
        if self._vocab is None:
            self._vocab = {t: i for i, t in enumerate(self.terms)}
        return self._vocab

    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        if tid is None:
            return 0.0
        df = self.offsets[tid + 1] - self.offsets[tid]
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def score(self, query: Counter) -> dict[int, float]:
        """Scores for docs matching any query term; query counts are damped (log)."""
        out: dict[int, float] = {}
        k1, b, avgdl, dl = self.k1, self.b, self.avgdl, self.doc_len
        for term, qtf in query.items():
            tid = self.vocab.get(term)
            if tid is None:
                continue
            lo, hi = self.offsets[tid], self.offsets[tid + 1]
            w = self.idf(term) * (1 + math.log(qtf))
            ids, tfs = self.doc_ids, self.tfs
            for j in range(lo, hi):
                d, tf = ids[j], tfs[j]
                s = w * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl[d] / avgdl))
                out[d] = out.get(d, 0.0) + s
        return out

    def docs_with(self, term: str) -> list[int]:
        """The documents that hold `term` (its posting list)."""
        tid = self.vocab.get(term)
        if tid is None:
            return []
        return list(self.doc_ids[self.offsets[tid]:self.offsets[tid + 1]])
