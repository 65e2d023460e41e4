"""Catalog CSV import: options, re-import by sku, bad rows with line numbers, atomicity."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_shop.errors import CatalogError
from voice_shop.shop.catalog_csv import parse_options
from voice_shop.shop.engine import Shop

HARDWARE = """sku,name,category,unit,price,aliases,tags,stock,brand,description,options
HW1,Claw Hammer,tools,each,12.50,hammer,steel,10,Acme,A hammer,"size: small|large"
HW2,Wood Screws,fasteners,box,4.99,screws;wood screw,,200,Acme,,"length: one inch|two inch"
HW3,Duct Tape,supplies,roll,6,tape;gaffer tape,,0,,,
"""


def _write(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def empty_shop(tmp_path: Path) -> Shop:
    return Shop.open(tmp_path / "s.db", create=True)


def test_import_reads_every_column(empty_shop: Shop, tmp_path: Path) -> None:
    report = empty_shop.import_catalog(_write(tmp_path, HARDWARE))
    assert (report.added, report.updated, report.total) == (3, 0, 3)
    hammer = empty_shop.product("HW1")
    assert hammer.price_cents == 1250 and hammer.stock == 10 and hammer.aliases == ("hammer",)
    assert hammer.options == {"size": ("small", "large")}
    assert empty_shop.product("HW3").price_cents == 600
    assert empty_shop.product("HW3").is_in_stock is False


def test_reimport_updates_by_sku_and_keeps_others(empty_shop: Shop, tmp_path: Path) -> None:
    empty_shop.import_catalog(_write(tmp_path, HARDWARE))
    before = empty_shop.catalog_version()
    update = "sku,name,price\nHW1,Claw Hammer Deluxe,14.00\nHW9,Pliers,7.25\n"
    report = empty_shop.import_catalog(_write(tmp_path, update, "u.csv"))
    assert (report.added, report.updated, report.total) == (1, 1, 4)
    assert empty_shop.product("HW1").name == "Claw Hammer Deluxe"
    assert empty_shop.product("HW1").price_cents == 1400
    assert empty_shop.product("HW2").name == "Wood Screws"
    assert empty_shop.catalog_version() != before


@pytest.mark.parametrize(("row", "message"), [
    ("HW4,,tools,each,1.00", "line 3: name is empty"),
    (",Saw,tools,each,1.00", "line 3: sku is empty"),
    ("HW4,Saw,tools,each,abc", "line 3: not a price"),
    ("HW4,Saw,tools,each,1.005", "line 3: price must be"),
    ("HW4,Saw,tools,each,-2", "line 3: price must be"),
    ("HW4,Saw,tools,each,1.00,,,lots", "line 3: stock must be a whole number"),
    ("HW4,Saw,tools,each,1.00,,,-1", "line 3: stock cannot be negative"),
    ("HW4,Saw,tools,each,1.00,,,,,,size small", "line 3: option group"),
    ("HW1,Saw,tools,each,1.00", "line 3: sku HW1 repeats line 2"),
    ("HW4,Saw,tools,each,1.00,,,,,,,extra", "line 3: more fields than the header"),
])
def test_bad_row_is_reported_and_nothing_imported(empty_shop: Shop, tmp_path: Path,
                                                  row: str, message: str) -> None:
    header = "sku,name,category,unit,price,aliases,tags,stock,brand,description,options\n"
    good = "HW1,Hammer,tools,each,1.00\n"
    with pytest.raises(CatalogError) as err:
        empty_shop.import_catalog(_write(tmp_path, header + good + row + "\nHW5,Nails,,,2\n"))
    assert message in str(err.value)
    assert "nothing imported" in str(err.value)
    assert empty_shop.products() == []


def test_line_numbers_count_quoted_newlines(empty_shop: Shop, tmp_path: Path) -> None:
    text = 'sku,name,description,price\nA1,Apple,"two\nlines",1\nA2,Pear,,x\n'
    with pytest.raises(CatalogError, match="line 4: not a price"):
        empty_shop.import_catalog(_write(tmp_path, text))


def test_missing_required_column(empty_shop: Shop, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="missing name"):
        empty_shop.import_catalog(_write(tmp_path, "sku,price\nA,1\n"))


def test_missing_file(empty_shop: Shop, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such catalog file"):
        empty_shop.import_catalog(tmp_path / "absent.csv")


def test_parse_options_keeps_multiword_values() -> None:
    groups = parse_options("size: small|medium|large|twelve ounce; milk: oat milk|"
                           "a splash of oat milk")
    assert groups == {"size": ("small", "medium", "large", "twelve ounce"),
                      "milk": ("oat milk", "a splash of oat milk")}
