"""The intent messages: what a shopper asked for, as typed slots (JSON in DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class IntentName(StrEnum):
    ADD_ITEM = "add_item"
    REMOVE_ITEM = "remove_item"
    SET_QUANTITY = "set_quantity"
    VIEW_CART = "view_cart"
    CLEAR_CART = "clear_cart"
    PRICE_QUERY = "price_query"
    PRODUCT_INFO = "product_info"
    SEARCH = "search"
    RECOMMEND = "recommend"
    DEALS = "deals"
    CHECKOUT = "checkout"
    CONFIRM = "confirm"
    DENY = "deny"
    CANCEL = "cancel"
    UNDO = "undo"
    REPEAT = "repeat"
    REORDER = "reorder"
    ORDER_STATUS = "order_status"
    ADD_TO_LIST = "add_to_list"
    VIEW_LIST = "view_list"
    FEEDBACK = "feedback"
    HELP = "help"
    UNKNOWN = "unknown"


READ_BACK_COUNT = 12
"""A dozen or more of one item, heard, is read back before it is added: a count is the word
a recogniser most often gets wrong ("nineteen mochas")."""


@dataclass(frozen=True)
class ItemSlot:
    """One product mentioned in an utterance."""

    query: str
    """The words that named the product, as heard."""
    sku: str | None = None
    """Matched catalog sku, None when nothing in the catalog matches."""
    name: str | None = None
    quantity: int | None = None
    """Units asked for; None when no quantity was said."""
    unit: str | None = None
    """Pack or measure word said ("bag", "pound"), singular; None when none was said."""
    options: dict[str, str] = field(default_factory=dict)
    """Option group -> value heard, spelled as in the catalog."""
    alternatives: list[str] = field(default_factory=list)
    """Other close skus when the match is ambiguous."""
    score: float = 0.0
    """Match score 0..1 of the product match."""
    fraction: str | None = None
    """An amount that is no whole number, as said ("half a", "two point five", "one and a
    half"); ``quantity`` is then its whole part or None. Never rounded: the dialog says the
    product comes in whole units."""

    amount_said: str | None = None
    """An amount no order can have, as said: a negative one ("minus five") or an absurd one
    ("99999999999999999999"); ``quantity`` is then None, and the dialog refuses it."""

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "sku": self.sku, "name": self.name,
                "quantity": self.quantity, "unit": self.unit, "options": dict(self.options),
                "alternatives": list(self.alternatives), "fraction": self.fraction,
                "amount_said": self.amount_said}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemSlot:
        return cls(query=data["query"], sku=data.get("sku"), name=data.get("name"),
                   quantity=data.get("quantity"), unit=data.get("unit"),
                   options=dict(data.get("options") or {}),
                   alternatives=list(data.get("alternatives") or []),
                   fraction=data.get("fraction"),
                   amount_said=data.get("amount_said"))


@dataclass(frozen=True)
class Intent:
    """A parsed utterance."""

    intent: IntentName
    items: tuple[ItemSlot, ...] = ()
    category: str | None = None
    """Catalog category named in a search, as spelled in the catalog."""
    tags: tuple[str, ...] = ()
    """Catalog tags named ("gluten free", "vegan")."""
    rating: int | None = None
    """Stars (1-5) in feedback."""
    text: str = ""
    """The utterance as given."""
    confidence: float = 0.0
    """0..1: how sure the parser is of intent and slots together."""
    list_name: str | None = None
    """"shopping" or "wish" for list intents."""
    quantity: int | None = None
    """A bare quantity with no product ("make it three")."""
    choice: int | None = None
    """A place said, for a question that offered a list: "the second one" 2, "the last
    one" -1."""
    digits: str | None = None
    """A code said digit by digit ("four oh oh seven" "4007"), such as a purchase PIN."""
    amount_said: str | None = None
    """A bare amount no order can have, as said ("make it minus three"): ``quantity`` is then
    None."""
    unit: str | None = None
    """The pack word said with a bare ``quantity``: "no wait, two dozen" is 24, "dozen"."""
    refers_back: bool = False
    """The utterance points back at what the talk is about: "it", "that", "them",
    "another", "one more", "the same again"."""
    is_change: bool = False
    """It asks to change something said before: "make", "change", "switch", "instead"."""
    social: str | None = None
    """A greeting or thanks said alone: ``"greeting"`` or ``"thanks"``."""
    need: str | None = None
    """What a search asks for by use rather than name: "headache" in "anything for a
    headache", "energy saving"."""
    aspect: str | None = None
    """What a question asks of its subject: ``"cheapest"`` ("the cheapest pasta"),
    ``"total"`` ("how much is everything"), ``"lines"`` ("what did I order last time"),
    ``"take_back"`` ("cancel that" said of the change just made), ``"never_mind"``,
    ``"order"`` ("cancel my order")."""
    read_back: bool = False
    """Heard, not typed, and asking for ``READ_BACK_COUNT`` or more of one item: that item is
    read back as a question before it is added ("Did you mean nineteen mochas?")."""

    def to_dict(self) -> dict[str, Any]:
        return {"intent": str(self.intent), "items": [i.to_dict() for i in self.items],
                "category": self.category, "tags": list(self.tags), "rating": self.rating,
                "text": self.text, "confidence": round(self.confidence, 3),
                "list": self.list_name, "quantity": self.quantity, "choice": self.choice,
                "digits": self.digits, "need": self.need, "aspect": self.aspect,
                "unit": self.unit, "amount_said": self.amount_said,
                "refers_back": self.refers_back, "is_change": self.is_change,
                "social": self.social, "read_back": self.read_back}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Intent:
        return cls(intent=IntentName(data["intent"]),
                   items=tuple(ItemSlot.from_dict(i) for i in data.get("items") or []),
                   category=data.get("category"), tags=tuple(data.get("tags") or []),
                   rating=data.get("rating"), text=data.get("text", ""),
                   confidence=float(data.get("confidence", 0.0)), list_name=data.get("list"),
                   quantity=data.get("quantity"), choice=data.get("choice"),
                   digits=data.get("digits"), need=data.get("need"),
                   aspect=data.get("aspect"), unit=data.get("unit"),
                   amount_said=data.get("amount_said"),
                   refers_back=bool(data.get("refers_back", False)),
                   is_change=bool(data.get("is_change", False)), social=data.get("social"),
                   read_back=bool(data.get("read_back", False)))
