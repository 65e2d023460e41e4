"""Fuzzy product matching against the live catalog.

An inverted index from (singular, normalised) words to catalog names and aliases keeps a
50,000-product catalog fast: a query only scores the few entries that share a word, or a
close spelling of a word, with it. Scores are 0..1: how much of the query the name explains
and how much of the name the query covers, with a character-level fallback for
misrecognitions ("all boil" for "olive oil").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from ..shop.models import Product
from ..text import match_tokens

MATCH_THRESHOLD = 0.62
"""Below this score nothing in the catalog matches."""
TIE_MARGIN = 0.06
"""Products scoring within this margin of the best are alternatives."""
MAX_ALTERNATIVES = 3
CANDIDATES = 32
_FUZZY_TOKEN_CUTOFF = 80.0
_ENTRY_STOPWORDS = {"the", "a", "an", "of", "and", "with", "for", "to", "in"}


@dataclass(frozen=True)
class Match:
    """The best catalog product for a query, with close alternatives."""

    product: Product
    score: float
    alternatives: tuple[Product, ...] = ()


@dataclass(frozen=True)
class _Entry:
    product_index: int
    tokens: tuple[str, ...]
    form: str


Similarities = dict[str, dict[str, float]]
"""For each query word, the catalog words close to it and how close (1.0 = the same)."""


def _coverage(source: Sequence[str], target: Sequence[str], sims: Similarities,
              reverse: bool) -> float:
    if not source:
        return 0.0
    total = 0.0
    for s in source:
        if reverse:  # source words are catalog words, target words are query words
            total += max((sims.get(t, {}).get(s, 0.0) for t in target), default=0.0)
        else:
            close = sims.get(s, {})
            total += max((close.get(t, 0.0) for t in target), default=0.0)
    return total / len(source)


def score_tokens(query: Sequence[str], name: Sequence[str], sims: Similarities) -> float:
    """How well a query names a catalog entry, 0..1 (1 = same words)."""
    if tuple(query) == tuple(name):
        return 1.0
    q = [t for t in query if t not in _ENTRY_STOPWORDS] or list(query)
    n = [t for t in name if t not in _ENTRY_STOPWORDS] or list(name)
    if all(len(sims.get(t, ())) <= 1 and t in sims.get(t, {t: 0}) for t in q):
        shared = set(q) & set(n)  # only exact words in play: plain set arithmetic
        words = (0.6 * sum(t in shared for t in q) / len(q)
                 + 0.4 * sum(t in shared for t in n) / len(n))
    else:
        words = 0.6 * _coverage(q, n, sims, False) + 0.4 * _coverage(n, q, sims, True)
    chars = fuzz.ratio(" ".join(q), " ".join(n)) / 100.0
    return min(max(words, 0.92 * chars if chars >= 0.75 else 0.0), 0.999)


class CatalogIndex:
    """Names and aliases of every product, indexed by word."""

    def __init__(self, products: Iterable[Product]) -> None:
        self.products: list[Product] = list(products)
        self.by_sku = {p.sku: p for p in self.products}
        self._entries: list[_Entry] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for index, product in enumerate(self.products):
            for label in (product.name, *product.aliases):
                tokens = match_tokens(label)
                if not tokens:
                    continue
                entry_id = len(self._entries)
                self._entries.append(_Entry(index, tokens, " ".join(tokens)))
                for token in set(tokens):
                    postings[token].append(entry_id)
        self._postings = {t: np.array(ids, dtype=np.int32) for t, ids in postings.items()}
        self._weights = np.zeros(len(self._entries), dtype=np.float64)
        total = max(len(self._entries), 1)
        self._idf = {t: math.log(1 + total / len(ids)) for t, ids in self._postings.items()}
        self._vocabulary = list(self._postings)
        self.vocabulary = frozenset(self._vocabulary)
        self._similar_words = lru_cache(maxsize=16384)(self._compute_similar_words)
        self._cached_match = lru_cache(maxsize=4096)(self._match)

    def __len__(self) -> int:
        return len(self.products)

    def _compute_similar_words(self, token: str) -> dict[str, float]:
        if token in self._postings:
            return {token: 1.0}
        if len(token) < 4:
            return {}
        found = process.extract(token, self._vocabulary, scorer=fuzz.ratio,
                                score_cutoff=_FUZZY_TOKEN_CUTOFF, limit=4)
        # A near-spelling is weaker evidence than the word itself ("weather" is not "water").
        return {word: 0.9 * score / 100.0 for word, score, _ in found if len(word) >= 4}

    def _similarities(self, tokens: Sequence[str]) -> Similarities:
        return {t: self._similar_words(t) for t in set(tokens)}

    def _candidates(self, tokens: Sequence[str], sims: Similarities) -> list[int]:
        """Entries sharing the most (rarest) words with the query, vectorised: a common
        word in a 50,000-product catalog has thousands of entries."""
        touched = []
        for token in sorted(set(tokens)):  # fixed order: same floats, same ties, every run
            if token in _ENTRY_STOPWORDS:
                continue
            for word in sorted(sims[token]):
                ids = self._postings[word]
                self._weights[ids] += self._idf[word]  # ids are unique within one posting
                touched.append(ids)
        if not touched:
            return []
        ids = np.unique(np.concatenate(touched))
        weights = self._weights[ids]
        self._weights[ids] = 0.0
        if len(ids) > CANDIDATES:
            keep = np.argpartition(-weights, CANDIDATES)[:CANDIDATES]
            ids, weights = ids[keep], weights[keep]
        return [int(i) for i in ids[np.argsort(-weights, kind="stable")]]

    def scored(self, tokens: Sequence[str]) -> list[tuple[float, Product]]:
        """Products (best label each) with their scores, best first."""
        sims = self._similarities(tokens)
        best: dict[int, float] = {}
        for entry_id in self._candidates(tokens, sims):
            entry = self._entries[entry_id]
            score = score_tokens(tokens, entry.tokens, sims)
            if score > best.get(entry.product_index, -1.0):
                best[entry.product_index] = score
        ranked = sorted(best.items(), key=lambda kv: (-round(kv[1], 9),
                                                      len(self.products[kv[0]].name),
                                                      self.products[kv[0]].sku))
        return [(score, self.products[i]) for i, score in ranked]

    def match(self, tokens: Sequence[str]) -> Match | None:
        """The best product for these words, or None when nothing is close enough."""
        return self._cached_match(tuple(tokens))

    def _match(self, tokens: tuple[str, ...]) -> Match | None:
        ranked = self.scored(tokens)
        if not ranked or ranked[0][0] < MATCH_THRESHOLD:
            return None
        best_score, best = ranked[0]
        close = tuple(p for s, p in ranked[1:MAX_ALTERNATIVES + 1]
                      if s >= best_score - TIE_MARGIN and s >= MATCH_THRESHOLD)
        if best_score >= 1.0:  # an exact name or alias: only other exact ones compete
            close = tuple(p for s, p in ranked[1:MAX_ALTERNATIVES + 1] if s >= 1.0)
        return Match(best, best_score, close)

    def search(self, text: str, limit: int = 10) -> list[tuple[float, Product]]:
        ranked = self.scored(match_tokens(text))
        return [(s, p) for s, p in ranked if s >= MATCH_THRESHOLD * 0.8][:limit]
