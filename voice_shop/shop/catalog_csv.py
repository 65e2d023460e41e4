"""Catalog CSV reading and validation (the format: docs/catalog-csv.md).

The file is streamed row by row (a million-row catalog never sits in memory); each row is
checked as it is read. The engine writes the rows inside one transaction and rolls it back when
any row was bad, so nothing is ever half-imported; every bad row is reported with its line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CatalogError
from ..money import parse_price_cents
from .models import Product

REQUIRED = ("sku", "name")
KNOWN = {"sku", "name", "category", "unit", "price", "aliases", "tags", "stock", "brand",
         "description", "options"}
MAX_REPORTED_ERRORS = 10
MAX_STOCK = 1_000_000_000
"""Larger stock figures are typing mistakes (and would overflow SQLite's integers)."""
_WHOLE_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class ImportOptions:
    """How strict a catalog import is."""

    allow_missing_price: bool = False
    """Accept rows (or a file) without a price: a new product costs $0.00 and an existing one
    keeps its price. Without it a missing price is an error, never a silent $0.00."""


@dataclass(frozen=True)
class CatalogRow:
    """One valid row: the product and whether the file gave it a price."""

    line: int
    """Line of the file where the row starts (1 is the header)."""
    product: Product
    has_price: bool


@dataclass(frozen=True)
class OptionGroups:
    """The ``options`` cell of a row: each group's values, the defaults, the optional groups."""

    values: dict[str, tuple[str, ...]]
    defaults: dict[str, str]
    optional: tuple[str, ...]


def parse_option_groups(text: str) -> OptionGroups:
    """``"size: small|medium|large = medium; milk?: oat milk|soy milk"``: a value after ``=``
    is the group's default, a ``?`` after its name makes it optional (docs/catalog-options.md);
    any other group is asked about when an order leaves it out."""
    groups: dict[str, tuple[str, ...]] = {}
    defaults: dict[str, str] = {}
    optional: list[str] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        if ":" not in part:
            raise CatalogError(f"option group {part.strip()!r} needs 'group: value|value'")
        group, _, values = part.partition(":")
        group = group.strip().lower()
        if group.endswith("?"):
            group = group[:-1].strip()
            optional.append(group)
        values, _, default = values.partition("=")
        spoken = tuple(v.strip().lower() for v in values.split("|") if v.strip())
        if not group or not spoken:
            raise CatalogError(f"option group {part.strip()!r} has no name or no values")
        if group in groups:
            raise CatalogError(f"option group {group!r} appears twice")
        default = default.strip().lower()
        if default and default not in spoken:
            raise CatalogError(f"option group {group!r}: default {default!r} is not one of "
                               "its values")
        if default:
            defaults[group] = default
        groups[group] = spoken
    return OptionGroups(groups, defaults, tuple(optional))


def parse_options(text: str) -> dict[str, tuple[str, ...]]:
    """``"size: small|large; milk: oat milk"`` -> ``{"size": ("small", "large"), ...}``."""
    return parse_option_groups(text).values


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(";") if v.strip())


def _parse_stock(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if text.startswith("-") and _WHOLE_NUMBER.fullmatch(text[1:]):
        raise CatalogError(f"stock cannot be negative: {text!r}")
    if not _WHOLE_NUMBER.fullmatch(text):
        raise CatalogError(f"stock must be a whole number: {text!r}")
    if len(text.lstrip("0")) > len(str(MAX_STOCK)) or int(text) > MAX_STOCK:
        raise CatalogError(f"stock {text} is more than {MAX_STOCK:,}")
    return int(text)


def product_from_row(row: dict[str, str], options: ImportOptions | None = None,
                     ) -> tuple[Product, bool]:
    """The product of one row and whether it had a price; ``CatalogError`` if it is bad."""
    sku, name = row.get("sku", "").strip(), row.get("name", "").strip()
    if not sku:
        raise CatalogError("sku is empty")
    if not name:
        raise CatalogError("name is empty")
    price = row.get("price", "").strip()
    groups = parse_option_groups(row.get("options", ""))
    if not price and not (options and options.allow_missing_price):
        raise CatalogError("price is empty (use --allow-missing-price to import it at $0.00)")
    product = Product(
        sku=sku, name=name,
        category=row.get("category", "").strip().lower(),
        unit=row.get("unit", "").strip(),
        price_cents=parse_price_cents(price) if price else 0,
        aliases=_split_list(row.get("aliases", "")),
        tags=tuple(t.lower() for t in _split_list(row.get("tags", ""))),
        stock=_parse_stock(row.get("stock", "")),
        brand=row.get("brand", "").strip(),
        description=row.get("description", "").strip(),
        options=groups.values, option_defaults=groups.defaults,
        optional_options=groups.optional,
    )
    return product, bool(price)


def _header(fields: list[str], source: str, options: ImportOptions) -> list[str]:
    header = [h.strip().lower() for h in fields]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogError(f"{source}: header must have columns {', '.join(REQUIRED)}; "
                           f"missing {', '.join(missing)}")
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise CatalogError(f"{source}: line 1: column {', '.join(twice)} appears more than "
                           "once in the header")
    if "price" not in header and not options.allow_missing_price:
        raise CatalogError(f"{source}: the header has no price column, so every product would "
                           "cost $0.00; add one, or pass --allow-missing-price")
    return header


def iter_catalog_rows(path: Path, options: ImportOptions | None = None,
                      ) -> Iterator[CatalogRow | CatalogError]:
    """Stream the file: a ``CatalogRow`` per good row, a ``CatalogError`` (its message starts
    with the line) per bad one. A bad header or file raises instead: nothing can be read."""
    options = options or ImportOptions()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from _rows(csv.reader(handle, strict=True), str(path), options)
    except FileNotFoundError as exc:
        raise CatalogError(f"no such catalog file: {path}") from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc


def _rows(reader: Any, source: str, options: ImportOptions,
          ) -> Iterator[CatalogRow | CatalogError]:
    line = 1
    try:
        header = _header(next(reader, []), source, options)
        for fields in reader:
            start, line = line + 1, reader.line_num
            if all(not f.strip() for f in fields):
                continue
            if len(fields) > len(header):
                yield CatalogError(f"line {start}: more fields than the header has")
                continue
            row = dict(zip(header, fields, strict=False))
            try:
                product, has_price = product_from_row(row, options)
            except CatalogError as exc:
                yield CatalogError(f"line {start}: {exc.message}")
                continue
            yield CatalogRow(start, product, has_price)
    except csv.Error as exc:  # an unterminated quote or a stray one: the rest cannot be read
        yield CatalogError(f"line {line + 1}: {exc} (an unbalanced quote?)")


def fail_if_errors(errors: list[str], error_count: int, source: str) -> None:
    """One ``CatalogError`` naming the first bad lines, when there were any."""
    if not error_count:
        return
    more = error_count - len(errors)
    shown = "; ".join(errors) + (f"; and {more} more" if more > 0 else "")
    raise CatalogError(f"{source}: {error_count} bad row(s), nothing imported: {shown}")


def read_catalog_csv(path: Path, options: ImportOptions | None = None) -> list[Product]:
    """Every product of a (small) file, validated; one ``CatalogError`` naming the bad lines."""
    products: list[Product] = []
    errors: list[str] = []
    count = 0
    seen: dict[str, int] = {}
    for row in iter_catalog_rows(path, options):
        if isinstance(row, CatalogRow) and row.product.sku in seen:
            row = CatalogError(f"line {row.line}: sku {row.product.sku} repeats line "
                               f"{seen[row.product.sku]}")
        if isinstance(row, CatalogError):
            count += 1
            errors += [row.message][:MAX_REPORTED_ERRORS - len(errors)]
            continue
        seen[row.product.sku] = row.line
        products.append(row.product)
    fail_if_errors(errors, count, str(path))
    if not products:
        raise CatalogError(f"{path}: no products in the file")
    return products
