"""The shop engine: catalog, cart, orders, lists, profiles, promotions on SQLite.

It knows nothing about audio or dialog; every method is a plain, typed operation and every
multi-step change runs inside one transaction.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CartError, CatalogError, DatabaseError, OrderError, ProfileError
from ..money import apply_percent_off
from ..text import match_tokens
from .catalog_csv import (
    MAX_REPORTED_ERRORS,
    CatalogRow,
    ImportOptions,
    fail_if_errors,
    iter_catalog_rows,
)
from .db import connect, migrate, schema_version, transaction
from .models import (
    SHOP_REPORTED_STATUSES,
    Cart,
    CartLine,
    DailyHours,
    DeliveryState,
    ImportReport,
    ListItem,
    ListName,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Profile,
    Promotion,
    Role,
    TurnRecord,
    options_from_json,
    options_to_json,
)
from .outbox import delivery_state, enqueue_order

MAX_LINE_QUANTITY = 99
"""Larger quantities are refused as absurd for a household order."""
HOUSEHOLD = "home"
TURNS_KEPT = 1000
"""Conversation turns kept for the household page (which shows the latest 20)."""


_HOURS_KEY = "promotion_hours:"


def _options_key(options: dict[str, str]) -> str:
    return json.dumps(options, sort_keys=True)


_STAGE_COLUMNS = ("sku", "line", "name", "category", "unit", "price_cents", "aliases", "tags",
                  "stock", "brand", "description", "options")
_STAGE_TABLE = ("CREATE TEMP TABLE import_stage (sku TEXT PRIMARY KEY, line INTEGER, "
                + ", ".join(_STAGE_COLUMNS[2:]) + ")")
_STAGE_INSERT = (f"INSERT INTO import_stage ({', '.join(_STAGE_COLUMNS)}) VALUES "
                 f"({', '.join('?' * len(_STAGE_COLUMNS))})")
# A NULL staged price (allowed by --allow-missing-price) keeps an existing product's price.
_STAGE_APPLY = (
    "INSERT INTO products (sku, name, category, unit, price_cents, aliases, tags, stock, brand, "
    "description, options, updated_at) SELECT sku, name, category, unit, "
    "COALESCE(price_cents, 0), aliases, tags, stock, brand, description, options, ? "
    "FROM import_stage WHERE true ON CONFLICT(sku) DO UPDATE SET name=excluded.name, "
    "category=excluded.category, unit=excluded.unit, price_cents=COALESCE((SELECT s.price_cents "
    "FROM import_stage s WHERE s.sku = excluded.sku), products.price_cents), "
    "aliases=excluded.aliases, tags=excluded.tags, stock=excluded.stock, brand=excluded.brand, "
    "description=excluded.description, options=excluded.options, "
    "updated_at=excluded.updated_at")


def _stage_values(row: CatalogRow) -> tuple[Any, ...]:
    p = row.product
    return (p.sku, row.line, p.name, p.category, p.unit,
            p.price_cents if row.has_price else None, json.dumps(list(p.aliases)),
            json.dumps(list(p.tags)), p.stock, p.brand, p.description,
            options_to_json(p))


def _product_from_row(row: sqlite3.Row) -> Product:
    options, defaults, optional = options_from_json(row["options"])
    return Product(
        sku=row["sku"], name=row["name"], category=row["category"] or "",
        unit=row["unit"] or "", price_cents=row["price_cents"],
        aliases=tuple(json.loads(row["aliases"] or "[]")),
        tags=tuple(json.loads(row["tags"] or "[]")), stock=row["stock"],
        brand=row["brand"] or "", description=row["description"] or "",
        options=options, option_defaults=defaults, optional_options=optional,
    )


def _similarity(a: Product, b: Product) -> float:
    words_a, words_b = set(match_tokens(a.name)), set(match_tokens(b.name))
    stems = any(x[:4] == y[:4] for x in words_a for y in words_b if len(x) >= 4 and len(y) >= 4)
    return (2.0 * len(words_a & words_b) + (1.0 if stems else 0.0)
            + (0.5 if a.unit == b.unit else 0.0) + 0.3 * len(set(a.tags) & set(b.tags)))


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """PBKDF2 hash of a purchase PIN, stored as ``salt$hash`` (hex)."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 100_000)
    return f"{salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    return hash_pin(pin, bytes.fromhex(salt_hex)) == stored


def import_catalog_file(db: Path, csv_path: Path, options: ImportOptions | None = None,
                        ) -> ImportReport:
    """Import into ``db``; a database that did not exist appears only if the import worked
    (it is built beside it under a temporary name and renamed), and a rejected import leaves
    an existing database exactly as it was."""
    if db.exists():
        shop = Shop.open(db)
        try:
            return shop.import_catalog(csv_path, options)
        finally:
            shop.close()
    partial = db.with_name(f".{db.name}.importing-{os.getpid()}")
    try:
        shop = Shop.open(partial, create=True)
        try:
            report = shop.import_catalog(csv_path, options)
        finally:
            shop.close()
        os.replace(partial, db)
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in _SIDE_FILES)):
            leftover.unlink(missing_ok=True)
    return report


_SIDE_FILES = ("-wal", "-shm", "-journal")
_PROGRESS = {OrderStatus.PLACED: 0, OrderStatus.ACCEPTED: 1, OrderStatus.OUT_FOR_DELIVERY: 2,
             OrderStatus.DELIVERED: 3}
"""How far along an order is; the shop's reports may only move it forwards."""


@dataclass(frozen=True)
class Recommendation:
    """One suggested product and the reason it is suggested."""

    product: Product
    reason: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.product.sku, "name": self.product.name, "reason": self.reason,
                "score": round(self.score, 3), "price_cents": self.product.price_cents}


class Shop:
    """All shop state of one household, in one SQLite file."""

    def __init__(self, conn: sqlite3.Connection, path: Path,
                 clock: Callable[[], float] = time.time) -> None:
        self.conn = conn
        self.path = path
        self.clock = clock
        """Seconds since the epoch, now: passed in so tests (and promotions' hours) can move
        time; every timestamp the shop writes comes from it."""

    @classmethod
    def open(cls, path: Path, *, create: bool = False,
             clock: Callable[[], float] = time.time) -> Shop:
        if not create and not path.exists():
            raise DatabaseError(
                f"no database at {path}: run 'voice-shop init --demo' (or pass --db)")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path)
        try:
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DatabaseError(f"{path} is not a voice-shop database: {exc}") from exc
        return cls(conn, path, clock)

    def close(self) -> None:
        self.conn.close()

    # ---- bookkeeping -------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return schema_version(self.conn)

    def log_event(self, kind: str, speaker: str | None, data: dict[str, Any]) -> None:
        """Audit trail; never holds a PIN."""
        self.conn.execute("INSERT INTO events (t, kind, speaker, data) VALUES (?, ?, ?, ?)",
                          (self.clock(), kind, speaker, json.dumps(data)))

    def events(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM events ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def catalog_version(self) -> str:
        """Changes whenever the catalog changes; speech models key their caches on it."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'catalog_version'").fetchone()
        return row["value"] if row else "0"

    def _bump_catalog_version(self) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('catalog_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (f"{self.clock():.6f}",))

    # ---- catalog ------------------------------------------------------------------------
    def import_catalog(self, path: Path, options: ImportOptions | None = None) -> ImportReport:
        """Stream a catalog CSV into the shop in one transaction: every row is checked as it
        is read and staged in a temporary table; one bad row rolls all of it back."""
        started = time.perf_counter()
        with transaction(self.conn):
            self.conn.execute("DROP TABLE IF EXISTS temp.import_stage")
            self.conn.execute(_STAGE_TABLE)
            try:
                staged = self._stage_rows(path, options)
                report = self._apply_stage(staged, started)
            finally:
                self.conn.execute("DROP TABLE IF EXISTS temp.import_stage")
        return report

    def _stage_rows(self, path: Path, options: ImportOptions | None) -> int:
        """Rows of the file into ``import_stage``; raises one error naming the bad lines."""
        errors: list[str] = []
        count = staged = 0
        for row in iter_catalog_rows(path, options):
            if isinstance(row, CatalogRow):
                try:
                    self.conn.execute(_STAGE_INSERT, _stage_values(row))
                    staged += 1
                    continue
                except sqlite3.IntegrityError:
                    first = self.conn.execute("SELECT line FROM import_stage WHERE sku = ?",
                                              (row.product.sku,)).fetchone()[0]
                    row = CatalogError(f"line {row.line}: sku {row.product.sku} repeats "
                                       f"line {first}")
            count += 1
            errors += [row.message][:MAX_REPORTED_ERRORS - len(errors)]
        fail_if_errors(errors, count, str(path))
        if not staged:
            raise CatalogError(f"{path}: no products in the file")
        return staged

    def _apply_stage(self, staged: int, started: float) -> ImportReport:
        """Inside the import transaction: upsert the staged rows into ``products``."""
        added = self.conn.execute("SELECT COUNT(*) FROM import_stage s WHERE NOT EXISTS "
                                  "(SELECT 1 FROM products p WHERE p.sku = s.sku)").fetchone()[0]
        self.conn.execute(_STAGE_APPLY, (self.clock(),))
        self._bump_catalog_version()
        self.log_event("catalog_import", None, {"products": staged})
        total = self.conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]
        return ImportReport(added=added, updated=staged - added, total=total,
                            seconds=time.perf_counter() - started)

    def upsert_products(self, products: Sequence[Product], started: float | None = None,
                        ) -> ImportReport:
        started = started or time.perf_counter()
        now = self.clock()
        with transaction(self.conn):
            existing = {r[0] for r in self.conn.execute("SELECT sku FROM products")}
            self.conn.executemany(
                "INSERT INTO products (sku, name, category, unit, price_cents, aliases, tags, "
                "stock, brand, description, options, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET "
                "name=excluded.name, category=excluded.category, unit=excluded.unit, "
                "price_cents=excluded.price_cents, aliases=excluded.aliases, tags=excluded.tags, "
                "stock=excluded.stock, brand=excluded.brand, description=excluded.description, "
                "options=excluded.options, updated_at=excluded.updated_at",
                [(p.sku, p.name, p.category, p.unit, p.price_cents, json.dumps(list(p.aliases)),
                  json.dumps(list(p.tags)), p.stock, p.brand, p.description,
                  options_to_json(p), now)
                 for p in products])
            self._bump_catalog_version()
            self.log_event("catalog_import", None, {"products": len(products)})
        added = sum(1 for p in products if p.sku not in existing)
        total = self.conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]
        return ImportReport(added=added, updated=len(products) - added, total=total,
                            seconds=time.perf_counter() - started)

    def products(self) -> list[Product]:
        return [_product_from_row(r) for r in
                self.conn.execute("SELECT * FROM products ORDER BY sku")]

    def product(self, sku: str) -> Product:
        product = self.find_product(sku)
        if product is None:
            raise CatalogError(f"no product with sku {sku}")
        return product

    def find_product(self, sku: str) -> Product | None:
        row = self.conn.execute("SELECT * FROM products WHERE sku = ?", (sku,)).fetchone()
        return _product_from_row(row) if row else None

    def substitute_for(self, product: Product) -> Product | None:
        """The most similar in-stock product of the same category, or None if nothing is
        similar: shared name words count most, then a shared word stem, unit and tags."""
        best: tuple[float, Product] | None = None
        for row in self.conn.execute(
                "SELECT * FROM products WHERE category = ? AND sku != ? "
                "AND (stock IS NULL OR stock > 0)", (product.category, product.sku)):
            other = _product_from_row(row)
            score = _similarity(product, other)
            if score >= 1.0 and (best is None or score > best[0]):
                best = (score, other)
        return best[1] if best else None

    # ---- promotions ------------------------------------------------------------------
    def add_promotion(self, sku: str, percent_off: int, description: str, *,
                      hours: DailyHours | None = None, ends_at: float | None = None) -> None:
        """A discount from now on (until ``ends_at``), only within ``hours`` of each day when
        given ("lattes are 10 percent off before noon")."""
        if not 0 < percent_off < 100:
            raise ValueError("percent_off must be between 1 and 99")
        self.product(sku)
        with transaction(self.conn):
            cursor = self.conn.execute(
                "INSERT INTO promotions (sku, percent_off, description, starts_at, ends_at) "
                "VALUES (?, ?, ?, ?, ?)", (sku, percent_off, description, self.clock(), ends_at))
            if hours is not None:  # kept in meta until the promotions table has a column
                self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                                  (f"{_HOURS_KEY}{cursor.lastrowid}", hours.to_text()))

    def active_promotions(self) -> list[Promotion]:
        """The promotions that hold now, by the shop's clock: started, not ended, and within
        their hours of the day."""
        now = self.clock()
        rows = self.conn.execute(
            "SELECT * FROM promotions WHERE (starts_at IS NULL OR starts_at <= ?) "
            "AND (ends_at IS NULL OR ends_at > ?) ORDER BY percent_off DESC, id", (now, now))
        hours = {key[len(_HOURS_KEY):]: DailyHours.from_text(value) for key, value in
                 self.conn.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                                   (f"{_HOURS_KEY}%",))}
        return [Promotion(r["id"], r["sku"], r["percent_off"], r["description"]) for r in rows
                if str(r["id"]) not in hours or hours[str(r["id"])].holds_at(now)]

    def unit_price_cents(self, product: Product) -> int:
        best = max((p.percent_off for p in self.active_promotions() if p.sku == product.sku),
                   default=0)
        return apply_percent_off(product.price_cents, best) if best else product.price_cents

    # ---- cart -------------------------------------------------------------------------
    def cart(self) -> Cart:
        rows = self.conn.execute(
            "SELECT c.*, p.name, p.price_cents FROM cart_lines c JOIN products p "
            "ON p.sku = c.sku ORDER BY c.id").fetchall()
        discounts = {p.sku: p.percent_off for p in self.active_promotions()}
        lines = tuple(
            CartLine(id=r["id"], sku=r["sku"], name=r["name"], quantity=r["quantity"],
                     options=json.loads(r["options"]),
                     unit_price_cents=apply_percent_off(r["price_cents"],
                                                        discounts.get(r["sku"], 0)),
                     added_by=r["added_by"])
            for r in rows)
        return Cart(lines)

    @staticmethod
    def _check_quantity(quantity: int) -> None:
        if quantity < 1:
            raise CartError("the quantity must be at least one", code="bad_quantity")
        if quantity > MAX_LINE_QUANTITY:
            raise CartError(f"{quantity} is more than the {MAX_LINE_QUANTITY} a line can hold",
                            code="absurd_quantity")

    def in_cart(self, sku: str) -> int:
        """Units of the product in the cart, over all its lines (all options)."""
        row = self.conn.execute("SELECT COALESCE(SUM(quantity), 0) FROM cart_lines "
                                "WHERE sku = ?", (sku,)).fetchone()
        return int(row[0])

    def _check_stock(self, product: Product, total_in_cart: int) -> None:
        """Inside a transaction: the cart may never hold more than the stock."""
        if product.stock is not None and total_in_cart > product.stock:
            raise CartError(f"only {product.stock} {product.name} in stock",
                            code="over_stock")

    def add_to_cart(self, sku: str, quantity: int = 1, options: dict[str, str] | None = None,
                    added_by: str | None = None) -> CartLine:
        """Add to the line with the same product and options, or start a new line."""
        self._check_quantity(quantity)
        product = self.product(sku)
        options = options or {}
        for group, value in options.items():
            if value not in product.options.get(group, ()):
                raise CartError(f"{product.name} has no option {group}={value}")
        key = _options_key(options)
        with transaction(self.conn):
            row = self.conn.execute("SELECT id, quantity FROM cart_lines WHERE sku = ? AND "
                                    "options = ?", (sku, key)).fetchone()
            new_quantity = quantity + (row["quantity"] if row else 0)
            self._check_quantity(new_quantity)
            self._check_stock(product, self.in_cart(sku) + quantity)
            if row:
                self.conn.execute("UPDATE cart_lines SET quantity = ? WHERE id = ?",
                                  (new_quantity, row["id"]))
            else:
                self.conn.execute(
                    "INSERT INTO cart_lines (sku, quantity, options, added_by, added_at) "
                    "VALUES (?, ?, ?, ?, ?)", (sku, quantity, key, added_by, self.clock()))
            self.log_event("cart_add", added_by, {"sku": sku, "quantity": quantity,
                                                  "options": options})
        return next(line for line in self.cart().lines
                    if line.sku == sku and line.options == options)

    def lines_for(self, sku: str) -> list[CartLine]:
        return [line for line in self.cart().lines if line.sku == sku]

    def remove_from_cart(self, sku: str, quantity: int | None = None,
                         by: str | None = None) -> int:
        """Remove ``quantity`` units (all when None), newest lines first; returns units removed."""
        if quantity is not None and quantity < 1:
            raise CartError("the quantity to remove must be at least one", code="bad_quantity")
        lines = self.lines_for(sku)
        if not lines:
            raise CartError(f"{self.product(sku).name} is not in the cart", code="not_in_cart")
        remaining = sum(line.quantity for line in lines) if quantity is None else quantity
        removed = 0
        with transaction(self.conn):
            for line in reversed(lines):
                take = min(remaining, line.quantity)
                if take == line.quantity:
                    self.conn.execute("DELETE FROM cart_lines WHERE id = ?", (line.id,))
                else:
                    self.conn.execute("UPDATE cart_lines SET quantity = quantity - ? "
                                      "WHERE id = ?", (take, line.id))
                remaining -= take
                removed += take
                if remaining == 0:
                    break
            self.log_event("cart_remove", by, {"sku": sku, "quantity": removed})
        return removed

    def set_quantity(self, sku: str, quantity: int, by: str | None = None) -> None:
        """Make the product's total quantity in the cart exactly ``quantity`` (0 removes it)."""
        if quantity == 0:
            self.remove_from_cart(sku, None, by)
            return
        self._check_quantity(quantity)
        lines = self.lines_for(sku)
        if not lines:
            self.add_to_cart(sku, quantity, None, by)
            return
        with transaction(self.conn):
            self._check_stock(self.product(sku), quantity)
            keep = lines[-1]
            for line in lines[:-1]:
                self.conn.execute("DELETE FROM cart_lines WHERE id = ?", (line.id,))
            self.conn.execute("UPDATE cart_lines SET quantity = ? WHERE id = ?",
                              (quantity, keep.id))
            self.log_event("cart_set_quantity", by, {"sku": sku, "quantity": quantity})

    def set_line_quantity(self, line_id: int, quantity: int, by: str | None = None) -> None:
        """Set one cart line's quantity (0 removes the line), under the same limits as a
        spoken change: at least one, at most a line's worth, never over the stock."""
        if quantity == 0:
            self.remove_line(line_id, by)
            return
        self._check_quantity(quantity)
        with transaction(self.conn):
            row = self._cart_line_row(line_id)
            self._check_stock(self.product(row["sku"]),
                              self.in_cart(row["sku"]) - row["quantity"] + quantity)
            self.conn.execute("UPDATE cart_lines SET quantity = ? WHERE id = ?",
                              (quantity, line_id))
            self.log_event("cart_set_quantity", by, {"sku": row["sku"], "quantity": quantity})

    def change_line_options(self, line_id: int, options: dict[str, str],
                            by: str | None = None) -> CartLine:
        """Give one cart line other options ("make that a large"); a line that already has
        them takes its quantity instead (one line per product and options)."""
        with transaction(self.conn):
            row = self._cart_line_row(line_id)
            product = self.product(row["sku"])
            for group, value in options.items():
                if value not in product.options.get(group, ()):
                    raise CartError(f"{product.name} has no option {group}={value}")
            key = _options_key(options)
            same = self.conn.execute("SELECT id, quantity FROM cart_lines WHERE sku = ? AND "
                                     "options = ? AND id != ?",
                                     (row["sku"], key, line_id)).fetchone()
            if same:
                self._check_quantity(same["quantity"] + row["quantity"])
                self.conn.execute("UPDATE cart_lines SET quantity = ? WHERE id = ?",
                                  (same["quantity"] + row["quantity"], same["id"]))
                self.conn.execute("DELETE FROM cart_lines WHERE id = ?", (line_id,))
            else:
                self.conn.execute("UPDATE cart_lines SET options = ? WHERE id = ?",
                                  (key, line_id))
            self.log_event("cart_change_options", by, {"sku": row["sku"], "options": options})
        return next(line for line in self.cart().lines
                    if line.sku == row["sku"] and line.options == options)

    def remove_line(self, line_id: int, by: str | None = None) -> None:
        with transaction(self.conn):
            row = self._cart_line_row(line_id)
            self.conn.execute("DELETE FROM cart_lines WHERE id = ?", (line_id,))
            self.log_event("cart_remove", by, {"sku": row["sku"], "quantity": row["quantity"]})

    def _cart_line_row(self, line_id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM cart_lines WHERE id = ?", (line_id,)).fetchone()
        if row is None:
            raise CartError("that line is no longer in the cart", code="no_such_line")
        return row

    def clear_cart(self, by: str | None = None) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM cart_lines")
            self.log_event("cart_clear", by, {})

    def snapshot_cart(self) -> list[dict[str, Any]]:
        """The raw cart lines, for undo."""
        rows = self.conn.execute("SELECT sku, quantity, options, added_by, added_at "
                                 "FROM cart_lines ORDER BY id")
        return [dict(r) for r in rows]

    def restore_cart(self, snapshot: Iterable[dict[str, Any]], by: str | None = None) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM cart_lines")
            self.conn.executemany(
                "INSERT INTO cart_lines (sku, quantity, options, added_by, added_at) "
                "VALUES (:sku, :quantity, :options, :added_by, :added_at)", list(snapshot))
            self.log_event("cart_restore", by, {})

    # ---- orders -----------------------------------------------------------------------
    def checkout(self, placed_by: str | None = None,
                 status: OrderStatus = OrderStatus.PLACED, placed_at: float | None = None,
                 ) -> Order:
        """Turn the cart into an order, take the stock and empty the cart, atomically.
        ``placed_at`` (Unix seconds) is for importing or simulating past orders."""
        with transaction(self.conn):
            cart = self.cart()
            if cart.is_empty:
                raise OrderError("the cart is empty", code="empty_cart")
            self._take_stock(cart)
            now = placed_at if placed_at is not None else self.clock()
            cur = self.conn.execute(
                "INSERT INTO orders (status, placed_by, total_cents, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)", (str(status), placed_by, cart.total_cents, now, now))
            order_id = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT INTO order_lines (order_id, sku, name, quantity, options, "
                "unit_price_cents, line_total_cents, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(order_id, ln.sku, ln.name, ln.quantity, _options_key(ln.options),
                  ln.unit_price_cents, ln.line_total_cents, ln.added_by) for ln in cart.lines])
            self.conn.execute("DELETE FROM cart_lines")
            if status is OrderStatus.PLACED:
                enqueue_order(self.conn, self.order(order_id), now)
            self.log_event("checkout", placed_by, {"order_id": order_id, "status": str(status),
                                                    "total_cents": cart.total_cents})
        return self.order(order_id)

    def _take_stock(self, cart: Cart) -> None:
        needed = Counter[str]()
        for line in cart.lines:
            needed[line.sku] += line.quantity
        for sku, quantity in needed.items():
            product = self.product(sku)
            if product.stock is not None and product.stock < quantity:
                raise OrderError(f"only {product.stock} {product.name} left in stock",
                                 code="out_of_stock")
            if product.stock is not None:
                self.conn.execute("UPDATE products SET stock = stock - ? WHERE sku = ?",
                                  (quantity, sku))

    def order(self, order_id: int) -> Order:
        row = self.conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            raise OrderError(f"no order number {order_id}", code="no_such_order")
        lines = tuple(
            OrderLine(sku=r["sku"], name=r["name"], quantity=r["quantity"],
                      options=json.loads(r["options"]), unit_price_cents=r["unit_price_cents"],
                      added_by=r["added_by"])
            for r in self.conn.execute("SELECT * FROM order_lines WHERE order_id = ? "
                                       "ORDER BY id", (order_id,)))
        return Order(id=row["id"], status=OrderStatus(row["status"]), placed_by=row["placed_by"],
                     total_cents=row["total_cents"], created_at=row["created_at"], lines=lines,
                     approved_by=row["approved_by"])

    def orders(self, limit: int = 20, placed_by: str | None = None) -> list[Order]:
        if placed_by is None:
            rows = self.conn.execute("SELECT id FROM orders ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self.conn.execute("SELECT id FROM orders WHERE placed_by = ? "
                                     "ORDER BY id DESC LIMIT ?", (placed_by, limit))
        return [self.order(r["id"]) for r in rows.fetchall()]

    def set_order_status(self, order_id: int, status: OrderStatus,
                         approved_by: str | None = None) -> Order:
        """Change an order's status; an order that becomes placed (a child's, approved) is
        queued for the shop in the same transaction."""
        with transaction(self.conn):
            self.order(order_id)
            self.conn.execute("UPDATE orders SET status = ?, approved_by = COALESCE(?, "
                              "approved_by), updated_at = ? WHERE id = ?",
                              (str(status), approved_by, self.clock(), order_id))
            if status is OrderStatus.PLACED:
                enqueue_order(self.conn, self.order(order_id), self.clock())
            self.log_event("order_status", approved_by, {"order_id": order_id,
                                                          "status": str(status)})
        return self.order(order_id)

    def approve_order(self, order_id: int, by: str, *, pin: str | None = None,
                      needs_pin: bool = True) -> Order:
        """An adult approves a child's order that waits for approval. With ``needs_pin`` an
        adult who has a purchase PIN must give it (the household page); the operator's CLI
        and a spoken "yes" after the question have their own checks and pass False."""
        profile = self.find_profile(by)
        if profile is None or profile.role is not Role.ADULT:
            raise OrderError(f"{by} is not an adult profile", code="not_adult")
        if self.order(order_id).status is not OrderStatus.PENDING_APPROVAL:
            raise OrderError(f"order {order_id} is not waiting for approval",
                             code="not_pending")
        stored = self.pin_hash(by)
        if needs_pin and stored and not (pin and check_pin(pin.strip(), stored)):
            raise OrderError(f"that is not {by}'s PIN", code="wrong_pin")
        return self.set_order_status(order_id, OrderStatus.PLACED, by)

    def report_status(self, order_id: int, status: OrderStatus) -> Order:
        """The shop's word on an order it was sent: accepted, out for delivery, delivered or
        cancelled. The same report twice is harmless; a report that would move the order
        backwards, or touch a closed or never-sent order, is refused."""
        if status not in SHOP_REPORTED_STATUSES:
            raise ValueError(f"the shop cannot report {status}")
        with transaction(self.conn):
            order = self.order(order_id)
            if order.status is status:
                return order
            if delivery_state(self.conn, order_id) is None:
                raise OrderError(f"order {order_id} was never sent to the shop",
                                 code="not_sent")
            if order.status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED):
                raise OrderError(f"order {order_id} is already {order.status}",
                                 code="order_closed")
            if _PROGRESS.get(status, 99) < _PROGRESS.get(order.status, 0):
                raise OrderError(f"order {order_id} is already {order.status}",
                                 code="stale_status")
            self.conn.execute("UPDATE orders SET status = ?, updated_at = ? WHERE id = ?",
                              (str(status), self.clock(), order_id))
            self.log_event("order_status", None, {"order_id": order_id, "status": str(status),
                                                  "by": "shop"})
        return self.order(order_id)

    def delivery_state(self, order_id: int) -> DeliveryState | None:
        """How far the order got on its way to the shop (None: never queued)."""
        return delivery_state(self.conn, order_id)

    def reorder(self, order: Order, added_by: str | None = None) -> list[OrderLine]:
        """Put an earlier order's lines back in the cart in one transaction; returns what was
        added (lines whose product is gone or out of stock are skipped)."""
        added: list[OrderLine] = []
        with transaction(self.conn):
            for line in order.lines:
                row = self.conn.execute("SELECT * FROM products WHERE sku = ?",
                                        (line.sku,)).fetchone()
                if row is None or not _product_from_row(row).is_in_stock:
                    continue
                stock = row["stock"]
                quantity = line.quantity if stock is None else min(
                    line.quantity, stock - self.in_cart(line.sku))  # never over the stock
                if quantity < 1:
                    continue
                key = _options_key(line.options)
                self.conn.execute(
                    "INSERT INTO cart_lines (sku, quantity, options, added_by, added_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(sku, options) DO UPDATE SET "
                    "quantity = MIN(quantity + excluded.quantity, ?)",
                    (line.sku, quantity, key, added_by, self.clock(), MAX_LINE_QUANTITY))
                added.append(dataclasses.replace(line, quantity=quantity))
            self.log_event("reorder", added_by, {"order_id": order.id, "lines": len(added)})
        return added

    # ---- lists and feedback -----------------------------------------------------------
    def add_to_list(self, list_name: ListName, label: str, sku: str | None = None,
                    quantity: int = 1, added_by: str | None = None) -> None:
        """An entry already on the list (the same product, or the same words when it names
        no product) takes the quantity instead of a second entry."""
        self._check_quantity(quantity)
        with transaction(self.conn):
            same = self.conn.execute(
                "SELECT id, quantity FROM list_items WHERE list_name = ? AND "
                "(sku = ? OR (sku IS NULL AND ? IS NULL AND lower(label) = lower(?)))",
                (str(list_name), sku, sku, label)).fetchone()
            if same:
                self._check_quantity(same["quantity"] + quantity)
                self.conn.execute("UPDATE list_items SET quantity = ? WHERE id = ?",
                                  (same["quantity"] + quantity, same["id"]))
            else:
                self.conn.execute(
                    "INSERT INTO list_items (list_name, sku, label, quantity, added_by, "
                    "added_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (str(list_name), sku, label, quantity, added_by, self.clock()))
            self.log_event("list_add", added_by, {"list": str(list_name), "sku": sku})

    def remove_from_list(self, item_id: int, by: str | None = None) -> None:
        with transaction(self.conn):
            row = self.conn.execute("SELECT list_name, sku FROM list_items WHERE id = ?",
                                    (item_id,)).fetchone()
            if row is None:
                return  # already gone (another process took it off)
            self.conn.execute("DELETE FROM list_items WHERE id = ?", (item_id,))
            self.log_event("list_remove", by, {"list": row["list_name"], "sku": row["sku"]})

    def list_items(self, list_name: ListName) -> list[ListItem]:
        rows = self.conn.execute("SELECT * FROM list_items WHERE list_name = ? ORDER BY id",
                                 (str(list_name),))
        return [ListItem(r["id"], ListName(r["list_name"]), r["sku"], r["label"], r["quantity"],
                         r["added_by"]) for r in rows]

    def add_feedback(self, text: str, rating: int | None, speaker: str | None) -> None:
        if rating is not None and not 1 <= rating <= 5:
            raise ValueError("rating must be 1 to 5 stars")
        with transaction(self.conn):
            self.conn.execute("INSERT INTO feedback (rating, text, speaker, created_at) "
                              "VALUES (?, ?, ?, ?)", (rating, text, speaker, self.clock()))
            self.log_event("feedback", speaker, {"rating": rating})

    # ---- profiles and settings --------------------------------------------------------
    def _upsert_profile(self, name: str, role: Role) -> None:
        """Inside a transaction: create the profile, or change its role."""
        if not name.strip():
            raise ProfileError("a profile needs a name")
        self.conn.execute(
            "INSERT INTO profiles (name, role, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET role = excluded.role",
            (name, str(role), self.clock()))

    def add_profile(self, name: str, role: Role = Role.ADULT) -> Profile:
        with transaction(self.conn):
            self._upsert_profile(name, role)
        return self.profile(name)

    def profile(self, name: str) -> Profile:
        row = self.conn.execute("SELECT * FROM profiles WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ProfileError(f"no profile named {name}", code="no_such_profile")
        return Profile(row["name"], Role(row["role"]), bool(row["pin_hash"]),
                       row["spending_limit_cents"])

    def find_profile(self, name: str | None) -> Profile | None:
        if name is None:
            return None
        try:
            return self.profile(name)
        except ProfileError:
            return None

    def profiles(self) -> list[Profile]:
        return [self.profile(r["name"]) for r in
                self.conn.execute("SELECT name FROM profiles ORDER BY name").fetchall()]

    def remove_profile(self, name: str) -> None:
        self.profile(name)
        with transaction(self.conn):
            self.conn.execute("DELETE FROM voiceprints WHERE profile = ?", (name,))
            self.conn.execute("DELETE FROM profiles WHERE name = ?", (name,))

    def enroll_voice(self, name: str, role: Role, embeddings: Sequence[bytes]) -> Profile:
        """Create or update a profile and replace its voice prints, in one transaction."""
        with transaction(self.conn):
            self._upsert_profile(name, role)
            self.conn.execute("DELETE FROM voiceprints WHERE profile = ?", (name,))
            self.conn.executemany(
                "INSERT INTO voiceprints (profile, embedding, created_at) VALUES (?, ?, ?)",
                [(name, e, self.clock()) for e in embeddings])
            self.log_event("enroll", name, {"prints": len(embeddings)})
        return self.profile(name)

    def voiceprints(self) -> dict[str, list[bytes]]:
        prints: dict[str, list[bytes]] = {}
        for row in self.conn.execute("SELECT profile, embedding FROM voiceprints ORDER BY id"):
            prints.setdefault(row["profile"], []).append(bytes(row["embedding"]))
        return prints

    def set_pin(self, name: str, pin: str | None) -> None:
        """Set (or clear, with None) a profile's purchase PIN; only its hash is stored."""
        self.profile(name)
        if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("a PIN is 4 to 8 digits")
        with transaction(self.conn):
            self.conn.execute("UPDATE profiles SET pin_hash = ? WHERE name = ?",
                              (hash_pin(pin) if pin else None, name))
            self.log_event("pin_changed", name, {"has_pin": pin is not None})

    def pin_hash(self, name: str) -> str | None:
        row = self.conn.execute("SELECT pin_hash FROM profiles WHERE name = ?",
                                (name,)).fetchone()
        return row["pin_hash"] if row else None

    def set_spending_limit(self, name: str, limit_cents: int | None) -> None:
        self.profile(name)
        if limit_cents is not None and limit_cents < 0:
            raise ValueError("a spending limit cannot be negative")
        with transaction(self.conn):
            self.conn.execute("UPDATE profiles SET spending_limit_cents = ? WHERE name = ?",
                              (limit_cents, name))

    def set_setting(self, key: str, value: str) -> None:
        with transaction(self.conn):
            self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) "
                              "DO UPDATE SET value = excluded.value", (f"setting.{key}", value))

    def setting(self, key: str, default: str = "") -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?",
                                (f"setting.{key}",)).fetchone()
        return row["value"] if row else default

    def voice_counts(self) -> dict[str, int]:
        """Enrolled recordings per profile."""
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT profile, COUNT(*) FROM voiceprints GROUP BY profile")}

    # ---- conversation turns ---------------------------------------------------------------
    def record_turn(self, text: str, reply: str, speaker: str | None, intent: str) -> None:
        """Keep one turn for the household page; the caller has already masked a PIN. Only
        the latest ``TURNS_KEPT`` are kept: what was said at home is not an archive."""
        with transaction(self.conn):
            cur = self.conn.execute("INSERT INTO turns (t, speaker, text, reply, intent) "
                                    "VALUES (?, ?, ?, ?, ?)",
                                    (self.clock(), speaker, text, reply, intent))
            self.conn.execute("DELETE FROM turns WHERE id <= ?",
                              (int(cur.lastrowid or 0) - TURNS_KEPT,))

    def recent_turns(self, limit: int = 20) -> list[TurnRecord]:
        """The latest turns, newest first."""
        rows = self.conn.execute("SELECT * FROM turns ORDER BY id DESC LIMIT ?", (limit,))
        return [TurnRecord(r["id"], r["t"], r["speaker"], r["text"], r["reply"],
                           r["intent"] or "") for r in rows]

    # ---- dialog state (opaque JSON owned by the dialog layer) -----------------------------
    def load_dialog_state(self, household: str = HOUSEHOLD) -> tuple[dict[str, Any], float]:
        row = self.conn.execute("SELECT state, updated_at FROM dialog_state WHERE household = ?",
                                (household,)).fetchone()
        return (json.loads(row["state"]), row["updated_at"]) if row else ({}, 0.0)

    def save_dialog_state(self, state: dict[str, Any], household: str = HOUSEHOLD) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO dialog_state (household, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(household) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at", (household, json.dumps(state), self.clock()))

    def forget_dialog_states(self, prefix: str, before: float) -> int:
        """Delete the conversations whose key starts with ``prefix`` that nobody continued
        since ``before`` (epoch seconds): a server keys one per client conversation, so
        without this the table would only grow."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with transaction(self.conn):
            cursor = self.conn.execute(
                "DELETE FROM dialog_state WHERE household LIKE ? ESCAPE '\\' "
                "AND updated_at < ?", (pattern, before))
        return cursor.rowcount

    # ---- recommendations --------------------------------------------------------------
    def purchase_history(self, placed_by: str | None = None) -> list[tuple[float, list[str]]]:
        """(order time, skus) for every non-cancelled order, oldest first."""
        sql = ("SELECT o.id, o.created_at, l.sku FROM orders o JOIN order_lines l "
               "ON l.order_id = o.id WHERE o.status != 'cancelled'")
        params: tuple[Any, ...] = ()
        if placed_by is not None:
            sql += " AND (o.placed_by = ? OR l.added_by = ?)"
            params = (placed_by, placed_by)
        baskets: dict[int, tuple[float, list[str]]] = {}
        for r in self.conn.execute(sql + " ORDER BY o.id", params):
            baskets.setdefault(r["id"], (r["created_at"], []))[1].append(r["sku"])
        return list(baskets.values())
