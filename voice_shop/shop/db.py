"""SQLite connection, schema migrations and transactions for the shop.

WAL mode lets a reader and a writer work at once; a busy timeout makes a second writer wait
instead of failing; ``BEGIN IMMEDIATE`` takes the write lock up front so a read-modify-write
never interleaves with another process's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from ..errors import DatabaseError

BUSY_TIMEOUT_MS = 15_000


def _v1(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("products").create(
        {"sku": str, "name": str, "category": str, "unit": str, "price_cents": int,
         "aliases": str, "tags": str, "stock": int, "brand": str, "description": str,
         "options": str, "updated_at": float},
        pk="sku", not_null={"name", "price_cents"},
    )
    db.table("products").create_index(["category"])
    db.table("promotions").create(
        {"id": int, "sku": str, "percent_off": int, "description": str,
         "starts_at": float, "ends_at": float},
        pk="id", foreign_keys=[("sku", "products", "sku")],
    )
    db.table("profiles").create(
        {"name": str, "role": str, "pin_hash": str, "spending_limit_cents": int,
         "created_at": float},
        pk="name", not_null={"role"},
    )
    db.table("cart_lines").create(
        {"id": int, "sku": str, "quantity": int, "options": str, "added_by": str,
         "added_at": float},
        pk="id", not_null={"sku", "quantity", "options"},
    )
    db.table("cart_lines").create_index(["sku", "options"], unique=True)
    db.table("orders").create(
        {"id": int, "status": str, "placed_by": str, "approved_by": str, "total_cents": int,
         "created_at": float, "updated_at": float},
        pk="id", not_null={"status", "total_cents"},
    )
    db.table("order_lines").create(
        {"id": int, "order_id": int, "sku": str, "name": str, "quantity": int, "options": str,
         "unit_price_cents": int, "line_total_cents": int, "added_by": str},
        pk="id", foreign_keys=[("order_id", "orders", "id")],
    )
    db.table("order_lines").create_index(["order_id"])
    db.table("list_items").create(
        {"id": int, "list_name": str, "sku": str, "label": str, "quantity": int,
         "added_by": str, "added_at": float},
        pk="id",
    )
    db.table("feedback").create(
        {"id": int, "rating": int, "text": str, "speaker": str, "created_at": float}, pk="id")
    db.table("events").create(
        {"id": int, "t": float, "kind": str, "speaker": str, "data": str}, pk="id")
    db.table("dialog_state").create({"household": str, "state": str, "updated_at": float},
                              pk="household")


def _v2(db: sqlite_utils.Database) -> None:
    """Voice prints: enrollment embeddings of household profiles."""
    db.table("voiceprints").create(
        {"id": int, "profile": str, "embedding": bytes, "created_at": float},
        pk="id", not_null={"profile", "embedding"},
        foreign_keys=[("profile", "profiles", "name")])
    db.table("voiceprints").create_index(["profile"])


def _v3(db: sqlite_utils.Database) -> None:
    """The outbox of orders on their way to the shop's webhook, and the conversation turns
    the household page shows."""
    db.table("outbox").create(
        {"id": int, "order_id": int, "idempotency_key": str, "payload": str, "attempts": int,
         "next_attempt_at": float, "delivered_at": float, "failed_at": float,
         "last_error": str, "created_at": float},
        pk="id", not_null={"order_id", "idempotency_key", "payload", "attempts",
                           "next_attempt_at", "created_at"},
        defaults={"attempts": 0}, foreign_keys=[("order_id", "orders", "id")])
    db.table("outbox").create_index(["order_id"], unique=True)
    db.table("outbox").create_index(["idempotency_key"], unique=True)
    db.table("outbox").create_index(["delivered_at", "failed_at", "next_attempt_at"])
    db.table("turns").create(
        {"id": int, "t": float, "speaker": str, "text": str, "reply": str, "intent": str},
        pk="id", not_null={"t", "text", "reply"})


def _v4(db: sqlite_utils.Database) -> None:
    """The household page's sessions (kept here so logout and a new password revoke them)
    and the count of wrong PINs and passwords (kept here so a restart forgets none)."""
    db.table("web_sessions").create(
        {"token_hash": str, "is_authenticated": int, "password_tag": str,
         "created_at": float}, pk="token_hash", not_null={"is_authenticated", "created_at"})
    db.table("web_sessions").create_index(["created_at"])
    db.table("guesses").create({"key": str, "failures": int, "since": float}, pk="key",
                               not_null={"failures", "since"})


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """Open the database in autocommit mode (transactions are explicit), WAL, busy timeout."""
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: all of it lands or none of it does."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"database is busy, try again: {exc}") from exc
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                 "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply forward migrations under the write lock; returns the resulting version."""
    with transaction(conn):
        current = schema_version(conn)
        if current > SCHEMA_VERSION:
            raise DatabaseError(
                f"database schema {current} is newer than this voice-shop ({SCHEMA_VERSION}); "
                "upgrade voice-shop")
        db = sqlite_utils.Database(conn)
        for version, step in enumerate(MIGRATIONS[current:], start=current + 1):
            step(db)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    return SCHEMA_VERSION
