"""Two processes writing the same database lose nothing and corrupt nothing."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace
from pathlib import Path

from voice_shop.shop.demo import load_demo
from voice_shop.shop.engine import Shop

ADDS_PER_WORKER = 40


def _worker(db: str, sku: str, who: str) -> None:
    shop = Shop.open(Path(db))
    for _ in range(ADDS_PER_WORKER):
        shop.add_to_cart(sku, 1, None, who)
        shop.add_to_list(shop_list(), sku, sku, 1, who)
    shop.close()


def shop_list():  # type: ignore[no-untyped-def]
    from voice_shop.shop.models import ListName
    return ListName.SHOPPING


def _checkout_worker(db: str, results: mp.Queue) -> None:  # type: ignore[type-arg]
    shop = Shop.open(Path(db))
    try:
        results.put(shop.checkout("w").id)
    except Exception as exc:  # the loser sees an empty cart
        results.put(type(exc).__name__)
    shop.close()


def test_concurrent_adds_all_land(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    setup = Shop.open(db, create=True)
    load_demo(setup)
    # more units than the demo stock: the cart never holds more than the stock, so these
    # two products are made untracked (stock None) for this test of concurrent writers
    setup.upsert_products([replace(setup.product(sku), stock=None) for sku in ("P101", "Y104")])
    ctx = mp.get_context("spawn")
    workers = [ctx.Process(target=_worker, args=(str(db), "P101", "a")),
               ctx.Process(target=_worker, args=(str(db), "P101", "b")),
               ctx.Process(target=_worker, args=(str(db), "Y104", "c"))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    shop = Shop.open(db)
    quantities = {line.sku: 0 for line in shop.cart().lines}
    for line in shop.cart().lines:
        quantities[line.sku] += line.quantity
    assert quantities == {"P101": 2 * ADDS_PER_WORKER, "Y104": ADDS_PER_WORKER}
    # The same product on the list again is one entry whose quantity grows: none is lost.
    listed = {item.sku: item.quantity for item in shop.list_items(shop_list())}
    assert listed == {"P101": 2 * ADDS_PER_WORKER, "Y104": ADDS_PER_WORKER}
    assert shop.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_two_checkouts_place_one_order(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    shop = Shop.open(db, create=True)
    load_demo(shop)
    shop.add_to_cart("M108", 3)
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=_checkout_worker, args=(str(db), results)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    outcomes = sorted(str(results.get(timeout=10)) for _ in workers)
    assert outcomes == ["1", "OrderError"]
    assert len(shop.orders()) == 1 and shop.cart().is_empty
    assert shop.product("M108").stock == 111 - 3
