"""Attacks on the household page of a real ``serve`` in its default setup (loopback, no
password), each next to the legitimate request it must not stop."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus
from voice_shop.shop.signing import WebhookKey

from ..outbox_server import SECRET
from .conftest import Serve, household_db

CONFIG = f"""
[server]
host = "127.0.0.1"
wyoming_port = {{wyoming}}
http_port = {{http}}

[shop]
webhook_secret = "{SECRET}"
"""
EVIL = "rebind.evil.example"
GUESSES = 100


@pytest.fixture(scope="module")
def served(demo_db: Path) -> Iterator[Serve]:
    serve = Serve(household_db(demo_db, "page"), CONFIG).start()
    yield serve
    serve.stop()


def shop_of(serve: Serve) -> closing[Shop]:
    return closing(Shop.open(serve.db))


def cart(serve: Serve) -> dict[str, int]:
    with shop_of(serve) as shop:
        return {line.sku: line.quantity for line in shop.cart().lines}


def line_id(serve: Serve, sku: str) -> int:
    with shop_of(serve) as shop:
        return next(line.id for line in shop.cart().lines if line.sku == sku)


def new_order(serve: Serve, by: str = "kid",
              status: OrderStatus = OrderStatus.PENDING_APPROVAL) -> int:
    """An order of one item; the cart as it was is put back (under new line ids)."""
    with shop_of(serve) as shop:
        kept = [(line.sku, line.quantity) for line in shop.cart().lines]
        shop.clear_cart()
        shop.add_to_cart("P102", 1)
        order_id = shop.checkout(by, status).id
        for sku, quantity in kept:
            shop.add_to_cart(sku, quantity)
        return order_id


def order_status(serve: Serve, order_id: int) -> OrderStatus:
    with shop_of(serve) as shop:
        return shop.order(order_id).status


# ---- 1. DNS rebinding and other origins ----------------------------------------------------
def test_a_foreign_host_name_gets_no_session_and_changes_nothing(served: Serve) -> None:
    page = served.request("GET", "/", host=f"{EVIL}:{served.http_port}")
    assert page.status == 421 and page.cookie is None and "csrf" not in page.text
    cookie, csrf = served.session()  # the page itself still opens, under 127.0.0.1
    order_id = new_order(served)
    apples = line_id(served, "P103")
    changed = served.post_form(f"/cart/{apples}", {"csrf": csrf, "quantity": "9"},
                               cookie=cookie, host=f"{EVIL}:{served.http_port}")
    assert changed.status == 421 and cart(served)["P103"] == 2
    approved = served.post_form(f"/orders/{order_id}/approve", {"csrf": csrf, "by": "dad"},
                                cookie=cookie, host=EVIL)
    assert approved.status == 421 and order_status(served, order_id) is OrderStatus.PENDING_APPROVAL
    ok = served.post_form(f"/cart/{apples}", {"csrf": csrf, "quantity": "3"}, cookie=cookie,
                          origin=f"http://{served.host}")
    assert ok.status == 303 and cart(served)["P103"] == 3


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]"])
def test_every_loopback_name_opens_the_page(served: Serve, host: str) -> None:
    page = served.request("GET", "/", host=f"{host}:{served.http_port}")
    assert page.status == 200 and page.cookie


def test_a_post_from_another_origin_is_refused(served: Serve) -> None:
    cookie, csrf = served.session()
    apples = line_id(served, "P103")
    for origin in (f"http://{EVIL}:{served.http_port}", "null"):
        refused = served.post_form(f"/cart/{apples}", {"csrf": csrf, "quantity": "7"},
                                   cookie=cookie, origin=origin)
        assert refused.status == 403, origin
    cross = served.request("POST", f"/cart/{apples}", cookie=cookie,
                           body=f"csrf={csrf}&quantity=7".encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Sec-Fetch-Site": "cross-site"})
    assert cross.status == 403 and cart(served)["P103"] != 7
    same = served.post_form(f"/cart/{apples}", {"csrf": csrf, "quantity": "7"},
                            cookie=cookie, origin=f"http://localhost:{served.http_port}")
    assert same.status == 303 and cart(served)["P103"] == 7


# ---- 2. the shop's status API --------------------------------------------------------------
def report(served: Serve, order_id: int, status: str, key: WebhookKey | None,
           stamp: int | None = None) -> int:
    body = json.dumps({"status": status}).encode()
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers.update(key.headers(body, stamp or int(time.time())))
    return served.request("POST", f"/api/orders/{order_id}/status", body=body,
                          headers=headers).status


def test_a_status_report_needs_the_shops_signature(served: Serve) -> None:
    order_id = new_order(served, "dad", OrderStatus.PLACED)
    assert report(served, order_id, "delivered", None) == 401
    forged = WebhookKey.from_secret("whsec_" + "B" * 40)
    assert report(served, order_id, "delivered", forged) == 401
    key = WebhookKey.from_secret(SECRET)
    assert report(served, order_id, "delivered", key, stamp=int(time.time()) - 3600) == 401
    assert order_status(served, order_id) is OrderStatus.PLACED
    assert report(served, order_id, "accepted", key) == 200
    assert order_status(served, order_id) is OrderStatus.ACCEPTED


def test_a_captured_report_cannot_be_replayed(served: Serve) -> None:
    order_id = new_order(served, "dad", OrderStatus.PLACED)
    body = json.dumps({"status": "accepted"}).encode()
    headers = {"Content-Type": "application/json",
               **WebhookKey.from_secret(SECRET).headers(body, int(time.time()))}
    path = f"/api/orders/{order_id}/status"
    assert served.request("POST", path, body=body, headers=headers).status == 200
    assert served.request("POST", path, body=body, headers=headers).status == 401


# ---- 3. PIN guesses, all at once -----------------------------------------------------------
def test_a_hundred_pin_guesses_at_once_get_five_tries(served: Serve) -> None:
    order_id = new_order(served)
    cookie, csrf = served.session()
    url = f"/orders/{order_id}/approve"
    pins = [f"{n:04d}" for n in range(GUESSES)]  # 2468 is not among them

    def guess(pin: str) -> int:
        return served.post_form(url, {"csrf": csrf, "by": "mum", "pin": pin},
                                cookie=cookie).status

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, pins))
    assert sorted(set(answers)) == [403, 429] and answers.count(403) == 5, answers
    assert guess("2468") == 429  # locked, even with the right PIN
    assert order_status(served, order_id) is OrderStatus.PENDING_APPROVAL
    other = new_order(served)  # another adult is not locked out
    done = served.post_form(f"/orders/{other}/approve", {"csrf": csrf, "by": "dad"},
                            cookie=cookie)
    assert done.status == 303 and order_status(served, other) is OrderStatus.PLACED


# ---- 6. uploads ----------------------------------------------------------------------------
def multipart(csrf: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "voiceshopboundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="catalog"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n').encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(served: Serve, cookie: str, csrf: str, filename: str, content: bytes) -> int:
    body, kind = multipart(csrf, filename, content)
    return served.request("POST", "/catalog", cookie=cookie, body=body,
                          headers={"Content-Type": kind}).status


def test_bad_file_names_and_control_characters_are_a_clear_400(served: Serve) -> None:
    cookie, csrf = served.session()
    good = b"sku,name,price\nX9,Quince paste,4.25\n"
    for name in ("..", ".", "/", "a\x00b.csv", "../../etc/passwd", "x\x01.csv"):
        assert upload(served, cookie, csrf, name, good) == 400, repr(name)
    nul = b"sku,name,price\nX8,Plum\x00jam,3.50\n"
    assert upload(served, cookie, csrf, "nul.csv", nul) == 400
    with shop_of(served) as shop:
        assert shop.find_product("X8") is None and shop.find_product("X9") is None
    assert upload(served, cookie, csrf, "preserves.csv", good) == 303
    with shop_of(served) as shop:
        assert shop.product("X9").price_cents == 425
    assert not any("Traceback" in line for line in served.log), "".join(served.log)


def test_an_oversized_upload_is_refused_before_it_is_read(served: Serve) -> None:
    cookie, _ = served.session()
    conn = http.client.HTTPConnection("127.0.0.1", served.http_port, timeout=10)
    try:
        conn.putrequest("POST", "/catalog", skip_host=True)
        for key, value in (("Host", served.host), ("Cookie", f"voice_shop_session={cookie}"),
                           ("Content-Type", "multipart/form-data; boundary=x"),
                           ("Content-Length", str(300 * 1024 * 1024))):
            conn.putheader(key, value)
        conn.endheaders()  # not one byte of the 300 MB is sent
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_a_body_longer_than_it_said_is_cut_while_streaming(served: Serve) -> None:
    cookie, _ = served.session()
    apples = line_id(served, "P103")
    conn = http.client.HTTPConnection("127.0.0.1", served.http_port, timeout=10)
    try:  # chunked: no Content-Length to refuse up front
        conn.putrequest("POST", f"/cart/{apples}", skip_host=True)
        for key, value in (("Host", served.host), ("Cookie", f"voice_shop_session={cookie}"),
                           ("Content-Type", "application/x-www-form-urlencoded"),
                           ("Transfer-Encoding", "chunked")):
            conn.putheader(key, value)
        conn.endheaders()
        piece = b"a" * 16384
        try:
            for _ in range(64):  # 1 MB, far over the 64 KB a form may have
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading
        assert conn.getresponse().status == 413
    finally:
        conn.close()
