"""``serve`` refuses a setup that would expose the household before it loads a model or opens
a port; and a real serve delivers orders signed so the shop can verify them."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from voice_shop.shop.engine import Shop
from voice_shop.shop.models import DeliveryState

from ..outbox_server import SECRET, ShopServer, free_port
from .conftest import RUN_CLI, Serve, household_db

REFUSED = [
    ("--host 0.0.0.0", "", "needs a password"),
    ("", '[shop]\nwebhook_url = "http://127.0.0.1:9/orders"\n', "webhook_secret"),
    ("", '[shop]\nwebhook_url = "http://127.0.0.1:9/orders"\nwebhook_secret = "hunter2"\n',
     "whsec_"),
]


@pytest.mark.parametrize(("flags", "config", "reason"), REFUSED)
def test_an_exposed_setup_is_refused_before_anything_loads(demo_db: Path, tmp_path: Path,
                                                           flags: str, config: str,
                                                           reason: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    port = free_port()
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", RUN_CLI, "serve", "--db", str(demo_db),
                           "--config", str(path), "--wyoming-port", str(port), *flags.split()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and reason in done.stderr, done.stderr
    assert "Wyoming server on" not in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 10  # refused in ~1 s; loading takes longer
    with socket.socket() as probe:  # and the port was never taken
        probe.bind(("127.0.0.1", port))


def test_serve_delivers_each_order_signed_with_the_configured_secret(demo_db: Path) -> None:
    shop_server = ShopServer().start()
    config = f"""
[server]
host = "127.0.0.1"
wyoming_port = {{wyoming}}
http_port = 0

[shop]
webhook_url = "{shop_server.url}"
webhook_secret = "{SECRET}"
"""
    serve = Serve(household_db(demo_db, "outbox"), config).start("Wyoming server on")
    try:
        with closing(Shop.open(serve.db)) as shop:
            shop.add_to_cart("P101", 2)
            order_id = shop.checkout("dad").id
            for _ in range(200):
                if shop.delivery_state(order_id) is DeliveryState.SENT:
                    break
                time.sleep(0.05)
            assert shop.delivery_state(order_id) is DeliveryState.SENT
        assert shop_server.forged == 0  # verified by the receiver as docs/webhooks.md says
        assert order_id in shop_server.orders_recorded()
    finally:
        serve.stop()
        shop_server.stop()
