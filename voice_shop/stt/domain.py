"""The shop's language, compiled for the recognisers from ``language/shop.yaml`` and the catalog.

- ``grammar``: the language as a minimal word graph (PocketSphinx's finite-state grammar, and
  the check "is this a complete command?");
- ``sentences``: sentences drawn from the same templates, every product named in several, for
  the n-gram language model of the second, open pass (and Vosk's phrase list);
- ``words``: the vocabulary, for the pronunciation dictionary.
Everything is keyed by the catalog content and the templates, so either changing rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..language.compiler import ShopLanguage, default_templates
from ..language.forms import plural, spoken_forms
from ..language.graph import GrammarTooLarge, WordGraph
from ..shop.models import Product
from ..text import normalize

__all__ = ["Domain", "build_domain", "catalog_fingerprint", "forget_old_catalogs", "plural",
           "spoken_forms"]

DOMAIN_VERSION = "12"
"""Bump when the compilation changes, so cached models are rebuilt."""
SAMPLES_PER_TEMPLATE = 40
SAMPLES_PER_PRODUCT_FORM = 4
_PRODUCT_INTENTS = ("add_item", "add_item", "remove_item", "price_query")


@dataclass(frozen=True)
class Domain:
    """The compiled shop language for one catalog. The sentence corpus and the vocabulary
    are drawn only when asked for: a recogniser whose models are already compiled for this
    key never needs them (with 5,000 products drawing them took most of the start-up)."""

    key: str
    """Changes whenever the catalog, wake phrase or templates change."""
    language: ShopLanguage
    grammar: WordGraph | None = None
    """None when the catalog is too large for a grammar (the LM alone decodes then)."""
    wake_phrase: str = ""

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """Sentences drawn from the templates, the same ones for the same catalog."""
        return tuple(_corpus(self.language, self.wake_phrase))

    @cached_property
    def words(self) -> frozenset[str]:
        """The vocabulary, for the pronunciation dictionary and Vosk's phrase list."""
        return frozenset(set(self.language.words())
                         | {w for s in self.sentences for w in s.split()})

    def is_command(self, text: str) -> bool:
        """True when the words are a whole sentence of the shop's language."""
        words = _without_wake(text.split(), self.wake_phrase)
        return self.grammar is not None and self.grammar.accepts(words)


def _without_wake(words: list[str], wake: str) -> list[str]:
    phrase = wake.split()
    return words[len(phrase):] if phrase and words[:len(phrase)] == phrase else words


def catalog_fingerprint(products: Sequence[Product]) -> str:
    """A hash of everything in the catalog that the recogniser's language depends on."""
    digest = hashlib.sha256()
    for p in sorted(products, key=lambda p: p.sku):
        digest.update(repr((p.sku, p.name, p.aliases, p.tags, p.category, p.unit,
                            sorted(p.options.items()))).encode())
    return digest.hexdigest()


def _corpus(language: ShopLanguage, wake: str) -> list[str]:
    """Every template's sentences, and a few naming each product. Each draws from a random
    stream of its own (the template's text, the product's name), and a third of the
    sentences, chosen by their own text, are said after the wake phrase: adding a phrasing
    or a product changes only the sentences it draws."""
    sentences = language.sample(SAMPLES_PER_TEMPLATE)
    for form in language.lists.get("product", ()):
        rng = random.Random(form)
        for intent in _PRODUCT_INTENTS[:SAMPLES_PER_PRODUCT_FORM]:
            sentences += language.sample_with(rng, intent, {"product": form}, 1)
    if wake:
        sentences += [f"{wake} {s}" for s in sentences if zlib.crc32(s.encode()) % 3 == 0]
        sentences += [wake] * 5
    return sentences


def build_domain(products: Sequence[Product], wake_phrase: str,
                 cache_dir: Path | None = None) -> Domain:
    """Compile the shop language for these products. The same catalog content always gives
    the same grammar and corpus (and so the same cached models), whatever its import time.
    With ``cache_dir`` the grammar is kept there and read back at the next start."""
    wake = normalize(wake_phrase)
    templates = default_templates()
    key = hashlib.sha256(f"{DOMAIN_VERSION}|{templates.digest}|{wake}|"
                         f"{catalog_fingerprint(products)}".encode()).hexdigest()[:16]
    language = ShopLanguage.for_catalog(products, templates)
    kept = cache_dir / f"grammar-{key}.json" if cache_dir is not None else None
    return Domain(key=key, language=language, grammar=_grammar(language, wake, kept),
                  wake_phrase=wake)


KEPT_CATALOGS = 3
"""Compiled models and grammars kept for this many catalogs (the newest or last used): a
device whose catalog changes every day must not fill its card (5,000 products: ~8 MB each)."""


def forget_old_catalogs(cache_dir: Path, keep: int = KEPT_CATALOGS) -> None:
    """Delete what was compiled for all but the ``keep`` most recently used catalog keys
    (``sphinx-<key>/`` folders and ``grammar-<key>.json`` files)."""
    entries = {entry: entry.name.removeprefix("sphinx-").removeprefix("grammar-")
               .removesuffix(".json")
               for entry in [*cache_dir.glob("sphinx-*"), *cache_dir.glob("grammar-*.json")]}
    last_used: dict[str, float] = {}
    for entry, key in entries.items():
        with contextlib.suppress(OSError):
            last_used[key] = max(last_used.get(key, 0.0), entry.stat().st_mtime)
    keep_keys = set(sorted(last_used, key=last_used.__getitem__)[-keep:])
    for entry, key in entries.items():
        if key not in keep_keys:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _grammar(language: ShopLanguage, wake: str, kept: Path | None) -> WordGraph | None:
    """The word graph, read from ``kept`` when an earlier start wrote it: with 5,000
    products building it takes 1.7 s here (about 7 on a Pi), reading it 0.06 s. A file
    that cannot be read is built again and replaced."""
    if kept is not None and kept.exists():
        try:
            graph = WordGraph.from_json(kept.read_text())
            os.utime(kept)  # in use: the last to be forgotten
            return graph
        except (OSError, ValueError):
            pass
    try:
        grammar = language.graph(prefix=wake)
    except GrammarTooLarge:
        return None
    if kept is not None:
        written: str | None = None
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=kept.parent, delete=False) as f:
                written = f.name
                f.write(grammar.to_json())
            os.replace(written, kept)
        except OSError:  # a read-only or full cache costs the next start the build
            if written is not None:
                Path(written).unlink(missing_ok=True)
    return grammar
