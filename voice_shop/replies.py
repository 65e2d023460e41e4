"""How products and cart lines are said aloud: articles, plurals and pack words by ``inflect``.

"a dozen large eggs", "two packs of bacon", "three large lattes with oat milk", "an iced
mocha": the wording of a line lives here, apart from the dialog's decisions.
"""

from __future__ import annotations

from collections.abc import Sequence

from .language.forms import engine, plural, singular
from .language.lexicon import lexicon
from .money import number_to_words
from .text import singular as match_singular

_WORDS = lexicon()
COUNTED_BY_NAME = _WORDS.counted_by_name
"""Units that are not said: "two lattes", not "two cups of lattes"."""
BY_THE_DOZEN = "dozen"
SPOKEN_UNITS = _WORDS.spoken_units
"""Catalog abbreviations said as words: "three pounds of apples", never "three lbs"."""
COUNTED_IN_PACKS = _WORDS.counted_in_packs
"""Things a pack holds several of, said in the plural after it ("a pack of light bulbs"),
whatever the catalog's name; other names stay as they are ("a pack of bacon")."""
SAID_BEFORE_THE_NAME = _WORDS.said_before_the_name
"""Option groups whose values describe the product ("a twenty ounce claw hammer", "satin
interior paint", "a dark roast coffee"); the others are said after "with" ("a latte with oat
milk")."""


def _head_of(words: list[str]) -> int | None:
    """Where the counted noun of "set of mixing bowls" is ("set"): the word before an "of"
    that a plural follows; None for a name counted by its last word ("cream of wheat")."""
    for i, word in enumerate(words[1:-1], start=1):
        if word == "of" and singular(words[-1]) != words[-1]:
            return i - 1
    return None


def _plural_phrase(phrase: str) -> str:
    """Plural of a name: its last word pluralised ("iced mocha" -> "iced mochas"), or the
    noun before "of" ("sets of mixing bowls"); a name that is plural already ("large
    eggs") stays as it is."""
    words = phrase.split()
    if not words:
        return phrase
    head = _head_of(words)
    if head is not None:
        return " ".join([*words[:head], plural(singular(words[head])), *words[head + 1:]])
    return " ".join([*words[:-1], plural(singular(words[-1]))])


def _singular_phrase(phrase: str) -> str:
    """"bananas" -> "banana": one of a product whose catalog name is plural ("a set of
    mixing bowls" keeps its bowls)."""
    words = phrase.split()
    if not words or _head_of(words) is not None:
        return phrase
    return " ".join([*words[:-1], singular(words[-1])])


def _count(quantity: int, following: str) -> str:
    """"a"/"an" for one, number words otherwise."""
    if quantity == 1:
        return str(engine().a(following)).rsplit(" ", len(following.split()))[0]
    return number_to_words(quantity)


def written_options(options: dict[str, str] | None) -> list[str]:
    """Option values in the order they are written and said: the values that describe the
    product first (size first of all), then the others ("medium", "oat milk")."""
    options = options or {}
    before = [v for g, v in sorted(options.items(), key=lambda gv: (gv[0] != "size", gv[0]))
              if g.lower() in SAID_BEFORE_THE_NAME]
    extras = [v for g, v in options.items() if g.lower() not in SAID_BEFORE_THE_NAME]
    return [*before, *extras]


def written_line(quantity: int, name: str, options: dict[str, str] | None = None) -> str:
    """One line as written for the household: "2 x Latte, medium, oat milk"."""
    return ", ".join([f"{quantity} x {name}", *written_options(options)])


def describe(name: str, quantity: int, options: dict[str, str] | None = None,
             unit: str | None = None) -> str:
    """One line as said aloud: quantity, size, name (plural when more than one, or the pack
    word: "two packs of bacon"), and the other options after "with"."""
    options = options or {}
    unit_word = spoken_unit(unit)
    # A value that names the pack ("eight pack" of batteries sold by the pack) is the pack
    # word itself: "an eight pack of aa batteries", never "... with eight pack".
    pack_value = next((v for v in options.values() if unit_word not in COUNTED_BY_NAME
                       and v.lower().split()[-1:] == [unit_word]), None)
    options = {g: v for g, v in options.items() if v != pack_value}
    before = [v for g, v in sorted(options.items(), key=lambda gv: (gv[0] != "size", gv[0]))
              if g.lower() in SAID_BEFORE_THE_NAME]
    extras = [v for g, v in options.items() if g.lower() not in SAID_BEFORE_THE_NAME]
    noun = " ".join([*before, name.lower()])
    unit_word = pack_value.lower() if pack_value else unit_word
    if unit_word == BY_THE_DOZEN:
        head = f"{'a' if quantity == 1 else number_to_words(quantity)} dozen " \
               f"{_plural_phrase(noun)}"
    elif unit_word in COUNTED_BY_NAME:
        said = _singular_phrase(noun) if quantity == 1 else _plural_phrase(noun)
        head = f"{_count(quantity, said)} {said}"
    else:
        pack = unit_word if quantity == 1 else _plural_phrase(unit_word)
        held = noun.split()[-1:]
        if held and singular(held[0]) in COUNTED_IN_PACKS:  # "a pack of light bulbs"
            noun = _plural_phrase(noun)
        head = f"{_count(quantity, pack)} {pack} of {noun}"
    return head + (f" with {join(extras)}" if extras else "")


def spoken_unit(unit: str | None) -> str:
    """A catalog unit as said: "lb" -> "pound", "Bag" -> "bag"; "" for none."""
    word = (unit or "").strip().lower().rstrip(".")
    return SPOKEN_UNITS.get(word, word)


PLURAL_ONLY = _WORDS.plural_only
"""Nouns that are plural though they name one thing ("safety glasses are")."""


def is_plural_name(name: str) -> bool:
    """The name is said as a plural ("avocados", "safety glasses"; not "hummus")."""
    words = name.lower().split()
    if not words:
        return False
    last = words[-1]  # the matching form: "cookie" and "cookies" are both "cooky" there
    return (match_singular(last) != last and not last.endswith("ie")) or last in PLURAL_ONLY


def comes_by(name: str, unit: str | None) -> str:
    """How a product is sold: "whole milk comes by the gallon", "large eggs come by the
    dozen", "watermelons come one at a time"."""
    verb = "come" if is_plural_name(name) else "comes"
    unit_word = spoken_unit(unit)
    how = "one at a time" if unit_word in COUNTED_BY_NAME else f"by the {unit_word}"
    return f"{name.lower()} {verb} {how}"


def join(parts: Sequence[str], last: str = "and") -> str:
    """"a, b and c"."""
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {last} " + parts[-1]
