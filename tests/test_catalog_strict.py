"""Catalog import regressions (issue 8): values that gave tracebacks or silently wrong data,
files that must be refused whole, and a rejected import that must leave no trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_shop.errors import CatalogError
from voice_shop.shop.catalog_csv import ImportOptions
from voice_shop.shop.engine import Shop, import_catalog_file

HEADER = "sku,name,price,stock,options\n"
GOOD = "A1,Apples,1.00,5,\n"


def _import(tmp_path: Path, text: str, options: ImportOptions | None = None) -> Shop:
    csv_path = tmp_path / "c.csv"
    csv_path.write_text(text)
    shop = Shop.open(tmp_path / "s.db", create=True)
    shop.import_catalog(csv_path, options)
    return shop


@pytest.mark.parametrize(("row", "message"), [
    ("B2,Pears,1e309,,", "line 3: not a price: '1e309'"),
    ("B2,Pears,NaN,,", "line 3: not a price: 'NaN'"),
    ("B2,Pears,Infinity,,", "line 3: not a price: 'Infinity'"),
    ("B2,Pears,99999999999999999999,,", "line 3: price '99999999999999999999' is more than"),
    ("B2,Pears,1.00,99999999999999999999,", "line 3: stock 99999999999999999999 is more than"),
    ("B2,Pears,1.00,1e3,", "line 3: stock must be a whole number"),
    ("B2,Pears,1.00,1_000,", "line 3: stock must be a whole number"),
    ('B2,Pears,"1,50",,', "line 3: price '1,50' has a decimal comma"),
    ("B2,Pears,,,", "line 3: price is empty"),
    ('B2,Pears,1.00,,"size: small; size: large"', "line 3: option group 'size' appears twice"),
    ('B2,"Pears,2.00,,', "line 3: unexpected end of data"),
])
def test_bad_values_are_one_error_with_the_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        _import(tmp_path, HEADER + GOOD + row + "\nC3,Plums,2.00,,\n")
    assert message in err.value.message and "nothing imported" in err.value.message
    assert Shop.open(tmp_path / "s.db").products() == []


def test_unterminated_quote_is_not_one_giant_product(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"line 3: .*unbalanced quote"):
        _import(tmp_path, HEADER + GOOD + 'B2,"Pears,2.00,,\nC3,Plums,2.00,,\nD4,Figs,1,,\n')


def test_duplicated_header_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="line 1: column price appears more than once"):
        _import(tmp_path, "sku,name,price,price\nA1,Apples,1.00,2.00\n")


def test_missing_price_column_is_refused_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"no price column.*--allow-missing-price"):
        _import(tmp_path, "sku,name\nA1,Apples\n")
    shop = _import(tmp_path, HEADER + GOOD)
    assert shop.product("A1").price_cents == 100
    # with the flag a price-less re-import keeps the known price; a new product is $0.00
    csv_path = tmp_path / "stock.csv"
    csv_path.write_text("sku,name,stock\nA1,Apples,9\nB2,Pears,3\n")
    report = shop.import_catalog(csv_path, ImportOptions(allow_missing_price=True))
    assert (report.added, report.updated) == (1, 1)
    assert (shop.product("A1").price_cents, shop.product("A1").stock) == (100, 9)
    assert shop.product("B2").price_cents == 0


def test_thousands_separators_and_symbols_still_read(tmp_path: Path) -> None:
    shop = _import(tmp_path, HEADER + 'A1,Fridge,"$1,250.00",2,\nA2,Gum,.5,,\n')
    assert shop.product("A1").price_cents == 125_000 and shop.product("A2").price_cents == 50


def test_repeated_sku_names_both_lines(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="line 4: sku A1 repeats line 2"):
        _import(tmp_path, HEADER + GOOD + "B2,Pears,1,,\nA1,Apples again,2,,\n")


def test_rejected_import_leaves_no_new_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A1,Apples,NaN,,\n")
    db = tmp_path / "new.db"
    with pytest.raises(CatalogError):
        import_catalog_file(db, bad)
    assert list(tmp_path.iterdir()) == [bad]


def test_rejected_import_leaves_the_database_byte_for_byte(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + GOOD)
    bad.write_text(HEADER + "".join(f"Z{i},Thing {i},1.00,,\n" for i in range(3000))
                   + "Q1,Broken,abc,,\n")
    db = tmp_path / "s.db"
    import_catalog_file(db, good)
    before = db.read_bytes()
    with pytest.raises(CatalogError, match="line 3002: not a price"):
        import_catalog_file(db, bad)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "good.csv", "s.db"]
    assert [p.sku for p in Shop.open(db).products()] == ["A1"]
