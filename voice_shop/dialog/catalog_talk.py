"""Questions about the catalog: prices, what a product is, what the shop has (by name, by
kind, by need, the cheapest), deals and suggestions. Each answer makes the product it names
what "it" means next."""

from __future__ import annotations

from ..intent.model import Intent
from ..intent.parser import IntentParser
from ..shop.engine import Shop
from ..shop.models import Product
from ..shop.recommend import recommend
from ..text import normalize, singular
from . import wording as say
from .state import (
    GLUE_WORDS,
    WHOLE_NAME_SCORE,
    ConversationState,
    talk_about,
    with_last_product,
)

MAX_PRICES_SAID = 3
"""Asked the price of a word several products share ("the paint"), the first this many."""


class CatalogTalk:
    """Answers questions about the catalog; it changes nothing but what "it" means."""

    def __init__(self, shop: Shop, parser: IntentParser) -> None:
        self.shop = shop
        self.parser = parser

    def price(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        intent = with_last_product(self.shop, intent, state)  # "how much is it?"
        known = [i for i in intent.items if i.sku]
        if not known:
            return say.WHICH_PRICE
        if len(known) == 1 and known[0].alternatives:  # "how much is the paint": which?
            skus = [known[0].sku or "", *known[0].alternatives][:MAX_PRICES_SAID]
            return " ".join(self._price_of(self.shop.product(sku), None) for sku in skus)
        if len(known) == 1:
            talk_about(known[0].sku, state)
        return " ".join(self._price_of(self.shop.product(i.sku or ""), i.quantity)
                        for i in known)

    def _price_of(self, product: Product, quantity: int | None) -> str:
        return say.price(product, self.shop.unit_price_cents(product), quantity)

    def info(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        intent = with_last_product(self.shop, intent, state)  # "tell me about it"
        known = [i for i in intent.items if i.sku]
        if not known:
            return say.WHICH_INFO
        product = self.shop.product(known[0].sku or "")
        talk_about(product.sku, state)
        if intent.tags:  # "is the rye bread gluten free": that, and only what the catalog says
            return " ".join(say.is_tagged(product.name, tag, tag in product.tags)
                            for tag in intent.tags)
        parts = [say.product_sentence(product)]
        if product.tags:
            parts.append(say.tags(product.tags))
        parts.append(self._price_of(product, None))
        if not product.is_in_stock:
            parts.append(say.OUT_OF_STOCK_NOW)
        return " ".join(parts)

    def search(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        if intent.need:
            return self._for_need(intent.need, state)
        if intent.aspect == "cheapest":
            return self._cheapest(intent, state)
        found = self._search_products(intent)
        named = [self.shop.product(i.sku) for i in intent.items
                 if i.sku and i.score >= WHOLE_NAME_SCORE]
        if named and not any(p.is_in_stock for p in named):  # in the catalog, sold out
            return say.out_of_stock(named[0].name)
        what = " ".join([*intent.tags, *(i.query for i in intent.items),
                         intent.category or ""]).strip()  # "white bread"
        if not found and intent.category and intent.items:  # others of the kind asked for
            found = [p for p in self.parser.index.products
                     if p.category == intent.category and p.is_in_stock]
        if not found:
            return say.we_have_none(what)
        if intent.items and not named:  # "white bread": not that, but others like it
            return say.none_but(what, [p.name.lower() for p in found[:3]])
        in_stock = [p for p in named if p.is_in_stock]
        if in_stock or len(found) == 1:  # "do you have parmesan", "add it": the parmesan
            talk_about((in_stock or found)[0].sku, state)
        state.offered = [p.sku for p in found[:3]]
        return say.we_have([p.name.lower() for p in found[:3]], len(found) - 3)

    def _for_need(self, need: str, state: ConversationState) -> str:
        """"anything for a headache": the products whose description, tags, aliases,
        category or name hold the words of the need, the best first."""
        words = {singular(w) for w in normalize(need).split()} - GLUE_WORDS
        scored: list[tuple[int, Product]] = []
        for product in self.parser.index.products:
            if not product.is_in_stock:
                continue
            text = " ".join([product.name, product.description, product.category,
                             *product.aliases, *product.tags])
            said = {singular(w) for w in normalize(text).split()}
            hits = len(words & said)
            if hits:
                scored.append((hits, product))
        if not words or not scored:
            return say.we_have_none(need)
        best = max(hits for hits, _ in scored)
        found = [p for hits, p in scored if hits == best]
        talk_about(found[0].sku, state)
        state.offered = [p.sku for p in found[:3]]
        return say.for_need(need, [p.name.lower() for p in found[:3]], len(found) - 3)

    def _cheapest(self, intent: Intent, state: ConversationState) -> str:
        """"what's the cheapest pasta": of the products the words name, the one in stock
        that costs least."""
        found = self._search_products(intent)
        for item in intent.items:
            kind = singular(normalize(item.query))
            found += [p for p in self.parser.index.products if p.is_in_stock and (
                singular(normalize(p.category)) == kind
                or kind in {singular(w) for w in normalize(p.name).split()})]
        if not found:
            return say.we_have_none(" ".join(i.query for i in intent.items))
        product = min(found, key=lambda p: (self.shop.unit_price_cents(p), p.name))
        talk_about(product.sku, state)
        return say.cheapest(product, self.shop.unit_price_cents(product))

    def _search_products(self, intent: Intent) -> list[Product]:
        candidates: list[Product] = []
        for item in intent.items:
            candidates += [p for _, p in self.parser.index.search(item.query, limit=20)]
        if not intent.items:
            candidates = self.parser.index.products
        found = [p for p in candidates
                 if (not intent.category or p.category == intent.category)
                 and all(t in p.tags for t in intent.tags)]
        unique = {p.sku: p for p in found}
        return [p for p in unique.values() if p.is_in_stock]

    def recommend(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        suggestions = recommend(self.shop, speaker, limit=2)
        if not suggestions:
            return say.NO_SUGGESTION
        return say.how_about([f"{s.product.name.lower()}, since {s.reason}" for s in suggestions])

    def deals(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        promotions = self.shop.active_promotions()
        if intent.items:
            skus = {i.sku for i in intent.items} | {a for i in intent.items for a in i.alternatives}
            promotions = [p for p in promotions if p.sku in skus] or promotions
        if not promotions:
            return say.NO_DEALS
        return say.deals([p.description for p in promotions])
