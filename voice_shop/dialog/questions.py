"""The questions a conversation can be waiting on, as types.

A question outlives the process that asked it (the answer may reach another process: the
device, the Wyoming server, the CLI), so each one is kept in the database as a dictionary
with its ``kind``; :func:`from_dict` reads it back, and forgets one it cannot read (a state
written by an older version, or damaged) rather than answering the wrong question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..intent.model import ItemSlot


@dataclass(frozen=True)
class ChooseProduct:
    """"Which milk: oat milk, soy milk or whole milk?" for an item that names several
    products."""

    kind: ClassVar[str] = "choose"
    item: ItemSlot
    choices: tuple[str, ...]
    """The skus offered, in the order they were said."""
    question: str
    then: tuple[ItemSlot, ...] = ()
    """Items of the same request still to be asked about, one question at a time."""


@dataclass(frozen=True)
class ChooseOptions:
    """"Which colour: bright white, eggshell or sage green?" for a product ordered without a
    value of a group that has no default."""

    kind: ClassVar[str] = "options"
    item: ItemSlot
    """The order as said, with the product and the options heard so far."""
    groups: tuple[str, ...]
    """The groups still to be named, in the catalog's order."""
    question: str
    then: tuple[ItemSlot, ...] = ()
    """Items of the same request still to be added (or asked about)."""


@dataclass(frozen=True)
class ConfirmCheckout:
    """The order read back, waiting for "yes" or the speaker's PIN."""

    kind: ClassVar[str] = "checkout"
    total_cents: int
    """The total that was read back: a cart that changed since needs a new read-back."""
    speaker: str | None
    """Only the person who started the checkout can confirm it."""
    question: str


@dataclass(frozen=True)
class OfferSubstitute:
    """"Would you like whole wheat bread instead?", or whole dozens for single eggs."""

    kind: ClassVar[str] = "substitute"
    sku: str
    quantity: int
    question: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfirmCancel:
    """"Cancel order number 4 for twelve dollars?"."""

    kind: ClassVar[str] = "cancel_order"
    order_id: int
    question: str


@dataclass(frozen=True)
class ApproveOrder:
    """A child's order read to an adult of the household."""

    kind: ClassVar[str] = "approve"
    order_id: int
    question: str


Question = (ChooseProduct | ChooseOptions | ConfirmCheckout | OfferSubstitute | ConfirmCancel
            | ApproveOrder)


def to_dict(question: Question) -> dict[str, Any]:
    if isinstance(question, ChooseProduct):
        return {"kind": question.kind, "item": question.item.to_dict(),
                "choices": list(question.choices), "question": question.question,
                "then": [i.to_dict() for i in question.then]}
    if isinstance(question, ChooseOptions):
        return {"kind": question.kind, "item": question.item.to_dict(),
                "groups": list(question.groups), "question": question.question,
                "then": [i.to_dict() for i in question.then]}
    if isinstance(question, ConfirmCheckout):
        return {"kind": question.kind, "total_cents": question.total_cents,
                "speaker": question.speaker, "question": question.question}
    if isinstance(question, OfferSubstitute):
        return {"kind": question.kind, "sku": question.sku, "quantity": question.quantity,
                "options": dict(question.options), "question": question.question}
    return {"kind": question.kind, "order_id": question.order_id,
            "question": question.question}


def from_dict(data: Any) -> Question | None:
    """The question ``to_dict`` wrote; None when there is none, or it cannot be read."""
    if not isinstance(data, dict):
        return None
    try:
        kind, question = data["kind"], str(data["question"])
        if kind == ChooseProduct.kind:
            return ChooseProduct(ItemSlot.from_dict(data["item"]),
                                 tuple(str(s) for s in data["choices"]), question,
                                 tuple(ItemSlot.from_dict(i) for i in data.get("then", ())))
        if kind == ChooseOptions.kind:
            return ChooseOptions(ItemSlot.from_dict(data["item"]),
                                 tuple(str(g) for g in data["groups"]), question,
                                 tuple(ItemSlot.from_dict(i) for i in data.get("then", ())))
        if kind == ConfirmCheckout.kind:
            return ConfirmCheckout(int(data["total_cents"]), data.get("speaker"), question)
        if kind == OfferSubstitute.kind:
            return OfferSubstitute(str(data["sku"]), int(data["quantity"]), question,
                                   {str(k): str(v) for k, v in data.get("options", {}).items()})
        if kind == ConfirmCancel.kind:
            return ConfirmCancel(int(data["order_id"]), question)
        if kind == ApproveOrder.kind:
            return ApproveOrder(int(data["order_id"]), question)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return None
