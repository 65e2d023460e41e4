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

from rapidfuzz import fuzz, process

from ..shop.models import Product
from ..text import match_tokens

MATCH_THRESHOLD = 0.62
"""Below this score nothing in the catalog matches."""
TIE_MARGIN = 0.06
"""Products scoring within this margin of the best are alternatives."""
MAX_ALTERNATIVES = 3
CANDIDATES = 60
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


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) < 4 or len(b) < 4:
        return 0.0
    ratio = fuzz.ratio(a, b)
    # A near-spelling is weaker evidence than the word itself ("weather" is not "water").
    return 0.9 * ratio / 100.0 if ratio >= _FUZZY_TOKEN_CUTOFF else 0.0


def _coverage(source: Sequence[str], target: Sequence[str]) -> float:
    if not source:
        return 0.0
    return sum(max((_token_similarity(s, t) for t in target), default=0.0)
               for s in source) / len(source)


def score_tokens(query: Sequence[str], name: Sequence[str]) -> float:
    """How well a query names a catalog entry, 0..1 (1 = same words)."""
    if tuple(query) == tuple(name):
        return 1.0
    q = [t for t in query if t not in _ENTRY_STOPWORDS] or list(query)
    n = [t for t in name if t not in _ENTRY_STOPWORDS] or list(name)
    words = 0.6 * _coverage(q, n) + 0.4 * _coverage(n, q)
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
        self._postings = dict(postings)
        total = max(len(self._entries), 1)
        self._idf = {t: math.log(1 + total / len(ids)) for t, ids in self._postings.items()}
        self._vocabulary = list(self._postings)
        self.vocabulary = frozenset(self._vocabulary)
        self._similar_words = lru_cache(maxsize=8192)(self._compute_similar_words)

    def __len__(self) -> int:
        return len(self.products)

    def _compute_similar_words(self, token: str) -> tuple[str, ...]:
        if token in self._postings:
            return (token,)
        if len(token) < 4:
            return ()
        found = process.extract(token, self._vocabulary, scorer=fuzz.ratio,
                                score_cutoff=_FUZZY_TOKEN_CUTOFF, limit=4)
        return tuple(word for word, _, _ in found)

    def _candidates(self, tokens: Sequence[str]) -> list[int]:
        weight: dict[int, float] = defaultdict(float)
        for token in set(tokens):
            if token in _ENTRY_STOPWORDS:
                continue
            for word in self._similar_words(token):
                idf = self._idf[word]
                for entry_id in self._postings[word]:
                    weight[entry_id] += idf
        ranked = sorted(weight, key=weight.__getitem__, reverse=True)
        return ranked[:CANDIDATES]

    def scored(self, tokens: Sequence[str]) -> list[tuple[float, Product]]:
        """Products (best label each) with their scores, best first."""
        best: dict[int, float] = {}
        for entry_id in self._candidates(tokens):
            entry = self._entries[entry_id]
            score = score_tokens(tokens, entry.tokens)
            if score > best.get(entry.product_index, -1.0):
                best[entry.product_index] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], len(self.products[kv[0]].name)))
        return [(score, self.products[i]) for i, score in ranked]

    def match(self, tokens: Sequence[str]) -> Match | None:
        """The best product for these words, or None when nothing is close enough."""
        ranked = self.scored(tokens)
        if not ranked or ranked[0][0] < MATCH_THRESHOLD:
            return None
        best_score, best = ranked[0]
        close = tuple(p for s, p in ranked[1:MAX_ALTERNATIVES + 1]
                      if s >= best_score - TIE_MARGIN and s >= MATCH_THRESHOLD)
        if best_score >= 1.0:
            close = tuple(p for p in close if score_tokens(tokens, match_tokens(p.name)) >= 1.0
                          or any(match_tokens(a) == tuple(tokens) for a in p.aliases))
        return Match(best, best_score, close)

    def search(self, text: str, limit: int = 10) -> list[tuple[float, Product]]:
        ranked = self.scored(match_tokens(text))
        return [(s, p) for s, p in ranked if s >= MATCH_THRESHOLD * 0.8][:limit]
