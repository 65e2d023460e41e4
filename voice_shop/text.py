"""Text normalisation shared by the catalog index, the intent parser and the recogniser.

Everything that compares words (a product name with what a shopper said) goes through
``normalize`` and ``match_tokens`` so that both sides are spelled the same way: lower case,
no punctuation, digits spelled as words, plural nouns singular.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .money import number_to_words

_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "#": " number "}
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_NEGATIVE_DIGITS = re.compile(r"(?<![\w.])-(?=\d)")
_MAX_SPELLED = 999_999_999

# Words whose trailing "s" is not a plural marker.
_NOT_PLURAL = {
    "is", "was", "has", "this", "us", "yes", "gas", "bus", "plus", "hummus", "asparagus",
    "couscous", "citrus", "molasses", "swiss", "always", "less", "its", "his",
    "does", "series", "species", "news", "lettuce", "grits", "jeans", "glasses",
    "dress", "express", "cress", "bass", "moss", "floss", "gloss", "class", "grass", "glass",
    "kiss", "boss", "cactus", "octopus", "virus", "bonus", "status", "focus", "walrus",
}
# Irregular plurals mapped to the singular.
_IRREGULAR = {
    "loaves": "loaf", "knives": "knife", "leaves": "leaf", "halves": "half", "potatoes": "potato",
    "tomatoes": "tomato", "mangoes": "mango", "children": "child", "geese": "goose",
    "mice": "mouse", "teeth": "tooth", "feet": "foot", "men": "man", "women": "woman",
    "dice": "die", "oxen": "ox", "people": "person", "boxes": "box", "dishes": "dish",
    "scarves": "scarf", "shelves": "shelf", "wolves": "wolf", "calves": "calf",
    "hooves": "hoof", "wives": "wife", "lives": "life", "thieves": "thief",
}


def normalize(text: str) -> str:
    """Lower-case, spell symbols and digits as words, drop punctuation, fold spaces."""
    text = text.lower().replace("\u2019", "'")
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"(\d)\.(\d)", r"\1 point \2", text)
    text = _NEGATIVE_DIGITS.sub(" minus ", text)
    text = _DIGITS.sub(lambda m: f" {number_to_words(_capped_int(m.group()))} ", text)
    text = text.replace("-", " ")
    text = _NON_WORD.sub(" ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return _SPACES.sub(" ", text).strip()


def _capped_int(digits: str) -> int:
    """The number, capped: a 5,000-digit string is never converted (Python refuses to)."""
    digits = digits.lstrip("0") or "0"
    return _MAX_SPELLED if len(digits) > len(str(_MAX_SPELLED)) else min(int(digits),
                                                                         _MAX_SPELLED)


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """A cheap, consistent singular form: applied to both catalog and query words."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _NOT_PLURAL or word.endswith(("ss", "us", "is", "'s")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ie") and len(word) > 4:
        return word[:-2] + "y"  # "cookie" and "cookies" alike, as "berry" and "berries"
    if word.endswith(("ches", "shes", "xes", "zzes", "sses")):
        return word[:-2]
    if word.endswith("oes"):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def match_tokens(text: str) -> tuple[str, ...]:
    """Normalised, singular tokens of ``text``: the form product matching compares."""
    return tuple(singular(t) for t in normalize(text).split())
