"""Answers to the questions a conversation waits on: "which milk?" answered by a name, a
place or the words that tell the choices apart; "which colour?" by a value, "the X one" or a
place; a read-back by a PIN or "check out" again; "the second one" of the products the last
answer named."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..intent.model import Intent, IntentName, ItemSlot
from ..language.reading import leading_count, options_by_word, options_said, telling_choice
from ..shop.engine import Shop
from .questions import ChooseOptions, ChooseProduct, ConfirmCheckout
from .state import GLUE_WORDS, WHOLE_NAME_SCORE, ConversationState, offered

ASKS_ABOUT = frozenset({IntentName.PRICE_QUERY, IntentName.PRODUCT_INFO})
MAY_ANSWER_WHICH = frozenset({IntentName.UNKNOWN, IntentName.ADD_ITEM, IntentName.CONFIRM,
                              IntentName.SET_QUANTITY})
"""What an answer to "which one?" can be: a place or a name said alone or as an order ("the
oat one", "add the second one"); a question or a removal that says "the third one" is not."""


class PendingAnswers:
    """Turns an answer to the question waiting into the request it completes."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def resolve(self, intent: Intent, state: ConversationState) -> Intent:
        """Answers to a question: "which one?" becomes an add of the chosen product; a PIN
        or "check out" again after a read-back is a confirmation."""
        pending = state.pending
        if isinstance(pending, ConfirmCheckout):
            if intent.intent is IntentName.CHECKOUT or intent.digits is not None:
                return dataclasses.replace(intent, intent=IntentName.CONFIRM, items=())
            return intent
        if isinstance(pending, ChooseOptions):
            return self._answer_options(intent, pending, state)
        if not isinstance(pending, ChooseProduct):
            return self._from_offered(intent, state)
        if intent.intent in (IntentName.CANCEL, IntentName.DENY):
            return intent
        if intent.intent in ASKS_ABOUT and intent.choice is not None \
                and not any(item.sku for item in intent.items):
            place = offered(pending.choices, intent.choice)
            if place is not None:  # "how much is the third one"
                product = self.shop.product(place)
                about = ItemSlot(query=pending.item.query, sku=product.sku, name=product.name,
                                 score=1.0)
                return dataclasses.replace(intent, items=(about,))
        chosen = self._choose(intent, pending.choices, pending.item.query)
        if chosen is None:
            if intent.intent in (IntentName.UNKNOWN, IntentName.CONFIRM):
                return intent
            state.pending = None
            return intent
        state.pending = None
        item = pending.item
        product = self.shop.product(chosen)
        # Other products said with the answer ("the rye, and two bagels") are orders of their
        # own; a count said with the answer itself ("two of the second one") is its count.
        is_named = any(i.sku in pending.choices for i in intent.items)  # not "the oat one"
        others = tuple(i for i in intent.items if is_named and i.sku
                       and i.sku not in pending.choices and i.score >= WHOLE_NAME_SCORE)
        answer = [i for i in intent.items if i not in others]
        said = answer[0].quantity if len(answer) == 1 else None
        if not intent.items:
            said = leading_count(intent.text)
        quantity = said if said is not None else item.quantity
        unit = item.unit if quantity == item.quantity else None
        options = {g: v for g, v in item.options.items() if product.option_group_of(v) == g}
        slot = ItemSlot(query=item.query, sku=product.sku, name=product.name,
                        quantity=quantity, unit=unit, options=options, score=1.0)
        # The rest of the request follows: the next item that names several products is
        # asked about in turn.
        return Intent(IntentName.ADD_ITEM, items=(slot, *others, *pending.then),
                      text=intent.text, confidence=1.0)

    def _from_offered(self, intent: Intent, state: ConversationState) -> Intent:
        """"the second one" after "we have spaghetti and penne": the product at that place
        of the last answer; an order of it, or the subject of a question about it."""
        if intent.choice is None or not state.offered or any(i.sku for i in intent.items):
            return intent
        sku = offered(state.offered, intent.choice)
        if sku is None or intent.intent not in (*MAY_ANSWER_WHICH, *ASKS_ABOUT):
            return intent
        product = self.shop.product(sku)
        quantity = next((i.quantity for i in intent.items if i.quantity is not None), None)
        about = ItemSlot(query=product.name.lower(), sku=sku, name=product.name,
                         quantity=quantity, score=1.0)
        kind = intent.intent if intent.intent in ASKS_ABOUT else IntentName.ADD_ITEM
        return dataclasses.replace(intent, intent=kind, items=(about,))

    def _answer_options(self, intent: Intent, pending: ChooseOptions,
                        state: ConversationState) -> Intent:
        """"the nine inch one", "sage green", "the second one", "daylight, sixty watt": the
        values of the groups asked about complete the order, which is added (or asked about
        again for the groups still unnamed). Another request leaves the question."""
        if intent.intent not in MAY_ANSWER_WHICH:
            return intent  # another request ("what did I order last time"), or a no
        product = self.shop.product(pending.item.sku or "")
        asked = {g: product.options[g] for g in pending.groups if g in product.options}
        names_other = any(i.sku and i.sku != product.sku and i.score >= WHOLE_NAME_SCORE
                          and not options_said(i.query, asked) for i in intent.items)
        found = options_said(intent.text, asked) or (
            {} if names_other else options_by_word(intent.text, asked, GLUE_WORDS))
        if not found and intent.choice is not None and not names_other and asked:
            group = next(iter(asked))
            value = offered(asked[group], intent.choice)
            found = {group: value} if value is not None else {}
        if not found:
            if intent.intent not in (IntentName.UNKNOWN, IntentName.CONFIRM):
                state.pending = None
            return intent
        state.pending = None
        count = leading_count(intent.text, list(found.values()))  # "nine inch": no count
        item = dataclasses.replace(pending.item, options={**pending.item.options, **found},
                                   quantity=count if count is not None
                                   else pending.item.quantity)
        return Intent(IntentName.ADD_ITEM, items=(item, *pending.then), text=intent.text,
                      confidence=1.0)

    def _choose(self, intent: Intent, choices: Sequence[str], asked: str) -> str | None:
        """The offered product the answer names: by a product that is one of the choices and
        no other, by its place ("the second one"), or by the words that tell the choices
        apart. The words that were ``asked`` about, and words two choices share, choose
        nothing: asked "which bread?", "add some bread" is asked again, not taken as rye
        bread."""
        if intent.intent not in MAY_ANSWER_WHICH:
            return None  # another request: "how much is the third one"
        for item in intent.items:
            if item.sku in choices and not set(item.alternatives) & set(choices):
                return item.sku
        if intent.choice is not None:
            if any(item.sku and item.sku not in choices for item in intent.items):
                return None  # "add the bananas first" names its own product
            return offered(choices, intent.choice)
        return telling_choice(intent.text, asked,
                              {sku: self.shop.product(sku).name for sku in choices})
