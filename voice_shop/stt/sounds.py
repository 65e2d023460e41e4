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
"""Heard words one phrase may replace, and words in one phrase of the index."""
MIN_SIMILARITY = 0.5
"""How alike two phrases must sound to be a reading worth scoring: the mean of their phones
in common (1 - edit distance / length) and of their broad sounds in common (vowels alike,
voiced and voiceless pairs alike). Generous: the model, not this, decides."""
PER_SPAN = 8
"""Phrases kept per stretch of heard words, the closest first."""
_BROAD = {**{v: "V" for v in ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH",
                              "IY", "OW", "OY", "UH", "UW")},
          "B": "P", "D": "T", "G": "K", "V": "F", "DH": "TH", "Z": "S", "ZH": "SH", "JH": "CH"}
"""Sounds a recogniser confuses most: any vowel for another, a consonant for its voiced or
voiceless twin."""


@dataclass(frozen=True)
class Substitution:
    """Heard words ``start``..``end`` (exclusive) read as ``phrase``."""

    start: int
    end: int
    phrase: tuple[str, ...]
    similarity: float


class SoundIndex:
    """The phrases of the shop's language, indexed by sound."""

    def __init__(self, phrases: Iterable[str], counts: Iterable[str] = ()) -> None:
        self.counts = frozenset(counts)
        """Words that say a count ("eight", "dozen")."""
        by_length: dict[int, dict[str, list[tuple[str, tuple[str, ...]]]]] = \
            defaultdict(dict)
        self.words: set[str] = set()
        for phrase in phrases:
            words = tuple(phrase.split())
            if not words or len(words) > MAX_SPAN_WORDS:
                continue
            self.words.update(words)
            key = sound_of(words)
            if key:
                by_length[len(key)].setdefault(broad_sound_of(words), []).append((key, words))
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
        key, broad = sound_of(span), broad_sound_of(span)
        if not key:
            return []
        reach = int(len(key) * (1 - MIN_SIMILARITY) * 2)
        found: list[tuple[float, int, tuple[str, ...]]] = []
        for length in range(max(1, len(key) - reach), len(key) + reach + 1):
            keys, entries = self._by_length.get(length, ([], []))
            for _, broad_score, index in process.extract(
                    broad, keys, scorer=Levenshtein.normalized_similarity,
                    score_cutoff=MIN_SIMILARITY, limit=4 * PER_SPAN):
                for fine, phrase in entries[index]:
                    score = (broad_score + Levenshtein.normalized_similarity(key, fine)) / 2
                    if score >= MIN_SIMILARITY:
                        found.append((score, len(fine), phrase))
        found.sort(key=lambda f: (-f[0], -f[1]))
        return [(phrase, score) for score, _, phrase in found[:PER_SPAN]]


_PHONE_CHARS: dict[str, str] = {}


def sound_of(words: Iterable[str]) -> str:
    """The phones of the words, one character each, stress dropped."""
    return "".join(_word_sound(w) for w in words)


def broad_sound_of(words: Iterable[str]) -> str:
    """The words' sounds with the usual confusions folded together (``_BROAD``)."""
    return "".join(_word_sound(w, broad=True) for w in words)


@lru_cache(maxsize=65536)
def _word_sound(word: str, broad: bool = False) -> str:
    spoken = pronounce(word)
    if not spoken:
        return ""
    phones = [phone.rstrip("012") for phone in spoken[0].split()]
    if broad:
        phones = [_BROAD.get(phone, phone) for phone in phones]
    return "".join(_PHONE_CHARS.setdefault(phone, chr(0x100 + len(_PHONE_CHARS)))
                   for phone in phones)
