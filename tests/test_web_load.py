"""20 concurrent HTTP clients against the running app (uvicorn on a real port): page views,
cart changes through the page's forms and the shop's status reports, all without an error.
Run with ``-s`` to see the figures."""

from __future__ import annotations

import random
import re
import statistics
import threading
import time

import httpx2

from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus
from voice_shop.shop.signing import WebhookKey
from voice_shop.web import create_app

from .live_server import LiveServer
from .outbox_server import SECRET

KEY = WebhookKey.from_secret(SECRET)
REPORT = b'{"status": "accepted"}'

CLIENTS = 20
ROUNDS = 10
"""Each round: view the page, change a cart line, report an order's status (3 requests)."""


def shopper(url: str, line_ids: list[int], order_id: int, seed: int,
            timings: list[float], errors: list[str]) -> None:
    rng = random.Random(seed)
    with httpx2.Client(base_url=url, timeout=60, follow_redirects=True) as client:
        def timed(method: str, path: str, **kwargs: object) -> httpx2.Response:
            started = time.perf_counter()
            response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
            timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"{method} {path}: {response.status_code}")
            return response

        token = re.search(r'name="csrf" value="([^"]+)"', timed("GET", "/").text)
        assert token
        for _ in range(ROUNDS):
            timed("GET", "/")
            timed("POST", f"/cart/{rng.choice(line_ids)}",
                  data={"csrf": token.group(1), "quantity": str(rng.randint(1, 9))})
            signed = KEY.headers(REPORT, int(time.time()))  # a fresh webhook-id each time
            timed("POST", f"/api/orders/{order_id}/status", content=REPORT,
                  headers={"Content-Type": "application/json", **signed})


def test_twenty_concurrent_clients(shop: Shop) -> None:
    shop.add_to_cart("P108", 1)
    order_id = shop.checkout("w").id
    for sku in ("P101", "P102", "P103", "P107"):  # each with at least 9 in stock
        shop.add_to_cart(sku, 1)
    line_ids = [line.id for line in shop.cart().lines]
    timings: list[float] = []
    errors: list[str] = []
    with LiveServer(create_app(shop.path, webhook_secret=SECRET)) as server:
        threads = [threading.Thread(target=shopper, args=(server.url, line_ids, order_id, n,
                                                          timings, errors))
                   for n in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        wall_s = time.perf_counter() - started
    assert errors == []
    assert len(timings) == CLIENTS * (1 + 3 * ROUNDS)
    assert shop.order(order_id).status is OrderStatus.ACCEPTED
    assert all(1 <= line.quantity <= 9 for line in shop.cart().lines)
    ms = sorted(t * 1000 for t in timings)
    print(f"\n{CLIENTS} clients, {len(ms)} requests in {wall_s:.1f} s "
          f"({len(ms) / wall_s:.0f} req/s): p50 {statistics.median(ms):.0f} ms, "
          f"p95 {ms[int(0.95 * len(ms))]:.0f} ms, max {ms[-1]:.0f} ms, errors {len(errors)}")
