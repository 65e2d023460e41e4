"""The outbox against a real local HTTP server that fails, times out, refuses connections and
sees the same order twice: no order lost, none recorded twice by the shop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_shop.shop.engine import Shop
from voice_shop.shop.models import DeliveryState, OrderStatus, Role
from voice_shop.shop.outbox import KEY_PREFIX, OutboxDeliverer, RetryPolicy
from voice_shop.shop.signing import WebhookKey

from .outbox_server import SECRET, ShopServer, free_port

KEY = WebhookKey.from_secret(SECRET)
POLICY = RetryPolicy(timeout_s=0.5, base_delay_s=1.0, max_delay_s=8.0, poll_interval_s=0.05,
                     lease_margin_s=1.0)


class Clock:
    """A clock the test moves, so backoff needs no sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 100.0) -> None:
        self.now += seconds


@pytest.fixture
def server() -> Iterator[ShopServer]:
    shop_server = ShopServer().start()
    yield shop_server
    shop_server.stop()


def place(shop: Shop, sku: str = "P101", by: str | None = None) -> int:
    shop.add_to_cart(sku, 1)
    return shop.checkout(by).id


def place_elsewhere(path: Path) -> int:
    """Place an order through another connection, as the dialog in another thread would."""
    other = Shop.open(path)
    try:
        return place(other)
    finally:
        other.close()


def outbox_row(shop: Shop, order_id: int) -> dict[str, object]:
    row = shop.conn.execute("SELECT * FROM outbox WHERE order_id = ?", (order_id,)).fetchone()
    return dict(row)


def deliverer(shop: Shop, url: str, clock: Clock) -> OutboxDeliverer:
    return OutboxDeliverer(shop.path, url, KEY, policy=POLICY, clock=clock, jitter=lambda: 0.0)


def drain(d: OutboxDeliverer, clock: Clock, rounds: int = 30) -> None:
    for _ in range(rounds):
        d.deliver_once()
        clock.advance()


def assert_each_once(server: ShopServer, order_ids: list[int]) -> None:
    recorded = server.orders_recorded()
    assert sorted(recorded) == sorted(order_ids), "an order was lost or one never placed arrived"
    assert set(recorded.values()) == {1}, f"recorded twice: {recorded}"


def test_an_order_is_queued_with_its_placement(shop: Shop) -> None:
    price = shop.unit_price_cents(shop.product("P101"))  # 103: bananas are on offer
    order_id = place(shop)
    row = outbox_row(shop, order_id)
    payload = json.loads(str(row["payload"]))
    assert str(row["idempotency_key"]).startswith(KEY_PREFIX)
    assert payload["idempotency_key"] == row["idempotency_key"]
    assert (payload["order_id"], payload["total_cents"]) == (order_id, price)
    assert payload["lines"] == [{
        "sku": "P101", "name": "Bananas", "quantity": 1, "options": {},
        "unit_price_cents": price, "line_total_cents": price}]
    assert shop.delivery_state(order_id) is DeliveryState.QUEUED


def test_a_failed_checkout_queues_nothing_and_a_childs_order_waits_for_approval(
        shop: Shop) -> None:
    shop.add_to_cart("P103", 11)
    shop.conn.execute("UPDATE products SET stock = 1 WHERE sku = 'P103'")
    with pytest.raises(Exception, match="stock"):
        shop.checkout()
    assert shop.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    shop.clear_cart()
    shop.add_profile("kid", Role.CHILD)
    shop.add_profile("mum", Role.ADULT)
    shop.add_to_cart("P101", 1)
    order = shop.checkout("kid", OrderStatus.PENDING_APPROVAL)
    assert shop.delivery_state(order.id) is None
    shop.approve_order(order.id, "mum")
    assert shop.delivery_state(order.id) is DeliveryState.QUEUED
    assert json.loads(str(outbox_row(shop, order.id)["payload"]))["approved_by"] == "mum"


def test_every_request_is_signed_with_the_shared_secret(shop: Shop, server: ShopServer) -> None:
    orders = [place(shop), place(shop, "P102")]
    assert deliverer(shop, server.url, Clock()).deliver_once().delivered == orders
    assert server.forged == 0  # the receiver verified each with SECRET, as docs/webhooks.md says
    assert_each_once(server, orders)


def test_a_shop_with_another_secret_refuses_the_orders(shop: Shop, server: ShopServer) -> None:
    order_id = place(shop)
    other = WebhookKey.from_secret("whsec_" + "A" * 40)
    d = OutboxDeliverer(shop.path, server.url, other, policy=POLICY, clock=Clock())
    assert d.deliver_once().failed == [order_id]  # 401: never retried
    assert server.forged == 1 and server.orders_recorded() == {}


def test_a_shop_answering_a_byte_at_a_time_cannot_hold_a_send_past_its_deadline(
        shop: Shop) -> None:
    server = ShopServer(slow_s=0.3).start()  # the whole answer would take about 12 s
    try:
        order_id = place(shop)
        server.modes = ["drip"]
        started = time.monotonic()
        report = deliverer(shop, server.url, Clock()).deliver_once()
        elapsed = time.monotonic() - started
        assert report.retrying == [order_id]
        assert elapsed < POLICY.timeout_s + 0.5 < POLICY.timeout_s + POLICY.lease_margin_s
        assert "timed out" in str(outbox_row(shop, order_id)["last_error"])
    finally:
        server.stop()


def test_server_errors_back_off_then_deliver_once(shop: Shop, server: ShopServer) -> None:
    order_id = place(shop)
    server.modes = ["500", "503", "500"]
    clock = Clock()
    d = deliverer(shop, server.url, clock)
    waits = []
    for _ in range(3):
        assert d.deliver_once().retrying == [order_id]
        row = outbox_row(shop, order_id)
        waits.append(float(str(row["next_attempt_at"])) - clock.now)
        assert d.deliver_once().retrying == []  # not due yet: nothing sent
        clock.advance(waits[-1])
    assert waits == [0.5, 1.0, 2.0]  # doubling, half of it jitter (here 0)
    assert d.deliver_once().delivered == [order_id]
    clock.advance(1000)
    assert d.deliver_once().delivered == []
    assert len(server.keys_seen) == 4 and len(set(server.keys_seen)) == 1
    assert_each_once(server, [order_id])
    row = outbox_row(shop, order_id)
    assert row["attempts"] == 4 and row["delivered_at"] is not None
    assert shop.delivery_state(order_id) is DeliveryState.SENT


def test_a_timed_out_answer_is_sent_again_and_recorded_once(shop: Shop,
                                                            server: ShopServer) -> None:
    order_id = place(shop)
    server.modes = ["slow"]  # the shop records it but answers after the client gave up
    clock = Clock()
    d = deliverer(shop, server.url, clock)
    report = d.deliver_once()
    assert report.retrying == [order_id]
    assert "timed out" in str(outbox_row(shop, order_id)["last_error"])
    clock.advance()
    assert d.deliver_once().delivered == [order_id]
    assert server.keys_seen.count(server.keys_seen[0]) == 2  # the shop saw it twice...
    assert_each_once(server, [order_id])  # ...and recorded it once


def test_refused_connections_until_the_shop_comes_up(shop: Shop) -> None:
    down = ShopServer(port=free_port())
    orders = [place(shop), place(shop, "P102")]
    clock = Clock()
    d = deliverer(shop, down.url, clock)
    report = d.deliver_once()
    assert report.retrying == orders and report.delivered == []
    assert "refused" in str(outbox_row(shop, orders[0])["last_error"]).lower()
    down.start()
    try:
        clock.advance()
        assert d.deliver_once().delivered == orders
        assert_each_once(down, orders)
    finally:
        down.stop()


@pytest.mark.parametrize("status", ["408", "429", "502"])
def test_statuses_worth_retrying(shop: Shop, server: ShopServer, status: str) -> None:
    order_id = place(shop)
    server.modes = [status]
    clock = Clock()
    d = deliverer(shop, server.url, clock)
    assert d.deliver_once().retrying == [order_id]
    clock.advance()
    assert d.deliver_once().delivered == [order_id]
    assert_each_once(server, [order_id])


@pytest.mark.parametrize("status", ["400", "422"])
def test_a_refusal_is_final_and_logged(shop: Shop, server: ShopServer, status: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    order_id = place(shop)
    server.modes = [status]
    clock = Clock()
    d = deliverer(shop, server.url, clock)
    assert d.deliver_once().failed == [order_id]
    drain(d, clock, 3)
    assert len(server.keys_seen) == 1  # never sent again
    assert shop.delivery_state(order_id) is DeliveryState.FAILED
    assert f"HTTP {status}" in str(outbox_row(shop, order_id)["last_error"])
    assert any("refused order" in r.message for r in caplog.records)


def test_many_orders_through_every_fault_arrive_exactly_once(shop: Shop,
                                                              server: ShopServer) -> None:
    orders = [place(shop, sku) for sku in ("P101", "P102", "P101", "P102", "P101", "P102")]
    server.modes = ["500", "slow", "429", "ok", "503", "slow", "408", "500", "ok", "slow"]
    clock = Clock()
    d = deliverer(shop, server.url, clock)
    drain(d, clock)
    assert all(shop.delivery_state(o) is DeliveryState.SENT for o in orders)
    assert len(server.keys_seen) > len(orders)  # the faults happened
    assert_each_once(server, orders)


def test_two_deliverers_on_one_database_never_send_an_order_twice(shop: Shop) -> None:
    server = ShopServer(slow_s=0.2).start()
    try:
        orders = [place(shop, sku) for sku in ("P101", "P102") * 4]
        server.modes = ["slow"] * len(orders)  # each send overlaps the other deliverer
        delivers = [OutboxDeliverer(shop.path, server.url, KEY, policy=RetryPolicy(timeout_s=5))
                    for _ in range(2)]
        threads = [threading.Thread(target=d.deliver_once) for d in delivers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(server.keys_seen) == len(orders)  # each sent once, not once per deliverer
        assert_each_once(server, orders)
    finally:
        server.stop()


def test_a_new_deliverer_finishes_what_a_discarded_one_started(shop: Shop,
                                                               server: ShopServer) -> None:
    orders = [place(shop), place(shop, "P102"), place(shop)]
    server.modes = ["ok", "500", "500"]
    clock = Clock()
    first = deliverer(shop, server.url, clock)
    assert first.deliver_once().delivered == orders[:1]
    del first
    clock.advance()
    second = deliverer(shop, server.url, clock)
    assert second.deliver_once().delivered == orders[1:]
    assert [outbox_row(shop, o)["attempts"] for o in orders] == [1, 2, 2]
    assert_each_once(server, orders)


def test_a_process_killed_mid_send_is_finished_by_the_next_one(shop: Shop,
                                                               server: ShopServer) -> None:
    order_id = place(shop)
    server.modes = ["hold"]  # the shop records it and keeps the answer back
    code = ("import sys; from pathlib import Path; from voice_shop.shop.outbox import "
            "OutboxDeliverer; from voice_shop.shop.signing import WebhookKey; OutboxDeliverer("
            "Path(sys.argv[1]), sys.argv[2], WebhookKey.from_secret(sys.argv[3])).deliver_once()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(shop.path), server.url, SECRET])
    try:
        assert server.received.wait(30), "the deliverer never reached the shop"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    server.release.set()
    assert shop.delivery_state(order_id) is DeliveryState.QUEUED  # it died before knowing
    clock = Clock()
    d = deliverer(shop, server.url, clock)
    assert d.deliver_once().delivered == []  # its lease still holds
    clock.advance(60)
    assert d.deliver_once().delivered == [order_id]
    assert len(server.keys_seen) == 2
    assert_each_once(server, [order_id])


def test_an_order_cancelled_before_any_try_never_reaches_the_shop(shop: Shop,
                                                                  server: ShopServer) -> None:
    kept, cancelled = place(shop), place(shop, "P102")
    shop.set_order_status(cancelled, OrderStatus.CANCELLED)
    d = deliverer(shop, server.url, Clock())
    report = d.deliver_once()
    assert report.delivered == [kept]
    assert shop.delivery_state(cancelled) is DeliveryState.FAILED
    assert_each_once(server, [kept])


def test_run_delivers_new_orders_and_stops_on_request(shop: Shop, server: ShopServer) -> None:
    async def scenario() -> float:
        stop = asyncio.Event()
        d = OutboxDeliverer(shop.path, server.url, KEY, policy=POLICY)
        task = asyncio.create_task(d.run(stop))
        await asyncio.sleep(0.1)
        placed = await asyncio.to_thread(place_elsewhere, shop.path)  # while the loop runs
        for _ in range(100):
            if shop.delivery_state(placed) is DeliveryState.SENT:
                break
            await asyncio.sleep(0.05)
        started = time.perf_counter()
        stop.set()
        await asyncio.wait_for(task, 5)
        assert shop.delivery_state(placed) is DeliveryState.SENT
        return time.perf_counter() - started

    assert asyncio.run(scenario()) < 3.0  # stop is noticed between passes, not after a poll
    assert len(server.keys_seen) == 1


def test_a_bad_webhook_url_is_refused(shop: Shop) -> None:
    with pytest.raises(ValueError, match="http"):
        OutboxDeliverer(shop.path, "ftp://shop.example/orders", KEY)
