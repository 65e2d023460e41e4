"""How catalog words are said: singular and plural forms, by the ``inflect`` library."""

from __future__ import annotations

import sys
import threading
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..text import normalize
from ..text import singular as text_singular

if TYPE_CHECKING:
    import inflect


_IMPORTING = threading.Lock()


def _unchecked(target: Any = None, **_options: Any) -> Any:
    """typeguard's ``typechecked`` as it is under ``python -O``: the target unchanged."""
    return target if target is not None else _unchecked


def _import_inflect() -> ModuleType:
    """``import inflect``, without typeguard recompiling every method of its engine.

    inflect 7.2+ decorates the engine with ``@typechecked``, which parses and recompiles
    each method's source at import: 1-2 s here and several on a Pi, paid by every command
    that builds the parser (jaraco/inflect#212). Those checks only reject arguments of the
    wrong type, and typeguard itself drops them under ``python -O``; the words inflect
    gives are the same (``test_forms.py`` compares them with a normal import)."""
    with _IMPORTING:  # the swap below is process-wide: one thread at a time
        if "inflect" in sys.modules:
            return sys.modules["inflect"]
        try:
            import typeguard
        except ImportError:  # an inflect without typeguard has nothing to skip
            import inflect
            return inflect
        checked = typeguard.typechecked
        typeguard.typechecked = _unchecked
        try:
            import inflect
        finally:
            typeguard.typechecked = checked
        return inflect


@cache
def engine() -> inflect.engine:
    """The one inflect engine of the process (plurals here, articles in ``replies``)."""
    return _import_inflect().engine()


@cache
def plural(word: str) -> str:
    """English plural of one singular word: "box" -> "boxes", "loaf" -> "loaves"."""
    return str(engine().plural_noun(word)) if word else word


@cache
def singular(word: str) -> str:
    """English singular of a plural word, or the word itself when it is not a plural."""
    if not word or text_singular(word) == word:  # the shop's own list of non-plurals
        return word
    found = engine().singular_noun(word)
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
