"""Catalog CSV reading and validation (the format is in DESIGN.md).

A file is read whole and checked row by row; any bad row makes the whole import fail with
the line numbers, so nothing is ever half-imported.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import CatalogError
from ..money import parse_price_cents
from .models import Product

REQUIRED = ("sku", "name")
KNOWN = {"sku", "name", "category", "unit", "price", "aliases", "tags", "stock", "brand",
         "description", "options"}
MAX_REPORTED_ERRORS = 10


def parse_options(text: str) -> dict[str, tuple[str, ...]]:
    """``"size: small|large; milk: oat milk"`` -> ``{"size": ("small", "large"), ...}``."""
    groups: dict[str, tuple[str, ...]] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        if ":" not in part:
            raise CatalogError(f"option group {part.strip()!r} needs 'group: value|value'")
        group, _, values = part.partition(":")
        group = group.strip().lower()
        spoken = tuple(v.strip().lower() for v in values.split("|") if v.strip())
        if not group or not spoken:
            raise CatalogError(f"option group {part.strip()!r} has no name or no values")
        groups[group] = spoken
    return groups


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(";") if v.strip())


def _parse_stock(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        stock = int(text.strip())
    except ValueError as exc:
        raise CatalogError(f"stock must be a whole number: {text!r}") from exc
    if stock < 0:
        raise CatalogError(f"stock cannot be negative: {text!r}")
    return stock


def product_from_row(row: dict[str, str]) -> Product:
    sku, name = row.get("sku", "").strip(), row.get("name", "").strip()
    if not sku:
        raise CatalogError("sku is empty")
    if not name:
        raise CatalogError("name is empty")
    price = row.get("price", "").strip()
    return Product(
        sku=sku, name=name,
        category=row.get("category", "").strip().lower(),
        unit=row.get("unit", "").strip(),
        price_cents=parse_price_cents(price) if price else 0,
        aliases=_split_list(row.get("aliases", "")),
        tags=tuple(t.lower() for t in _split_list(row.get("tags", ""))),
        stock=_parse_stock(row.get("stock", "")),
        brand=row.get("brand", "").strip(),
        description=row.get("description", "").strip(),
        options=parse_options(row.get("options", "")),
    )


def read_catalog_csv(path: Path) -> list[Product]:
    """Read and validate every row; raise one ``CatalogError`` naming the bad lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CatalogError(f"no such catalog file: {path}") from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    return parse_catalog_text(text, str(path))


def parse_catalog_text(text: str, source: str = "<csv>") -> list[Product]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogError(f"{source}: header must have columns {', '.join(REQUIRED)}; "
                           f"missing {', '.join(missing)}")
    reader.fieldnames = header
    products: list[Product] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    line = 1
    for row in reader:
        start, line = line + 1, reader.line_num
        if None in row:
            errors.append(f"line {start}: more fields than the header has")
            continue
        if all(not (v or "").strip() for v in row.values()):
            continue
        try:
            product = product_from_row({k: v or "" for k, v in row.items()})
        except CatalogError as exc:
            errors.append(f"line {start}: {exc}")
            continue
        if product.sku in seen:
            errors.append(f"line {start}: sku {product.sku} repeats line {seen[product.sku]}")
            continue
        seen[product.sku] = start
        products.append(product)
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        shown = "; ".join(errors[:MAX_REPORTED_ERRORS]) + (f"; and {more} more" if more > 0 else "")
        raise CatalogError(f"{source}: {len(errors)} bad row(s), nothing imported: {shown}")
    if not products:
        raise CatalogError(f"{source}: no products in the file")
    return products
