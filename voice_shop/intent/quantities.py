"""Spoken quantities and pack words: "a couple of", "half a dozen", "two bags of".

Plain number words ("twenty four") are read by the text2num library; the phrases people use
instead of numbers, the pack words and the rest are listed in ``language/lexicon.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text_to_num import text2num

from ..language.lexicon import lexicon
from ..replies import COUNTED_BY_NAME, spoken_unit

_WORDS = lexicon()

NUMBER_WORDS = _WORDS.number_words

# Longest first; each maps a leading word sequence to a quantity.
_PHRASES = _WORDS.amount_phrases

UNITS = _WORDS.units
MEASURES = _WORDS.measures
"""Units that weigh or measure an amount: said of a product sold by another unit ("three
gallons" of paint sold by the litre) they are not a count of the product's units."""
MAX_SPOKEN_QUANTITY = 1_000_000
SIGN_WORDS = _WORDS.sign_words
"""Said right before a number, they make the amount negative (refused by the dialog)."""


def _number_at(tokens: Sequence[str], start: int) -> tuple[int, int] | None:
    """The longest run of number words at ``start`` that text2num reads, and its end."""
    end = start
    while end < len(tokens) and (tokens[end] in NUMBER_WORDS or (
            tokens[end] == "and" and end > start and end + 1 < len(tokens)
            and tokens[end + 1] in NUMBER_WORDS and tokens[end - 1] in {"hundred", "thousand"})):
        end += 1
    while end > start:
        try:
            return min(int(text2num(" ".join(tokens[start:end]), "en")), MAX_SPOKEN_QUANTITY), end
        except ValueError:
            end -= 1
    return None


_SCALE_WORDS = frozenset({"hundred", "thousand", "million"})


def leading_quantity(tokens: Sequence[str]) -> tuple[int | None, int]:
    """Quantity said at the start of ``tokens`` and how many tokens it used ("a hundred" is
    a hundred, never one)."""
    number = _number_at(tokens, 0)
    if number is None and tokens[:1] in (["a"], ["an"]) and tokens[1:2] \
            and tokens[1] in _SCALE_WORDS:
        number = _number_at(tokens, 1)
    if number is not None:
        value, end = number
        if end < len(tokens) and tokens[end] == "dozen":
            return value * 12, end + 1
        if end < len(tokens) and tokens[end] == "more":  # "two more": as "one more"
            return value, end + 1
        return value, end
    for phrase, value in _PHRASES:
        if tuple(tokens[:len(phrase)]) == phrase:
            return value, len(phrase)
    return None, 0


def leading_unit(tokens: Sequence[str], catalog_units: frozenset[str] = frozenset(),
                 ) -> tuple[str | None, int]:
    """A pack or measure word at the start ("bags of"), singular, and tokens used; besides
    the common ones, the catalog's own (``catalog_units``: "reams of" paper)."""
    for width in (2, 1):
        if len(tokens) < width:
            continue
        words = tokens[:width]
        key = " ".join(words)
        singular_key = " ".join((*words[:-1], _singular_unit(words[-1])))
        unit = UNITS.get(key) or UNITS.get(singular_key) or (
            singular_key if singular_key in catalog_units else None)
        if unit:
            used = width + (1 if len(tokens) > width and tokens[width] == "of" else 0)
            return unit, used
    return None, 0


def pack_word(unit: str) -> str | None:
    """A catalog unit that is a word said before "of" ("ream", "sleeve", "bag"), singular;
    None for units counted by name ("each", "cup") or not one word ("12 oz bag")."""
    word = spoken_unit(unit)
    if not word.isalpha() or word in COUNTED_BY_NAME:
        return None
    return UNITS.get(word) or UNITS.get(_singular_unit(word)) or _singular_unit(word)


def unit_named(unit: str | None) -> str | None:
    """A catalog's unit ("lb", "Litres", "box") as the unit word the parser gives ("pound",
    "liter", "box"); None when it is no known unit ("12 oz bag")."""
    word = spoken_unit(unit)
    return UNITS.get(word) or UNITS.get(_singular_unit(word))


_FRACTIONS = _WORDS.fractions
_AFTER_A_BARE_FRACTION = frozenset({"of", *UNITS})


def leading_fraction(tokens: Sequence[str], *, after_number: bool) -> int:
    """How many tokens at the start say a part of one ("half a", "a quarter of a"; after a
    number, "and a half" and "point five"); 0 when none. A bare "half", "a quarter" or "a
    third" counts only before a unit or "of" ("half gallon", never "half and half", "half
    moon cookies" or "a third pack")."""
    if after_number and tokens[:1] == ["point"] and tokens[1:2] and tokens[1] in DIGITS:
        return 1 + next((i for i, t in enumerate(tokens[1:]) if t not in DIGITS),
                        len(tokens) - 1)
    for fraction in _FRACTIONS:
        if tuple(tokens[:len(fraction)]) != fraction or (fraction[0] == "and") != after_number:
            continue
        if fraction[-1] in {"half", "quarter", "quarters", "third"} \
                and tokens[len(fraction):len(fraction) + 1] \
                and _singular_unit(tokens[len(fraction)]) not in _AFTER_A_BARE_FRACTION:
            continue
        return len(fraction)
    return 0


def _singular_unit(word: str) -> str:
    if word.endswith("ves"):
        return word[:-3] + "f"
    if word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# Recognisers hear "add two eggs" as "add to eggs"; a number word is what was meant when one of
# these starts an item and a product follows (a name starting with it wins: "free range eggs").
_HOMOPHONES = _WORDS.homophones
_NOT_AFTER_HOMOPHONE = _WORDS.not_after_homophone

def spoken_homophone_quantity(tokens: Sequence[str]) -> tuple[int | None, int]:
    if len(tokens) >= 2 and tokens[0] in _HOMOPHONES and tokens[1] not in _NOT_AFTER_HOMOPHONE:
        return _HOMOPHONES[tokens[0]], 1
    return None, 0


def _is_sign_at(tokens: Sequence[str], i: int) -> bool:
    return tokens[i] in SIGN_WORDS and i + 1 < len(tokens) and tokens[i + 1] in NUMBER_WORDS


def has_negative_amount(tokens: Sequence[str]) -> bool:
    """True when "minus"/"negative" is said right before a number ("add minus five")."""
    return any(_is_sign_at(tokens, i) for i in range(len(tokens)))


def without_signs(tokens: Sequence[str]) -> list[str]:
    """The tokens without the sign words of negative amounts (the number stays)."""
    return [t for i, t in enumerate(tokens) if not _is_sign_at(tokens, i)]


PLACES = _WORDS.places
"""The shop language's ``{ordinal}`` words as places in a list that was offered ("the
second one"); "other" names no place. ``test_language.py`` checks the two agree."""
_PLACE_NOUNS = _WORDS.place_nouns


def spoken_place(tokens: Sequence[str]) -> int | None:
    """Which of the offered things was chosen: "the second one" -> 2, "the last one" -> -1,
    "number three" -> 3; None when no place is said."""
    for i, token in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in PLACES and not (i and tokens[i - 1] in {"a", "an"}) \
                and after not in _WORDS.not_a_place_before:
            return PLACES[token]  # not "wait a second", "what did I order last time"
        if token in _PLACE_NOUNS and i + 1 < len(tokens):
            number = _number_at(tokens, i + 1)
            if number is not None and number[0] >= 1:
                return number[0]
    return None


DIGITS = _WORDS.digits
"""The shop language's ``{digit}`` words, and their homophones."""
MIN_SPOKEN_DIGITS = 4


_CODE_LEAD_IN = re.compile(
    r"((yes|yeah|yep|okay|ok|sure|um|uh|so|and|it's|it is|that's|that is) )*"
    r"((my|the) )?((purchase )?(pin|code|password|passcode)( number)?( is)? )?")


def is_code_lead_in(words: Sequence[str]) -> bool:
    """What may come before a code: nothing, "yes", "my pin is", "it's" ... never other words
    ("no, not one two three four" is no PIN)."""
    return _CODE_LEAD_IN.fullmatch("".join(f"{w} " for w in words)) is not None


def spoken_digits(tokens: Sequence[str]) -> str | None:
    """A code said digit by digit ("one two three four", "yes, four oh oh seven", "my pin
    is ...") as a digit string: at least ``MIN_SPOKEN_DIGITS`` digit words at the end of
    the utterance, after nothing but a lead-in (``is_code_lead_in``)."""
    count = 0
    while count < len(tokens) and tokens[len(tokens) - 1 - count] in DIGITS:
        count += 1
    if count < MIN_SPOKEN_DIGITS or not is_code_lead_in(tokens[:len(tokens) - count]):
        return None
    return "".join(str(DIGITS[t]) for t in tokens[len(tokens) - count:])
