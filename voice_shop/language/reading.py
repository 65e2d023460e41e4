"""Reading what an answer says of the things a question offered: option values ("the nine
inch one", "grey"), a count said with it ("two of the oat one"), the words that tell offered
products apart ("the rye"). The dialog asks these of the words heard; it reads no text
itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz

from ..intent.quantities import NUMBER_WORDS, leading_quantity
from ..text import normalize

MIN_TELLING_LIKENESS = 60
"""How like (0-100) the words said must be to the words that set one choice apart."""


def options_said(text: str, options: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Per option group, the longest of its values said as a phrase in ``text``."""
    padded = f" {normalize(text)} "
    found: dict[str, str] = {}
    for group, values in options.items():
        heard = [v for v in values if f" {normalize(v)} " in padded]
        if heard:
            found[group] = max(heard, key=len)
    return found


def options_by_word(text: str, options: Mapping[str, Sequence[str]],
                    ignored: frozenset[str] = frozenset()) -> dict[str, str]:
    """Per group, the one value a word said belongs to and no other value of the group does
    ("grey" for dove grey), for an answer that said no value whole."""
    said = set(normalize(text).split()) - ignored
    found: dict[str, str] = {}
    for group, values in options.items():
        telling = [v for v in values if any(
            w in said and sum(w in normalize(o).split() for o in values) == 1
            for w in normalize(v).split())]
        if len(telling) == 1:
            found[group] = telling[0]
    return found


def leading_count(text: str, values: Sequence[str] = ()) -> int | None:
    """A count said at the start of an answer ("two of the interior one"); a number of one
    of ``values`` ("nine inch", "forty" for forty watt) is no count."""
    said = f" {normalize(text)} "
    for value in values:
        said = said.replace(f" {normalize(value)} ", " ")
    words = said.split()
    value_words = {w for value in values for w in normalize(value).split()}
    if not words or words[0] not in NUMBER_WORDS or words[0] in value_words:
        return None  # "forty" for "forty watt"
    return leading_quantity(words)[0]


def telling_choice(text: str, asked: str, names: Mapping[str, str]) -> str | None:
    """The key of ``names`` the words said choose by what sets its name apart: asked "which
    bread?", "the rye" is Rye Bread. The words asked about, and words two names share,
    choose nothing."""
    words = {key: set(normalize(name).split()) for key, name in names.items()}
    shared = {w for w, n in Counter(w for ws in words.values() for w in ws).items() if n > 1}
    shared |= set(normalize(asked).split())
    spoken = " ".join(w for w in normalize(text).split() if w not in shared)
    telling = {key: " ".join(sorted(ws - shared)) for key, ws in words.items()}
    named = [key for key in names if telling[key]]
    if not spoken or not named:
        return None
    best = max(named, key=lambda key: fuzz.partial_ratio(telling[key], spoken))
    return best if fuzz.token_set_ratio(telling[best], spoken) >= MIN_TELLING_LIKENESS else None
