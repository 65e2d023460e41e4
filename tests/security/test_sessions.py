"""Sessions, PIN locks and password guessing on a real ``serve`` with a household password,
across a restart with a new password."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus
from voice_shop.web.guesses import PASSWORD_OVERALL, PASSWORD_PER_CLIENT, PIN_LIMIT

from .conftest import Serve, household_db

OLD, NEW = "correct horse", "battery staple"


def config(password: str) -> str:
    return f"""
[server]
host = "127.0.0.1"
wyoming_port = {{wyoming}}
http_port = {{http}}

[web]
password = "{password}"
"""


@pytest.fixture(scope="module")
def served(demo_db: Path) -> Iterator[Serve]:
    serve = Serve(household_db(demo_db, "sessions"), config(OLD)).start()
    yield serve
    serve.stop()


def restart(serve: Serve, password: str) -> None:
    serve.stop()
    serve.config = config(password)
    serve.start()


def is_in(serve: Serve, cookie: str | None) -> bool:
    return serve.request("GET", "/", cookie=cookie).status == 200


def pending(serve: Serve) -> int:
    with closing(Shop.open(serve.db)) as shop:
        return next(o.id for o in shop.orders(100) if o.status is OrderStatus.PENDING_APPROVAL)


def test_logout_and_a_new_password_end_sessions_and_a_pin_lock_survives_restart(
        served: Serve) -> None:
    first, second = served.login(OLD), served.login(OLD)
    assert first.status == second.status == 303 and first.cookie != second.cookie
    assert is_in(served, first.cookie) and is_in(served, second.cookie)
    page = served.request("GET", "/", cookie=first.cookie)
    assert served.post_form("/logout", {"csrf": page.csrf}, cookie=first.cookie).status == 303
    assert not is_in(served, first.cookie)  # the cookie used before logout no longer works
    assert is_in(served, second.cookie)  # another browser's session goes on
    csrf = served.request("GET", "/", cookie=second.cookie).csrf
    order_id, url = pending(served), f"/orders/{pending(served)}/approve"
    for n in range(PIN_LIMIT.tries):
        wrong = served.post_form(url, {"csrf": csrf, "by": "mum", "pin": f"111{n}"},
                                 cookie=second.cookie)
        assert wrong.status == 403
    restart(served, NEW)
    assert not is_in(served, second.cookie)  # revoked by the new password
    assert served.login(OLD).status == 401
    fresh = served.login(NEW)
    assert fresh.status == 303 and is_in(served, fresh.cookie)
    csrf = served.request("GET", "/", cookie=fresh.cookie).csrf
    locked = served.post_form(url, {"csrf": csrf, "by": "mum", "pin": "2468"},
                              cookie=fresh.cookie)
    assert locked.status == 429  # the restart did not unlock mum
    approved = served.post_form(url, {"csrf": csrf, "by": "dad"}, cookie=fresh.cookie)
    assert approved.status == 303
    with closing(Shop.open(served.db)) as shop:
        assert shop.order(order_id).approved_by == "dad"


def test_password_guessing_is_limited_per_client_and_overall(served: Serve) -> None:
    """Runs last: it uses up the overall limit (each login, right or wrong, counts once)."""
    with closing(Shop.open(served.db)) as shop:  # the logins of the test before
        row = shop.conn.execute("SELECT failures FROM guesses WHERE key = 'password:*'"
                                ).fetchone()
    before = row[0] if row else 0
    assert served.login(NEW, source="127.0.0.2").status == 303
    wrong = [served.login("guess", source="127.0.0.2").status
             for _ in range(PASSWORD_PER_CLIENT.tries)]
    assert wrong == [401] * PASSWORD_PER_CLIENT.tries
    assert served.login(NEW, source="127.0.0.2").status == 429  # this client is paused
    assert served.login(NEW, source="127.0.0.3").status == 303  # another is not
    counted = before + 1 + PASSWORD_PER_CLIENT.tries + 1
    answers = [served.login("guess", source=f"127.0.1.{n}").status
               for n in range(1, 8) for _ in range(PASSWORD_PER_CLIENT.tries)]
    left = PASSWORD_OVERALL.tries - counted
    assert answers.count(401) == left and answers.count(429) == len(answers) - left
    assert served.login(NEW, source="127.0.2.1").status == 429  # overall: paused for all
