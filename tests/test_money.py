"""Money: integer cents, spoken prices, discounts."""

from __future__ import annotations

import pytest

from voice_shop.errors import CatalogError
from voice_shop.money import apply_percent_off, format_cents, parse_price_cents, speak_cents


@pytest.mark.parametrize(("text", "cents"), [
    ("3.50", 350), ("$4.99", 499), ("0.1", 10), ("12", 1200), ("1,299.00", 129900),
    ("0.07", 7), ("19.99", 1999),
])
def test_parse_price_is_exact(text: str, cents: int) -> None:
    assert parse_price_cents(text) == cents


@pytest.mark.parametrize("text", ["abc", "1.999", "-1", ""])
def test_parse_price_rejects(text: str) -> None:
    with pytest.raises(CatalogError):
        parse_price_cents(text)


@pytest.mark.parametrize(("cents", "spoken"), [
    (350, "three dollars and fifty cents"), (100, "one dollar"), (1, "one cent"),
    (0, "zero cents"), (2387, "twenty-three dollars and eighty-seven cents"),
    (120005, "one thousand two hundred dollars and five cents"),
])
def test_speak_cents(cents: int, spoken: str) -> None:
    assert speak_cents(cents) == spoken


def test_format_and_discount() -> None:
    assert format_cents(1234) == "$12.34"
    assert format_cents(5) == "$0.05"
    assert apply_percent_off(129, 20) == 103  # 103.2 rounds down
    assert apply_percent_off(395, 10) == 356  # 355.5 rounds half up
    assert sum(apply_percent_off(p, 15) for p in (429, 429)) == 730
