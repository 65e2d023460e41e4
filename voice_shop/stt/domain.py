"""The shop's language, compiled for the recognisers from command templates and the live catalog.

- ``sentences``: a generated corpus of commands for a trigram language model (PocketSphinx)
  and the phrase list that biases Vosk;
- ``words``: the vocabulary, for the pronunciation dictionary.
Everything is keyed by the catalog version, so a catalog change rebuilds it. (A JSGF grammar
of the same commands was tried as a cross-check decode: with a 330-product catalog it ran at a
real-time factor of ~0.65, ten times the LM, so hypotheses are checked against the shop's
language by the intent parser instead; see ``understand.py``.)
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..intent.quantities import UNITS
from ..shop.models import Product
from ..text import normalize

DOMAIN_VERSION = "6"
"""Bump when the templates change, so cached models are rebuilt."""

QUANTITIES = ("a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
              "ten", "eleven", "twelve", "fifteen", "twenty", "twenty four", "a couple of",
              "a few", "half a dozen", "a dozen", "some", "another", "one more", "two more")
SET_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
               "twelve", "twenty")
ADD_VERBS = ("add", "please add", "could you add", "can you add", "i'd like", "i want",
             "i need", "we need", "can i get", "can i have", "could i get", "get me", "give me",
             "i'll have", "i'll take", "order", "buy", "put", "grab", "let me get", "also add",
             "and")
ADD_TAILS = ("", "", "", " to my cart", " to the cart", " please", " in my cart")
SIMPLE_COMMANDS = (
    "what's in my cart", "what is in my cart", "what do i have in my cart", "read my cart",
    "show my cart", "what's my total", "clear my cart", "empty my cart", "start over",
    "check out", "checkout", "i'm ready to check out", "place my order", "place the order",
    "that's everything", "yes", "yes please", "yeah", "yep", "sure", "okay", "correct",
    "that's right", "go ahead", "confirm", "no", "no thanks", "nope", "not now", "cancel",
    "cancel that", "cancel my order", "never mind", "forget it", "stop", "undo", "undo that",
    "scratch that", "take that back", "repeat that", "say that again", "what did you say",
    "help", "what can you do", "any deals", "any deals today", "what's on sale",
    "are there any discounts", "what are the specials", "what do you recommend",
    "any suggestions", "what should i buy", "my usual", "the usual please",
    "same as last time", "reorder my last order", "order it again", "where is my order",
    "what's the status of my order", "has my order shipped", "when will my order arrive",
    "what's on my shopping list", "read my shopping list", "what's on my wish list",
    "five stars", "four stars", "three stars", "i'd rate it five stars", "great service",
    "the delivery was late", "the first one", "the second one", "the third one",
    "the last one", "make it two", "make it three", "make that four", "make it one",
)
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


_IRREGULAR_PLURALS = {"loaf": "loaves", "knife": "knives", "leaf": "leaves", "half": "halves"}


def plural(word: str) -> str:
    """English plural of one (singular) word: "box" -> "boxes", "loaf" -> "loaves"."""
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("ch", "sh", "x", "ss", "o", "z")):
        return word + "es"
    return word + "s"


def spoken_forms(label: str) -> set[str]:
    """How a name is said: as spelled (digits as words), and with the last word singular or
    plural ("latte", "lattes")."""
    words = normalize(label).split()
    if not words:
        return set()
    forms = {" ".join(words)}
    last = words[-1]
    if last.endswith("ies"):
        variants = {last[:-3] + "y"}
    elif last.endswith(("ches", "shes", "xes", "sses", "oes")):
        variants = {last[:-2]}
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
        variants = {last[:-1]}
    else:
        variants = {plural(last)}
    forms |= {" ".join([*words[:-1], v]) for v in variants if len(v) > 1}
    return forms


@dataclass(frozen=True)
class Domain:
    """The compiled shop language for one catalog."""

    key: str
    """Changes whenever the catalog, wake phrase or templates change."""
    sentences: tuple[str, ...]
    words: frozenset[str]


def _labels(product: Product) -> list[str]:
    return [product.name, *product.aliases]


def _option_values(product: Product) -> list[str]:
    return [normalize(v) for values in product.options.values() for v in values]


def _forms(product: Product) -> list[str]:
    return sorted(f for label in _labels(product) for f in spoken_forms(label))


def _item_phrase(rng: random.Random, product: Product, name: str | None = None) -> str:
    name = name or rng.choice(_forms(product))
    parts = [rng.choice(QUANTITIES)]
    unit = normalize(product.unit)
    if unit in UNITS and rng.random() < 0.3:
        parts.append(f"{unit} of" if parts[0] in ("a", "an", "one", "another") else
                     f"{plural(unit)} of")
    sizes = [normalize(v) for v in product.options.get("size", ())]
    if sizes and rng.random() < 0.6:
        parts.append(rng.choice(sizes))
    parts.append(name)
    extras = [o for o in _option_values(product) if o not in sizes]
    if extras and rng.random() < 0.6:
        chosen = rng.sample(extras, k=min(len(extras), rng.choice((1, 2))))
        parts.append("with " + " and ".join(chosen))
    return " ".join(parts)


def _product_sentences(rng: random.Random, product: Product, others: Sequence[Product],
                       tags: Sequence[str]) -> list[str]:
    """Every way the product is named appears in adds, questions and removals."""
    sentences = []
    for name in _forms(product):
        other = _item_phrase(rng, rng.choice(others))
        sentences += [
            f"{rng.choice(ADD_VERBS)} {_item_phrase(rng, product, name)}"
            f"{rng.choice(ADD_TAILS)}",
            f"{rng.choice(ADD_VERBS)} {_item_phrase(rng, product, name)} and {other}",
            f"{rng.choice(ADD_VERBS)} {other} and {_item_phrase(rng, product, name)}",
            f"{rng.choice(('remove', 'take out', 'delete', 'no more', 'remove the'))} {name}",
            rng.choice((f"take the {name} out", f"take {name} out of my cart",
                        f"i don't want the {name}", f"get rid of the {name}")),
            f"{rng.choice(('how much is', 'how much are', 'what is the price of'))} "
            f"{rng.choice(('', 'the '))}{name}",
            f"{rng.choice(('do you have', 'do you sell', 'tell me about'))} {name}",
            rng.choice((f"how much does {name} cost", f"what's the price of {name}",
                        f"is the {name} on sale", f"what's in the {name}")),
        ]
    name = rng.choice(_forms(product))
    sentences += [f"{rng.choice(('change', 'set'))} the {name} to {rng.choice(SET_NUMBERS)}",
                  f"add {name} to my {rng.choice(('shopping', 'wish'))} list",
                  f"do you have any {rng.choice(tags)} {name}" if tags else
                  f"save {name} for later"]
    return sentences


def _corpus(products: Sequence[Product], wake: str, rng: random.Random) -> list[str]:
    tags = sorted({normalize(t) for p in products for t in p.tags})
    categories = sorted({normalize(p.category) for p in products if p.category})
    sentences: list[str] = []
    for product in products:
        sentences += _product_sentences(rng, product, products, tags)
    for command in SIMPLE_COMMANDS:
        sentences += [command] * 8
    sentences += [f"what {c} do you have" for c in categories]
    sentences += [" ".join(rng.choice(DIGITS) for _ in range(4)) for _ in range(40)]
    if wake:
        sentences += [f"{wake} {s}" for s in rng.sample(sentences, k=len(sentences) // 2)]
        sentences += [wake] * 5
    return sentences


def catalog_fingerprint(products: Sequence[Product]) -> str:
    """A hash of everything in the catalog that the recogniser's language depends on."""
    digest = hashlib.sha256()
    for p in sorted(products, key=lambda p: p.sku):
        digest.update(repr((p.sku, p.name, p.aliases, p.tags, p.category, p.unit,
                            sorted(p.options.items()))).encode())
    return digest.hexdigest()


def build_domain(products: Sequence[Product], wake_phrase: str) -> Domain:
    """Compile the shop language for these products. The same catalog content always gives
    the same corpus (and so the same cached models), whatever its import time."""
    wake = normalize(wake_phrase)
    key = hashlib.sha256(f"{DOMAIN_VERSION}|{wake}|{catalog_fingerprint(products)}".encode()
                         ).hexdigest()[:16]
    rng = random.Random(key)
    sentences = _corpus(list(products), wake, rng) if products else list(SIMPLE_COMMANDS)
    words = {w for s in sentences for w in s.split()}
    return Domain(key=key, sentences=tuple(sentences), words=frozenset(words))
