"""The ``voice-shop`` command line (docs/cli.md).

One convention for every command:
- ``--json`` prints one JSON object per line; ``--db`` picks the database wherever one is used;
  ``--models-dir`` defaults to a folder that does not depend on the current one.
- An error is one line on stderr, ``error [CODE]: message``, with a stable code; with
  ``--json`` it is also printed as ``{"event": "error", "code", "message"}``.
- Exit status: 0 done; 1 some inputs failed or nothing matched (``catalog search``);
  2 an error (bad input, bad arguments, missing database or model).
- A list with nothing in it says so on stderr and exits 0; times are ISO 8601.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import HAS_RICH, TyperCommand, TyperGroup
from typer.exceptions import TyperException

from .errors import ModelError, ProfileError, VoiceShopError
from .money import format_cents

if TYPE_CHECKING:
    from .assistant import Assistant
    from .config import AppSettings
    from .pipeline import SpeakerIdentifier
    from .shop.engine import Shop
    from .shop.models import Role
    from .wake import WakeSettings

_DEFAULT_NOTE = re.compile(r"(?<!\\)\[default: ")


def _reflow(text: str | None) -> str | None:
    """A docstring as help: each paragraph one line (the terminal wraps it), so a
    description never breaks where the source line did."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _tidy_params(params: list[Any]) -> None:
    """Options as typer's own help shows them elsewhere: a flag shows no ``<bool>`` type, and
    a "[default: ...]" written in a help text is text, not Rich markup (Rich dropped it)."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        if HAS_RICH and getattr(param, "help", None):
            param.help = _DEFAULT_NOTE.sub(r"\\[default: ", param.help)


class _TidyHelp:
    """Mixed into typer's command and group classes: reflowed docstrings, tidied options."""

    help: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help = _reflow(self.help)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _tidy_params(self.get_params(ctx))  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)  # type: ignore[misc]


class _Command(_TidyHelp, TyperCommand):
    pass


class _Group(_TidyHelp, TyperGroup):
    pass


class _Typer(typer.Typer):
    """A command group whose commands use the tidied help above."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=_Group, no_args_is_help=True, add_completion=False,
                         pretty_exceptions_enable=False, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", _Command)
        return super().command(*args, **kwargs)


app = _Typer(help="An offline voice shopping assistant.")
catalog_app = _Typer(help="Products: import and search.")
cart_app = _Typer(help="The household cart: show, clear.")
orders_app = _Typer(help="Orders: list, show, approve, cancel.")
profiles_app = _Typer(help="Household profiles, PINs and limits.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(cart_app, name="cart")
app.add_typer(orders_app, name="orders")
app.add_typer(profiles_app, name="profiles")
models_app = _Typer(help="Speech models on this device.")
app.add_typer(models_app, name="models")
speakers_app = _Typer(help="Household voices: enroll, identify.")
app.add_typer(speakers_app, name="speakers")
config_app = _Typer(help="The TOML config file.")
app.add_typer(config_app, name="config")
service_app = _Typer(help="Run serve or listen under systemd.")
app.add_typer(service_app, name="service")

DbOption = Annotated[Path, typer.Option("--db", envvar="VOICE_SHOP_DB",
                                        help="SQLite database file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
DEFAULT_DB = Path("catalog.db")
EXIT_PARTIAL = 1
"""Some inputs failed, or nothing matched."""
EXIT_ERROR = 2


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version
        typer.echo(f"voice-shop {version('voice-shop')}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version.")] = False,
          ) -> None:
    """An offline voice shopping assistant."""


def emit(data: dict[str, Any], as_json: bool, text: str) -> None:
    """Print either the JSON line or the human text."""
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        typer.echo(text)


def error_line(code: str, message: str, as_json: bool, **extra: Any) -> None:
    """An error as the convention says: one line on stderr, and a JSON event with --json."""
    if as_json:
        typer.echo(json.dumps({"event": "error", "code": code, "message": message, **extra},
                              ensure_ascii=False))
    typer.echo(f"error [{code}]: {message}", err=True)


def nothing_found(what: str) -> None:
    """A list command with nothing to list says so (stderr keeps stdout pure data)."""
    typer.echo(what, err=True)


def stdin_lines(keep_empty: bool = False) -> Iterator[str]:
    """The lines of stdin; blank ones too with ``keep_empty`` (``parse`` answers each line)."""
    for line in sys.stdin:
        if keep_empty or line.strip():
            yield line.rstrip("\n")


def _open_shop(db: Path) -> Shop:
    from .shop.engine import Shop
    return Shop.open(db)


def _known_speaker(shop: Shop, name: str | None) -> str | None:
    """``name`` if it is a household profile; a clear error naming the profiles if not."""
    if name is None or shop.find_profile(name) is not None:
        return name
    known = ", ".join(p.name for p in shop.profiles()) or "none yet"
    raise ProfileError(f"no profile named {name!r} (profiles: {known}; add one with "
                       f"'voice-shop profiles add NAME')", code="no_such_profile")


def _role(value: str) -> Role:
    from .shop.models import Role
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ProfileError(f"unknown role {value!r}; choose one of: "
                           f"{', '.join(r.value for r in Role)}", code="bad_role") from None


def _data_home() -> Path:
    """The user data folder (XDG); the CLI is the one layer that reads the environment."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _models_dir(explicit: Path | None) -> Path:
    from .config import resolve_models_dir
    return resolve_models_dir(explicit, _data_home())


ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="TOML config file. [default: $VOICE_SHOP_CONFIG, else "
    "~/.config/voice-shop/config.toml when it exists]")]
ConfigDbOption = Annotated[Path | None, typer.Option(
    "--db", envvar="VOICE_SHOP_DB", help="SQLite database file. [default: the config file's, "
    "else ./catalog.db]")]
LogLevelOption = Annotated[str, typer.Option(
    "--log-level", help="debug | info | warning | error")]


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def _config_file(config: Path | None) -> Path | None:
    from .settings_file import find_config
    return find_config(config, os.environ, _config_home())


def _file_settings(config: Path | None, db: Path | None = None,
                   models_dir: Path | None = None) -> AppSettings:
    """Defaults, then the config file, then ``--db``/``--models-dir`` (flags win)."""
    from dataclasses import replace

    from .config import AppSettings
    from .settings_file import load_settings
    settings = AppSettings(models_dir=_models_dir(None))
    path = _config_file(config)
    if path is not None:
        settings = load_settings(path, settings)
    settings = replace(settings, db_path=db or settings.db_path,
                       models_dir=models_dir or settings.models_dir)
    # the voice is looked for in the one models folder, whichever source named it
    return replace(settings, tts=replace(settings.tts, models_dir=settings.models_dir))


def _setup_logging(level: str) -> None:
    from .logs import setup_logging
    setup_logging(level, is_journal=bool(os.environ.get("JOURNAL_STREAM")))


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
                   db: DbOption = DEFAULT_DB, as_json: JsonOption = False,
                   allow_missing_price: Annotated[bool, typer.Option(
                       "--allow-missing-price",
                       help="Import rows without a price ($0.00 when new, else unchanged).")]
                   = False) -> None:
    """Load or refresh products from a CSV file (docs/catalog-csv.md).

    Re-import updates by sku. Every row is checked first; all of it is written in one
    transaction, or nothing."""
    from .shop.catalog_csv import ImportOptions
    from .shop.engine import import_catalog_file
    report = import_catalog_file(db, file, ImportOptions(allow_missing_price))
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
    found = index.search(query, limit)
    for score, product in found:
        data = {**product.to_dict(), "score": round(score, 3)}
        price = format_cents(product.price_cents)
        emit(data, as_json, f"{product.sku:8} {product.name:40} {price:>9}  {score:.2f}")
    if not found:
        error_line("no_match", f"no product matches {query!r}", as_json)
        raise typer.Exit(EXIT_PARTIAL)


# ---- text understanding and conversation ------------------------------------------------
@app.command()
def parse(text: Annotated[str | None, typer.Argument(help="Utterance; stdin lines if omitted.")]
          = None, db: ConfigDbOption = None, config: ConfigOption = None,
          as_json: JsonOption = False) -> None:
    """Text to intent JSON, one line per utterance.

    The output is JSON with or without --json (docs/cli.md, "Intent JSON")."""
    from .assistant import Assistant
    parser = Assistant(_file_settings(config, db)).parser
    failed = 0
    for line in ([text] if text is not None else stdin_lines(keep_empty=True)):
        try:
            typer.echo(json.dumps(parser.parse(line).to_dict(), ensure_ascii=False))
        except Exception as exc:  # a bug on one line must not lose every later line
            failed += 1
            error_line("internal_error", f"cannot parse {line[:80]!r}: {exc!r}", True,
                       text=line)
    if failed:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def chat(db: ConfigDbOption = None, speaker: Annotated[str | None, typer.Option(
        help="Who is talking (a profile name).")] = None, config: ConfigOption = None,
        as_json: JsonOption = False) -> None:
    """A typed conversation with the assistant, over the real cart.

    Reads stdin lines when stdin is not a terminal. The household's settings (config file)
    apply as they do to listen and serve."""
    from .assistant import Assistant
    assistant = Assistant(_file_settings(config, db))
    speaker = _known_speaker(assistant.shop, speaker)
    dialog = assistant.dialog
    interactive = sys.stdin.isatty()
    lines = _prompted_lines() if interactive else stdin_lines()
    for line in lines:
        _chat_turn(dialog, line, speaker, as_json)


def _chat_turn(dialog: Any, line: str, speaker: str | None, as_json: bool) -> None:
    """One line of a conversation; whatever goes wrong, the shopper gets an answer and the
    conversation goes on. A PIN never reaches the output."""
    from .intent.secret import mask_text
    shown = mask_text(line) if dialog.is_secret_input(line) else line
    try:
        turn = dialog.handle_text(line, speaker)
    except VoiceShopError as exc:  # one bad turn never ends the conversation
        error_line(exc.code, exc.message, as_json, text=shown)
        if not as_json:
            typer.echo(f"Sorry, something went wrong: {exc.message}")
        return
    except Exception as exc:  # a bug: said, logged to stderr, and the session goes on
        error_line("internal_error", f"{exc!r}", as_json, text=shown)
        if not as_json:
            typer.echo("Sorry, something went wrong. Please try again.")
        return
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
    if cart.is_empty:
        nothing_found("the cart is empty")
    from .replies import written_line
    for line in cart.lines:
        typer.echo(f"  {written_line(line.quantity, line.name, line.options)}"
                   f"  {format_cents(line.line_total_cents)}"
                   f"{'  [' + line.added_by + ']' if line.added_by else ''}")
    typer.echo(f"total {format_cents(cart.total_cents)}")


@cart_app.command("clear")
def cart_clear(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Empty the cart; the shopping and wish lists and the orders stay."""
    shop = _open_shop(db)
    removed = len(shop.cart().lines)
    shop.clear_cart()
    emit({**shop.cart().to_dict(), "lines_removed": removed}, as_json,
         f"cart cleared ({removed} line{'s' if removed != 1 else ''} removed)" if removed
         else "the cart was already empty")


@orders_app.command("list")
def orders_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False, limit: int = 20) -> None:
    """Orders, newest first, with the time they were placed (ISO 8601)."""
    orders = _open_shop(db).orders(limit)
    for order in orders:
        data = order.to_dict()
        emit(data, as_json,
             f"#{order.id} {data['created_at']} {order.status} "
             f"{format_cents(order.total_cents)} {len(order.lines)} lines"
             f"{' by ' + order.placed_by if order.placed_by else ''}")
    if not orders:
        nothing_found("no orders yet")


@orders_app.command("show")
def orders_show(order_id: Annotated[int, typer.Argument(metavar="ID", help="Order number.")],
                db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """One order: its lines with their options, total, status and whether the shop has it."""
    from .replies import written_line
    shop = _open_shop(db)
    order = shop.order(order_id)
    delivery = shop.delivery_state(order_id)
    if as_json:
        emit({**order.to_dict(), "delivery": str(delivery) if delivery else None}, True, "")
        return
    data = order.to_dict()
    by = f" by {order.placed_by}" if order.placed_by else ""
    approved = f", approved by {order.approved_by}" if order.approved_by else ""
    typer.echo(f"order #{order.id}  {data['created_at']}  {order.status}{by}{approved}")
    for line in order.lines:
        typer.echo(f"  {written_line(line.quantity, line.name, line.options)}  "
                   f"{format_cents(line.quantity * line.unit_price_cents)}")
    typer.echo(f"total {format_cents(order.total_cents)}")
    if delivery is not None:
        typer.echo(f"sent to the shop: {_DELIVERY_TEXT[delivery]}")


_DELIVERY_TEXT = {"queued": "not yet (the outbox keeps trying)", "sent": "yes",
                  "failed": "refused by the shop"}
_CANCELLABLE = ("placed", "pending_approval")
"""The orders a household may still cancel, as by voice ("cancel my order")."""


@orders_app.command("cancel")
def orders_cancel(order_id: Annotated[int, typer.Argument(metavar="ID", help="Order number.")],
                  db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Cancel an order that is placed or waiting for approval.

    An order cancelled before it reached the shop is never sent; one the shop already has is
    cancelled here, and the shop must be told."""
    from .errors import OrderError
    from .shop.models import OrderStatus
    shop = _open_shop(db)
    order = shop.order(order_id)
    if order.status not in _CANCELLABLE:
        raise OrderError(f"order {order_id} is {order.status}; only a placed order or one "
                         "waiting for approval can be cancelled", code="not_cancellable")
    order = shop.set_order_status(order_id, OrderStatus.CANCELLED)
    delivery = shop.delivery_state(order_id)
    emit({**order.to_dict(), "delivery": str(delivery) if delivery else None}, as_json,
         f"order #{order.id} cancelled"
         + ("; the shop already has it: tell the shop too" if delivery == "sent" else ""))


@orders_app.command("approve")
def orders_approve(order_id: int, by: Annotated[str, typer.Option(help="Approving adult.")],
                   db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Approve a child's order that waits for an adult."""
    shop = _open_shop(db)
    # The operator at the device's shell could change the database anyway: no PIN here.
    order = shop.approve_order(order_id, _known_speaker(shop, by) or by, needs_pin=False)
    emit(order.to_dict(), as_json, f"order #{order.id} approved by {by}")


@app.command("recommend")
def recommend_cmd(db: DbOption = DEFAULT_DB, speaker: str | None = None,
                  as_json: JsonOption = False, limit: int = 3) -> None:
    """Suggestions from history, baskets bought together and deals, with reasons."""
    from .shop.recommend import recommend
    shop = _open_shop(db)
    suggestions = recommend(shop, _known_speaker(shop, speaker), limit)
    for rec in suggestions:
        emit(rec.to_dict(), as_json, f"{rec.product.name}: {rec.reason}")
    if not suggestions:
        nothing_found("no suggestions yet: nothing has been ordered")


# ---- profiles ---------------------------------------------------------------------------
@profiles_app.command("add")
def profiles_add(name: str, role: str = "adult", db: DbOption = DEFAULT_DB,
                 as_json: JsonOption = False) -> None:
    """Add (or change the role of) a household member without a voice."""
    profile = _open_shop(db).add_profile(name, _role(role))
    emit(profile.to_dict(), as_json, f"{profile.name} ({profile.role})")


@profiles_app.command("list")
def profiles_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Household members, their roles and whether they have a PIN."""
    profiles = _open_shop(db).profiles()
    for profile in profiles:
        emit(profile.to_dict(), as_json, f"{profile.name} ({profile.role})"
             f"{' PIN' if profile.has_pin else ''}")
    if not profiles:
        nothing_found("no profiles yet")


@profiles_app.command("pin")
def profiles_pin(name: str, db: DbOption = DEFAULT_DB,
                 clear: Annotated[bool, typer.Option("--clear", help="Remove the PIN.")]
                 = False, as_json: JsonOption = False) -> None:
    """Set a purchase PIN (asked without echo) or --clear it; only a hash is stored."""
    shop = _open_shop(db)
    _known_speaker(shop, name)
    pin = None if clear else typer.prompt("PIN (4-8 digits)", hide_input=True,
                                          confirmation_prompt=not clear, err=True)
    shop.set_pin(name, pin)
    emit({"name": name, "has_pin": not clear}, as_json,
         f"PIN {'cleared' if clear else 'set'} for {name}")


@profiles_app.command("limit")
def profiles_limit(name: str, dollars: Annotated[str | None, typer.Argument()] = None,
                   db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Set a per-order spending limit in dollars, or none when omitted."""
    from .money import parse_price_cents
    shop = _open_shop(db)
    _known_speaker(shop, name)
    cents = parse_price_cents(dollars) if dollars else None
    shop.set_spending_limit(name, cents)
    emit({"name": name, "spending_limit_cents": cents}, as_json,
         f"limit for {name}: {format_cents(cents) if cents is not None else 'none'}")


@profiles_app.command("allow-unknown")
def profiles_allow_unknown(allow: Annotated[bool, typer.Argument(help="true or false.")],
                           db: DbOption = DEFAULT_DB,
                           as_json: JsonOption = False) -> None:
    """Household setting: may a voice nobody enrolled check out? The default is no."""
    _open_shop(db).set_setting("allow_unknown_checkout", "1" if allow else "0")
    emit({"allow_unknown_checkout": allow}, as_json,
         f"unknown voices {'may' if allow else 'may not'} check out")


# ---- speech -----------------------------------------------------------------------------------
EngineOption = Annotated[str, typer.Option(
    "--engine", help="auto | moonshine | pocketsphinx | vosk")]
ModelOption = Annotated[Path | None, typer.Option("--model", help="A Vosk model folder.")]
ModelsDirOption = Annotated[Path | None, typer.Option(
    "--models-dir", envvar="VOICE_SHOP_MODELS_DIR",
    help="Installed models. [default: ~/.local/share/voice-shop/models if it exists, else "
         "the source checkout's models/]")]
VoiceOption = Annotated[str, typer.Option("--voice", help="Piper voice name.")]
WakeOption = Annotated[str, typer.Option(
    "--wake-phrase", help="A custom wake phrase the files begin with, cut off before the "
    "command is read. [default: none: the files hold the command, as the recogniser hears it "
    "after the wake word]", show_default=False)]
FilesArgument = Annotated[list[Path], typer.Argument(help="Audio files (WAV, FLAC, ...).")]


def _settings(db: Path, engine: str = "auto", model: Path | None = None,
              models_dir: Path | None = None, voice: str | None = None,
              wake_phrase: str = "", general: bool = False,
              wake: WakeSettings | None = None) -> AppSettings:
    from .config import AppSettings, SpeechSettings
    from .tts import DEFAULT_VOICE, PiperSettings
    from .wake import WakeSettings
    models_dir = _models_dir(models_dir)
    return AppSettings(
        db_path=db, models_dir=models_dir,
        speech=SpeechSettings(engine=engine, vosk_model=model, use_domain=not general),
        wake=wake or WakeSettings(word="", phrase=wake_phrase),
        tts=PiperSettings(voice=voice or DEFAULT_VOICE, models_dir=models_dir))


def _found_files(files: list[Path], as_json: bool, failed: list[Path]) -> list[Path]:
    """The files that can be read as audio; the others are reported now, before any model
    loads (a missing file is said at once, not after the recogniser is built)."""
    from .audio import check_audio_file
    from .errors import AudioInputError
    found = []
    for path in files:
        try:
            check_audio_file(path)
        except AudioInputError as exc:
            failed.append(path)
            _file_error(path, exc, as_json)
        else:
            found.append(path)
    return found


def _is_audio_file(path: Path) -> bool:
    from .audio import check_audio_file
    from .errors import AudioInputError
    try:
        check_audio_file(path)
    except AudioInputError:
        return False
    return True


def _audio_files(files: list[Path], as_json: bool, failed: list[Path]) -> Iterator[Any]:
    """(path, samples) per readable file; unreadable ones are reported and put in ``failed``."""
    from .audio import read_audio
    from .errors import AudioInputError
    for path in files:
        try:
            yield path, read_audio(path)
        except AudioInputError as exc:
            failed.append(path)
            _file_error(path, exc, as_json)


def _transcripts(stt: Any, files: list[Path], as_json: bool, failed: list[Path],
                 is_heard: Callable[[Any], bool] = lambda transcript: False,
                 ) -> Iterator[Any]:
    """(path, transcript) per file with speech; silent, noisy or unreadable files are
    reported and put in ``failed``. ``is_heard``: a transcript with no words that still
    counts (a command the shop found where the free decoding heard nothing, as in babble)."""
    from .vad import speech_span
    for path, samples in _audio_files(files, as_json, failed):
        transcript = stt.transcribe(speech_span(samples))
        if transcript.text or (transcript.second_opinion and _has_voice(samples)) \
                or is_heard(transcript):
            yield path, transcript  # heard, if perhaps not understood
        else:
            failed.append(path)
            _file_error(path, _no_speech(path), as_json)


def _has_voice(samples: Any) -> bool:
    """Any voiced (pitched, loud enough) audio at all: an open decode of silence or noise can
    still produce a stray word, which is no speech."""
    from .speaker.quality import measure
    return measure(samples).voiced_s > 0


def _file_error(path: Path, exc: VoiceShopError, as_json: bool) -> None:
    error_line(exc.code, exc.message, as_json, file=str(path))


def _no_speech(path: Path) -> VoiceShopError:
    from .errors import AudioInputError
    return AudioInputError(f"{path}: no speech heard (silence or noise)", code="no_speech")


@app.command()
def transcribe(files: FilesArgument, db: DbOption = DEFAULT_DB, engine: EngineOption = "auto",
               model: ModelOption = None, models_dir: ModelsDirOption = None,
               general: Annotated[bool, typer.Option(
                   "--general", help="General English instead of the shop's language.")] = False,
               as_json: JsonOption = False) -> None:
    """Speech to text, per audio file.

    The models load once for all files, after the files were found."""
    failed: list[Path] = []
    files = _found_files(files, as_json, failed)
    if not files:
        raise typer.Exit(1)
    from .assistant import Assistant
    assistant = Assistant(_settings(db, engine, model, models_dir, general=general))
    stt = assistant.stt
    for path, transcript in _transcripts(stt, files, as_json, failed):
        emit({"file": str(path), "text": transcript.text, "engine": stt.name,
              "confidence": round(transcript.confidence, 3),
              "in_domain": transcript.is_in_domain}, as_json, f"{path}: {transcript.text}")
    if failed:
        raise typer.Exit(1)


@app.command("understand")
def understand_cmd(files: FilesArgument, db: DbOption = DEFAULT_DB,
                   engine: EngineOption = "auto", model: ModelOption = None,
                   models_dir: ModelsDirOption = None,
                   wake_phrase: WakeOption = "", as_json: JsonOption = False) -> None:
    """Speech to intent, per audio file; changes nothing in the cart.

    With --wake-phrase, a transcript that begins with that phrase has it cut off first."""
    failed: list[Path] = []
    files = _found_files(files, as_json, failed)
    if not files:
        raise typer.Exit(1)
    from .assistant import Assistant
    from .understand import understand
    assistant = Assistant(_settings(db, engine, model, models_dir, wake_phrase=wake_phrase))
    stt, parser = assistant.stt, assistant.parser
    phrase = tuple(assistant.settings.wake.phrase.split())
    for path, transcript in _transcripts(
            stt, files, as_json, failed,
            lambda transcript: understand(transcript, parser).is_understood):
        if phrase and transcript.text.split()[:len(phrase)] == list(phrase):
            transcript = transcript.without_wake(phrase)
        result = understand(transcript, parser)
        emit({"file": str(path), "text": result.text, "understood": result.is_understood,
              "intent": result.intent.to_dict()}, as_json,
             f"{path}: {result.text!r} -> {result.intent.intent}")
    if failed:
        raise typer.Exit(1)


@app.command()
def say(text: str, out: Annotated[Path | None, typer.Option("-o", "--out",
        help="Write a WAV instead of playing.")] = None,
        voice: VoiceOption = "en_US-joe-medium",
        models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """Text to speech with Piper."""
    from .errors import AudioOutputError
    if out is not None and not out.absolute().parent.is_dir():  # before the voice loads
        raise AudioOutputError(f"{out.absolute().parent}: no such folder for {out.name}",
                               code="no_such_folder")
    from .audio import SpeakerSink, write_wav
    from .tts import PiperSettings, PiperTTS
    tts = PiperTTS(PiperSettings(voice=voice, models_dir=_models_dir(models_dir)))
    if out is None:
        try:
            speaker = SpeakerSink()
            seconds = speaker.play(tts.synthesize(text), "say")
            speaker.wait()  # play returns once synthesised; the process must outlive the sound
        except AudioOutputError as exc:  # the sink's hint names listen's --reply-dir
            raise AudioOutputError(f"{exc.message.split(';')[0]}; write a WAV file instead "
                                   "with -o OUT.wav", code=exc.code) from exc
        if as_json:
            emit({"event": "say", "text": text, "played": True,
                  "duration_s": round(seconds, 3)}, True, "")
        return
    write_wav(out, tts.synthesize_all(text))
    emit({"event": "say", "text": text, "out": str(out)}, as_json, str(out))


@app.command()
def listen(db: ConfigDbOption = None,
           wav: Annotated[list[Path] | None, typer.Option(
               "--wav", metavar="FILE",
               help="Audio files instead of the microphone (repeatable).")] = None,
           wake_word: Annotated[str | None, typer.Option(
               "--wake-word", help="A shipped wake-word model (okay_nabu, hey_jarvis, "
               "hey_mycroft, alexa; openWakeWord also hey_rhasspy) or a model file. "
               "[default: the config file's, else okay_nabu]")] = None,
           wake_engine: Annotated[str | None, typer.Option(
               "--wake-engine", help="micro (microWakeWord) | open (openWakeWord). "
               "[default: the config file's, else micro]")] = None,
           wake_cutoff: Annotated[float | None, typer.Option(
               "--wake-cutoff", help="Wake-word probability cutoff. [default: the model's]")]
           = None,
           wake_phrase: Annotated[str | None, typer.Option(
               "--wake-phrase", help="A custom wake phrase instead of a wake-word model, "
               "heard on the audio by Moonshine (by other engines, in the transcript).")]
           = None,
           no_wake: Annotated[bool, typer.Option("--no-wake",
                              help="Every utterance is a command.")] = False,
           live_timing: Annotated[bool, typer.Option(
               "--live-timing", help="Files as a microphone: stream time runs on while the "
               "device replies (what a file holds then is heard during the reply: barge-in "
               "and echo tests).")] = False,
           reply_dir: Annotated[Path | None, typer.Option(
               help="Write spoken replies as WAV files here instead of playing them.")] = None,
           realtime: Annotated[bool, typer.Option(
               "--realtime", help="Pace files in real time.")] = False,
           engine: Annotated[str | None, typer.Option(
               "--engine", help="auto | moonshine | pocketsphinx | vosk. [default: the "
               "config file's, else auto]")] = None, model: ModelOption = None,
           models_dir: ModelsDirOption = None,
           voice: Annotated[str | None, typer.Option(
               "--voice", help="Piper voice name. [default: the config file's, else "
               "en_US-joe-medium]")] = None,
           config: ConfigOption = None, log_level: LogLevelOption = "warning",
           as_json: JsonOption = False) -> None:
    """The whole loop: wake word, speech, dialog, spoken reply.

    From the microphone, or from audio files through the same path. Exits 1 when any input
    file could not be read (each one is an error event; the others are still processed)."""
    if wav and not any(_is_audio_file(path) for path in wav):  # nothing to hear: say so now
        _found_files(wav, as_json, [])
        raise typer.Exit(1)
    from .audio import MicrophoneSource, SpeakerSink, WavDirectorySink, WavSource
    from .pipeline import Pipeline
    from .wake import WakeGate, load_detector
    _setup_logging(log_level)
    settings = _listen_settings(_file_settings(config, db, models_dir), engine, model, voice,
                                (wake_word, wake_engine, wake_cutoff, wake_phrase, no_wake))
    wake = settings.wake
    audio = settings.audio
    source = (WavSource(wav, realtime=realtime) if wav
              else MicrophoneSource(_device(audio.input_device)))
    if not wav:
        from .audio import input_devices
        if not input_devices():
            raise VoiceShopError("no microphone found on this machine; feed audio files with "
                                 "--wav FILE (and --reply-dir DIR for the replies)",
                                 code="no_input_device")
    sink = (WavDirectorySink(reply_dir) if reply_dir
            else SpeakerSink(_device(audio.output_device)))
    from .assistant import Assistant
    assistant = Assistant(settings)
    def pick_up_catalog_changes(running: Pipeline) -> None:
        if assistant.refresh_if_catalog_changed():
            running.stt, running.parser, running.dialog = (assistant.stt, assistant.parser,
                                                           assistant.dialog)

    detector = load_detector(wake) if wake.uses_engine else None
    pipeline = Pipeline(assistant.stt, assistant.parser, assistant.dialog, assistant.tts, sink,
                        WakeGate(settings.wake), settings.endpointer,
                        is_live=live_timing or not wav, identify=_identifier(assistant),
                        between_utterances=pick_up_catalog_changes, wake=detector,
                        own_voice=load_detector(wake) if detector else None,
                        is_complete=assistant.is_complete)
    _warm_up(assistant, pipeline.identify is not None)
    failed = 0
    for event in pipeline.run(source):
        data = event.to_dict()
        failed += data["event"] == "error"
        emit(data, as_json, _describe_event(data))
    sink.wait()  # the last reply sounds to its end (play returns before it has)
    if failed:
        raise typer.Exit(1)


def _listen_settings(settings: AppSettings, engine: str | None, model: Path | None,
                     voice: str | None, wake_flags: tuple[str | None, str | None,
                                                          float | None, str | None, bool],
                     ) -> AppSettings:
    """The config file's settings with ``listen``'s flags on top."""
    from dataclasses import replace

    from .wake import WakeEngineName
    word, engine_name, cutoff, phrase, no_wake = wake_flags
    if engine_name is not None and engine_name not in tuple(WakeEngineName):
        raise ValueError(f"unknown wake engine {engine_name!r}: micro or open")
    wake = settings.wake
    wake = replace(wake, word=word or wake.word,
                   engine=WakeEngineName(engine_name) if engine_name else wake.engine,
                   probability_cutoff=wake.probability_cutoff if cutoff is None else cutoff)
    if phrase:
        wake = replace(wake, word="", phrase=phrase)
    if no_wake:
        wake = replace(wake, word="", phrase="")
    speech = replace(settings.speech, engine=engine or settings.speech.engine,
                     vosk_model=model or settings.speech.vosk_model)
    tts = replace(settings.tts, voice=voice or settings.tts.voice)
    return _long_running(replace(settings, wake=wake, speech=speech, tts=tts))


def _long_running(settings: AppSettings) -> AppSettings:
    """A process that answers for a long time decodes on a second core when there is one
    (the helper process costs ~1 s to start: not worth it for one ``understand``)."""
    from dataclasses import replace
    return replace(settings, speech=replace(settings.speech,
                                            helper_process=(os.cpu_count() or 1) > 1))


def _device(name: str | None) -> int | str | None:
    """A sound device from the config file: an index when it is a number, else a name."""
    return int(name) if name is not None and name.isdigit() else name


def _warm_up(assistant: Assistant, identifies: bool) -> None:
    """First runs of the ONNX voice and the speaker encoder are slow: spend them before the
    shopper speaks, not on the first reply."""
    import numpy as np

    from .pipeline import FIXED_REPLIES
    said = [assistant.tts.synthesize_all(text)  # also kept as audio by the voice: said
            for text in FIXED_REPLIES]          # often, made once
    # First decode: the recogniser's caches and buffers. Clear speech, decoded as most
    # commands are: noise would add the search for steady noise (~270 MB with the demo
    # catalog) to a device that may never hear any.
    assistant.stt.transcribe(said[0])
    noise = np.random.default_rng(0).normal(0, 300, 24_000).astype(np.int16)
    if identifies:
        assistant.speakers.encoder.embed(noise)


def _identifier(assistant: Assistant) -> SpeakerIdentifier | None:
    """Attribute every utterance when the encoder weights are installed."""
    from .speaker.weights import weights_path
    weights = weights_path(assistant.settings.models_dir)
    if not weights.exists():  # said once, never silently: every voice would be "unknown"
        typer.echo(f"warning: no speaker-encoder weights at {weights}; speaker identification "
                   "is off (run scripts/setup.sh, or pass --models-dir)", err=True)
        return None
    identifier = assistant.speakers

    def identify(samples: Any, expected: str | None) -> tuple[str | None, float]:
        found = identifier.identify(samples, expected)
        return found.speaker, found.score
    return identify


def _speaker_identifier(db: Path, models_dir: Path | None, threshold: float | None = None,
                        ) -> Any:
    from .speaker.identify import SpeakerIdentifier, SpeakerSettings
    models_dir = _models_dir(models_dir)
    settings = SpeakerSettings(models_dir=models_dir)
    if threshold is not None:
        settings = SpeakerSettings(models_dir=models_dir, threshold=threshold)
    return SpeakerIdentifier(_open_shop(db), settings)


@speakers_app.command("enroll")
def speakers_enroll(name: str, files: Annotated[list[Path] | None, typer.Argument(
        help="Recordings of the person (three are enough).")] = None,
                    role: str = "adult", mic: Annotated[bool, typer.Option(
                        "--mic", help="Record the enrollment phrases from the microphone.")]
                    = False, db: DbOption = DEFAULT_DB,
                    models_dir: ModelsDirOption = None,
                    as_json: JsonOption = False) -> None:
    """Create or update a voice profile from recordings (or the microphone)."""
    from .audio import read_audio
    if mic:
        utterances = _record_enrollment(name)
        labels = [f"recording {n + 1}" for n in range(len(utterances))]
    elif files:
        utterances = [read_audio(path) for path in files]  # all read before the encoder
        labels = [str(path) for path in files]
    else:
        raise ValueError("give recordings of the speaker, or --mic")
    identifier = _speaker_identifier(db, models_dir)
    profile = identifier.enroll(name, utterances, _role(role), labels)
    emit({**profile.to_dict(), "utterances": len(utterances)}, as_json,
         f"enrolled {profile.name} ({profile.role}) from {len(utterances)} utterances")


ENROLL_PHRASES = ("okay nabu, add two bananas and a pint of oat milk to my cart",
                  "okay nabu, what's in my cart, and how much is the coffee",
                  "okay nabu, check out please, and send my usual order on Friday")
"""Shop words, as the shopper will say them, with enough voiced speech each (~2 s)."""
ENROLL_TRIES = 3


def _record_enrollment(name: str) -> list[Any]:
    import numpy as np

    from .audio import SAMPLE_RATE_HZ, MicrophoneSource, input_devices
    if not input_devices():
        raise VoiceShopError("no microphone found; enroll from recordings instead: "
                             "voice-shop speakers enroll NAME a.wav b.wav c.wav",
                             code="no_input_device")
    from .errors import AudioQualityError
    from .speaker.quality import check_enrollment
    utterances = []
    for phrase in ENROLL_PHRASES:
        for attempt in range(ENROLL_TRIES):
            typer.echo(f"{name}, please say: \"{phrase}\"")
            chunks = []
            for chunk in MicrophoneSource().chunks():
                chunks.append(chunk.samples)
                if sum(len(c) for c in chunks) >= 5 * SAMPLE_RATE_HZ:
                    break
            samples = np.concatenate(chunks)
            try:
                check_enrollment(samples, "that recording")
            except AudioQualityError as exc:
                if attempt == ENROLL_TRIES - 1:
                    raise
                typer.echo(f"{exc.message}; once more, please.")
                continue
            utterances.append(samples)
            break
    return utterances


@speakers_app.command("identify")
def speakers_identify(files: FilesArgument, db: DbOption = DEFAULT_DB,
                      models_dir: ModelsDirOption = None,
                      threshold: Annotated[float | None, typer.Option(
                          help="Override the calibrated S-norm threshold.")] = None,
                      as_json: JsonOption = False) -> None:
    """Who is speaking in each file: {"file","speaker","score"}, speaker null if unknown."""
    from .speaker.quality import require_speech
    failed: list[Path] = []
    files = _found_files(files, True, failed)
    if not files:
        raise typer.Exit(1)
    identifier = _speaker_identifier(db, models_dir, threshold)
    for path, samples in _audio_files(files, True, failed):
        try:
            require_speech(samples, str(path))  # silence or noise gets no score
            found = identifier.identify(samples, label=str(path))
        except VoiceShopError as exc:
            failed.append(path)
            _file_error(path, exc, True)
            continue
        typer.echo(json.dumps({"file": str(path), "speaker": found.speaker,
                               "score": round(found.score, 4)}))
    if failed:
        raise typer.Exit(1)


@speakers_app.command("list")
def speakers_list(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Household profiles and how many voice prints each has."""
    shop = _open_shop(db)
    prints = shop.voiceprints()
    profiles = shop.profiles()
    for profile in profiles:
        count = len(prints.get(profile.name, []))
        emit({**profile.to_dict(), "voiceprints": count}, as_json,
             f"{profile.name} ({profile.role}), {count} voice prints")
    if not profiles:
        nothing_found("no profiles yet")


@speakers_app.command("remove")
def speakers_remove(name: str, db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Remove a profile and its voice prints."""
    _open_shop(db).remove_profile(name)
    emit({"removed": name}, as_json, f"removed {name}")


def _describe_event(data: dict[str, Any]) -> str:
    kind = data["event"]
    if kind == "transcript":
        return f"[{data['t']:7.2f}] heard: {data['text']}"
    if kind == "intent":
        return f"[{data['t']:7.2f}] intent: {data['intent']['intent']}"
    if kind == "reply":
        return f"[{data['t']:7.2f}] reply: {data['text']}"
    if kind == "error":
        return f"[{data['t']:7.2f}] error: {data['message']}"
    if kind == "speaker":
        return f"[{data['t']:7.2f}] speaker: {data['speaker'] or 'unknown'}"
    if kind == "wake":
        return f"[{data['t']:7.2f}] wake: {data.get('word') or data.get('phrase')}"
    if kind == "barge_in":
        return f"[{data['t']:7.2f}] barge-in: reply stopped after {data['reply_played_s']} s"
    return f"[{data['t']:7.2f}] {kind}"


@models_app.command("list")
def models_list(models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """Installed and downloadable speech models."""
    from .stt.models import REGISTRY, installed_models
    from .tts import installed_voices
    models_dir = _models_dir(models_dir)
    emit({"kind": "stt", "name": "moonshine-base-en", "installed": True, "bundled": True},
         as_json, "stt  moonshine-base-en  (the default; bundled with the moonshine-cpp wheel)")
    emit({"kind": "stt", "name": "pocketsphinx-en-us", "installed": True, "bundled": True},
         as_json, "stt  pocketsphinx-en-us  (the light engine; bundled with the pocketsphinx "
                  "wheel)")
    installed = {p.name for p in installed_models(models_dir)}
    for path in installed_models(models_dir):
        emit({"kind": "stt", "name": path.name, "installed": True, "path": str(path)}, as_json,
             f"stt  {path.name}  installed in {path}")
    for spec in REGISTRY.values():
        if spec.name not in installed:
            emit({"kind": "stt", "name": spec.name, "installed": False, "url": spec.url,
                  "size_mb": spec.size_mb}, as_json,
                 f"stt  {spec.name}  not installed ({spec.size_mb} MB): {spec.description}")
    for name in installed_voices(models_dir):
        emit({"kind": "tts", "name": name, "installed": True}, as_json, f"tts  {name}")
    from .speaker.weights import weights_path
    weights = weights_path(models_dir)
    where = (f"installed in {weights}" if weights.is_file()
             else "not installed (scripts/setup.sh fetches it)")
    emit({"kind": "speaker", "name": weights.stem, "installed": weights.is_file(),
          "path": str(weights)}, as_json, f"spk  {weights.stem}  {where}")


@models_app.command("download")
def models_download(name: str, models_dir: ModelsDirOption = None,
                    url: Annotated[str | None, typer.Option(help="Archive URL.")] = None,
                    sha256: Annotated[str | None, typer.Option(help="Archive digest.")] = None,
                    replace: Annotated[bool, typer.Option(
                        "--replace", help="Replace an installed model of that name.")] = False,
                    as_json: JsonOption = False) -> None:
    """Download, verify (SHA-256) and atomically install a Vosk model."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from .stt.models import install_model
    models_dir = _models_dir(models_dir)
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), transient=True, console=Console(stderr=True),
                  disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(name, total=None)

        def report(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        try:
            path = install_model(name, models_dir, url=url, sha256=sha256, progress=report,
                                 replace=replace)
        except ModelError as exc:
            raise _download_error(exc, name, models_dir) from exc
    emit({"event": "installed", "name": name, "path": str(path)}, as_json,
         f"installed {name} in {path}")


def _download_error(exc: ModelError, name: str, models_dir: Path) -> ModelError:
    """A failed connection said plainly, with what to do on a device without internet."""
    import urllib.error
    cause = exc.__cause__
    if exc.code != "download_failed" or not isinstance(cause, urllib.error.URLError):
        return exc
    reason = getattr(cause, "reason", cause)
    return ModelError(f"cannot download {name}: no connection to the model server ({reason}); "
                      f"on a machine with internet run 'voice-shop models download {name}' and "
                      f"copy the folder into {models_dir}/", code="download_failed")


@app.command()
def doctor(db: ConfigDbOption = None, models_dir: ModelsDirOption = None,
           engine: Annotated[str | None, typer.Option(
               "--engine",
               help="auto | moonshine | pocketsphinx | vosk. [default: the config file's]")]
           = None, model: ModelOption = None, config: ConfigOption = None,
           as_json: JsonOption = False) -> None:
    """Check the config file, audio devices, models and database; say what to fix."""
    from .doctor import Check, run_checks
    from .errors import ConfigError
    problems = 0
    try:
        path = _config_file(config)
        settings = _file_settings(config, db, models_dir)
        checks = [Check("config file", True, f"{path}: valid" if path else
                        f"none (optional: {_config_home() / 'voice-shop' / 'config.toml'})")]
    except ConfigError as exc:
        settings = _file_settings(None, db, models_dir)
        checks = [Check("config file", False, exc.message)]
    engine = engine or settings.speech.engine
    model = model or settings.speech.vosk_model
    needs_vosk = engine == "vosk" or model is not None
    for check in [*checks, *run_checks(settings.db_path, settings.models_dir,
                                       needs_vosk=needs_vosk, vosk_model=model)]:
        problems += not check.ok
        emit(check.to_dict(), as_json,
             f"{'ok ' if check.ok else 'FIX'}  {check.name}: {check.detail}")
    if problems:
        raise typer.Exit(1)


# ---- serve, config, service --------------------------------------------------------------
@app.command()
def serve(host: Annotated[str | None, typer.Option(
        "--host", help="Address to listen on. [default: the config file's, else 127.0.0.1]")]
          = None,
          wyoming_port: Annotated[int | None, typer.Option(
              "--wyoming-port", help="Wyoming (Home Assistant) port. [default: 10700]")] = None,
          http_port: Annotated[int | None, typer.Option(
              "--http-port", help="Household page port; 0 is off. [default: 8080]")] = None,
          db: ConfigDbOption = None, models_dir: ModelsDirOption = None,
          config: ConfigOption = None, log_level: LogLevelOption = "info",
          as_json: JsonOption = False) -> None:
    """Serve Home Assistant (Wyoming) and the household web page.

    One long-running process: a Wyoming server (asr, handle, tts) and the household page; the
    models load once. Stops cleanly on SIGTERM or Ctrl-C."""
    from dataclasses import replace

    from .server import run_server
    _setup_logging(log_level)
    settings = _file_settings(config, db, models_dir)
    server = settings.server
    settings = replace(settings, server=replace(
        server, host=host or server.host,
        wyoming_port=server.wyoming_port if wyoming_port is None else wyoming_port,
        http_port=server.http_port if http_port is None else http_port))
    _check_port(settings.server.wyoming_port, "--wyoming-port", allow_off=False)
    _check_port(settings.server.http_port, "--http-port", allow_off=True)
    run_server(_long_running(settings))


def _check_port(port: int, flag: str, allow_off: bool) -> None:
    if not (0 if allow_off else 1) <= port <= 65535:
        raise ValueError(f"{flag} must be {'0 (off) or ' if allow_off else ''}1-65535, "
                         f"not {port}")


@config_app.command("show")
def config_show(config: ConfigOption = None, db: ConfigDbOption = None,
                models_dir: ModelsDirOption = None, as_json: JsonOption = False) -> None:
    """The effective settings, as TOML (a starting config file).

    Defaults, then the config file, then these flags; one JSON object with --json. The page
    password is hidden."""
    from .settings_file import settings_to_dict, to_toml
    path = _config_file(config)
    data = settings_to_dict(_file_settings(config, db, models_dir))
    if as_json:
        emit({"config_file": str(path) if path else None, "settings": data}, True, "")
        return
    typer.echo(f"# effective settings; config file: {path or 'none'}")
    typer.echo(to_toml(data), nl=False)


@service_app.command("install")
def service_install(
        command: Annotated[str, typer.Argument(help="serve | listen")] = "serve",
        user: Annotated[bool, typer.Option("--user", help="A user unit (the default).")]
        = False,
        system: Annotated[bool, typer.Option("--system", help="A system unit "
                                             "(/etc/systemd/system; needs root).")] = False,
        print_only: Annotated[bool, typer.Option("--print", help="Print the unit; write "
                                                 "nothing.")] = False,
        config: ConfigOption = None, db: ConfigDbOption = None,
        models_dir: ModelsDirOption = None, log_level: LogLevelOption = "info",
        as_json: JsonOption = False) -> None:
    """Write a systemd unit that runs 'voice-shop serve' (or listen).

    The unit runs with the config file; without one, the effective settings are written to
    the default config file first."""
    from .service import ServiceCommand, UnitSpec, current_executable, enable_hint, unit_path
    from .service import unit_text as make_unit
    if user and system:
        raise ValueError("choose --user or --system, not both")
    if command not in tuple(ServiceCommand):
        raise ValueError(f"unknown service command {command!r}: serve or listen")
    from .logs import LEVELS
    if log_level not in LEVELS:
        raise ValueError(f"unknown log level {log_level!r}: choose one of {', '.join(LEVELS)}")
    path = _config_file(config)
    config_path = (path or _default_config(system)).absolute()
    spec = UnitSpec(ServiceCommand(command), current_executable(sys.argv[0]), config_path,
                    is_system=system, user=_service_user() if system else None,
                    log_level=log_level)
    text = make_unit(spec)
    if print_only:
        typer.echo(text, nl=False)
        return
    if path is None:
        _write_config(config_path, _file_settings(None, db, models_dir))
    target = unit_path(spec, _config_home())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    emit({"event": "installed", "unit": str(target), "config": str(config_path),
          "next": enable_hint(spec)}, as_json,
         f"wrote {target} (config {config_path})\nnext: {enable_hint(spec)}")


def _default_config(is_system: bool) -> Path:
    from .settings_file import user_config_path
    return (Path("/etc/voice-shop/config.toml") if is_system
            else user_config_path(_config_home()))


def _write_config(path: Path, settings: AppSettings) -> None:
    """The effective settings as the service's config file (absolute paths, so the unit
    finds the same database and models from any folder)."""
    from .settings_file import settings_to_dict, to_toml
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# voice-shop config, written by 'voice-shop service install'\n"
                    + to_toml(settings_to_dict(settings)))
    typer.echo(f"wrote {path}", err=True)


def _service_user() -> str:
    """Who a system unit runs as: the person who ran sudo, else the current user."""
    import getpass
    return os.environ.get("SUDO_USER") or getpass.getuser()


DEFAULT_SECTIONS = "parse,speech,synthetic,loop,speakers,recommend"


@app.command()
def bench(sections: Annotated[str, typer.Option(
        help="Comma-separated, of: parse, speech, synthetic, loop, speakers, recommend, "
        "wake, real. [default: all but synthetic, wake and real]",
        show_default=False)] = DEFAULT_SECTIONS,
          large: Annotated[int, typer.Option(help="Products in the generated catalog.")] = 50_000,
          commands: Annotated[int, typer.Option(help="Spoken commands per condition.")] = 200,
          quick: Annotated[bool, typer.Option("--quick", help="Fewer speech conditions.")] = False,
          real: Annotated[Path | None, typer.Option(
              help="Real recorded orders: a folder with clips/, labels.json, catalog.csv.")]
          = None,
          ood: Annotated[list[Path] | None, typer.Option(
              metavar="DIR",
              help="Folders of real speech that is not a command (repeatable).")] = None,
          real_limit: Annotated[int | None, typer.Option(
              help="Use only this many of the real clips (a fixed random sample).")] = None,
          speakers: Annotated[Path | None, typer.Option(
              "--speakers", help="Only speaker id, on this folder of voices (one sub-folder "
              "per speaker, or speakers.tsv).")] = None,
          strangers: Annotated[Path | None, typer.Option(
              "--strangers", help="Recordings of voices outside the household. [default: "
              "the strangers/ sub-folder of --speakers]")] = None,
          models_dir: ModelsDirOption = None,
          wake: Annotated[Path | None, typer.Option(
              "--wake", help="Real recordings of the wake word 'alexa' (misses); false "
              "wakes are counted on the other recordings beside that folder.")] = None,
          tv_minutes: Annotated[float, typer.Option(
              help="Minutes of synthesised TV talk added to the false-wake speech.")] = 12.0,
          engine: EngineOption = "auto",
          plot: Annotated[Path | None, typer.Option(
              "--plot", metavar="DIR", help="Also write the report (report.txt) and PNG "
              "charts of its figures into this folder.")] = None,
          failures: Annotated[Path | None, typer.Option(
              "--failures", help="Write every synthetic command not understood right here "
              "(TSV: said, heard, readings, verdict).")] = None,
          wake_phrase: Annotated[str | None, typer.Option(
              "--wake-phrase", help="With --wake: the recordings say this custom phrase; "
              "measure it heard by Moonshine instead of the wake-word models.")] = None,
          as_json: JsonOption = False) -> None:
    """The benchmark report: accuracy, stage latencies, real-time factors, memory.

    With --plot DIR, charts too: correct / wrong / rejected against noise, latency per stage,
    memory per process (docs/measurements.md)."""
    for flag, folder in (("--speakers", speakers), ("--strangers", strangers),
                         ("--wake", wake), ("--real", real), *(("--ood", f) for f in ood or [])):
        if folder is not None and not folder.is_dir():
            raise VoiceShopError(f"{flag} {folder}: no such folder", code="no_such_folder")
    if plot is not None:
        from .bench.plots import check_folder
        check_folder(plot)  # before the run, not after 15 minutes of it
    if wake is not None and wake_phrase:
        from .bench.wake_bench import phrase_run
        for line in phrase_run(wake, wake.parent, wake_phrase, _models_dir(models_dir)):
            emit({"event": "bench", "line": line}, as_json, line)
        return
    lines: list[str] = []
    if speakers is not None:
        from .bench.speaker_bench import run_folder
        report: Iterator[str] = run_folder(speakers, strangers, _models_dir(models_dir))
    else:
        report = _bench_report(sections, large, commands, quick, real, ood or [], real_limit,
                               wake, tv_minutes, engine, _models_dir(models_dir), failures)
    for line in report:
        lines.append(line)
        emit({"event": "bench", "line": line}, as_json, line)
    if plot is not None:
        from .bench.plots import write_charts
        charts = write_charts(lines, plot)
        for chart in charts:
            emit({"event": "chart", "path": str(chart)}, as_json, f"chart: {chart}")
        if not charts:
            nothing_found(f"no charts: this report has no real-speech, loop or memory figures "
                          f"(report in {plot / 'report.txt'})")


def _bench_report(sections: str, large: int, commands: int, quick: bool, real: Path | None,
                  ood: list[Path], real_limit: int | None, wake: Path | None,
                  tv_minutes: float, engine: str, models_dir: Path,
                  failures: Path | None) -> Iterator[str]:
    """The report's lines for the sections asked (``--real`` and ``--wake`` add theirs)."""
    from .bench.report import run_report
    wanted = [s.strip() for s in sections.split(",") if s.strip()]
    if real is not None and not (real / "labels.json").is_file():
        raise VoiceShopError(f"{real}: not a folder of labelled recordings (no labels.json)")
    if real is not None and "real" not in wanted:
        # --real alone runs just the real-speech section; with --sections it is added.
        wanted = ["real"] if sections == DEFAULT_SECTIONS else [*wanted, "real"]
    if wake is not None and sections == DEFAULT_SECTIONS:
        wanted = ["wake"] if real is None else [*wanted, "wake"]
    return run_report(wanted, large, commands=commands, quick=quick, real=real, ood=ood,
                      real_limit=real_limit, wake_dir=wake, tv_minutes=tv_minutes,
                      engine=engine, models_dir=models_dir, failures=failures)


def _usage_error(exc: TyperException, as_json: bool) -> None:
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        typer.echo(ctx.get_help())  # a bare group ("voice-shop catalog") shows its help
        sys.exit(EXIT_ERROR)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    message = getattr(exc, "format_message", lambda: str(exc))()
    error_line("usage_error", message + hint, as_json)
    sys.exit(EXIT_ERROR)


def main() -> None:
    """Run the command; every failure leaves as one line (and a JSON event with --json)."""
    as_json = "--json" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)
    except VoiceShopError as exc:
        error_line(exc.code, exc.message, as_json)
        sys.exit(EXIT_ERROR)
    except ValueError as exc:
        error_line("bad_argument", str(exc), as_json)
        sys.exit(EXIT_ERROR)
    except TyperException as exc:  # bad arguments: one line too, not a usage box
        _usage_error(exc, as_json)
    except (typer.Abort, KeyboardInterrupt):  # Ctrl-C, also at a prompt
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
