"""The conversation: the one place where an intent meets the cart.

State that must outlive one utterance (a read-back waiting for "yes", a "which milk?"
question, the undo stack, the last reply) is kept per household in the database, so a spoken
"yes" works even when it arrives in a later process.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from .errors import CartError, OrderError
from .intent.model import Intent, IntentName, ItemSlot
from .intent.parser import SINGLE_UNIT, IntentParser
from .intent.secret import mask_text, masked_intent
from .money import number_to_words, speak_cents
from .replies import BY_THE_DOZEN, describe
from .shop.engine import HOUSEHOLD, MAX_LINE_QUANTITY, Shop, check_pin
from .shop.models import (
    Cart,
    CartLine,
    DeliveryState,
    ListName,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Role,
)
from .shop.recommend import recommend
from .text import normalize, singular

UNDO_DEPTH = 10
_ORDINALS = {"first": 0, "one": 0, "second": 1, "two": 1, "third": 2, "three": 2, "fourth": 3,
             "four": 3, "last": -1}


@dataclass(frozen=True)
class DialogSettings:
    """Household rules for the conversation."""

    pending_timeout_s: float = 600.0
    """A question not answered within this many seconds is forgotten."""
    allow_unknown_checkout: bool = False
    """Whether a voice the device does not recognise may place an order."""
    cross_sell: bool = True
    """After an add, suggest at most one related product."""
    remind_after_s: float = 3600.0
    """A shopper back after this long hears once about the cart they left unfinished."""


@dataclass(frozen=True)
class Turn:
    """What one utterance did."""

    text: str
    intent: Intent
    reply: str
    cart: Cart
    speaker: str | None = None
    order_id: int | None = None
    """The order placed or changed by this turn, if any."""
    expects_answer: bool = False
    """True when the reply asked something the shopper should answer (yes, a PIN, which)."""
    is_secret: bool = False
    """True when the utterance answered a PIN question: ``to_dict`` masks its words."""

    def to_dict(self) -> dict[str, Any]:
        if self.is_secret:
            return dataclasses.replace(self, text=mask_text(self.text),
                                       intent=masked_intent(self.intent),
                                       is_secret=False).to_dict()
        return {"text": self.text, "speaker": self.speaker, "intent": self.intent.to_dict(),
                "reply": self.reply, "cart": self.cart.to_dict(), "order_id": self.order_id,
                "expects_answer": self.expects_answer}


@dataclass
class _State:
    pending: dict[str, Any] | None = None
    undo: list[list[dict[str, Any]]] = field(default_factory=list)
    last_reply: str = ""
    last_sku: str | None = None
    reminded: list[str] = field(default_factory=list)
    last_seen: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _State:
        return cls(pending=data.get("pending"), undo=list(data.get("undo", [])),
                   last_reply=data.get("last_reply", ""), last_sku=data.get("last_sku"),
                   reminded=list(data.get("reminded", [])),
                   last_seen=dict(data.get("last_seen", {})))

    def to_dict(self) -> dict[str, Any]:
        return {"pending": self.pending, "undo": self.undo[-UNDO_DEPTH:],
                "last_reply": self.last_reply, "last_sku": self.last_sku,
                "reminded": self.reminded[-50:], "last_seen": self.last_seen}


def quantity_words(quantity: int) -> str:
    return number_to_words(quantity)


def _spoken_lines(lines: Sequence[CartLine | OrderLine], shop: Shop) -> str:
    """"two bananas and a large latte with oat milk": cart or order lines read aloud."""
    def unit(sku: str) -> str | None:
        product = shop.find_product(sku)
        return product.unit if product else None
    return _join([describe(line.name, line.quantity, line.options, unit(line.sku))
                  for line in lines])


def _join(parts: Sequence[str], last: str = "and") -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {last} " + parts[-1]


class Dialog:
    """Turns intents into cart actions and spoken replies for one household."""

    def __init__(self, shop: Shop, parser: IntentParser,
                 settings: DialogSettings | None = None, conversation: str = HOUSEHOLD,
                 ) -> None:
        self.shop = shop
        self.parser = parser
        self.settings = settings or DialogSettings()
        self.conversation = conversation
        """Whose questions and undo stack this is: the household's own device (``listen``,
        ``chat``), or one Wyoming satellite; the cart is the household's either way."""
        self._handlers: dict[IntentName, Callable[[Intent, _State, str | None], str]] = {
            IntentName.ADD_ITEM: self._add, IntentName.REMOVE_ITEM: self._remove,
            IntentName.SET_QUANTITY: self._set_quantity, IntentName.VIEW_CART: self._view_cart,
            IntentName.CLEAR_CART: self._clear, IntentName.PRICE_QUERY: self._price,
            IntentName.PRODUCT_INFO: self._info, IntentName.SEARCH: self._search,
            IntentName.RECOMMEND: self._recommend, IntentName.DEALS: self._deals,
            IntentName.CHECKOUT: self._checkout, IntentName.CONFIRM: self._confirm,
            IntentName.DENY: self._deny, IntentName.CANCEL: self._cancel,
            IntentName.UNDO: self._undo, IntentName.REPEAT: self._repeat,
            IntentName.REORDER: self._reorder, IntentName.ORDER_STATUS: self._order_status,
            IntentName.ADD_TO_LIST: self._add_to_list, IntentName.VIEW_LIST: self._view_list,
            IntentName.FEEDBACK: self._feedback, IntentName.HELP: self._help,
            IntentName.UNKNOWN: self._unknown,
        }
        self._order_id: int | None = None

    # ---- entry points ------------------------------------------------------------------
    def handle_text(self, text: str, speaker: str | None = None) -> Turn:
        return self.handle(self.parser.parse(text), speaker)

    def is_secret_input(self, text: str) -> bool:
        """True when ``text`` must not be shown or logged: a read-back waits for a PIN (the
        speaker who checks out has one), or it waits for "yes" and this sounds like digits."""
        pending = self._load_state().pending
        if not pending or pending["kind"] != "checkout":
            return False
        profile = self.shop.find_profile(pending.get("speaker"))
        return bool(profile and profile.has_pin) or _is_spoken_pin(text)

    def handle(self, intent: Intent, speaker: str | None = None) -> Turn:
        is_secret = self.is_secret_input(intent.text)
        state = self._load_state()
        self._order_id = None
        intent = self._resolve_pending(intent, state, speaker)
        if intent.intent not in _ANSWERS:
            state.pending = None  # the shopper moved on; an old question must not be answered
        reply = self._handlers[intent.intent](intent, state, speaker)
        reply = self._remind(state, speaker) + reply
        if intent.intent is not IntentName.REPEAT:
            state.last_reply = reply
        self.shop.save_dialog_state(state.to_dict(), self.conversation)
        self.shop.log_event("turn", speaker, {"intent": str(intent.intent), "reply": reply})
        turn = Turn(intent.text, intent, reply, self.shop.cart(), speaker, self._order_id,
                    expects_answer=state.pending is not None, is_secret=is_secret)
        self._record(turn)
        return turn

    def _record(self, turn: Turn) -> None:
        """Every turn, by any entry point, lands here for the household page; a PIN is
        masked before it is written."""
        shown = mask_text(turn.text) if turn.is_secret else turn.text
        self.shop.record_turn(shown, turn.reply, turn.speaker, str(turn.intent.intent))

    def _load_state(self) -> _State:
        data, updated_at = self.shop.load_dialog_state(self.conversation)
        state = _State.from_dict(data)
        if state.pending and time.time() - updated_at > self.settings.pending_timeout_s:
            state.pending = None
        return state

    def _remind(self, state: _State, speaker: str | None) -> str:
        """Once per unfinished cart, greet a shopper who comes back after a while."""
        if speaker is None:
            return ""
        now = time.time()
        last, state.last_seen[speaker] = state.last_seen.get(speaker), now
        if last is None or now - last < self.settings.remind_after_s:
            return ""
        mine = [line for line in self.shop.cart().lines if line.added_by == speaker]
        key = f"{speaker}:" + ",".join(f"{line.id}x{line.quantity}" for line in mine)
        if not mine or key in state.reminded:
            return ""
        state.reminded.append(key)
        count = sum(line.quantity for line in mine)
        return (f"Welcome back, {speaker}. You still have {quantity_words(count)} "
                f"item{'s' if count != 1 else ''} waiting in your cart. ")

    # ---- pending questions ---------------------------------------------------------------
    def _resolve_pending(self, intent: Intent, state: _State, speaker: str | None) -> Intent:
        """Answers to a question: "which one?" becomes an add of the chosen product; a PIN
        or "check out" again after a read-back is a confirmation."""
        pending = state.pending
        if pending and pending["kind"] == "checkout":
            if intent.intent is IntentName.CHECKOUT or _is_spoken_pin(intent.text):
                return Intent(IntentName.CONFIRM, text=intent.text, confidence=intent.confidence)
            return intent
        if not pending or pending["kind"] != "choose":
            return intent
        if intent.intent in (IntentName.CANCEL, IntentName.DENY):
            return intent
        chosen = self._choose(intent, pending["choices"])
        if chosen is None:
            if intent.intent in (IntentName.UNKNOWN, IntentName.CONFIRM):
                return intent
            state.pending = None
            return intent
        state.pending = None
        item = ItemSlot.from_dict(pending["item"])
        product = self.shop.product(chosen)
        slot = ItemSlot(query=item.query, sku=product.sku, name=product.name,
                        quantity=item.quantity, unit=item.unit, options=item.options, score=1.0)
        return Intent(IntentName.ADD_ITEM, items=(slot,), text=intent.text, confidence=1.0)

    def _choose(self, intent: Intent, choices: list[str]) -> str | None:
        for item in intent.items:
            if item.sku in choices:
                return item.sku
        words = normalize(intent.text).split()
        for word in words:
            if word in _ORDINALS and ("one" in words or word not in {"one", "two", "three"}):
                index = _ORDINALS[word]
                return choices[index] if -len(choices) <= index < len(choices) else None
        spoken = normalize(intent.text)
        best = max(choices, key=lambda sku: fuzz.partial_ratio(
            normalize(self.shop.product(sku).name), spoken))
        score = fuzz.token_set_ratio(normalize(self.shop.product(best).name), spoken)
        return best if score >= 60 else None

    def _confirm(self, intent: Intent, state: _State, speaker: str | None) -> str:
        pending, state.pending = state.pending, None
        if not pending:
            return "There's nothing to confirm right now."
        kind = pending["kind"]
        if kind == "checkout":
            return self._place_order(pending, intent, state, speaker)
        if kind == "substitute":
            return self._add_product(self.shop.product(pending["sku"]), pending["quantity"],
                                     pending.get("options", {}), state, speaker)
        if kind == "cancel_order":
            order = self.shop.set_order_status(pending["order_id"], OrderStatus.CANCELLED, speaker)
            self._order_id = order.id
            return f"Order number {order.id} is cancelled."
        if kind == "approve":
            try:  # the voice that was asked said yes: no PIN, as for the operator's CLI
                order = self.shop.approve_order(pending["order_id"], speaker or "",
                                                needs_pin=False)
            except OrderError as exc:
                if exc.code == "not_adult":
                    return "Only an adult of the household can approve that order."
                return f"Sorry, I couldn't approve it: {exc.message}."
            self._order_id = order.id
            return f"Approved. Order number {order.id} is placed."
        state.pending = pending
        return self._ask_again(pending)

    @staticmethod
    def _ask_again(pending: dict[str, Any]) -> str:
        return str(pending.get("question", "Sorry, which one did you mean?"))

    def _deny(self, intent: Intent, state: _State, speaker: str | None) -> str:
        pending, state.pending = state.pending, None
        if not pending:
            return "Okay."
        if pending["kind"] == "checkout":
            return "Okay, I haven't placed the order. Your cart is still there."
        return "Okay, I'll leave it."

    def _cancel(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if state.pending:
            kind, state.pending = state.pending["kind"], None
            if kind == "checkout":
                return "Okay, I haven't placed the order. Your cart is still there."
            return "Okay, cancelled."
        if re.search(r"\border\b", normalize(intent.text)):
            return self._ask_cancel_order(state, speaker)
        return "Okay."

    def _ask_cancel_order(self, state: _State, speaker: str | None) -> str:
        open_orders = [o for o in self.shop.orders(5) if o.status in
                       (OrderStatus.PLACED, OrderStatus.PENDING_APPROVAL)]
        if not open_orders:
            return "You have no open order to cancel."
        order = open_orders[0]
        question = (f"Cancel order number {order.id} for {speak_cents(order.total_cents)}? "
                    "Say yes to cancel it.")
        state.pending = {"kind": "cancel_order", "order_id": order.id, "question": question}
        return question

    # ---- cart changes -----------------------------------------------------------------
    def _remember_cart(self, state: _State) -> None:
        state.undo.append(self.shop.snapshot_cart())
        del state.undo[:-UNDO_DEPTH]

    def _add(self, intent: Intent, state: _State, speaker: str | None) -> str:
        intent = self._with_last_product(intent, state)
        if not intent.items:
            return "What would you like me to add?"
        replies: list[str] = []
        added: list[str] = []
        for item in intent.items:
            reply = self._add_item(item, state, speaker, added)
            if reply:
                replies.append(reply)
        if added:
            replies.insert(0, f"Added {_join(added)}.")
            suggestion = self._cross_sell(state, speaker) if not state.pending else ""
            if suggestion:
                replies.append(suggestion)
        return " ".join(replies)

    def _with_last_product(self, intent: Intent, state: _State) -> Intent:
        """"another one", "take it off", "two more of those": an item named only by a
        pronoun (or not at all) is the product the conversation was last about."""
        refers_back = _REFERS_BACK.search(normalize(intent.text)) is not None
        items = [i for i in intent.items if i.sku is not None or
                 set(i.query.split()) - _BACK_WORDS]
        if items or not refers_back or state.last_sku is None:
            return intent
        product = self.shop.find_product(state.last_sku)
        if product is None:
            return intent
        quantity = next((i.quantity for i in intent.items if i.quantity is not None), None)
        slot = ItemSlot(query=product.name.lower(), sku=product.sku, name=product.name,
                        quantity=quantity, score=1.0)
        return dataclasses.replace(intent, items=(slot,))

    def _add_item(self, item: ItemSlot, state: _State, speaker: str | None,
                  added: list[str]) -> str:
        if item.sku is None:
            return f"Sorry, I couldn't find {item.query or 'that'} in the shop."
        quantity = 1 if item.quantity is None else item.quantity
        if quantity < 1:
            return _not_a_positive_amount(quantity)
        if item.alternatives and state.pending is None:
            return self._ask_which(item, state)
        product = self.shop.product(item.sku)
        if item.unit == SINGLE_UNIT and product.unit == BY_THE_DOZEN:
            return self._offer_whole_dozens(product, quantity, item.options, state)
        if quantity > MAX_LINE_QUANTITY:
            return (f"{quantity_words(quantity).capitalize()} is more than I can add at once; "
                    f"the most is {quantity_words(MAX_LINE_QUANTITY)}.")
        if not product.is_in_stock:
            return self._offer_substitute(product, quantity, state)
        if product.stock is not None and product.stock < quantity + self.shop.in_cart(
                product.sku):
            return _over_stock(product.stock, product.name, self.shop.in_cart(product.sku))
        reply = self._add_product(product, quantity, item.options, state, speaker)
        if reply.startswith("Added "):
            added.append(describe(product.name, quantity, item.options, product.unit))
            return ""
        return reply

    def _add_product(self, product: Product, quantity: int, options: dict[str, str],
                     state: _State, speaker: str | None) -> str:
        self._remember_cart(state)
        try:
            self.shop.add_to_cart(product.sku, quantity, options, speaker)
        except CartError as exc:
            state.undo.pop()
            return f"Sorry, {exc.message}."
        state.last_sku = product.sku
        return f"Added {describe(product.name, quantity, options, product.unit)}."

    def _ask_which(self, item: ItemSlot, state: _State) -> str:
        assert item.sku is not None
        choices = [item.sku, *item.alternatives]
        names = [self.shop.product(sku).name.lower() for sku in choices]
        question = f"Which {item.query or 'one'}: {_join(names, 'or')}?"
        state.pending = {"kind": "choose", "choices": choices, "item": item.to_dict(),
                         "question": question}
        return question

    def _offer_substitute(self, product: Product, quantity: int, state: _State) -> str:
        substitute = self.shop.substitute_for(product)
        if substitute is None:
            return f"Sorry, {product.name.lower()} is out of stock."
        state.pending = {"kind": "substitute", "sku": substitute.sku, "quantity": quantity,
                         "question": f"Would you like {substitute.name.lower()} instead?"}
        return (f"Sorry, {product.name.lower()} is out of stock. Would you like "
                f"{substitute.name.lower()} instead, for "
                f"{speak_cents(self.shop.unit_price_cents(substitute))}?")

    def _offer_whole_dozens(self, product: Product, singles: int, options: dict[str, str],
                            state: _State) -> str:
        """"half a dozen eggs" when eggs come by the dozen: never one dozen, never six dozen,
        without asking."""
        dozens = -(-singles // 12)
        offer = describe(product.name, dozens, options, product.unit)
        state.pending = {"kind": "substitute", "sku": product.sku, "quantity": dozens,
                         "options": options, "question": f"Shall I add {offer}?"}
        return f"{product.name.capitalize()} come by the dozen. Shall I add {offer}?"

    def _cross_sell(self, state: _State, speaker: str | None) -> str:
        if not self.settings.cross_sell:
            return ""
        suggestions = [r for r in recommend(self.shop, speaker, limit=3)
                       if "bought with" in r.reason]
        if not suggestions:
            return ""
        return f"People often get {suggestions[0].product.name.lower()} with that."

    def _remove(self, intent: Intent, state: _State, speaker: str | None) -> str:
        intent = self._with_last_product(intent, state)
        if not intent.items:
            return "What would you like me to remove?"
        replies = []
        for item in intent.items:
            if item.quantity is not None and item.quantity < 1:
                replies.append(_not_a_positive_amount(item.quantity))
                continue
            sku = self._cart_sku(item)
            if sku is None:
                replies.append(f"There's no {item.query or 'such item'} in your cart.")
                continue
            self._remember_cart(state)
            removed = self.shop.remove_from_cart(sku, item.quantity, speaker)
            product = self.shop.product(sku)
            replies.append(f"Removed {describe(product.name, removed, {}, product.unit)}.")
        return " ".join(replies)

    def _cart_sku(self, item: ItemSlot) -> str | None:
        """The cart's product the shopper meant: the match, or a close alternative in the cart."""
        lines = self.shop.cart().lines
        in_cart = {line.sku for line in lines}
        for sku in (item.sku, *item.alternatives):
            if sku in in_cart:
                return sku
        if item.query:
            names = {line.sku: line.name for line in lines}
            scored = [(fuzz.token_set_ratio(normalize(item.query), normalize(name)), sku)
                      for sku, name in names.items()]
            best = max(scored, default=(0.0, None))
            if best[0] >= 80:
                return best[1]
        return None

    def _set_quantity(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if intent.items:
            targets = [(self._cart_sku(i) or i.sku, i.quantity) for i in intent.items]
        else:
            targets = [(state.last_sku, intent.quantity)]
        replies = []
        for sku, quantity in targets:
            if sku is None or quantity is None:
                replies.append("Which item, and how many?")
                continue
            if quantity > MAX_LINE_QUANTITY:
                replies.append(f"The most I can put in is {quantity_words(MAX_LINE_QUANTITY)}.")
                continue
            if quantity < 0:
                replies.append(_not_a_positive_amount(quantity))
                continue
            stock = self.shop.product(sku).stock
            if stock is not None and quantity > stock:
                replies.append(_over_stock(stock, self.shop.product(sku).name, 0))
                continue
            self._remember_cart(state)
            try:
                self.shop.set_quantity(sku, quantity, speaker)
            except CartError as exc:  # e.g. "none of those" for something not in the cart
                state.undo.pop()
                replies.append(f"Sorry, {exc.message}.")
                continue
            state.last_sku = sku
            product = self.shop.product(sku)
            replies.append(f"You now have {describe(product.name, quantity, {}, product.unit)}."
                           if quantity else f"Removed the {product.name.lower()}.")
        return " ".join(replies)

    def _clear(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if self.shop.cart().is_empty:
            return "Your cart is already empty."
        self._remember_cart(state)
        self.shop.clear_cart(speaker)
        return "I've emptied your cart. Say undo to bring it back."

    def _undo(self, intent: Intent, state: _State, speaker: str | None) -> str:
        state.pending = None
        if not state.undo:
            return "There's nothing to undo."
        self.shop.restore_cart(state.undo.pop(), speaker)
        return "Undone. " + self._read_cart(self.shop.cart())

    def _usual_order(self, speaker: str | None) -> Order | None:
        """The speaker's own lines of the latest order they took part in; for an unknown
        voice, the household's latest order."""
        for order in self.shop.orders(50):
            if order.status is OrderStatus.CANCELLED:
                continue
            if speaker is None:
                return order
            mine = tuple(ln for ln in order.lines if ln.added_by == speaker or (
                ln.added_by is None and order.placed_by == speaker))
            if mine:
                return dataclasses.replace(order, lines=mine)
        return None

    def _reorder(self, intent: Intent, state: _State, speaker: str | None) -> str:
        order = self._usual_order(speaker)
        if order is None:
            return "You haven't ordered anything yet, so there's nothing to repeat."
        self._remember_cart(state)
        added = self.shop.reorder(order, speaker)
        if not added:
            state.undo.pop()
            return "None of the items from your last order are available right now."
        spoken = _spoken_lines(added, self.shop)
        whose = f"your usual, {speaker}" if speaker else "your usual"
        return f"I've added {whose}: {spoken}. Say check out when you're ready."

    # ---- reading things out -------------------------------------------------------------
    def _read_cart(self, cart: Cart) -> str:
        if cart.is_empty:
            return "Your cart is empty."
        lines = _spoken_lines(cart.lines, self.shop)
        return f"Your cart has {lines}. The total is {speak_cents(cart.total_cents)}."

    def _view_cart(self, intent: Intent, state: _State, speaker: str | None) -> str:
        return self._read_cart(self.shop.cart())

    def _price(self, intent: Intent, state: _State, speaker: str | None) -> str:
        known = [i for i in intent.items if i.sku]
        if not known:
            return "Which product would you like the price of?"
        return " ".join(self._price_of(self.shop.product(i.sku or ""), i.quantity)
                        for i in known)

    def _price_of(self, product: Product, quantity: int | None) -> str:
        unit_price = self.shop.unit_price_cents(product)
        per = f" a {product.unit}" if product.unit and product.unit != "each" else " each"
        last = product.name.lower().split()[-1]
        verb = "are" if singular(last) != last else "is"
        text = f"{product.name} {verb} {speak_cents(unit_price)}{per}"
        if unit_price != product.price_cents:
            text += f", on sale from {speak_cents(product.price_cents)}"
        if quantity and quantity > 1:
            text += f"; {quantity_words(quantity)} would be {speak_cents(unit_price * quantity)}"
        return text + "."

    def _info(self, intent: Intent, state: _State, speaker: str | None) -> str:
        known = [i for i in intent.items if i.sku]
        if not known:
            return "Which product would you like to know about?"
        product = self.shop.product(known[0].sku or "")
        parts = [product.description or product.name + "."]
        if product.tags:
            parts.append(f"It is {_join(list(product.tags))}.")
        parts.append(self._price_of(product, None))
        if not product.is_in_stock:
            parts.append("It is out of stock right now.")
        return " ".join(parts)

    def _search(self, intent: Intent, state: _State, speaker: str | None) -> str:
        found = self._search_products(intent)
        if not found:
            what = " ".join([*intent.tags, intent.category or "",
                             *(i.query for i in intent.items)]).strip()
            return f"Sorry, we don't have {what or 'that'}."
        names = _join([p.name.lower() for p in found[:3]])
        more = f", and {quantity_words(len(found) - 3)} more" if len(found) > 3 else ""
        return f"Yes, we have {names}{more}."

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

    def _recommend(self, intent: Intent, state: _State, speaker: str | None) -> str:
        suggestions = recommend(self.shop, speaker, limit=2)
        if not suggestions:
            return "I don't have a suggestion yet; order a few times and I'll learn what you like."
        parts = [f"{s.product.name.lower()}, since {s.reason}" for s in suggestions]
        return f"How about {_join(parts, 'or')}?"

    def _deals(self, intent: Intent, state: _State, speaker: str | None) -> str:
        promotions = self.shop.active_promotions()
        if intent.items:
            skus = {i.sku for i in intent.items} | {a for i in intent.items for a in i.alternatives}
            promotions = [p for p in promotions if p.sku in skus] or promotions
        if not promotions:
            return "There are no deals right now."
        return "Today's deals: " + "; ".join(p.description for p in promotions[:3]) + "."

    def _order_status(self, intent: Intent, state: _State, speaker: str | None) -> str:
        orders = self.shop.orders(1)
        if not orders:
            return "You haven't placed any orders yet."
        order = orders[0]
        profile = self.shop.find_profile(speaker)
        if order.status is OrderStatus.PENDING_APPROVAL and profile \
                and profile.role is Role.ADULT:
            lines = _spoken_lines(order.lines, self.shop)
            question = (f"Order number {order.id} from {order.placed_by or 'a child'} is "
                        f"waiting for your approval: {lines}, "
                        f"{speak_cents(order.total_cents)}. Approve it?")
            state.pending = {"kind": "approve", "order_id": order.id, "question": question}
            return question
        return (f"Your last order, number {order.id}, for {speak_cents(order.total_cents)}, "
                f"{self._status_words(order)}.")

    def _status_words(self, order: Order) -> str:
        """What is really known about the order: the shop's last report, or how far the
        outbox got with it; never "on its way" on a guess."""
        if order.status is OrderStatus.PLACED:
            return {DeliveryState.QUEUED: "is placed, and it hasn't reached the shop yet",
                    DeliveryState.SENT: "is placed and the shop has it, but it hasn't "
                                        "accepted it yet",
                    DeliveryState.FAILED: "is placed, but the shop did not take it; please "
                                          "check the household page",
                    None: "is placed"}[self.shop.delivery_state(order.id)]
        return {OrderStatus.PENDING_APPROVAL: "is waiting for an adult to approve it",
                OrderStatus.ACCEPTED: "has been accepted by the shop",
                OrderStatus.OUT_FOR_DELIVERY: "is out for delivery",
                OrderStatus.CANCELLED: "is cancelled",
                OrderStatus.DELIVERED: "has been delivered"}[order.status]

    def _add_to_list(self, intent: Intent, state: _State, speaker: str | None) -> str:
        list_name = ListName(intent.list_name or "shopping")
        if not intent.items:
            return f"What should I put on your {list_name} list?"
        names = []
        for item in intent.items:
            if item.quantity is not None and item.quantity < 1:
                return _not_a_positive_amount(item.quantity)
            label = item.name or item.query
            self.shop.add_to_list(list_name, label, item.sku,
                                  min(item.quantity or 1, MAX_LINE_QUANTITY), speaker)
            names.append(label.lower())
        return f"Added {_join(names)} to your {list_name} list."

    def _view_list(self, intent: Intent, state: _State, speaker: str | None) -> str:
        list_name = ListName(intent.list_name or "shopping")
        items = self.shop.list_items(list_name)
        if not items:
            return f"Your {list_name} list is empty."
        return f"Your {list_name} list has {_join([i.label.lower() for i in items])}."

    def _feedback(self, intent: Intent, state: _State, speaker: str | None) -> str:
        self.shop.add_feedback(intent.text, intent.rating, speaker)
        if intent.rating:
            stars = f"{quantity_words(intent.rating)}-star"
            return f"Thanks for the {stars} rating!"
        return "Thanks for your feedback."

    def _help(self, intent: Intent, state: _State, speaker: str | None) -> str:
        return ("You can say things like: add two bananas, what's in my cart, how much is "
                "oat milk, any deals, or check out.")

    def _unknown(self, intent: Intent, state: _State, speaker: str | None) -> str:
        friendly = _small_talk(intent.text)
        if friendly:
            return friendly
        if state.pending:
            return self._ask_again(state.pending)
        return "Sorry, I didn't catch that. You can say, for example, add two bananas."

    def _repeat(self, intent: Intent, state: _State, speaker: str | None) -> str:
        return state.last_reply or "I haven't said anything yet."

    # ---- checkout ---------------------------------------------------------------------
    def _checkout(self, intent: Intent, state: _State, speaker: str | None) -> str:
        cart = self.shop.cart()
        if cart.is_empty:
            return "Your cart is empty, so there's nothing to check out."
        refusal = self._checkout_refusal(speaker, cart)
        if refusal:
            return refusal
        lines = _spoken_lines(cart.lines, self.shop)
        question = (f"Your order is {lines}. The total is {speak_cents(cart.total_cents)}. "
                    + self._confirm_prompt(speaker))
        state.pending = {"kind": "checkout", "total_cents": cart.total_cents,
                         "question": question, "speaker": speaker}
        return question

    def _confirm_prompt(self, speaker: str | None) -> str:
        profile = self.shop.find_profile(speaker)
        if profile and profile.has_pin:
            return "To place it, say your purchase PIN."
        return "Shall I place the order?"

    def _checkout_refusal(self, speaker: str | None, cart: Cart) -> str:
        profiles = self.shop.profiles()
        profile = self.shop.find_profile(speaker)
        allow_unknown = (self.settings.allow_unknown_checkout
                         or self.shop.setting("allow_unknown_checkout") == "1")
        if profiles and profile is None and not allow_unknown:
            return ("I don't recognise your voice, so I can't place orders for you. "
                    "A household member can check out.")
        limit = profile.spending_limit_cents if profile else None
        if limit is not None and cart.total_cents > limit:
            return (f"That's {speak_cents(cart.total_cents)}, over your limit of "
                    f"{speak_cents(limit)}.")
        return ""

    def _place_order(self, pending: dict[str, Any], intent: Intent, state: _State,
                     speaker: str | None) -> str:
        cart = self.shop.cart()
        if cart.total_cents != pending["total_cents"]:
            return "Your cart changed since I read it back. Say check out to hear it again."
        if pending.get("speaker") != speaker:
            return "Only the person who started the checkout can confirm it."
        profile = self.shop.find_profile(speaker)
        if profile and profile.has_pin and not self._pin_matches(speaker, intent.text):
            return "That PIN isn't right, so I haven't placed the order."
        is_child = profile is not None and profile.role is Role.CHILD
        status = OrderStatus.PENDING_APPROVAL if is_child else OrderStatus.PLACED
        try:
            order = self.shop.checkout(speaker, status)
        except OrderError as exc:
            return f"Sorry, I couldn't place the order: {exc.message}."
        state.undo.clear()
        self._order_id = order.id
        return self._placed_reply(order)

    def _pin_matches(self, speaker: str | None, text: str) -> bool:
        stored = self.shop.pin_hash(speaker or "")
        digits = "".join(str(_DIGIT_WORDS[w]) for w in normalize(text).split()
                         if w in _DIGIT_WORDS)
        return bool(stored and digits and check_pin(digits, stored))

    @staticmethod
    def _placed_reply(order: Order) -> str:
        total = speak_cents(order.total_cents)
        if order.status is OrderStatus.PENDING_APPROVAL:
            return (f"I've saved order number {order.id} for {total}. "
                    "It will be placed when an adult approves it.")
        thanks = f"Thank you, {order.placed_by}!" if order.placed_by else "Thank you!"
        return f"Your order is placed. Order number {order.id}, {total}. {thanks}"


def _not_a_positive_amount(quantity: int) -> str:
    amount = "zero" if quantity == 0 else "a negative amount"
    return f"Sorry, I can't do {amount}; say how many, like two."


def _over_stock(stock: int, name: str, in_cart: int) -> str:
    have = f", and {quantity_words(in_cart)} are already in your cart" if in_cart else ""
    return f"There are only {quantity_words(stock)} {name.lower()} in stock{have}."


_ANSWERS = frozenset({IntentName.CONFIRM, IntentName.DENY, IntentName.CANCEL,
                      IntentName.REPEAT, IntentName.UNKNOWN, IntentName.HELP})


_REFERS_BACK = re.compile(r"\b(it|that|them|those|this|these|another|one more|(the )?same "
                          r"again|more)\b")
_BACK_WORDS = frozenset({"same", "again", "the", "one", "more", "it", "that", "them", "those"})
_GREETING = re.compile(r"^(hi|hello|hey|good (morning|afternoon|evening)|hi there|hello there)$")
_THANKS = re.compile(r"^(thanks|thank you|thank you very much|thanks a lot|cheers|great thanks)$")


def _small_talk(text: str) -> str | None:
    """A short friendly answer to a greeting or thanks, else None."""
    said = normalize(text)
    if _GREETING.match(said):
        return "Hello! What can I get you?"
    if _THANKS.match(said):
        return "You're welcome."
    return None


def _is_spoken_pin(text: str) -> bool:
    words = normalize(text).split()
    return len(words) >= 4 and all(w in _DIGIT_WORDS for w in words)


_DIGIT_WORDS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9,
                # what recognisers write for digits said one by one
                "won": 1, "to": 2, "too": 2, "for": 4, "free": 3, "tree": 3, "ate": 8}
