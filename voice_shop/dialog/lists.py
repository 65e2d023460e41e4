"""The household's shopping and wish lists, by voice: add to them, read them, take from
them, and order what they hold."""

from __future__ import annotations

import dataclasses

from ..errors import CartError
from ..intent.model import Intent, ItemSlot
from ..intent.parser import SINGLE_UNIT, IntentParser
from ..replies import BY_THE_DOZEN, describe
from ..shop.engine import MAX_LINE_QUANTITY, Shop
from ..shop.models import ListItem, ListName
from ..text import normalize, singular
from . import wording as say
from .state import ConversationState


class ListTalk:
    """What is said about the lists; the cart is the dialog's."""

    def __init__(self, shop: Shop, parser: IntentParser) -> None:
        self.shop = shop
        self.parser = parser

    def from_list(self, intent: Intent) -> Intent:
        """"add everything from my shopping list": the list's items as an order (the list
        stays as it is)."""
        entries = self.shop.list_items(ListName(intent.list_name or "shopping"))
        items = tuple(ItemSlot(query=entry.label.lower(), sku=entry.sku,
                               quantity=entry.quantity, score=1.0) if entry.sku
                      else self._listed_words(entry.label, entry.quantity) for entry in entries)
        return dataclasses.replace(intent, items=items)

    def _listed_words(self, label: str, quantity: int) -> ItemSlot:
        """A list entry kept as the shopper's words ("milk"), read as an order now: one
        product, or several to ask about."""
        found = self.parser.parse(f"add {label}").items
        item = found[0] if len(found) == 1 else ItemSlot(query=label.lower())
        return dataclasses.replace(item, quantity=quantity)

    def add_to_list(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        list_name = ListName(intent.list_name or "shopping")
        if not intent.items:
            return say.what_to_list(list_name)
        names = []
        for item in intent.items:
            if item.quantity is not None and item.quantity < 1:
                return say.not_a_positive_amount(item.quantity)
            # "milk" names several products: the list keeps the shopper's word, and which
            # milk is asked when the list is ordered.
            label = item.query if item.alternatives or not item.name else item.name
            sku = None if item.alternatives else item.sku
            quantity = min(item.quantity or 1, MAX_LINE_QUANTITY)
            if (sku is not None and item.unit == SINGLE_UNIT
                    and self.shop.product(sku).unit == BY_THE_DOZEN):
                quantity = whole_dozens(quantity)  # "half a dozen eggs": a dozen, said so
            try:
                self.shop.add_to_list(list_name, label, sku, quantity, speaker)
            except CartError as exc:  # more than a line can hold
                return say.sorry(exc.message)
            names.append(self._listed_as(label, sku, quantity))
        return say.listed(names, list_name)

    def _listed_as(self, label: str, sku: str | None, quantity: int) -> str:
        """A list entry as said aloud: "two bags of rice", "a dozen large eggs"; an entry
        kept as the shopper's word ("milk") is that word, counted when more than one."""
        if sku is not None:
            return describe(label, quantity, {}, self.shop.product(sku).unit)
        return label.lower() if quantity == 1 else describe(label, quantity)

    def remove_from_list(self, intent: Intent, speaker: str | None) -> str:
        """"take milk off my shopping list" (the entries that are that product, or were
        kept as those words); "clear my shopping list" (every entry)."""
        list_name = ListName(intent.list_name or "shopping")
        entries = self.shop.list_items(list_name)
        if not intent.items:
            for entry in entries:
                self.shop.remove_from_list(entry.id, speaker)
            return say.list_cleared(list_name) if entries else say.list_empty(list_name)
        replies = []
        for item in intent.items:
            meant = [e for e in entries if _is_listed_as(e, item)]
            for entry in meant:
                self.shop.remove_from_list(entry.id, speaker)
            replies.append(say.unlisted(meant[0].label.lower(), list_name) if meant
                           else say.not_listed(item.query, list_name))
        return " ".join(replies)

    def view_list(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        list_name = ListName(intent.list_name or "shopping")
        items = self.shop.list_items(list_name)
        if not items:
            return say.list_empty(list_name)
        return say.list_reading(list_name, [self._listed_as(i.label, i.sku, i.quantity)
                                             for i in items])


def whole_dozens(singles: int) -> int:
    """The dozens that hold this many single items, rounded up (never fewer)."""
    return -(-singles // 12)


def _is_listed_as(entry: ListItem, item: ItemSlot) -> bool:
    """The list entry is the item said: the same product, or the same words."""
    said = {normalize(item.query), singular(normalize(item.query))}
    return ((entry.sku is not None and entry.sku == item.sku)
            or normalize(entry.label) in said or singular(normalize(entry.label)) in said)
