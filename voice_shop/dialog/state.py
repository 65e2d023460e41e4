"""What a conversation remembers between utterances, and what several of its parts read:
the product the talk is about ("it"), the lines read aloud, the place of an offered choice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..intent.model import Intent, IntentName, ItemSlot
from ..language.lexicon import lexicon
from ..language.reading import options_said
from ..replies import describe
from ..shop.engine import Shop
from ..shop.models import CartLine, OrderLine
from ..text import normalize
from . import questions
from . import wording as say
from .questions import Question

UNDO_DEPTH = 10

WHOLE_NAME_SCORE = 0.99
"""A match this good names the product itself, not one of its words ("large" of eggs)."""
GLUE_WORDS = lexicon().glue_words
BACK_WORDS = lexicon().back_words


@dataclass
class ConversationState:
    """What a household's conversation remembers between utterances."""

    pending: Question | None = None
    undo: list[list[dict[str, Any]]] = field(default_factory=list)
    last_reply: str = ""
    last_sku: str | None = None
    last_options: dict[str, str] = field(default_factory=dict)
    """The options of the line the talk is about: "another one" after "a large latte" is
    another large latte."""
    reminded: list[str] = field(default_factory=list)
    last_seen: dict[str, float] = field(default_factory=dict)
    just_changed: bool = False
    """The last turn changed the cart: "cancel that" then takes it back."""
    just_corrected: bool = False
    """The last turn changed an amount or option said before ("make that three"): "never
    mind" then takes it back."""
    offered: list[str] = field(default_factory=list)
    """The skus the last answer named, in order: "the second one" is the second of them."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        return cls(pending=questions.from_dict(data.get("pending")),
                   undo=list(data.get("undo", [])), last_reply=data.get("last_reply", ""),
                   last_sku=data.get("last_sku"),
                   last_options=dict(data.get("last_options") or {}),
                   reminded=list(data.get("reminded", [])),
                   last_seen=dict(data.get("last_seen", {})),
                   just_changed=bool(data.get("just_changed", False)),
                   just_corrected=bool(data.get("just_corrected", False)),
                   offered=[str(sku) for sku in data.get("offered", [])])

    def to_dict(self) -> dict[str, Any]:
        pending = questions.to_dict(self.pending) if self.pending else None
        return {"pending": pending, "undo": self.undo[-UNDO_DEPTH:],
                "last_reply": self.last_reply, "last_sku": self.last_sku,
                "last_options": self.last_options,
                "reminded": self.reminded[-50:], "last_seen": self.last_seen,
                "just_changed": self.just_changed, "just_corrected": self.just_corrected,
                "offered": self.offered[:10]}


def spoken_lines(lines: Sequence[CartLine | OrderLine], shop: Shop) -> str:
    """"two bananas and a large latte with oat milk": cart or order lines read aloud."""
    def unit(sku: str) -> str | None:
        product = shop.find_product(sku)
        return product.unit if product else None
    return say.join([describe(line.name, line.quantity, line.options, unit(line.sku))
                     for line in lines])




def talk_about(sku: str | None, state: ConversationState) -> None:
    """A product asked about becomes what "it" means ("how much is the oat milk?" ...
    "add it")."""
    if sku is not None and sku != state.last_sku:
        state.last_sku, state.last_options = sku, {}


def offered(choices: Sequence[str], place: int) -> str | None:
    """The choice at a place said ("the second one" 2, "the last one" -1); None past the
    end."""
    index = place - 1 if place > 0 else place
    return choices[index] if -len(choices) <= index < len(choices) else None



def with_last_product(shop: Shop, intent: Intent, state: ConversationState) -> Intent:
    """"another one", "take it off", "two more of those", "another large one": an item
    named only by a pronoun (or not at all), perhaps with options of its own, is the
    product the conversation was last about, in the options of its last line."""
    is_bare_count = intent.intent is IntentName.ADD_ITEM and bool(intent.items) and all(
        i.sku is None and not i.query and i.quantity for i in intent.items)  # "I'll take two"
    if state.last_sku is None or (
            not is_bare_count and not intent.refers_back):
        return intent
    product = shop.find_product(state.last_sku)
    if product is None:
        return intent
    options = dict(state.last_options)
    for item in intent.items:
        words = set(item.query.split()) - BACK_WORDS - {"a", "an"}
        found = options_said(item.query, product.options) if words else {}
        if words and words <= {w for v in found.values() for w in normalize(v).split()}:
            options.update(found)  # "another large one": only options of that product
        elif item.sku is not None or words:
            return intent  # another product is named
        # Options heard without a product come without their group: find it.
        for value in item.options.values():
            group = next((g for g, values in product.options.items() if value in values),
                         None)
            if group is None:
                return intent
            options[group] = value
    quantity = next((i.quantity for i in intent.items if i.quantity is not None), None)
    slot = ItemSlot(query=product.name.lower(), sku=product.sku, name=product.name,
                    quantity=quantity, options=options, score=1.0)
    return dataclasses.replace(intent, items=(slot,))
