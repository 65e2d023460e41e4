"""The shop's language: templates as data (``shop.yaml``), compiled with the live catalog.

The templates are written in hassil's syntax and parsed by hassil (Home Assistant's intent
template library), so alternatives, optional words, expansion rules and slot lists mean
exactly what they mean there. From one :class:`ShopLanguage` come:

- ``graph()``: the recogniser's grammar as a minimal word graph (``graph.py``);
- ``sample()``: sentences drawn from the same templates, the corpus of the recogniser's
  n-gram language model;
- ``words()``: the vocabulary, for the pronunciation dictionary;
- the fixed word lists (numbers, digits, ordinals) the parser and dialog read.
Nothing in the templates names a product: every product word comes from the catalog.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    RuleReference,
    TextChunk,
)
from hassil.expression import (
    Sequence as HSequence,
)
from hassil.parse_expression import parse_sentence

from ..errors import VoiceShopError
from ..replies import COUNTED_BY_NAME
from ..shop.models import Product
from ..text import normalize
from .forms import plural, singular, spoken_forms
from .graph import GraphBuilder, WordGraph

CATALOG_LISTS = ("product", "product_one", "product_many", "option", "unit", "unit_one",
                 "unit_many", "category", "tag")
"""Slot lists the compiler fills from the catalog."""
SLOT_OF_FORM_LIST = {"product_one": "product", "product_many": "product",
                     "unit_one": "unit", "unit_many": "unit"}
"""Lists holding the singular or plural forms of a slot's values."""


class LanguageError(VoiceShopError):
    """The language description is malformed."""

    default_code = "language_error"


@dataclass(frozen=True)
class Templates:
    """The parsed description: intents' sentence templates, expansion rules, fixed lists."""

    intents: dict[str, tuple[Expression, ...]]
    rules: dict[str, Expression]
    lists: dict[str, tuple[str, ...]]
    digest: str
    """Hash of the source text: changes whenever a template changes."""
    sources: dict[str, tuple[str, ...]]
    """Each intent's templates as written (what seeds a template's sampled sentences)."""


def rule_phrases(templates: Templates, name: str, limit: int = 5000) -> list[str]:
    """Every phrase an expansion rule without lists can say ("ask" -> "can i get", ...),
    for the parser's trigger words: the parser and the recogniser read the same verbs."""
    def expand(e: Expression, depth: int) -> list[str]:
        if depth > 40:
            raise LanguageError(f"shop language: rule <{name}> refers to itself")
        if isinstance(e, TextChunk):
            return [" ".join(_words(e.text))]
        if isinstance(e, RuleReference):
            return expand(templates.rules[e.rule_name], depth + 1)
        if isinstance(e, ListReference):
            raise LanguageError(f"shop language: rule <{name}> uses a list")
        if isinstance(e, Alternative):
            out = [p for i in e.items for p in expand(i, depth + 1)]
            return [*out, ""] if e.is_optional else out
        if isinstance(e, HSequence):
            phrases = [""]
            for item in e.items:
                phrases = [f"{a} {b}".strip() for a in phrases for b in expand(item, depth + 1)]
                if len(phrases) > limit:
                    raise LanguageError(f"shop language: rule <{name}> is too large to list")
            return phrases
        raise LanguageError(f"shop language: unsupported template part {type(e).__name__}")
    return sorted({p for p in expand(templates.rules[name], 0) if p})


def _parse(template: str, where: str) -> Expression:
    try:
        return parse_sentence(template).expression
    except Exception as exc:  # hassil raises several parse error types
        raise LanguageError(f"shop language: bad template in {where}: {template!r}: {exc}",
                            ) from exc


def parse_templates(text: str) -> Templates:
    """Parse a language description in the ``shop.yaml`` format."""
    data: dict[str, Any] = yaml.safe_load(text) or {}
    lists = {name: tuple(normalize(str(v)) for v in values)
             for name, values in (data.get("lists") or {}).items()}
    rules = {name: _parse(str(body), f"rule <{name}>")
             for name, body in (data.get("expansion_rules") or {}).items()}
    sources = {name: tuple(str(t) for t in templates)
               for name, templates in (data.get("intents") or {}).items()}
    intents = {name: tuple(_parse(t, f"intent {name}") for t in templates)
               for name, templates in sources.items()}
    return Templates(intents, rules, lists, hashlib.sha256(text.encode()).hexdigest()[:12],
                     sources)


@cache
def default_templates() -> Templates:
    """The packaged description of the shop's language."""
    text = resources.files(__package__).joinpath("shop.yaml").read_text(encoding="utf-8")
    return parse_templates(text)


EXTRA_CONNECTORS = frozenset({"with", "and", "plus"})
"""The words that join an extra to its product in the shop language (``extras``)."""


def _words(text: str) -> list[str]:
    return normalize(text).split()


def catalog_lists(products: Sequence[Product]) -> dict[str, tuple[str, ...]]:
    """The slot lists the catalog fills, as spoken word sequences, sorted and unique."""
    from ..intent.quantities import UNITS
    product_one: set[str] = set()
    product_many: set[str] = set()
    for p in products:
        sold_in_packs = _sold_in_packs(p.unit, UNITS)
        for label in (p.name, *p.aliases):
            forms = spoken_forms(label)
            product_one |= {f for f in forms if _is_singular(f)}
            product_many |= {f for f in forms if sold_in_packs or _is_plural(f)}
    options = {normalize(v) for p in products for vs in p.options.values() for v in vs}
    # A value that starts with its own connector ("with pulp") is said after the product
    # with one "with", never two: the rest of it is an extra of its own.
    options |= {o.split(" ", 1)[1] for o in options
                if o.split(" ", 1)[0] in EXTRA_CONNECTORS and " " in o}
    # Pack words the catalog sells by ("two bags of rice"); a catalog of cups needs none.
    units = {f for p in products if _sold_in_packs(p.unit, UNITS)
             for f in spoken_forms(normalize(p.unit))}
    categories = {f for p in products if p.category for f in spoken_forms(p.category)}
    tags = {normalize(t) for p in products for t in p.tags}
    found = {"product": product_one | product_many, "product_one": product_one,
             "product_many": product_many, "option": options, "unit": units,
             "unit_one": {u for u in units if _is_singular(u)},
             "unit_many": {u for u in units if _is_plural(u)},
             "category": categories, "tag": tags}
    return {name: tuple(sorted(v for v in values if v)) for name, values in found.items()}


def _sold_in_packs(unit: str, units: dict[str, str]) -> bool:
    """Sold by a pack word that is said ("a bag of rice", "a ream of paper": any one-word
    unit of the catalog), not counted by name ("a latte")."""
    from ..intent.quantities import pack_word
    word = normalize(unit)
    return (word in units or pack_word(unit) is not None) and word not in COUNTED_BY_NAME


def _is_singular(form: str) -> bool:
    last = form.split()[-1]
    return singular(last) == last


def _is_plural(form: str) -> bool:
    """A plural form; a word that is its own plural ("fish") is both."""
    last = form.split()[-1]
    return singular(last) != last or plural(last) == last


class ShopLanguage:
    """The templates with every list filled: what the shop understands for one catalog."""

    def __init__(self, templates: Templates, lists: dict[str, tuple[str, ...]]) -> None:
        self.templates = templates
        self.lists = {**templates.lists, **lists}
        if "number" in self.lists:  # counts that take a plural noun
            self.lists.setdefault("count", tuple(n for n in self.lists["number"] if n != "one"))
        missing = self._referenced_lists() - set(self.lists)
        if missing:
            raise LanguageError(f"shop language: unknown list(s) {sorted(missing)}")

    @classmethod
    def for_catalog(cls, products: Sequence[Product],
                    templates: Templates | None = None) -> ShopLanguage:
        return cls(templates or default_templates(), catalog_lists(products))

    # ---- structure -----------------------------------------------------------------------
    def _expressions(self) -> Iterator[Expression]:
        yield from self.templates.rules.values()
        for templates in self.templates.intents.values():
            yield from templates

    def _referenced_lists(self) -> set[str]:
        return {e.list_name for root in self._expressions() for e in _walk(root)
                if isinstance(e, ListReference)}

    def words(self) -> frozenset[str]:
        """Every word a sentence of the language can hold."""
        found: set[str] = set()
        for root in self._expressions():
            for e in _walk(root):
                if isinstance(e, TextChunk):
                    found.update(_words(e.text))
        used = self._referenced_lists()
        for name in used:
            for value in self.lists[name]:
                found.update(value.split())
        return frozenset(found)

    # ---- the recogniser's grammar -------------------------------------------------------------
    def graph(self, intents: Iterable[str] | None = None, prefix: str = "") -> WordGraph:
        """The language as a minimal deterministic word graph (the recogniser's grammar)."""
        names = list(intents) if intents is not None else list(self.templates.intents)
        builder = GraphBuilder(self.templates.rules.__getitem__, self.lists.__getitem__)
        roots = [t for n in names for t in self.templates.intents[n]]
        return builder.build(roots, prefix=_words(prefix))

    # ---- sentences for the n-gram model ---------------------------------------------------------
    def sample(self, per_template: int, intents: Iterable[str] | None = None,
               seed: str = "") -> list[str]:
        """Sentences drawn at random from the templates (lists filled at random). Each
        template draws from its own random stream, seeded by its text: adding or changing
        one template leaves every other template's sentences as they were (with one stream
        for all, a new phrasing redrew the whole corpus, and the open pass's language model
        with it)."""
        names = list(intents) if intents is not None else list(self.templates.intents)
        sentences = []
        for name in names:
            templates = zip(self.templates.intents[name], self.templates.sources[name],
                            strict=True)
            for template, source in templates:
                rng = random.Random(f"{seed}|{name}|{source}")
                for _ in range(per_template):
                    text = self._sentence(template, rng)
                    if text:
                        sentences.append(text)
        return sentences

    def sample_with(self, rng: random.Random, intent: str, slot_values: dict[str, str],
                    count: int) -> list[str]:
        """Sentences of one intent in which the given lists take the given values (so every
        product appears in the corpus, whatever the sampling drew elsewhere)."""
        out = []
        for _ in range(count):
            template = rng.choice(self.templates.intents[intent])
            text = self._sentence(template, rng, dict(slot_values))
            if text:
                out.append(text)
        return out

    def _sentence(self, template: Expression, rng: random.Random,
                  fixed: dict[str, str] | None = None) -> str:
        try:
            return " ".join(self._draw(template, rng, 0, fixed))
        except _NoSentence:
            return ""

    def _draw(self, e: Expression, rng: random.Random, depth: int,
              fixed: dict[str, str] | None = None) -> list[str]:
        if depth > 40:
            raise LanguageError("shop language: rules refer to each other without end")
        if isinstance(e, TextChunk):
            return _words(e.text)
        if isinstance(e, ListReference):
            values = self.lists[e.list_name]
            slot = SLOT_OF_FORM_LIST.get(e.list_name, e.list_name)
            if fixed and slot in fixed:
                if fixed[slot] not in values:
                    raise _NoSentence  # a plural form where the grammar wants a singular
                return fixed.pop(slot).split()
            if not values:
                raise _NoSentence  # an empty list: no sentence goes this way
            return rng.choice(values).split()
        if isinstance(e, RuleReference):
            return self._draw(self.templates.rules[e.rule_name], rng, depth + 1, fixed)
        if isinstance(e, Alternative):
            if e.is_optional and rng.random() < 0.5:
                return []
            choices = [i for i in e.items if not _is_empty(i)]
            rng.shuffle(choices)
            for choice in choices:
                try:
                    return self._draw(choice, rng, depth + 1, fixed)
                except _NoSentence:
                    continue
            if choices and not e.is_optional:
                raise _NoSentence
            return []
        if isinstance(e, HSequence):
            return [w for item in e.items for w in self._draw(item, rng, depth + 1, fixed)]
        raise LanguageError(f"shop language: unsupported template part {type(e).__name__}")


class _NoSentence(Exception):
    """The drawn path needs a value from an empty list."""


def _walk(e: Expression) -> Iterator[Expression]:
    yield e
    if isinstance(e, Group):
        for item in e.items:
            yield from _walk(item)


def _is_empty(e: Expression) -> bool:
    return isinstance(e, TextChunk) and not e.text.strip()
