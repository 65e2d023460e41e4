"""Pronunciations (CMU ARPAbet) for every word the shop's recogniser must know.

Words in PocketSphinx's bundled CMU dictionary are taken from it. A missing word gets one by,
in order: a plural of a known word ("lattes"), espeak-ng's phonemes mapped to ARPAbet
("kombucha"), a compound of known words ("sourdough"), or spelling it letter by letter.
"""

from __future__ import annotations

import shutil
import subprocess
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

_VOICELESS = {"P", "T", "K", "F", "TH"}
_SIBILANT = {"S", "Z", "SH", "ZH", "CH", "JH"}
_ZWJ = "\u200d"
_IPA = {
    "ɑ": "AA", "ɒ": "AA", "a": "AA", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH", "ɔ": "AO",
    "a\u200dʊ": "AW", "a\u200dɪ": "AY", "ɛ": "EH", "e": "EH", "ɚ": "ER", "ɝ": "ER", "ɜ": "ER",
    "e\u200dɪ": "EY", "ɪ": "IH", "ᵻ": "IH", "i": "IY", "o\u200dʊ": "OW", "o": "OW",
    "ɔ\u200dɪ": "OY", "ʊ": "UH", "u": "UW", "b": "B", "t\u200dʃ": "CH", "d": "D", "ð": "DH",
    "f": "F", "ɡ": "G", "g": "G", "h": "HH", "d\u200dʒ": "JH", "k": "K", "l": "L", "m": "M",
    "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "s": "S", "ʃ": "SH", "t": "T",
    "θ": "TH", "v": "V", "w": "W", "j": "Y", "z": "Z", "ʒ": "ZH", "ɾ": "T", "ʔ": "T",
    "ɬ": "L", "x": "K", "ɑ\u200dɹ": "AA R", "ɔ\u200dɹ": "AO R", "ɛ\u200dɹ": "EH R",
    "ɪ\u200dɹ": "IH R", "ʊ\u200dɹ": "UH R", "i\u200də": "IY AH", "e\u200də": "EH R",
    "a\u200dɪ\u200dɚ": "AY ER", "a\u200dʊ\u200dɚ": "AW ER",
}
_LETTERS = {
    "a": "EY", "b": "B IY", "c": "S IY", "d": "D IY", "e": "IY", "f": "EH F", "g": "JH IY",
    "h": "EY CH", "i": "AY", "j": "JH EY", "k": "K EY", "l": "EH L", "m": "EH M", "n": "EH N",
    "o": "OW", "p": "P IY", "q": "K Y UW", "r": "AA R", "s": "EH S", "t": "T IY", "u": "Y UW",
    "v": "V IY", "w": "D AH B AH L Y UW", "x": "EH K S", "y": "W AY", "z": "Z IY",
}


MAX_SPELLED_LETTERS = 4
"""Words this short that the dictionary lacks are also given their letters spoken."""


def bundled_dictionary_path() -> Path:
    import pocketsphinx
    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


@lru_cache(maxsize=1)
def cmu_dictionary() -> Mapping[str, list[str]]:
    """word -> its pronunciations (variants ``word(2)`` folded in)."""
    return PackedDictionary.from_lines(bundled_dictionary_path().read_text("utf-8")
                                       .splitlines())


class _Packed:
    """Strings packed into one, each found by its offset (a sequence ``bisect`` can search)."""

    def __init__(self, items: list[str]) -> None:
        self._text = "".join(items)
        self._ends = np.cumsum([len(item) for item in items], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        start = int(self._ends[i - 1]) if i > 0 else 0
        return self._text[start:int(self._ends[i])]


class PackedDictionary(Mapping[str, list[str]]):
    """The dictionary kept as two packed strings, sorted by word: it is looked up for every
    word heard, and as a dict of lists its 135,000 words took ~30 MB of Python objects."""

    def __init__(self, words: list[str], pronunciations: list[list[str]]) -> None:
        """``words`` sorted, each with its pronunciations."""
        self._words = _Packed(words)
        self._phones = _Packed(["\n".join(p) for p in pronunciations])

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> PackedDictionary:
        """From the dictionary's lines (``word(2) phones`` for a variant)."""
        entries: dict[str, list[str]] = {}
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if phones:
                entries.setdefault(word.split("(")[0], []).append(phones.strip())
        words = sorted(entries)
        return cls(words, [entries[word] for word in words])

    def __getitem__(self, word: str) -> list[str]:
        i = bisect_left(self._words, word)
        if i < len(self._words) and self._words[i] == word:
            return self._phones[i].split("\n")
        raise KeyError(word)

    def __iter__(self) -> Iterator[str]:
        return (self._words[i] for i in range(len(self._words)))

    def __len__(self) -> int:
        return len(self._words)


def _plural(word: str, known: Mapping[str, list[str]]) -> str | None:
    for stem in (word[:-1], word[:-2]) if word.endswith("es") else (word[:-1],):
        if word.endswith("s") and stem in known:
            phones = known[stem][0]
            last = phones.split()[-1]
            suffix = "IH Z" if last in _SIBILANT else "S" if last in _VOICELESS else "Z"
            return f"{phones} {suffix}"
    return None


def ipa_to_arpabet(ipa: str) -> str:
    text = "".join(c for c in ipa if c not in "ˈˌː ̩-")
    phones: list[str] = []
    i = 0
    while i < len(text):
        symbol = text[i]
        while i + 2 < len(text) + 1 and i + 1 < len(text) and text[i + 1] == _ZWJ:
            symbol += text[i + 1:i + 3]
            i += 2
        i += 1
        mapped = _IPA.get(symbol)
        if mapped is None and _ZWJ in symbol:  # unknown diphthong: map its parts
            mapped = " ".join(_IPA[p] for p in symbol.split(_ZWJ) if p in _IPA)
        if mapped:
            phones.append(mapped)
    return " ".join(phones)


def _espeak(word: str) -> str | None:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "-q", "--ipa=3", "-v", "en-us", word], capture_output=True,
                             text=True, timeout=10, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    phones = ipa_to_arpabet(out.strip())
    return phones or None


def _compound(word: str, known: Mapping[str, list[str]]) -> str | None:
    for cut in range(len(word) - 3, 2, -1):
        head, tail = word[:cut], word[cut:]
        if head in known and tail in known:
            return f"{known[head][0]} {known[tail][0]}"
    return None


def pronounce(word: str) -> list[str]:
    """Every known pronunciation of ``word``, or one made for it."""
    known = cmu_dictionary()
    if word in known:
        return known[word]
    spelled = " ".join(_LETTERS[c] for c in word if c in _LETTERS)
    made = _plural(word, known) or _espeak(word) or _compound(word, known) or spelled
    if not made:
        return []
    # A short word the dictionary lacks is often letters said one by one ("aa" batteries,
    # "usb", "tv"): both ways, the recogniser takes whichever was said.
    if len(word) <= MAX_SPELLED_LETTERS and word.isalpha() and spelled and spelled != made:
        return [made, spelled]
    return [made]


def write_dictionary(words: Iterable[str], path: Path) -> list[str]:
    """Write a PocketSphinx dictionary for ``words``; returns the words it had to invent."""
    known = cmu_dictionary()
    invented = []
    lines = []
    for word in sorted(set(words)):
        prons = pronounce(word)
        if word not in known:
            invented.append(word)
        for n, phones in enumerate(prons):
            lines.append(f"{word}{'' if n == 0 else f'({n + 1})'} {phones}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return invented
