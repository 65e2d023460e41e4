"""Property-based tests (hypothesis): utterances built from the catalog's own words, options,
numbers and junk, through the real parser, the real dialog and a real SQLite shop; malformed
catalog rows through the real importer. Nothing may escape, every line gets an answer, and
the shop's invariants hold after every turn. The example budget is fixed by the "ci" profile
in conftest.py (derandomized, so CI is reproducible)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_shop.dialog import Dialog
from voice_shop.errors import CatalogError
from voice_shop.intent.model import Intent, IntentName
from voice_shop.intent.parser import IntentParser
from voice_shop.shop.catalog_csv import read_catalog_csv
from voice_shop.shop.demo import demo_file
from voice_shop.shop.engine import Shop, import_catalog_file
from voice_shop.shop.models import Product

# ---- words to build utterances from ---------------------------------------------------------
VERBS = ["add", "put", "i want", "remove", "take out", "change the", "make it", "set", "buy",
         "how much is", "do you have", "tell me about", "save", "minus", "get me", "order"]
CONTROL = ["check out", "yes", "no", "undo", "cancel", "repeat", "what's in my cart",
           "clear my cart", "my usual", "help", "place the order", "yes place it", "that's all"]
GLUE = ["and", "plus", ",", "with", "to", "of", "the", "a", "please", "instead", "more", "to",
        "too", "for", "free", "dozen", "half a dozen", "a couple of", "bags of", "pounds of"]
JUNK = ["xyzzy", "blorp", "thingamajig", "uh", "the thing", "something", "foo bar", "asdf",
        "'", "...", "&", "#1", "100%", "e", "i"]
NUMBERS = ["zero", "one", "two", "three", "twelve", "ninety nine", "a hundred", "one million",
           "minus five", "negative two", "0", "1", "3", "-3", "-0", "99", "100", "1000000",
           "9" * 30, "1" + "0" * 4400, "3.5", "1,000", "-", "0x10"]


def _words(products: list[Product]) -> tuple[list[str], list[str]]:
    """Product words (names, aliases, tags, categories) and option values of the catalog."""
    names: set[str] = set()
    for p in products:
        names.update([p.name.lower(), *p.aliases, *p.tags, p.category])
    options = {v for p in products for values in p.options.values() for v in values}
    return sorted(n for n in names if n), sorted(options)


def utterances(products: list[Product]) -> st.SearchStrategy[str]:
    """Commands shaped like real ones (verb, amount, product or option or junk, joined by
    "and"), and free word salad from the same words, numbers and junk."""
    names, options = _words(products)
    mention = st.tuples(
        st.sampled_from(["", "", *NUMBERS, *GLUE]),
        st.one_of(st.sampled_from(names), st.sampled_from(options), st.sampled_from(JUNK),
                  st.tuples(st.sampled_from(options), st.sampled_from(names)).map(" ".join)),
    ).map(" ".join)
    command = st.tuples(
        st.sampled_from(["", *VERBS]),
        st.lists(mention, min_size=1, max_size=4).map(
            lambda ms: " and ".join(ms) if len(ms) % 2 else ", ".join(ms)),
        st.sampled_from(["", "", "please", "to my cart", "instead", "for later"]),
    ).map(" ".join)
    piece = st.one_of(
        st.sampled_from(names), st.sampled_from(options), st.sampled_from(VERBS),
        st.sampled_from(GLUE), st.sampled_from(NUMBERS), st.sampled_from(CONTROL),
        st.sampled_from(JUNK), st.text(max_size=12),  # junk, any unicode
        st.integers(-10**6, 10**6).map(str))
    salad = st.lists(piece, min_size=0, max_size=9).map(" ".join)
    return st.one_of(command, command, salad)


def _check_intent(intent: Intent) -> None:
    assert isinstance(intent.intent, IntentName)
    assert 0.0 <= intent.confidence <= 1.0
    data = json.loads(json.dumps(intent.to_dict()))
    assert Intent.from_dict(data).intent is intent.intent
    for item in intent.items:
        assert item.quantity is None or isinstance(item.quantity, int)
        assert (item.sku is None) == (item.name is None)


PRODUCTS = read_catalog_csv(demo_file("demo_catalog.csv"))


@settings(max_examples=3 * settings.default.max_examples)  # parsing is cheap: 3x the budget
@given(text=utterances(PRODUCTS))
def test_parser_never_raises(parser: IntentParser, text: str) -> None:
    _check_intent(parser.parse(text))


# ---- whole chat sessions ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop with a few products nearly sold out, so the stock limit is reached."""
    from dataclasses import replace

    from voice_shop.shop.demo import load_demo
    path = tmp_path_factory.mktemp("props") / "template.db"
    shop = Shop.open(path, create=True)
    load_demo(shop)
    shop.upsert_products([replace(shop.product(sku), stock=stock)
                          for sku, stock in (("P101", 3), ("Y104", 1), ("M108", 0))])
    shop.close()
    return path


def _fresh_shop(template: Path, folder: Path) -> Shop:
    path = folder / "shop.db"
    shutil.copyfile(template, path)
    return Shop.open(path)


def _assert_invariants(shop: Shop) -> None:
    conn = shop.conn
    cart = shop.cart()
    assert cart.total_cents == sum(line.unit_price_cents * line.quantity for line in cart.lines)
    raw = conn.execute("SELECT COALESCE(SUM(c.quantity * p.price_cents), 0) FROM cart_lines c "
                       "JOIN products p ON p.sku = c.sku").fetchone()[0]
    assert cart.total_cents <= raw  # promotions only ever lower the shelf price
    assert conn.execute("SELECT COUNT(*) FROM cart_lines WHERE quantity <= 0").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM products WHERE stock < 0").fetchone()[0] == 0
    over = conn.execute("SELECT c.sku FROM cart_lines c JOIN products p ON p.sku = c.sku "
                        "WHERE p.stock IS NOT NULL GROUP BY c.sku "
                        "HAVING SUM(c.quantity) > MAX(p.stock)").fetchall()
    assert over == []
    assert conn.execute("SELECT COUNT(*) FROM order_lines WHERE quantity <= 0").fetchone()[0] == 0


# Lines that walk the shop to its edges: the nearly sold-out products (bananas: 3 left, rice:
# 1, bacon: none), read-backs and confirmations, undo and reorder.
SESSION_LINES = ["add two bananas", "add a banana", "add another banana", "add 3 bags of rice",
                 "add a bag of rice", "add a large oat milk latte", "check out", "yes", "yes",
                 "undo", "my usual", "add ten bananas", "make it three bananas",
                 "remove one banana", "add a pack of bacon", "yes please"]


def sessions(products: list[Product]) -> st.SearchStrategy[list[str]]:
    line = st.one_of(utterances(products), st.sampled_from(CONTROL),
                     st.sampled_from(SESSION_LINES), st.sampled_from(SESSION_LINES))
    return st.lists(line, min_size=1, max_size=12)


@given(lines=sessions(PRODUCTS))
def test_chat_sessions_keep_the_shop_consistent(parser: IntentParser, template_db: Path,
                                                lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shop = _fresh_shop(template_db, Path(folder))
        try:
            _run_session(Dialog(shop, parser), shop, lines)
        finally:
            shop.close()


def _run_session(dialog: Dialog, shop: Shop, lines: list[str]) -> None:
    read_back: int | None = None  # the total of the last read-back the shopper heard
    for line in lines:
        orders_before = len(shop.orders(1000))
        cart_before = shop.cart().total_cents
        turn = dialog.handle_text(line)
        assert turn.reply.strip(), line  # every line gets an answer
        json.dumps(turn.to_dict())
        _assert_invariants(shop)
        orders = shop.orders(1000)
        if len(orders) > orders_before:  # an order only by confirming what was read back
            assert turn.intent.intent is IntentName.CONFIRM, (line, turn.reply)
            assert read_back == cart_before == orders[0].total_cents, (lines, turn.reply)
        if turn.expects_answer and "The total is" in turn.reply:
            read_back = turn.cart.total_cents


# ---- the catalog importer ---------------------------------------------------------------------
HEADER = ["sku", "name", "price", "stock", "options", "tags"]
BAD_LINES = ['X1,"Unterminated,1.00,,,', "X2,Too,1.00,1,,,many,fields", ",No sku,1.00,,,",
             "X3,,1.00,,,", "X4,NaN price,NaN,,,", "X5,Huge,1e309,,,", "X6,Comma,\"1,50\",,,",
             "X7,Neg,-1,,,", "X8,Stock,1.00,-4,,", "X9,Stock,1.00,lots,,",
             "X10,Big,99999999999999999999,,,", "X11,Big stock,1,99999999999999999999,,",
             "X12,Options,1.00,,size small,", "X13,Twice,1.00,,\"a: x; a: y\",",
             "X14,Empty price,,,,", 'X15,"Stray "quote",1.00,,,', "X16,Inf,Infinity,,,"]
NAME_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                    max_size=20).filter(lambda s: bool(s.strip()))


@st.composite
def good_rows(draw: st.DrawFn) -> list[str]:
    cents = draw(st.integers(0, 100_000_000))
    price = draw(st.sampled_from(["{d}.{c:02d}", "${d}.{c:02d}", "{d}.{c:02d}  "])).format(
        d=cents // 100, c=cents % 100)
    stock = draw(st.one_of(st.just(""), st.integers(0, 10**9).map(str)))
    options = draw(st.sampled_from(["", "size: small|large", "milk: oat milk; size: tall"]))
    return [draw(st.from_regex(r"[A-Z]{1,2}[0-9]{1,3}", fullmatch=True)), draw(NAME_TEXT),
            price, stock, options, draw(st.sampled_from(["", "vegan", "vegan;organic"]))]


@st.composite
def catalogs(draw: st.DrawFn) -> tuple[str, bool]:
    """CSV text and whether the importer must accept it (no bad line, skus unique)."""
    rows = draw(st.lists(st.one_of(good_rows(), st.sampled_from(BAD_LINES)), min_size=1,
                         max_size=12))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        if isinstance(row, list):
            writer.writerow(row)
        else:
            out.write(row + "\n")
    skus = [r[0] for r in rows if isinstance(r, list)]
    is_valid = all(isinstance(r, list) for r in rows) and len(set(skus)) == len(skus)
    return out.getvalue(), is_valid


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("imports")
    (folder / "seed.csv").write_text("sku,name,price,stock\nS1,Seed,1.00,4\n")
    import_catalog_file(folder / "seed.db", folder / "seed.csv")
    return folder / "seed.db"


@given(case=catalogs())
def test_importer_accepts_exactly_the_valid_files(small_db: Path,
                                                  case: tuple[str, bool]) -> None:
    text, is_valid = case
    with tempfile.TemporaryDirectory() as folder:
        db, csv_path = Path(folder) / "s.db", Path(folder) / "c.csv"
        shutil.copyfile(small_db, db)
        csv_path.write_text(text, encoding="utf-8")
        before = db.read_bytes()
        try:
            report = import_catalog_file(db, csv_path)
        except CatalogError as exc:
            assert not is_valid, exc.message
            assert "line " in exc.message or "no products" in exc.message
            assert db.read_bytes() == before  # byte for byte
            assert sorted(p.name for p in Path(folder).iterdir()) == ["c.csv", "s.db"]
            return
        assert is_valid, text
        with sqlite3.connect(db) as conn:
            count = conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]
        assert report.total == count and report.added + report.updated >= 1
