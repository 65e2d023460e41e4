"""The household page and the status API through Starlette's TestClient (the real app over a
real database); the browser test is tests/test_web_browser.py."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from voice_shop.dialog import Dialog
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus, Role
from voice_shop.shop.outbox import OutboxDeliverer
from voice_shop.shop.signing import WebhookKey
from voice_shop.web import create_app

from .outbox_server import SECRET, ShopServer

KEY = WebhookKey.from_secret(SECRET)


def browser(app: Any, **kwargs: Any) -> TestClient:
    """A client of the page under one of its own host names."""
    return TestClient(app, base_url="http://localhost", **kwargs)


def report_status(client: TestClient, order_id: int, status: object,
                  key: WebhookKey = KEY) -> Any:
    """A status report as the shop sends it: JSON, signed."""
    body = json.dumps({"status": status}).encode()
    headers = {"content-type": "application/json", **key.headers(body, int(time.time()))}
    return client.post(f"/api/orders/{order_id}/status", content=body, headers=headers)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def message(page: str, kind: str) -> str:
    match = re.search(rf'id="{kind}">([^<]*)<', page)
    return match.group(1) if match else ""


def place(shop: Shop, by: str | None = None,
          status: OrderStatus = OrderStatus.PLACED) -> int:
    shop.add_to_cart("P102", 2)
    return shop.checkout(by, status).id


@pytest.fixture
def household(shop: Shop) -> Shop:
    shop.add_profile("mum", Role.ADULT)
    shop.set_pin("mum", "2468")
    shop.add_profile("dad", Role.ADULT)
    shop.add_profile("kid", Role.CHILD)
    return shop


# ---- password and CSRF ---------------------------------------------------------------------
def test_a_password_keeps_the_page_and_the_api_closed(household: Shop) -> None:
    order_id = place(household)
    client = browser(create_app(household.path, password="open sesame", webhook_secret=SECRET))
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    login = client.get("/login")
    wrong = client.post("/login", data={"csrf": csrf_of(login.text), "password": "guess"})
    assert wrong.status_code == 401 and "not the household password" in wrong.text
    assert client.get("/", follow_redirects=False).status_code == 303
    right = client.post("/login", data={"csrf": csrf_of(login.text), "password": "open sesame"})
    assert right.status_code == 200 and 'id="cart"' in right.text
    api = f"/api/orders/{order_id}/status"
    assert client.post(api, json={"status": "accepted"}).status_code == 401  # cookie: no
    assert client.post(api, json={"status": "accepted"},
                       headers={"Authorization": "Bearer open sesame"}).status_code == 401
    ok = report_status(client, order_id, "accepted")
    assert ok.status_code == 200 and household.order(order_id).status is OrderStatus.ACCEPTED


def test_a_forged_or_foreign_session_is_not_let_in(household: Shop) -> None:
    app = create_app(household.path, password="pw")
    client = browser(app)
    login = client.get("/login")
    before_login = client.cookies["voice_shop_session"]
    client.post("/login", data={"csrf": csrf_of(login.text), "password": "pw"})
    assert client.cookies["voice_shop_session"] != before_login  # a new session at login
    for cookie in ("x" * 43, before_login, client.cookies["voice_shop_session"] + "x"):
        forged = browser(app, cookies={"voice_shop_session": cookie})
        assert forged.get("/", follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def test_posts_need_the_pages_csrf_token(household: Shop) -> None:
    household.add_to_cart("P101", 1)
    line = household.cart().lines[0]
    client = browser(create_app(household.path))
    page = client.get("/")
    assert client.post(f"/cart/{line.id}", data={"quantity": "5"}).status_code == 403
    assert client.post(f"/cart/{line.id}", data={"quantity": "5", "csrf": "x" * 64}
                       ).status_code == 403
    other = browser(create_app(household.path))  # another browser, its own session
    other_token = csrf_of(other.get("/").text)
    assert client.post(f"/cart/{line.id}", data={"quantity": "5", "csrf": other_token}
                       ).status_code == 403
    assert household.cart().lines[0].quantity == 1
    done = client.post(f"/cart/{line.id}", data={"quantity": "5", "csrf": csrf_of(page.text)})
    assert done.status_code == 200 and message(done.text, "notice") == "Cart updated."
    assert household.cart().lines[0].quantity == 5


def test_the_api_takes_only_reports_signed_with_the_shops_secret(household: Shop) -> None:
    order_id = place(household)
    unsigned_app = browser(create_app(household.path))
    assert report_status(unsigned_app, order_id, "accepted").status_code == 503
    client = browser(create_app(household.path, password="pw", webhook_secret=SECRET))
    forged = report_status(client, order_id, "accepted",
                           WebhookKey.from_secret("whsec_" + "A" * 40))
    assert forged.status_code == 401
    assert client.post(f"/api/orders/{order_id}/status", data={"status": "accepted"}
                       ).status_code == 401
    assert household.order(order_id).status is OrderStatus.PLACED
    assert report_status(client, order_id, "accepted").status_code == 200
    assert household.order(order_id).status is OrderStatus.ACCEPTED


# ---- the status API and what the dialog says -----------------------------------------------
def test_the_shops_reports_are_read_aloud(household: Shop, dialog: Dialog) -> None:
    server = ShopServer().start()
    try:
        order_id = place(household, "dad")
        assert "hasn't reached the shop yet" in dialog.handle_text("where is my order").reply
        OutboxDeliverer(household.path, server.url, KEY).deliver_once()
        assert "the shop has it" in dialog.handle_text("where is my order").reply
    finally:
        server.stop()
    client = browser(create_app(household.path, webhook_secret=SECRET))
    spoken = {"accepted": "has been accepted by the shop",
              "out_for_delivery": "is out for delivery", "delivered": "has been delivered"}
    for status, words in spoken.items():
        answer = report_status(client, order_id, status)
        assert answer.json() == {"order_id": order_id, "status": status}
        reply = dialog.handle_text("where is my order").reply
        assert reply.startswith(f"Your last order, number {order_id},") and words in reply


def test_the_status_api_refuses_what_makes_no_sense(household: Shop) -> None:
    pending = place(household, "kid", OrderStatus.PENDING_APPROVAL)
    placed = place(household, "dad")
    client = browser(create_app(household.path, webhook_secret=SECRET))

    def report(order_id: int, status: object) -> tuple[int, str]:
        answer = report_status(client, order_id, status)
        return answer.status_code, answer.json().get("error", answer.json().get("status"))

    assert report(pending, "accepted") == (409, "not_sent")
    assert report(999, "accepted") == (404, "no_such_order")
    assert report(placed, "placed") == (400, "bad_status")
    assert report(placed, "lost") == (400, "bad_status")
    assert report(placed, "out_for_delivery") == (200, "out_for_delivery")
    assert report(placed, "out_for_delivery") == (200, "out_for_delivery")  # a retry: fine
    assert report(placed, "accepted") == (409, "stale_status")
    assert report(placed, "cancelled") == (200, "cancelled")
    assert report(placed, "delivered") == (409, "order_closed")
    assert household.order(placed).status is OrderStatus.CANCELLED
    headers = {"content-type": "application/json", **KEY.headers(b"{", int(time.time()))}
    assert client.post(f"/api/orders/{placed}/status", content=b"{",
                       headers=headers).status_code == 400


# ---- the page ------------------------------------------------------------------------------
def test_approval_needs_an_adult_and_their_pin(household: Shop) -> None:
    order_id = place(household, "kid", OrderStatus.PENDING_APPROVAL)
    client = browser(create_app(household.path))
    token = csrf_of(client.get("/").text)
    url = f"/orders/{order_id}/approve"
    kid = client.post(url, data={"csrf": token, "by": "kid"})
    assert kid.status_code == 403 and "not an adult" in message(kid.text, "error")
    no_pin = client.post(url, data={"csrf": token, "by": "mum"})
    assert no_pin.status_code == 403 and "PIN" in message(no_pin.text, "error")
    wrong = client.post(url, data={"csrf": token, "by": "mum", "pin": "1357"})
    assert wrong.status_code == 403
    assert household.order(order_id).status is OrderStatus.PENDING_APPROVAL
    right = client.post(url, data={"csrf": token, "by": "mum", "pin": "2468"})
    assert message(right.text, "notice") == f"Order {order_id} approved by mum."
    order = household.order(order_id)
    assert (order.status, order.approved_by) == (OrderStatus.PLACED, "mum")
    again = client.post(url, data={"csrf": token, "by": "dad"})
    assert again.status_code == 409 and "not waiting" in message(again.text, "error")


def test_pin_guessing_is_stopped(household: Shop) -> None:
    order_id = place(household, "kid", OrderStatus.PENDING_APPROVAL)
    client = browser(create_app(household.path))
    token = csrf_of(client.get("/").text)
    url = f"/orders/{order_id}/approve"
    for guess in range(5):
        assert client.post(url, data={"csrf": token, "by": "mum",
                                      "pin": f"000{guess}"}).status_code == 403
    locked = client.post(url, data={"csrf": token, "by": "mum", "pin": "2468"})
    assert locked.status_code == 429
    assert household.order(order_id).status is OrderStatus.PENDING_APPROVAL


def test_cart_changes_keep_the_shops_rules(household: Shop) -> None:
    household.add_to_cart("P103", 2)  # Granny Smith: 11 in stock
    household.add_to_cart("P101", 1)
    apples, bananas = household.cart().lines
    client = browser(create_app(household.path))
    token = csrf_of(client.get("/").text)
    over = client.post(f"/cart/{apples.id}", data={"csrf": token, "quantity": "12"})
    assert over.status_code == 400 and "in stock" in message(over.text, "error")
    junk = client.post(f"/cart/{apples.id}", data={"csrf": token, "quantity": "lots"})
    assert junk.status_code == 400
    client.post(f"/cart/{apples.id}", data={"csrf": token, "quantity": "11"})
    client.post(f"/cart/{bananas.id}", data={"csrf": token, "action": "remove"})
    assert [(ln.sku, ln.quantity) for ln in household.cart().lines] == [("P103", 11)]
    page = client.get("/").text
    assert "$24.09" in page  # 11 x $2.19, the total shown
    client.post(f"/cart/{apples.id}", data={"csrf": token, "quantity": "0"})
    assert household.cart().is_empty
    gone = client.post(f"/cart/{apples.id}", data={"csrf": token, "quantity": "3"})
    assert gone.status_code == 400 and "no longer in the cart" in message(gone.text, "error")


def test_catalog_upload_reports_lines_and_imports_all_or_nothing(household: Shop,
                                                                 tmp_path: Path) -> None:
    calls: list[int] = []
    client = browser(create_app(household.path, catalog_hook=lambda: calls.append(1)))
    token = csrf_of(client.get("/").text)
    before = len(household.products())
    bad = ("sku,name,price\nX1,Plum jam,3.50\nX2,Quince jelly,abc\nX3,Fig spread,\"1,50\"\n")
    answer = client.post("/catalog", data={"csrf": token},
                         files={"catalog": ("preserves.csv", bad.encode(), "text/csv")})
    error = message(answer.text, "error")
    assert answer.status_code == 400 and error.startswith("preserves.csv: 2 bad row(s)")
    assert "line 3" in error and "line 4" in error and "/tmp" not in error
    assert len(household.products()) == before and household.find_product("X1") is None
    assert calls == []
    good = "sku,name,price\nX1,Plum jam,3.50\nP101,Bananas,1.49\n"
    answer = client.post("/catalog", data={"csrf": token},
                         files={"catalog": ("preserves.csv", good.encode(), "text/csv")})
    assert message(answer.text, "notice").startswith("Catalog imported: 1 new, 1 updated")
    assert household.product("X1").price_cents == 350
    assert household.product("P101").price_cents == 149
    assert calls == [1]


def test_voice_changes_and_turns_show_on_refresh_with_pins_masked(household: Shop,
                                                                   dialog: Dialog) -> None:
    client = browser(create_app(household.path))
    assert "Nothing has been said yet" in client.get("/").text
    dialog.handle_text("add two bags of rice", "mum")
    page = client.get("/").text
    assert "Rice" in page and "add two bags of rice" in page
    dialog.handle_text("check out", "mum")
    dialog.handle_text("two four six eight", "mum")
    turns = household.recent_turns()
    assert [t.text for t in turns[:3]] == ["****", "check out", "add two bags of rice"]
    assert turns[0].reply.startswith("Your order is placed") and turns[0].speaker == "mum"
    page = client.get("/").text
    assert "two four six eight" not in page and "****" in page
    assert re.search(r'id="order-\d+">.*?placed', page, re.S)


def test_the_page_shows_profiles_voices_and_only_twenty_turns(household: Shop,
                                                               dialog: Dialog) -> None:
    household.enroll_voice("dad", Role.ADULT, [b"\0" * 8] * 3)
    for n in range(25):
        dialog.handle_text(f"how much are bananas {n}")
    page = browser(create_app(household.path)).get("/").text
    assert "enrolled (3 recordings)" in page and page.count("not enrolled") == 2
    assert page.count("<td>unknown voice</td>") == 20


def test_only_the_latest_turns_are_kept(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voice_shop.shop.engine.TURNS_KEPT", 5)
    for n in range(8):
        shop.record_turn(f"turn {n}", "ok", None, "help")
    assert [t.text for t in shop.recent_turns(100)] == [f"turn {n}" for n in range(7, 2, -1)]
