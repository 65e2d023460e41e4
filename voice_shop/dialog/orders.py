"""Checking out and the household's orders, by voice: the read-back and its "yes" (or PIN),
who may place an order, a child's order approved by an adult, cancelling an order, and
what became of the last one."""

from __future__ import annotations

import dataclasses

from ..errors import OrderError
from ..intent.model import Intent
from ..shop.engine import Shop, check_pin
from ..shop.models import Cart, Order, OrderStatus, Role
from . import wording as say
from .questions import ApproveOrder, ConfirmCancel, ConfirmCheckout
from .state import ConversationState, spoken_lines


class OrderTalk:
    """Places, approves and cancels orders; ``order_id`` is the order the turn touched."""

    def __init__(self, shop: Shop, allow_unknown_checkout: bool) -> None:
        self.shop = shop
        self.allow_unknown_checkout = allow_unknown_checkout
        self.order_id: int | None = None

    def is_secret(self, pending: ConfirmCheckout, digits: str | None) -> bool:
        profile = self.shop.find_profile(pending.speaker)
        return bool(profile and profile.has_pin) or digits is not None

    def ask_cancel_order(self, state: ConversationState, speaker: str | None) -> str:
        open_orders = [o for o in self.shop.orders(5) if o.status in
                       (OrderStatus.PLACED, OrderStatus.PENDING_APPROVAL)]
        if not open_orders:
            return say.NO_OPEN_ORDER
        order = open_orders[0]
        state.pending = ConfirmCancel(order.id, say.cancel_question(order))
        return state.pending.question

    def usual_order(self, speaker: str | None) -> Order | None:
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

    def order_status(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        orders = self.shop.orders(1)
        if not orders:
            return say.NO_ORDERS
        order = orders[0]
        if intent.aspect == "lines":  # "what did I order last time"
            mine = self.usual_order(speaker) or order
            return say.last_order_lines(mine, spoken_lines(mine.lines, self.shop))
        profile = self.shop.find_profile(speaker)
        if order.status is OrderStatus.PENDING_APPROVAL and profile \
                and profile.role is Role.ADULT:
            lines = spoken_lines(order.lines, self.shop)
            state.pending = ApproveOrder(order.id, say.approve_question(order, lines))
            return state.pending.question
        delivery = (self.shop.delivery_state(order.id)
                    if order.status is OrderStatus.PLACED else None)
        return say.last_order(order, delivery)

    def checkout(self, intent: Intent, state: ConversationState, speaker: str | None) -> str:
        cart = self.shop.cart()
        if cart.is_empty:
            return say.NOTHING_TO_CHECK_OUT
        refusal = self._checkout_refusal(speaker, cart)
        if refusal:
            return refusal
        question = say.readback(spoken_lines(cart.lines, self.shop), cart.total_cents,
                                self._confirm_prompt(speaker))
        state.pending = ConfirmCheckout(cart.total_cents, speaker, question)
        return question

    def _confirm_prompt(self, speaker: str | None) -> str:
        profile = self.shop.find_profile(speaker)
        return say.SAY_PIN if profile and profile.has_pin else say.SHALL_I_PLACE

    def _checkout_refusal(self, speaker: str | None, cart: Cart) -> str:
        profiles = self.shop.profiles()
        profile = self.shop.find_profile(speaker)
        allow_unknown = (self.allow_unknown_checkout
                         or self.shop.setting("allow_unknown_checkout") == "1")
        if profiles and profile is None and not allow_unknown:
            return say.UNKNOWN_VOICE
        limit = profile.spending_limit_cents if profile else None
        if limit is not None and cart.total_cents > limit:
            return say.over_limit(cart.total_cents, limit)
        return ""

    def place_order(self, pending: ConfirmCheckout, intent: Intent, state: ConversationState,
                    speaker: str | None) -> str:
        cart = self.shop.cart()
        if cart.total_cents != pending.total_cents:
            return say.CART_CHANGED
        if pending.speaker != speaker:
            return say.NOT_YOUR_CHECKOUT
        profile = self.shop.find_profile(speaker)
        if profile and profile.has_pin and not self._pin_matches(speaker, intent.digits):
            return say.WRONG_PIN
        is_child = profile is not None and profile.role is Role.CHILD
        status = OrderStatus.PENDING_APPROVAL if is_child else OrderStatus.PLACED
        try:
            order = self.shop.checkout(speaker, status)
        except OrderError as exc:
            return say.could_not_place(exc.message)
        state.undo.clear()
        self.order_id = order.id
        return say.placed(order)

    def _pin_matches(self, speaker: str | None, digits: str | None) -> bool:
        stored = self.shop.pin_hash(speaker or "")
        return bool(stored and digits and check_pin(digits, stored))

    def cancel_confirmed(self, pending: ConfirmCancel, speaker: str | None) -> str:
        """"yes" to "cancel order number 4?"."""
        order = self.shop.set_order_status(pending.order_id, OrderStatus.CANCELLED, speaker)
        self.order_id = order.id
        return say.order_cancelled(order.id)

    def approve(self, pending: ApproveOrder, speaker: str | None) -> str:
        """"yes" from the adult a child's order was read to: no PIN, as for the CLI."""
        try:
            order = self.shop.approve_order(pending.order_id, speaker or "", needs_pin=False)
        except OrderError as exc:
            if exc.code == "not_adult":
                return say.ONLY_ADULTS_APPROVE
            return say.could_not_approve(exc.message)
        self.order_id = order.id
        return say.approved(order.id)
