"""The outbox: placed orders on their way to the shop's webhook, exactly once as the shop sees it.

Why an outbox: the order and the note "send this to the shop" are written in one transaction
(``enqueue_order`` runs inside the checkout's), so no crash between placing and sending can
lose an order. The deliverer sends every entry with the same ``Idempotency-Key`` on every try,
so a shop that remembers keys records each order once even when its answer was lost and the
order went out again. Every step is kept in the database (attempts, next_attempt_at,
delivered_at, failed_at), so a restarted process picks up where the last one stopped.

Every request is signed the Standard Webhooks way with the secret shared with the shop
(``signing.py``; the ``webhook-id`` is the idempotency key), and each try has one deadline for
the whole exchange, shorter than the lease, so a shop that answers a byte at a time cannot
hold a try past it and have a second deliverer send the order again.

Retries: connection refused, time-outs, 408, 429 and 5xx wait with exponential backoff and
jitter and try again, for as long as it takes; any other answer outside 2xx (a 4xx, a
redirect) means the shop will never take this payload, so the entry is marked failed and
logged instead of hammering the shop forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import random
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .db import connect, transaction
from .models import DeliveryState, Order, iso_time
from .signing import WebhookKey

log = logging.getLogger(__name__)

KEY_PREFIX = "voice-shop-order-"
"""Idempotency keys are this plus a UUID made when the order is queued: unique across
devices and databases, unlike the order number."""
MAX_RESPONSE_BYTES = 64 * 1024
"""Only the status code matters; a huge body is not read to the end."""


# ---- queueing (inside the shop's transactions) ---------------------------------------------
def order_payload(order: Order, key: str) -> dict[str, Any]:
    """The JSON the shop receives for one placed order."""
    return {
        "event": "order.placed", "idempotency_key": key, "order_id": order.id,
        "placed_by": order.placed_by, "approved_by": order.approved_by,
        "created_at": iso_time(order.created_at), "total_cents": order.total_cents,
        "lines": [{"sku": ln.sku, "name": ln.name, "quantity": ln.quantity,
                   "options": ln.options, "unit_price_cents": ln.unit_price_cents,
                   "line_total_cents": ln.unit_price_cents * ln.quantity}
                  for ln in order.lines],
        "status_url": f"/api/orders/{order.id}/status",
    }


def enqueue_order(conn: sqlite3.Connection, order: Order, now: float) -> None:
    """Inside the transaction that places ``order``: queue it for the shop, once (an order
    queued before keeps its key and payload)."""
    key = KEY_PREFIX + str(uuid.uuid4())
    conn.execute(
        "INSERT INTO outbox (order_id, idempotency_key, payload, attempts, next_attempt_at, "
        "created_at) VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT(order_id) DO NOTHING",
        (order.id, key, json.dumps(order_payload(order, key)), now, now))


def delivery_state(conn: sqlite3.Connection, order_id: int) -> DeliveryState | None:
    """Where the order is on its way to the shop; None when it was never queued."""
    row = conn.execute("SELECT delivered_at, failed_at FROM outbox WHERE order_id = ?",
                       (order_id,)).fetchone()
    if row is None:
        return None
    if row["delivered_at"] is not None:
        return DeliveryState.SENT
    return DeliveryState.FAILED if row["failed_at"] is not None else DeliveryState.QUEUED


# ---- one HTTP attempt ---------------------------------------------------------------------
class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    """What one POST to the webhook came to."""

    outcome: Outcome
    detail: str
    """The status code or the network error, for the log and ``last_error``."""
    retry_after_s: float | None = None
    """The shop's ``Retry-After`` (seconds), when it sent one with a 429 or 503."""


def classify(status: int, retry_after_s: float | None = None) -> Attempt:
    """2xx delivered; 408, 429 and 5xx worth another try; anything else never will be."""
    if 200 <= status < 300:
        return Attempt(Outcome.DELIVERED, f"HTTP {status}")
    if status in (408, 429) or status >= 500:
        return Attempt(Outcome.RETRY, f"HTTP {status}", retry_after_s)
    return Attempt(Outcome.FAILED, f"HTTP {status}")


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: the backoff decides instead


def post_json(url: str, body: bytes, headers: dict[str, str], deadline_s: float) -> Attempt:
    """POST ``body`` once, all of it (connect, send, answer) within ``deadline_s``; a network
    failure is an ``Attempt`` to retry, never an exception. No proxy from the environment
    and no redirect (a redirected POST would lose the order): the shop's URL as configured."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname or "", parts.port, timeout=deadline_s)
    is_cut = threading.Event()
    timer = threading.Timer(deadline_s, _cut, (conn, is_cut))
    timer.start()
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                     body, {"Content-Type": "application/json", "User-Agent": "voice-shop",
                            **headers})
        response = conn.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        if is_cut.is_set():  # the answer was cut short: it may not be what the shop meant
            return _timed_out(deadline_s)
        return classify(response.status, _retry_after(response.headers))
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out
        if is_cut.is_set() or isinstance(exc, TimeoutError):
            return _timed_out(deadline_s)
        return Attempt(Outcome.RETRY, f"network: {exc or type(exc).__name__}")
    finally:
        timer.cancel()
        conn.close()


def _timed_out(deadline_s: float) -> Attempt:
    return Attempt(Outcome.RETRY, f"network: timed out (no answer within {deadline_s:g} s)")


def _cut(conn: http.client.HTTPConnection, is_cut: threading.Event) -> None:
    """The deadline passed: end the exchange wherever it is."""
    is_cut.set()
    with contextlib.suppress(OSError):
        if conn.sock is not None:
            conn.sock.shutdown(socket.SHUT_RDWR)


# ---- the deliverer ------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """How hard the deliverer tries."""

    timeout_s: float = 10.0
    """One POST, all of it, may take this long before it counts as failed."""
    base_delay_s: float = 2.0
    """The wait after the first failure; it doubles with every further one."""
    max_delay_s: float = 600.0
    """The longest wait between two tries."""
    poll_interval_s: float = 1.0
    """How often ``run`` looks for newly placed orders."""
    lease_margin_s: float = 30.0
    """An entry being sent is not due again until the time-out plus this has passed, so a
    second deliverer does not send it meanwhile, and a crash mid-send only delays it."""

    def delay_s(self, attempts: int, jitter: float) -> float:
        """Backoff after ``attempts`` failed tries: exponential, capped, and half of it random
        ("equal jitter"), so devices that lost the shop together do not return together."""
        capped = min(self.max_delay_s, self.base_delay_s * 2 ** max(0, attempts - 1))
        return capped / 2 + capped / 2 * jitter


@dataclass(frozen=True)
class _Entry:
    id: int
    order_id: int
    key: str
    payload: bytes
    attempts: int
    """Tries including this one."""


@dataclass
class DeliveryReport:
    """What one ``deliver_once`` pass did, by order id."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class OutboxDeliverer:
    """Sends queued orders to the shop's webhook until each is acknowledged or refused."""

    def __init__(self, db_path: Path, webhook_url: str, key: WebhookKey, *,
                 policy: RetryPolicy | None = None,
                 clock: Callable[[], float] = time.time,
                 jitter: Callable[[], float] = random.random) -> None:
        if urlsplit(webhook_url).scheme not in ("http", "https"):
            raise ValueError(f"the webhook URL must be http or https: {webhook_url!r}")
        self.db_path = db_path
        self.webhook_url = webhook_url
        self.key = key
        self.policy = policy or RetryPolicy()
        self.clock = clock
        self.jitter = jitter

    def deliver_once(self, should_stop: Callable[[], bool] = lambda: False) -> DeliveryReport:
        """Try every entry that is due now, once each, oldest first."""
        report = DeliveryReport()
        conn = connect(self.db_path)
        try:
            last_id = 0
            while not should_stop() and (entry := self._claim(conn, last_id)) is not None:
                last_id = entry.id
                self._record(conn, entry, self._send(entry), report)
        finally:
            conn.close()
        return report

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a database or network hiccup never ends the loop."""
        log.info("outbox: delivering orders to %s", self.webhook_url)
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.deliver_once, stop.is_set)
            except Exception:
                log.exception("outbox: delivery pass failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.policy.poll_interval_s)

    def _send(self, entry: _Entry) -> Attempt:
        headers = {"Idempotency-Key": entry.key,
                   **self.key.headers(entry.payload, int(time.time()), msg_id=entry.key)}
        return post_json(self.webhook_url, entry.payload, headers, self.policy.timeout_s)

    def _claim(self, conn: sqlite3.Connection, after_id: int) -> _Entry | None:
        """The next due entry, leased to this deliverer: its attempt is counted and it is not
        due again until the lease runs out (see ``RetryPolicy.lease_margin_s``)."""
        now = self.clock()
        with transaction(conn):
            while (row := self._next_due(conn, now, after_id)) is not None:
                if row["status"] != "cancelled" or row["attempts"] > 0:
                    break
                # Cancelled at home before any try: the shop must never see it. (Once tried,
                # the shop may hold it already, so it goes on under the same key.)
                conn.execute("UPDATE outbox SET failed_at = ?, last_error = ? WHERE id = ?",
                             (now, "cancelled before it reached the shop", row["id"]))
                after_id = row["id"]
            if row is None:
                return None
            lease = self.policy.timeout_s + self.policy.lease_margin_s
            conn.execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? "
                         "WHERE id = ?", (now + lease, row["id"]))
        return _Entry(row["id"], row["order_id"], row["idempotency_key"],
                      row["payload"].encode(), row["attempts"] + 1)

    @staticmethod
    def _next_due(conn: sqlite3.Connection, now: float, after_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = conn.execute(
            "SELECT x.*, o.status FROM outbox x JOIN orders o ON o.id = x.order_id "
            "WHERE x.delivered_at IS NULL AND x.failed_at IS NULL AND x.next_attempt_at <= ? "
            "AND x.id > ? ORDER BY x.id LIMIT 1", (now, after_id)).fetchone()
        return row

    def _record(self, conn: sqlite3.Connection, entry: _Entry, attempt: Attempt,
                report: DeliveryReport) -> None:
        """Write down what the try came to, in one transaction."""
        now = self.clock()
        with transaction(conn):
            if attempt.outcome is Outcome.DELIVERED:
                conn.execute("UPDATE outbox SET delivered_at = ?, last_error = NULL "
                             "WHERE id = ? AND delivered_at IS NULL", (now, entry.id))
            elif attempt.outcome is Outcome.FAILED:
                conn.execute("UPDATE outbox SET failed_at = ?, last_error = ? WHERE id = ?",
                             (now, attempt.detail, entry.id))
            else:
                delay = max(self.policy.delay_s(entry.attempts, self.jitter()),
                            min(attempt.retry_after_s or 0.0, self.policy.max_delay_s))
                conn.execute("UPDATE outbox SET next_attempt_at = ?, last_error = ? "
                             "WHERE id = ?", (now + delay, attempt.detail, entry.id))
        self._log(entry, attempt, report)

    @staticmethod
    def _log(entry: _Entry, attempt: Attempt, report: DeliveryReport) -> None:
        if attempt.outcome is Outcome.DELIVERED:
            report.delivered.append(entry.order_id)
            log.info("outbox: order %d delivered (%s, try %d)", entry.order_id, attempt.detail,
                     entry.attempts)
        elif attempt.outcome is Outcome.FAILED:
            report.failed.append(entry.order_id)
            log.error("outbox: the shop refused order %d (%s); it will not be sent again",
                      entry.order_id, attempt.detail)
        else:
            report.retrying.append(entry.order_id)
            log.warning("outbox: order %d not delivered (%s, try %d); will retry",
                        entry.order_id, attempt.detail, entry.attempts)
