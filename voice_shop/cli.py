"""The ``voice-shop`` command line (the public interface in DESIGN.md).

Every command turns a ``VoiceShopError`` (or a bad argument) into one line on stderr and a
non-zero exit; ``--json`` prints one JSON object per line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import VoiceShopError
from .money import format_cents

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="An offline voice shopping assistant.")
catalog_app = typer.Typer(no_args_is_help=True, help="Products: import and search.")
cart_app = typer.Typer(no_args_is_help=True, help="The household cart.")
orders_app = typer.Typer(no_args_is_help=True, help="Order history.")
profiles_app = typer.Typer(no_args_is_help=True, help="Household profiles, PINs and limits.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(cart_app, name="cart")
app.add_typer(orders_app, name="orders")
app.add_typer(profiles_app, name="profiles")

DbOption = Annotated[Path, typer.Option("--db", envvar="VOICE_SHOP_DB",
                                        help="SQLite database file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
DEFAULT_DB = Path("catalog.db")


def emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    """Print either the JSON line or the human text."""
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        typer.echo(text)


def stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


def _open_shop(db: Path):  # type: ignore[no-untyped-def]
    from .shop.engine import Shop
    return Shop.open(db)


def _parser_for(shop):  # type: ignore[no-untyped-def]
    from .intent.parser import IntentParser
    return IntentParser(shop.products())


# ---- init and catalog ---------------------------------------------------------------------
@app.command()
def init(db: DbOption = DEFAULT_DB,
         demo: Annotated[bool, typer.Option("--demo", help="Load the demo catalog.")] = False,
         as_json: JsonOption = False) -> None:
    """Create the database; --demo loads the demo catalog and promotions."""
    from .shop.demo import load_demo
    from .shop.engine import Shop
    shop = Shop.open(db, create=True)
    report = load_demo(shop) if demo else None
    products = len(shop.products())
    emit({"db": str(db), "schema_version": shop.schema_version, "products": products,
          "imported": report.to_dict() if report else None}, as_json,
         f"{db}: schema v{shop.schema_version}, {products} products")


@catalog_app.command("import")
def catalog_import(file: Annotated[Path, typer.Argument(help="Catalog CSV.")],
                   db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Load or refresh products from CSV; re-import updates by sku."""
    from .shop.engine import Shop
    shop = Shop.open(db, create=True)
    report = shop.import_catalog(file)
    emit(report.to_dict(), as_json,
         f"imported {report.added} new and {report.updated} updated products "
         f"({report.total} in the catalog) in {report.seconds:.2f} s")


@catalog_app.command("search")
def catalog_search(query: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False,
                   limit: int = 10) -> None:
    """Fuzzy product search."""
    from .intent.matcher import CatalogIndex
    shop = _open_shop(db)
    index = CatalogIndex(shop.products())
    for score, product in index.search(query, limit):
        data = {**product.to_dict(), "score": round(score, 3)}
        price = format_cents(product.price_cents)
        emit(data, as_json, f"{product.sku:8} {product.name:40} {price:>9}  {score:.2f}")


# ---- text understanding and conversation ------------------------------------------------
@app.command()
def parse(text: Annotated[str | None, typer.Argument(help="Utterance; stdin lines if omitted.")]
          = None, db: DbOption = DEFAULT_DB) -> None:
    """Text to intent JSON, one line per utterance."""
    parser = _parser_for(_open_shop(db))
    for line in ([text] if text is not None else stdin_lines()):
        typer.echo(json.dumps(parser.parse(line).to_dict(), ensure_ascii=False))


@app.command()
def chat(db: DbOption = DEFAULT_DB, speaker: Annotated[str | None, typer.Option(
        help="Who is talking (a profile name).")] = None, as_json: JsonOption = False) -> None:
    """Text conversation over the real cart; reads stdin lines when not a terminal."""
    from .dialog import Dialog
    shop = _open_shop(db)
    dialog = Dialog(shop, _parser_for(shop))
    interactive = sys.stdin.isatty()
    lines = _prompted_lines() if interactive else stdin_lines()
    for line in lines:
        try:
            turn = dialog.handle_text(line, speaker)
        except VoiceShopError as exc:  # one bad turn never ends the conversation
            emit({"text": line, "error": exc.message, "code": exc.code}, as_json,
                 f"Sorry, something went wrong: {exc.message}")
            continue
        emit(turn.to_dict(), as_json, turn.reply)


def _prompted_lines() -> Iterator[str]:
    while True:
        try:
            line = input("you> ")
        except EOFError:
            return
        if line.strip() in {"quit", "exit"}:
            return
        if line.strip():
            yield line


# ---- state ----------------------------------------------------------------------------------
@cart_app.command("show")
def cart_show(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """The cart with prices and the total."""
    cart = _open_shop(db).cart()
    if as_json:
        emit(cart.to_dict(), True, "")
        return
    for line in cart.lines:
        options = ", ".join(line.options.values())
        typer.echo(f"{line.quantity:3} x {line.name}{' (' + options + ')' if options else ''}"
                   f"  {format_cents(line.line_total_cents)}"
                   f"{'  [' + line.added_by + ']' if line.added_by else ''}")
    typer.echo(f"total {format_cents(cart.total_cents)}")


@orders_app.command("list")
def orders_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False, limit: int = 20) -> None:
    """Orders, newest first."""
    for order in _open_shop(db).orders(limit):
        emit(order.to_dict(), as_json,
             f"#{order.id} {order.status} {format_cents(order.total_cents)} "
             f"{len(order.lines)} lines{' by ' + order.placed_by if order.placed_by else ''}")


@orders_app.command("approve")
def orders_approve(order_id: int, by: Annotated[str, typer.Option(help="Approving adult.")],
                   db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Approve a child's order that waits for an adult."""
    from .shop.models import OrderStatus, Role
    shop = _open_shop(db)
    if shop.profile(by).role is not Role.ADULT:
        raise VoiceShopError(f"{by} is not an adult profile", code="not_adult")
    if shop.order(order_id).status is not OrderStatus.PENDING_APPROVAL:
        raise VoiceShopError(f"order {order_id} is not waiting for approval", code="not_pending")
    order = shop.set_order_status(order_id, OrderStatus.PLACED, by)
    emit(order.to_dict(), as_json, f"order #{order.id} approved by {by}")


@app.command("recommend")
def recommend_cmd(db: DbOption = DEFAULT_DB, speaker: str | None = None,
                  as_json: JsonOption = False, limit: int = 3) -> None:
    """Suggestions from history, baskets bought together and deals, with reasons."""
    from .shop.recommend import recommend
    for rec in recommend(_open_shop(db), speaker, limit):
        emit(rec.to_dict(), as_json, f"{rec.product.name}: {rec.reason}")


# ---- profiles ---------------------------------------------------------------------------
@profiles_app.command("add")
def profiles_add(name: str, role: str = "adult", db: DbOption = DEFAULT_DB,
                 as_json: JsonOption = False) -> None:
    """Add (or change the role of) a household member without a voice."""
    from .shop.models import Role
    profile = _open_shop(db).add_profile(name, Role(role))
    emit(profile.to_dict(), as_json, f"{profile.name} ({profile.role})")


@profiles_app.command("list")
def profiles_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    for profile in _open_shop(db).profiles():
        emit(profile.to_dict(), as_json, f"{profile.name} ({profile.role})"
             f"{' PIN' if profile.has_pin else ''}")


@profiles_app.command("pin")
def profiles_pin(name: str, db: DbOption = DEFAULT_DB, clear: bool = False) -> None:
    """Set a purchase PIN (asked without echo) or --clear it; only a hash is stored."""
    shop = _open_shop(db)
    pin = None if clear else typer.prompt("PIN (4-8 digits)", hide_input=True,
                                          confirmation_prompt=not clear)
    shop.set_pin(name, pin)
    typer.echo(f"PIN {'cleared' if clear else 'set'} for {name}")


@profiles_app.command("limit")
def profiles_limit(name: str, dollars: Annotated[str | None, typer.Argument()] = None,
                   db: DbOption = DEFAULT_DB) -> None:
    """Set a per-order spending limit in dollars, or none when omitted."""
    from .money import parse_price_cents
    _open_shop(db).set_spending_limit(name, parse_price_cents(dollars) if dollars else None)
    typer.echo(f"limit for {name}: {dollars or 'none'}")


@profiles_app.command("allow-unknown")
def profiles_allow_unknown(allow: bool, db: DbOption = DEFAULT_DB) -> None:
    """Household setting: may a voice nobody enrolled check out? (default: no)"""
    _open_shop(db).set_setting("allow_unknown_checkout", "1" if allow else "0")
    typer.echo(f"unknown voices {'may' if allow else 'may not'} check out")


@app.command()
def bench(sections: Annotated[str, typer.Option(
        help="Comma-separated: parse")] = "parse",
          large: Annotated[int, typer.Option(help="Products in the generated catalog.")] = 50_000,
          ) -> None:
    """The benchmark report: stage latencies, real-time factors, memory, accuracy."""
    from .bench.report import run_report
    for line in run_report([s.strip() for s in sections.split(",") if s.strip()], large):
        typer.echo(line)


def main() -> None:
    try:
        app()
    except VoiceShopError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
