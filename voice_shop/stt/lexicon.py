"""The shop's words by their sound: which phrases of the shop's language a stretch of heard
words could have been.

A neural recogniser writes what it heard in open English ("mocker", "a downs", "light
rose"); the phrases of the shop's language that sound like it ("mocha", "eight ounce",
"light roast") are the readings the model is then asked to score. Sound is compared as
ARPAbet phones (the pronunciation dictionary, espeak-ng for other words), one character per
phone, by edit distance; an index by length keeps this fast for a catalog of thousands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .pronounce import pronounce

MAX_SPAN_WORDS = 3
"""Heard words one phrase may replace, and words in a phrase of the lexicon."""
MIN_SIMILARITY = 0.4
"""Phones in common (1 - edit distance / length) for a phrase to be a reading worth scoring:
generous, since the model, not this, decides."""
PER_SPAN = 3
"""Phrases kept per stretch of heard words, the closest first."""


@dataclass(frozen=True)
class Substitution:
    """Heard words ``start``..``end`` (exclusive) read as ``phrase``."""

    start: int
    end: int
    phrase: tuple[str, ...]
    similarity: float


class Lexicon:
    """The phrases of the shop's language, indexed by sound."""

    def __init__(self, phrases: Iterable[str], counts: Iterable[str] = ()) -> None:
        self.counts = frozenset(counts)
        """Words that say a count ("eight", "dozen")."""
        by_length: dict[int, dict[str, tuple[str, ...]]] = defaultdict(dict)
        self.words: set[str] = set()
        for phrase in phrases:
            words = tuple(phrase.split())
            if not words or len(words) > MAX_SPAN_WORDS:
                continue
            self.words.update(words)
            key = sound_of(words)
            if key:
                by_length[len(key)].setdefault(key, words)
        self._by_length = {n: (list(keys), list(keys.values()))
                           for n, keys in by_length.items()}

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def substitutions(self, words: list[str]) -> list[Substitution]:
        """Every close-sounding phrase for every stretch of up to ``MAX_SPAN_WORDS`` words,
        other than the words themselves."""
        found = []
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + MAX_SPAN_WORDS) + 1):
                span = tuple(words[start:end])
                for phrase, similarity in self._closest(span):
                    if phrase != span:
                        found.append(Substitution(start, end, phrase, similarity))
        return found

    def _closest(self, span: tuple[str, ...]) -> list[tuple[tuple[str, ...], float]]:
        key = sound_of(span)
        if not key:
            return []
        reach = int(len(key) * (1 - MIN_SIMILARITY))
        best: list[tuple[tuple[str, ...], float]] = []
        for length in range(max(1, len(key) - reach), len(key) + reach + 1):
            keys, phrases = self._by_length.get(length, ([], []))
            for _, score, index in process.extract(
                    key, keys, scorer=Levenshtein.normalized_similarity,
                    score_cutoff=MIN_SIMILARITY, limit=PER_SPAN):
                best.append((phrases[index], float(score)))
        best.sort(key=lambda found: -found[1])
        return best[:PER_SPAN]


_PHONE_CHARS: dict[str, str] = {}


def sound_of(words: Iterable[str]) -> str:
    """The phones of the words, one character each, stress dropped."""
    return "".join(_word_sound(w) for w in words)


@lru_cache(maxsize=65536)
def _word_sound(word: str) -> str:
    spoken = pronounce(word)
    if not spoken:
        return ""
    return "".join(_PHONE_CHARS.setdefault(phone.rstrip("012"), chr(0x100 + len(_PHONE_CHARS)))
                   for phone in spoken[0].split())
