"""Money is integer cents everywhere; this module parses and speaks it."""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import CatalogError

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
         "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


MAX_PRICE_CENTS = 100_000_000
"""$1,000,000.00: a larger price is a typing mistake (and 20 digits overflow SQLite)."""
_PRICE = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?=\.)|[0-9]*)(?:\.[0-9]*)?")
_DECIMAL_COMMA = re.compile(r"-?[0-9]+,[0-9]{1,2}")


def parse_price_cents(text: str) -> int:
    """Parse a decimal price such as ``"3.5"``, ``"$4.99"`` or ``"1,250.00"`` into cents,
    exactly. Exponents, NaN, infinities, decimal commas ("1,50") and absurd amounts are
    refused with a ``CatalogError``."""
    cleaned = text.strip().lstrip("$")
    if _DECIMAL_COMMA.fullmatch(cleaned):
        raise CatalogError(f"price {text!r} has a decimal comma; write it with a point "
                           f"({cleaned.replace(',', '.')})")
    if not _PRICE.fullmatch(cleaned) or not any(c.isdigit() for c in cleaned):
        raise CatalogError(f"not a price: {text!r}")
    value = Decimal(cleaned.replace(",", ""))
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise CatalogError(f"price must be a non-negative amount with at most two decimals: "
                           f"{text!r}")
    if value * 100 > MAX_PRICE_CENTS:
        raise CatalogError(f"price {text!r} is more than {format_cents(MAX_PRICE_CENTS)}")
    return int(value * 100)


def format_cents(cents: int) -> str:
    """``1234`` -> ``"$12.34"`` for screens."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}${cents // 100}.{cents % 100:02d}"


def number_to_words(n: int) -> str:
    """Spell a non-negative integer below a billion in English words."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    for size, word in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            head, rest = divmod(n, size)
            tail = (" " + number_to_words(rest)) if rest else ""
            return f"{number_to_words(head)} {word}{tail}"
    raise ValueError(n)  # unreachable: every n >= 100 matched above


def speak_cents(cents: int) -> str:
    """``350`` -> ``"three dollars and fifty cents"``: prices as a voice reads them."""
    dollars, rest = divmod(abs(cents), 100)
    parts = []
    if dollars:
        parts.append(f"{number_to_words(dollars)} dollar{'s' if dollars != 1 else ''}")
    if rest or not dollars:
        parts.append(f"{number_to_words(rest)} cent{'s' if rest != 1 else ''}")
    spoken = " and ".join(parts)
    return ("minus " + spoken) if cents < 0 else spoken


def apply_percent_off(cents: int, percent: int) -> int:
    """Discounted price, rounded half up to the cent, using integers only."""
    return (cents * (100 - percent) + 50) // 100
