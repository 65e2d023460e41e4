"""The conversation: the one place where an intent meets the cart.

State that must outlive one utterance (a read-back waiting for "yes", a "which milk?"
question, the undo stack, the last reply) is kept per household in the database, so a spoken
"yes" works even when it arrives in a later process. The questions are typed
(``questions.py``); what is said is in ``wording.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from ..errors import CartError
from ..intent.model import READ_BACK_COUNT, Intent, IntentName, ItemSlot
from ..intent.parser import SINGLE_UNIT, IntentParser
from ..intent.quantities import MEASURES, unit_named
from ..intent.secret import mask_text, masked_intent
from ..language.reading import options_said
from ..replies import BY_THE_DOZEN, describe
from ..shop.engine import HOUSEHOLD, MAX_LINE_QUANTITY, Shop
from ..shop.models import (
    Cart,
    CartLine,
    Product,
)
from ..shop.recommend import recommend
from ..text import normalize, singular
from . import wording as say
from .answers import PendingAnswers
from .catalog_talk import CatalogTalk
from .lists import ListTalk, whole_dozens
from .orders import OrderTalk
from .questions import (
    ApproveOrder,
    ChooseOptions,
    ChooseProduct,
    ConfirmCancel,
    ConfirmCheckout,
    OfferSubstitute,
)
from .state import (
    BACK_WORDS,
    GLUE_WORDS,
    UNDO_DEPTH,
    WHOLE_NAME_SCORE,
    ConversationState,
    spoken_lines,
    talk_about,
    with_last_product,
)

_State = ConversationState
"""The old name, for code that imports it."""

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
        self.catalog = CatalogTalk(shop, parser)
        self.lists = ListTalk(shop, parser)
        self.answers = PendingAnswers(shop)
        self.orders = OrderTalk(shop, self.settings.allow_unknown_checkout)
        self._handlers: dict[IntentName, Callable[[Intent, _State, str | None], str]] = {
            IntentName.ADD_ITEM: self._add, IntentName.REMOVE_ITEM: self._remove,
            IntentName.SET_QUANTITY: self._set_quantity, IntentName.VIEW_CART: self._view_cart,
            IntentName.CLEAR_CART: self._clear, IntentName.PRICE_QUERY: self.catalog.price,
            IntentName.PRODUCT_INFO: self.catalog.info, IntentName.SEARCH: self.catalog.search,
            IntentName.RECOMMEND: self.catalog.recommend, IntentName.DEALS: self.catalog.deals,
            IntentName.CHECKOUT: self.orders.checkout, IntentName.CONFIRM: self._confirm,
            IntentName.DENY: self._deny, IntentName.CANCEL: self._cancel,
            IntentName.UNDO: self._undo, IntentName.REPEAT: self._repeat,
            IntentName.REORDER: self._reorder, IntentName.ORDER_STATUS: self.orders.order_status,
            IntentName.ADD_TO_LIST: self.lists.add_to_list,
            IntentName.VIEW_LIST: self.lists.view_list,
            IntentName.FEEDBACK: self._feedback, IntentName.HELP: self._help,
            IntentName.UNKNOWN: self._unknown,
        }

    # ---- entry points ------------------------------------------------------------------
    def handle_text(self, text: str, speaker: str | None = None) -> Turn:
        """One typed or spoken line; requests it joins ("add a hammer and remove the
        screws") are done in turn, until one asks a question back."""
        parts = self.parser.requests(text)
        if len(parts) == 1:
            return self.handle(self.parser.parse(text), speaker)
        turns: list[Turn] = []
        for part in parts:
            turns.append(self.handle(self.parser.parse(part), speaker))
            if turns[-1].expects_answer:
                break
        last = turns[-1]
        order_id = next((t.order_id for t in turns if t.order_id is not None), None)
        return dataclasses.replace(last, text=text, reply=" ".join(t.reply for t in turns),
                                   order_id=order_id)

    def is_secret_input(self, text: str) -> bool:
        """True when ``text`` must not be shown or logged: a read-back waits for a PIN (the
        speaker who checks out has one), or it waits for "yes" and this sounds like digits."""
        pending = self._load_state().pending
        return isinstance(pending, ConfirmCheckout) and self.orders.is_secret(
            pending, self.parser.parse(text).digits)

    def handle(self, intent: Intent, speaker: str | None = None) -> Turn:
        state = self._load_state()
        is_secret = isinstance(state.pending, ConfirmCheckout) and self.orders.is_secret(
            state.pending, intent.digits)
        self.orders.order_id = None
        asked = state.pending
        resolved = self.answers.resolve(intent, state)
        if resolved.intent not in _ANSWERS:
            state.pending = None  # the shopper moved on; an old question must not be answered
        is_answer = resolved is not intent or isinstance(asked, ChooseProduct | ChooseOptions)
        intent = resolved
        snapshots = len(state.undo), state.undo[-1:]
        reply = _refused_amount(intent) \
            or ("" if is_answer else self._change_options(intent, state, speaker)) \
            or self._handlers[intent.intent](intent, state, speaker)
        state.just_changed = (len(state.undo), state.undo[-1:]) != snapshots \
            and intent.intent is not IntentName.UNDO
        state.just_corrected = state.just_changed and intent.intent in _CORRECTIONS
        reply = self._remind(state, speaker) + reply
        if intent.intent is not IntentName.REPEAT:
            state.last_reply = reply
        self.shop.save_dialog_state(state.to_dict(), self.conversation)
        self.shop.log_event("turn", speaker, {"intent": str(intent.intent), "reply": reply})
        turn = Turn(intent.text, intent, reply, self.shop.cart(), speaker, self.orders.order_id,
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
        if state.pending and self.shop.clock() - updated_at > self.settings.pending_timeout_s:
            state.pending = None
        return state

    def _remind(self, state: _State, speaker: str | None) -> str:
        """Once per unfinished cart, greet a shopper who comes back after a while."""
        if speaker is None:
            return ""
        now = self.shop.clock()
        last, state.last_seen[speaker] = state.last_seen.get(speaker), now
        if last is None or now - last < self.settings.remind_after_s:
            return ""
        mine = [line for line in self.shop.cart().lines if line.added_by == speaker]
        key = f"{speaker}:" + ",".join(f"{line.id}x{line.quantity}" for line in mine)
        if not mine or key in state.reminded:
            return ""
        state.reminded.append(key)
        return say.welcome_back(speaker, sum(line.quantity for line in mine))

    # ---- pending questions ---------------------------------------------------------------

    def _confirm(self, intent: Intent, state: _State, speaker: str | None) -> str:
        pending, state.pending = state.pending, None
        if pending is None:
            return say.NOTHING_TO_CONFIRM
        if isinstance(pending, ConfirmCheckout):
            return self.orders.place_order(pending, intent, state, speaker)
        if isinstance(pending, OfferSubstitute):
            return self._accept_offer(pending, state, speaker)
        if isinstance(pending, ConfirmCancel):
            return self.orders.cancel_confirmed(pending, speaker)
        if isinstance(pending, ApproveOrder):
            return self.orders.approve(pending, speaker)
        state.pending = pending  # "yes" to "which one?" answers nothing
        return pending.question

    def _deny(self, intent: Intent, state: _State, speaker: str | None) -> str:
        pending, state.pending = state.pending, None
        if pending is None:
            return say.OKAY
        if isinstance(pending, ConfirmCheckout):
            return say.ORDER_NOT_PLACED
        return say.LEFT_IT

    def _cancel(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if state.pending:
            pending, state.pending = state.pending, None
            if isinstance(pending, ConfirmCheckout):
                return say.ORDER_NOT_PLACED
            return say.CANCELLED
        if intent.aspect == "order":  # "cancel my order"
            return self.orders.ask_cancel_order(state, speaker)
        if (state.just_changed and intent.aspect == "take_back") or (
                state.just_corrected and intent.aspect == "never_mind"):
            return self._undo(intent, state, speaker)  # "make that three", "never mind"
        return say.OKAY

    # ---- cart changes -----------------------------------------------------------------
    def _remember_cart(self, state: _State) -> None:
        state.undo.append(self.shop.snapshot_cart())
        del state.undo[:-UNDO_DEPTH]

    def _add(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if intent.list_name and not intent.items:
            intent = self.lists.from_list(intent)
            if not intent.items:
                return say.list_empty(intent.list_name or "shopping")
        intent = with_last_product(self.shop, intent, state)
        if not intent.items:
            return say.WHAT_TO_ADD
        replies: list[str] = []
        added: list[str] = []
        unsure: list[ItemSlot] = []
        for item in intent.items:
            item = self._buyable(self._by_unit_said(item))
            if item.sku is not None and item.alternatives and (item.quantity or 1) >= 1:
                unsure.append(item)  # asked about below, one at a time
                continue
            if intent.read_back and item.sku is not None \
                    and (item.quantity or 0) >= READ_BACK_COUNT \
                    and state.pending is None:  # a heard dozen-plus: "did you mean ...?"
                replies.append(self._offer_closest(self.shop.product(item.sku),
                                                   item.quantity or 1, item, state))
                continue
            reply = self._add_item(item, state, speaker, added, unsure)
            if reply:
                replies.append(reply)
        if unsure and state.pending is None:
            replies.append(self._ask_which(unsure[0], tuple(unsure[1:]), state))
        elif unsure:  # one question at a time: another was asked about this request
            replies.append(say.several_to_choose([i.query for i in unsure]))
        if added:
            replies.insert(0, say.added(added))
            suggestion = self._cross_sell(state, speaker) if not state.pending else ""
            if suggestion:
                replies.append(suggestion)
        return " ".join(replies)

    def _buyable(self, item: ItemSlot) -> ItemSlot:
        """The choices for an item that names several products: every product the words
        name as well as the best does, that can be bought now. One left is the item; none
        left, the item is its best match (sold out: a substitute is offered)."""
        if item.sku is None or not item.alternatives:
            return item
        named = [item.sku, *item.alternatives]
        ranked = self.parser.index.search(item.query, limit=MAX_CHOICES * 3)
        if ranked:
            top = ranked[0][0]
            said = {singular(w) for w in normalize(item.query).split()} - GLUE_WORDS
            named += [p.sku for score, p in ranked if score >= top - CHOICE_MARGIN
                      or said <= {singular(w) for w in normalize(p.name).split()}]
        choices = [sku for sku in dict.fromkeys(named) if self.shop.product(sku).is_in_stock]
        if len(choices) > 1:
            return dataclasses.replace(item, sku=choices[0], alternatives=choices[1:])
        product = self.shop.product(choices[0] if choices else item.sku)
        return dataclasses.replace(item, sku=product.sku, name=product.name, alternatives=[])

    def _by_unit_said(self, item: ItemSlot) -> ItemSlot:
        """"a can of paint" when one of the paints is sold by the can: that one, not a
        question about the roller."""
        if not item.alternatives or item.unit is None or item.sku is None:
            return item
        sold = [sku for sku in (item.sku, *item.alternatives)
                if unit_named(self.shop.product(sku).unit) == item.unit
                or singular(normalize(self.shop.product(sku).unit)) == item.unit]
        if len(sold) != 1:
            return item
        product = self.shop.product(sold[0])
        return dataclasses.replace(item, sku=product.sku, name=product.name, alternatives=[])

    def _change_options(self, intent: Intent, state: _State, speaker: str | None) -> str:
        """"make that a large", "make it oat milk", "change it to two large ones": other
        options (and maybe a count) for the line the talk is about. "" when the utterance is
        not that: it names no option of that product, names another product, or does not
        refer back at all ("oat milk please" is an order of oat milk)."""
        # Never an add: "another large one" is a new line (``_with_last_product``).
        is_change = intent.intent is IntentName.SET_QUANTITY or (
            intent.intent is IntentName.UNKNOWN and intent.is_change)
        if not is_change or state.last_sku is None or not intent.refers_back:
            return ""
        product = self.shop.product(state.last_sku)
        found = options_said(intent.text, product.options)
        option_words = {w for value in found.values() for w in value.split()}
        if not found or any(i.sku != product.sku and set(i.query.split()) - option_words
                            - BACK_WORDS - {"a", "an"} for i in intent.items):
            return ""
        line = next((ln for ln in self.shop.lines_for(product.sku)
                     if ln.options == state.last_options), None)
        if line is None:
            return ""
        quantity = intent.quantity or next(
            (i.quantity for i in intent.items if i.quantity is not None), None)
        self._remember_cart(state)
        try:
            line = self.shop.change_line_options(line.id, {**line.options, **found}, speaker)
            if quantity is not None and quantity != line.quantity:
                self.shop.set_line_quantity(line.id, quantity, speaker)
                line = dataclasses.replace(line, quantity=quantity)
        except CartError as exc:
            state.undo.pop()
            return say.sorry(exc.message)
        state.last_options = dict(line.options)
        return say.now_have(describe(product.name, line.quantity, line.options, product.unit))

    def _add_item(self, item: ItemSlot, state: _State, speaker: str | None,
                  added: list[str], unsure: list[ItemSlot] | None = None) -> str:
        """Add one item, or say why not; an item whose product needs an option it was not
        given goes to ``unsure``, to be asked about."""
        if item.sku is None:
            return say.not_found(item.query)
        quantity = 1 if item.quantity is None else item.quantity
        if quantity < 1:
            return say.not_a_positive_amount(quantity)
        product = self.shop.product(item.sku)
        if item.fraction:
            return say.only_whole(product.name, product.unit)
        if 0 < item.score < WHOLE_NAME_SCORE and _unexplained_words(item.query, product):
            return self._offer_closest(product, quantity, item, state)
        if item.unit in MEASURES and item.unit != unit_named(product.unit):
            return self._offer_its_unit(product, quantity, item, state)
        if item.unit == SINGLE_UNIT and product.unit == BY_THE_DOZEN:
            return self._offer_whole_dozens(product, quantity, item.options, state)
        if quantity > MAX_LINE_QUANTITY:
            return say.too_many_at_once(quantity, MAX_LINE_QUANTITY)
        if not product.is_in_stock:
            return self._offer_substitute(product, quantity, state)
        if product.stock is not None and product.stock < quantity + self.shop.in_cart(
                product.sku):
            return say.over_stock(product.stock, product, self.shop.in_cart(product.sku))
        if product.missing_options(item.options) and unsure is not None:
            unsure.append(item)
            return ""
        options = product.with_defaults(item.options)
        reply = self._add_product(product, quantity, options, state, speaker)
        if not reply:
            added.append(describe(product.name, quantity, options, product.unit))
        return reply

    def _add_product(self, product: Product, quantity: int, options: dict[str, str],
                     state: _State, speaker: str | None) -> str:
        """"" when it is in the cart; else why not."""
        self._remember_cart(state)
        try:
            self.shop.add_to_cart(product.sku, quantity, options, speaker)
        except CartError as exc:
            state.undo.pop()
            return say.sorry(exc.message)
        state.last_sku, state.last_options = product.sku, dict(options)
        return ""

    def _accept_offer(self, pending: OfferSubstitute, state: _State,
                      speaker: str | None) -> str:
        """"yes" to "would you like a can of interior paint instead?": added, once the
        options it still lacks are asked about."""
        product = self.shop.product(pending.sku)
        if product.missing_options(pending.options):
            item = ItemSlot(query=product.name.lower(), sku=product.sku, name=product.name,
                            quantity=pending.quantity, options=dict(pending.options), score=1.0)
            return self._ask_options(item, (), state)
        return self._add_one(product, pending.quantity, product.with_defaults(pending.options),
                             state, speaker)

    def _add_one(self, product: Product, quantity: int, options: dict[str, str],
                 state: _State, speaker: str | None) -> str:
        return self._add_product(product, quantity, options, state, speaker) or say.added(
            [describe(product.name, quantity, options, product.unit)])

    def _ask_which(self, item: ItemSlot, then: tuple[ItemSlot, ...], state: _State) -> str:
        assert item.sku is not None
        if not item.alternatives:
            return self._ask_options(item, then, state)
        choices = (item.sku, *item.alternatives)
        names = [self.shop.product(sku).name.lower() for sku in choices]
        shown = names if len(names) <= MAX_CHOICES else names[:MAX_CHOICES - 1]
        state.pending = ChooseProduct(item, choices, say.which(item.query, shown,
                                                               len(names) - len(shown)), then)
        return state.pending.question

    def _ask_options(self, item: ItemSlot, then: tuple[ItemSlot, ...], state: _State) -> str:
        """"Which colour: bright white, eggshell or sage green?": the groups the order left
        out that have no default, asked together."""
        product = self.shop.product(item.sku or "")
        groups = product.missing_options(item.options)
        state.pending = ChooseOptions(item, groups, say.which_options(
            [(g, product.options[g]) for g in groups]), then)
        state.last_sku, state.last_options = product.sku, dict(item.options)
        return state.pending.question

    def _offer_substitute(self, product: Product, quantity: int, state: _State) -> str:
        talk_about(product.sku, state)  # "actually make that three" is about it
        substitute = self.shop.substitute_for(product)
        if substitute is None:
            return say.out_of_stock(product.name)
        state.pending = OfferSubstitute(substitute.sku, quantity,
                                        say.substitute_question(substitute.name))
        return say.substitute_offer(product.name, substitute.name,
                                    self.shop.unit_price_cents(substitute))

    def _offer_closest(self, product: Product, quantity: int, item: ItemSlot,
                       state: _State) -> str:
        """"leather boots" in a shop that has leather belts: the closest product is offered,
        never added unasked (one question at a time: with another pending, not found)."""
        if state.pending is not None:
            return say.not_found(item.query)
        offer = describe(product.name, quantity, item.options, product.unit)
        state.pending = OfferSubstitute(product.sku, quantity, say.did_you_mean(offer),
                                        item.options)
        return state.pending.question

    def _offer_its_unit(self, product: Product, quantity: int, item: ItemSlot,
                        state: _State) -> str:
        """"a pound of butter" sold by the pack: one pack is offered, never added unasked;
        "three gallons" of paint sold by the litre is no number of litres, and is refused."""
        assert item.unit is not None
        refusal = say.not_sold_by(product.name, product.unit, item.unit)
        if quantity != 1:
            return refusal
        offer = describe(product.name, 1, item.options, product.unit)
        state.pending = OfferSubstitute(product.sku, 1, say.shall_i_add(offer),
                                        item.options)
        return f"{refusal} {state.pending.question}"

    def _offer_whole_dozens(self, product: Product, singles: int, options: dict[str, str],
                            state: _State) -> str:
        """"half a dozen eggs" when eggs come by the dozen: never one dozen, never six dozen,
        without asking."""
        dozens = whole_dozens(singles)
        offer = describe(product.name, dozens, options, product.unit)
        state.pending = OfferSubstitute(product.sku, dozens, say.shall_i_add(offer),
                                        options)
        return say.whole_dozens_offer(product.name, offer)

    def _cross_sell(self, state: _State, speaker: str | None) -> str:
        if not self.settings.cross_sell:
            return ""
        suggestions = [r for r in recommend(self.shop, speaker, limit=3)
                       if "bought with" in r.reason]
        if not suggestions:
            return ""
        return say.goes_with(suggestions[0].product)

    def _remove(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if intent.list_name:
            return self.lists.remove_from_list(intent, speaker)
        resolved = with_last_product(self.shop, intent, state)
        is_reference = resolved is not intent  # "take it off": the line the talk is about
        if not resolved.items:
            return say.WHAT_TO_REMOVE
        replies = []
        for item in resolved.items:
            if item.quantity is not None and item.quantity < 1:
                replies.append(say.not_a_positive_amount(item.quantity))
                continue
            by_option = self._line_said_by_option(item)  # "remove the large one"
            sku = by_option.sku if by_option else self._cart_sku(item)
            if sku is None:
                replies.append(say.not_in_cart(item.query))
                continue
            self._remember_cart(state)
            line = by_option or self._line_meant(
                sku, item.options if item.options or is_reference else None)
            if line is None:
                lines = self.shop.lines_for(sku)
                options = lines[0].options if len(lines) == 1 else {}
                removed = self.shop.remove_from_cart(sku, item.quantity, speaker)
            else:
                removed, options = min(item.quantity or line.quantity, line.quantity), line.options
                self.shop.set_line_quantity(line.id, line.quantity - removed, speaker)
            product = self.shop.product(sku)
            replies.append(say.removed(describe(product.name, removed, options, product.unit)))
        return " ".join(replies)

    def _line_said_by_option(self, item: ItemSlot) -> CartLine | None:
        """The one cart line that has the option values an item names without a product of
        its own ("the large one", "the red one"); None when they are no option values of a
        line, or of several lines."""
        if item.sku is not None and item.score >= WHOLE_NAME_SCORE:
            return None  # "remove the oat milk": the product, not a latte with oat milk
        said = {normalize(v) for v in item.options.values()} if item.sku is None else set()
        said |= {normalize(item.query)} - {""}
        if not said:
            return None
        lines = [line for line in self.shop.cart().lines
                 if said <= {normalize(value) for value in line.options.values()}]
        return lines[0] if len(lines) == 1 else None

    def _line_meant(self, sku: str, options: dict[str, str] | None) -> CartLine | None:
        """The one line of ``sku`` meant when the cart holds the product in several ways (a
        large latte and a small one): the line with these ``options``, or the only one that
        has them all. None when the product has one line, or no options were meant (the
        product as a whole: "remove the lattes")."""
        lines = self.shop.lines_for(sku)
        if len(lines) < 2 or options is None:
            return None
        exact = [line for line in lines if line.options == options]
        fitting = exact or [line for line in lines if options.items() <= line.options.items()]
        return fitting[0] if len(fitting) == 1 else None

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
        targets: list[tuple[str | None, int | None, dict[str, str] | None]]
        if intent.items:
            targets = [(self._cart_sku(i) or i.sku, i.quantity, i.options or None)
                       for i in intent.items]
        else:  # "make it three": the line the talk is about
            targets = [(state.last_sku, self._in_its_unit(state.last_sku, intent),
                        state.last_options)]
        replies = []
        for (sku, quantity, options), item in zip(targets, (*intent.items, None), strict=False):
            if (quantity is None and options and item is not None and sku is not None
                    and self.shop.lines_for(sku)):
                replies.append(self._restyle(sku, options, item, state, speaker))
                continue
            if sku is None or quantity is None:
                replies.append(say.WHICH_AND_HOW_MANY)
                continue
            if quantity > MAX_LINE_QUANTITY:
                replies.append(say.at_most(MAX_LINE_QUANTITY))
                continue
            if quantity < 0:
                replies.append(say.not_a_positive_amount(quantity))
                continue
            product = self.shop.product(sku)
            if not product.is_in_stock:  # "add ground beef" (sold out), "make that three"
                replies.append(self._offer_substitute(product, quantity, state))
                continue
            if product.stock is not None and quantity > product.stock:
                replies.append(say.over_stock(product.stock, product, 0))
                continue
            line = self._line_meant(sku, options if options is not None or sku != state.last_sku
                                    else state.last_options)
            lines = self.shop.lines_for(sku)
            if line is None and len(lines) > 1:  # merging them would lose their options
                product = self.shop.product(sku)
                replies.append(say.which_line([describe(product.name, ln.quantity, ln.options,
                                                        product.unit) for ln in lines]))
                continue
            if not lines and quantity:
                # "add a roller" ... "make that five": an order of five, in the options said
                # (asked about when it lacks some)
                replies.append(self._add(Intent(IntentName.ADD_ITEM, items=(ItemSlot(
                    query=product.name.lower(), sku=sku, name=product.name, quantity=quantity,
                    options=dict(options or {}), score=1.0),), text=intent.text,
                    confidence=1.0), state, speaker))
                continue
            self._remember_cart(state)
            said = line.options if line else lines[0].options if lines else {}
            try:
                if line is None:
                    self.shop.set_quantity(sku, quantity, speaker)
                else:
                    self.shop.set_line_quantity(line.id, quantity, speaker)
            except CartError as exc:  # e.g. "none of those" for something not in the cart
                state.undo.pop()
                replies.append(say.sorry(exc.message))
                continue
            state.last_sku, state.last_options = sku, dict(said)
            product = self.shop.product(sku)
            replies.append(say.now_have(describe(product.name, quantity, said, product.unit))
                           if quantity else say.removed_all(product.name))
        return " ".join(replies)

    def _in_its_unit(self, sku: str | None, intent: Intent) -> int | None:
        """A bare amount in the product's own unit: "two dozen" of eggs sold by the dozen
        is two."""
        if sku is None or intent.quantity is None or intent.unit != "dozen":
            return intent.quantity
        if self.shop.product(sku).unit == BY_THE_DOZEN:
            return intent.quantity // 12
        return intent.quantity

    def _restyle(self, sku: str, options: dict[str, str], item: ItemSlot, state: _State,
                 speaker: str | None) -> str:
        """"make the latte large", "change the lattes to oat milk": a product in the cart,
        named with options and no count, takes those options. Its lines that lack them
        change; when there are several, only "the lattes" (the name said in the plural)
        means all of them, "the latte" asks which."""
        product = self.shop.product(sku)
        lines = self.shop.lines_for(sku)
        changing = [ln for ln in lines if not options.items() <= ln.options.items()]
        if not changing:
            return say.now_have(say.join([describe(product.name, ln.quantity, ln.options,
                                                   product.unit) for ln in lines]))
        if len(changing) > 1 and not _said_in_plural(item.query, product.name):
            return say.which_line([describe(product.name, ln.quantity, ln.options,
                                            product.unit) for ln in changing])
        self._remember_cart(state)
        changed: dict[int, CartLine] = {}
        try:
            for line in changing:
                new = self.shop.change_line_options(line.id, {**line.options, **options},
                                                    speaker)
                changed[new.id] = new
        except CartError as exc:
            self.shop.restore_cart(state.undo.pop())
            return say.sorry(exc.message)
        final = {ln.id: ln for ln in self.shop.lines_for(sku)}
        now = [final[i] for i in changed if i in final]
        state.last_sku, state.last_options = sku, dict(now[-1].options)
        return say.now_have(say.join([describe(product.name, ln.quantity, ln.options,
                                               product.unit) for ln in now]))

    def _clear(self, intent: Intent, state: _State, speaker: str | None) -> str:
        if self.shop.cart().is_empty:
            return say.ALREADY_EMPTY
        self._remember_cart(state)
        self.shop.clear_cart(speaker)
        return say.EMPTIED

    def _undo(self, intent: Intent, state: _State, speaker: str | None) -> str:
        state.pending = None
        if not state.undo:
            return say.NOTHING_TO_UNDO
        self.shop.restore_cart(state.undo.pop(), speaker)
        return say.undone(self._read_cart(self.shop.cart()))

    def _reorder(self, intent: Intent, state: _State, speaker: str | None) -> str:
        order = self.orders.usual_order(speaker)
        if order is None:
            return say.NOTHING_TO_REORDER
        self._remember_cart(state)
        added = self.shop.reorder(order, speaker)
        if not added:
            state.undo.pop()
            return say.NONE_TO_REORDER
        return say.usual_added(speaker, spoken_lines(added, self.shop))

    # ---- reading things out -------------------------------------------------------------
    def _read_cart(self, cart: Cart) -> str:
        if cart.is_empty:
            return say.CART_EMPTY
        return say.cart_reading(spoken_lines(cart.lines, self.shop), cart.total_cents)

    def _view_cart(self, intent: Intent, state: _State, speaker: str | None) -> str:
        cart = self.shop.cart()
        if intent.aspect == "total" and not cart.is_empty:
            return say.cart_total(sum(ln.quantity for ln in cart.lines), cart.total_cents)
        return self._read_cart(cart)

    def _feedback(self, intent: Intent, state: _State, speaker: str | None) -> str:
        self.shop.add_feedback(intent.text, intent.rating, speaker)
        if intent.rating:
            return say.thanks_for_rating(intent.rating)
        return say.THANKS_FOR_FEEDBACK

    def _help(self, intent: Intent, state: _State, speaker: str | None) -> str:
        example, asked_about = self._examples()
        return say.help_text(example, asked_about)

    def _examples(self) -> tuple[str, str]:
        """An order and a product of this shop's own catalog to give as examples: the two
        in-stock products with the shortest names (the easiest to say)."""
        products = sorted((p for p in self.shop.products() if p.stock != 0),
                          key=lambda p: (len(p.name), p.name))
        if not products:
            return "two of something", "something"
        first, second = products[0], products[min(1, len(products) - 1)]
        return describe(first.name, 2, {}, first.unit), second.name.lower()

    def _unknown(self, intent: Intent, state: _State, speaker: str | None) -> str:
        friendly = say.small_talk(intent.social)
        if friendly:
            return friendly
        if state.pending:
            return state.pending.question
        return say.not_caught(self._examples()[0])

    def _repeat(self, intent: Intent, state: _State, speaker: str | None) -> str:
        return state.last_reply or say.NOTHING_SAID

    # ---- checkout ---------------------------------------------------------------------

_ANSWERS = frozenset({IntentName.CONFIRM, IntentName.DENY, IntentName.CANCEL,
                      IntentName.REPEAT, IntentName.UNKNOWN, IntentName.HELP})
MAX_CHOICES = 4
"""At most this many products are named in "which one?"; more are counted ("and two
more")."""
CHOICE_MARGIN = 0.06
"""A product the words name within this much of the best match is one of the choices."""
_CORRECTIONS = frozenset({IntentName.SET_QUANTITY, IntentName.UNKNOWN})
"""Turns that change what was said before ("make that three", "make it a large")."""
MIN_WORD_LIKENESS = 85
"""A word said counts as a word of the product's name at this likeness (0-100), so a typo
("croisants") names it and another word ("boots" for belts, "aaa" for AA) does not."""


def _refused_amount(intent: Intent) -> str:
    """"add minus five bananas", "add 99999999999999999999 eggs": refused as said; "" when
    every amount can be had."""
    said = intent.amount_said or next((i.amount_said for i in intent.items if i.amount_said),
                                      None)
    return say.unusable_amount(said, MAX_LINE_QUANTITY) if said else ""


def _unexplained_words(query: str, product: Product) -> bool:
    """Words of the request that are no word of the product's name, aliases or options:
    "leather boots" matched "Leather Belt" on one word of two."""
    labels = [product.name, *product.aliases,
              *(v for values in product.options.values() for v in values)]
    known = {singular(w) for label in labels for w in normalize(label).split()}
    for word in normalize(query).split():
        if word in GLUE_WORDS or singular(word) in known:
            continue
        if max((fuzz.ratio(singular(word), k) for k in known), default=0) < MIN_WORD_LIKENESS:
            return True
    return False


def _said_in_plural(query: str, name: str) -> bool:
    """The shopper named the product in the plural ("the lattes" for Latte)."""
    said, named = normalize(query).split(), normalize(name).split()
    return bool(said and named) and said[-1] != named[-1] and singular(said[-1]) == named[-1]



