"""How catalog words are said: singular and plural forms, by the ``inflect`` library."""

from __future__ import annotations

from functools import cache

import inflect

from ..text import normalize
from ..text import singular as text_singular


@cache
def _engine() -> inflect.engine:
    return inflect.engine()


@cache
def plural(word: str) -> str:
    """English plural of one singular word: "box" -> "boxes", "loaf" -> "loaves"."""
    return str(_engine().plural_noun(word)) if word else word


@cache
def singular(word: str) -> str:
    """English singular of a plural word, or the word itself when it is not a plural."""
    if not word or text_singular(word) == word:  # the shop's own list of non-plurals
        return word
    found = _engine().singular_noun(word)
    # inflect guesses ("hummus" -> "hummu"); keep only singulars that pluralise back.
    return str(found) if found and plural(str(found)) == word else word


def spoken_forms(label: str) -> set[str]:
    """How a name is said: as spelled (digits as words), and with its last word singular or
    plural ("latte", "lattes"; "strawberries", "strawberry")."""
    words = normalize(label).split()
    if not words:
        return set()
    last = words[-1]
    one = singular(last)
    variants = {one, plural(one)} if one != last else {plural(last)}
    forms = {" ".join(words)}
    forms |= {" ".join([*words[:-1], v]) for v in variants if len(v) > 1 and " " not in v}
    return forms
