"""Typed records of the shop: products, cart, orders, lists, profiles."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


def iso_time(unix_s: float) -> str:
    """Unix seconds as ISO 8601 in the device's local time zone, with its offset
    (``2026-11-23T21:04:05+01:00``): how every time is printed."""
    return datetime.fromtimestamp(unix_s).astimezone().isoformat(timespec="seconds")


class OrderStatus(StrEnum):
    PLACED = "placed"
    PENDING_APPROVAL = "pending_approval"
    ACCEPTED = "accepted"
    """The shop has taken the order (reported back through the status API)."""
    OUT_FOR_DELIVERY = "out_for_delivery"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"


SHOP_REPORTED_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.OUT_FOR_DELIVERY,
                                    OrderStatus.DELIVERED, OrderStatus.CANCELLED})
"""What the shop may report back about an order it received."""


class DeliveryState(StrEnum):
    """How far a placed order has got on its way to the shop's webhook (the outbox)."""

    QUEUED = "queued"
    """Not yet acknowledged by the shop; the deliverer keeps trying."""
    SENT = "sent"
    """The shop answered 2xx."""
    FAILED = "failed"
    """The shop refused it (a 4xx); nobody will retry it."""


class Role(StrEnum):
    ADULT = "adult"
    CHILD = "child"


class ListName(StrEnum):
    SHOPPING = "shopping"
    WISH = "wish"


@dataclass(frozen=True)
class Product:
    """One catalog product."""

    sku: str
    name: str
    category: str = ""
    unit: str = ""
    price_cents: int = 0
    """Shelf price in cents, before promotions."""
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    stock: int | None = None
    """Units on hand; None when the shop does not track stock for this product."""
    brand: str = ""
    description: str = ""
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Option groups, each with its spoken values as spelled in the catalog."""
    option_defaults: dict[str, str] = field(default_factory=dict)
    """The value a group takes when the shopper names none ("size: small|medium|large =
    medium")."""
    optional_options: tuple[str, ...] = ()
    """Groups a line may go without ("milk?: oat milk|soy milk"): never asked about."""

    def missing_options(self, said: dict[str, str]) -> tuple[str, ...]:
        """The groups that must be asked about before a line with ``said`` options is added:
        the groups with no value said, no default, and not optional."""
        return tuple(g for g in self.options if g not in said
                     and g not in self.option_defaults and g not in self.optional_options)

    def with_defaults(self, said: dict[str, str]) -> dict[str, str]:
        """``said`` completed by the defaults of the groups it leaves out."""
        return {**{g: v for g, v in self.option_defaults.items() if g not in said}, **said}

    @property
    def is_in_stock(self) -> bool:
        return self.stock is None or self.stock > 0

    def option_group_of(self, value: str) -> str | None:
        for group, values in self.options.items():
            if value in values:
                return group
        return None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        data["tags"] = list(self.tags)
        data["options"] = {k: list(v) for k, v in self.options.items()}
        data["optional_options"] = list(self.optional_options)
        return data


def options_to_json(product: Product) -> str:
    """How a product's option groups are kept in the database: a group is its list of values,
    or ``{"values": [...], "default": ..., "optional": ...}`` when the catalog marked it."""
    groups: dict[str, Any] = {}
    for group, values in product.options.items():
        default = product.option_defaults.get(group)
        optional = group in product.optional_options
        groups[group] = ({"values": list(values), "default": default, "optional": optional}
                         if default or optional else list(values))
    return json.dumps(groups)


def options_from_json(text: str | None,
                      ) -> tuple[dict[str, tuple[str, ...]], dict[str, str], tuple[str, ...]]:
    """The option groups, defaults and optional groups ``options_to_json`` wrote."""
    options: dict[str, tuple[str, ...]] = {}
    defaults: dict[str, str] = {}
    optional: list[str] = []
    for group, kept in json.loads(text or "{}").items():
        if isinstance(kept, dict):
            options[group] = tuple(kept.get("values", ()))
            if kept.get("default"):
                defaults[group] = str(kept["default"])
            if kept.get("optional"):
                optional.append(group)
        else:
            options[group] = tuple(kept)
    return options, defaults, tuple(optional)


@dataclass(frozen=True)
class DailyHours:
    """The hours of each day a promotion holds, local time: "06:00-12:00" is before noon."""

    start_minute: int
    """Minutes after midnight it starts."""
    end_minute: int
    """Minutes after midnight it ends (before ``start_minute``: it runs past midnight)."""

    @classmethod
    def from_text(cls, text: str) -> DailyHours:
        """``"06:00-12:00"``; ``ValueError`` when it is not that."""
        start, _, end = text.strip().partition("-")
        return cls(_minute_of(start), _minute_of(end))

    def to_text(self) -> str:
        return (f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}-"
                f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}")

    def holds_at(self, t: float) -> bool:
        """True when the local time of ``t`` (seconds since the epoch) is within the hours."""
        moment = datetime.fromtimestamp(t)
        minute = moment.hour * 60 + moment.minute
        if self.start_minute <= self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute


def _minute_of(text: str) -> int:
    hour, _, minute = text.strip().partition(":")
    value = int(hour) * 60 + int(minute or 0)
    if not 0 <= value <= 24 * 60:
        raise ValueError(f"no time of day: {text!r}")
    return value


@dataclass(frozen=True)
class Promotion:
    """A percentage discount on one product."""

    id: int
    sku: str
    percent_off: int
    description: str


@dataclass(frozen=True)
class CartLine:
    """One line of the household cart."""

    id: int
    sku: str
    name: str
    quantity: int
    options: dict[str, str]
    unit_price_cents: int
    """Price of one unit after any promotion."""
    added_by: str | None = None

    @property
    def line_total_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["line_total_cents"] = self.line_total_cents
        return data


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...]

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    def to_dict(self) -> dict[str, Any]:
        return {"lines": [line.to_dict() for line in self.lines],
                "item_count": self.item_count, "total_cents": self.total_cents}


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    options: dict[str, str]
    unit_price_cents: int
    added_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Order:
    id: int
    status: OrderStatus
    placed_by: str | None
    total_cents: int
    created_at: float
    """Unix time in seconds."""
    lines: tuple[OrderLine, ...]
    approved_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["created_at"] = iso_time(self.created_at)
        data["lines"] = [line.to_dict() for line in self.lines]
        return data


@dataclass(frozen=True)
class ListItem:
    id: int
    list_name: ListName
    sku: str | None
    label: str
    quantity: int
    added_by: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["list_name"] = str(self.list_name)
        return data


@dataclass(frozen=True)
class Profile:
    name: str
    role: Role
    has_pin: bool = False
    spending_limit_cents: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["role"] = str(self.role)
        return data


@dataclass(frozen=True)
class TurnRecord:
    """One conversation turn as the household page shows it (a PIN already masked)."""

    id: int
    t: float
    """Unix time in seconds."""
    speaker: str | None
    text: str
    reply: str
    intent: str


@dataclass(frozen=True)
class ImportReport:
    """What a catalog import did."""

    added: int
    updated: int
    total: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
