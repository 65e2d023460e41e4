"""The ``voice-shop`` command line (the public interface in DESIGN.md).

Every command turns a ``VoiceShopError`` (or a bad argument) into one line on stderr and a
non-zero exit; ``--json`` prints one JSON object per line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import VoiceShopError
from .money import format_cents

if TYPE_CHECKING:
    from .assistant import Assistant
    from .config import AppSettings
    from .intent.parser import IntentParser
    from .pipeline import SpeakerIdentifier
    from .shop.engine import Shop
    from .wake import WakeSettings

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
models_app = typer.Typer(no_args_is_help=True, help="Speech models on this device.")
app.add_typer(models_app, name="models")
speakers_app = typer.Typer(no_args_is_help=True, help="Household voices: enroll, identify.")
app.add_typer(speakers_app, name="speakers")

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


def _open_shop(db: Path) -> Shop:
    from .shop.engine import Shop
    return Shop.open(db)


def _parser_for(shop: Shop) -> IntentParser:
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


# ---- speech -----------------------------------------------------------------------------------
EngineOption = Annotated[str, typer.Option("--engine", help="auto | pocketsphinx | vosk")]
ModelOption = Annotated[Path | None, typer.Option("--model", help="A Vosk model folder.")]
ModelsDirOption = Annotated[Path, typer.Option("--models-dir", help="Installed models.")]
VoiceOption = Annotated[str, typer.Option("--voice", help="Piper voice name.")]
WakeOption = Annotated[str, typer.Option("--wake-phrase", help="Wake phrase.")]
FilesArgument = Annotated[list[Path], typer.Argument(help="Audio files (WAV, FLAC, ...).")]


def _settings(db: Path, engine: str = "auto", model: Path | None = None,
              models_dir: Path = Path("models"), voice: str | None = None,
              wake_phrase: str = "hey shop", general: bool = False,
              wake: WakeSettings | None = None) -> AppSettings:
    from .config import AppSettings, SpeechSettings
    from .tts import DEFAULT_VOICE, PiperSettings
    from .wake import WakeSettings
    return AppSettings(
        db_path=db, models_dir=models_dir,
        speech=SpeechSettings(engine=engine, vosk_model=model, use_domain=not general),
        wake=wake or WakeSettings(word="", phrase=wake_phrase),
        tts=PiperSettings(voice=voice or DEFAULT_VOICE, models_dir=models_dir))


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


def _transcripts(stt: Any, files: list[Path], as_json: bool,
                 failed: list[Path]) -> Iterator[Any]:
    """(path, transcript) per file with speech; silent, noisy or unreadable files are
    reported and put in ``failed``."""
    for path, samples in _audio_files(files, as_json, failed):
        transcript = stt.transcribe(samples)
        if transcript.text:
            yield path, transcript
        else:
            failed.append(path)
            _file_error(path, _no_speech(path), as_json)


def _file_error(path: Path, exc: VoiceShopError, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"file": str(path), "error": exc.message, "code": exc.code}))
    typer.echo(f"error: {exc.message}", err=True)


def _no_speech(path: Path) -> VoiceShopError:
    from .errors import AudioInputError
    return AudioInputError(f"{path}: no speech heard (silence or noise)", code="no_speech")


@app.command()
def transcribe(files: FilesArgument, db: DbOption = DEFAULT_DB, engine: EngineOption = "auto",
               model: ModelOption = None, models_dir: ModelsDirOption = Path("models"),
               general: Annotated[bool, typer.Option(
                   help="General English instead of the shop's language.")] = False,
               as_json: JsonOption = False) -> None:
    """Speech to text per audio file (models load once for all files)."""
    from .assistant import Assistant
    assistant = Assistant(_settings(db, engine, model, models_dir, general=general))
    stt = assistant.stt
    failed: list[Path] = []
    for path, transcript in _transcripts(stt, files, as_json, failed):
        emit({"file": str(path), "text": transcript.text, "engine": stt.name,
              "confidence": round(transcript.confidence, 3),
              "in_domain": transcript.is_in_domain}, as_json, f"{path}: {transcript.text}")
    if failed:
        raise typer.Exit(1)


@app.command("understand")
def understand_cmd(files: FilesArgument, db: DbOption = DEFAULT_DB,
                   engine: EngineOption = "auto", model: ModelOption = None,
                   models_dir: ModelsDirOption = Path("models"),
                   wake_phrase: WakeOption = "hey shop", as_json: JsonOption = False) -> None:
    """Speech to intent per audio file; changes nothing in the cart."""
    from .assistant import Assistant
    from .pipeline import _without_wake
    from .understand import understand
    assistant = Assistant(_settings(db, engine, model, models_dir, wake_phrase=wake_phrase))
    stt, parser = assistant.stt, assistant.parser
    phrase = tuple(assistant.settings.wake.phrase.split())
    failed: list[Path] = []
    for path, transcript in _transcripts(stt, files, as_json, failed):
        if phrase and transcript.text.split()[:len(phrase)] == list(phrase):
            transcript = _without_wake(transcript, phrase)
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
        models_dir: ModelsDirOption = Path("models")) -> None:
    """Text to speech with Piper."""
    from .audio import SpeakerSink, write_wav
    from .tts import PiperSettings, PiperTTS
    tts = PiperTTS(PiperSettings(voice=voice, models_dir=models_dir))
    if out is None:
        SpeakerSink().play(tts.synthesize(text), "say")
        return
    write_wav(out, tts.synthesize_all(text))
    typer.echo(str(out))


@app.command()
def listen(db: DbOption = DEFAULT_DB,
           wav: Annotated[list[Path] | None, typer.Option(
               "--wav", help="Audio files instead of the microphone (repeatable).")] = None,
           wake_word: Annotated[str, typer.Option(
               "--wake-word", help="A shipped wake-word model (okay_nabu, hey_jarvis, "
               "hey_mycroft, alexa; openWakeWord also hey_rhasspy) or a model file.")]
           = "okay_nabu",
           wake_engine: Annotated[str, typer.Option(
               "--wake-engine", help="micro (microWakeWord) | open (openWakeWord)")] = "micro",
           wake_cutoff: Annotated[float | None, typer.Option(
               "--wake-cutoff", help="Wake-word probability cutoff (default: the model's).")]
           = None,
           wake_phrase: Annotated[str | None, typer.Option(
               "--wake-phrase", help="A custom wake phrase, checked in the transcript "
               "instead of a wake-word model.")] = None,
           no_wake: Annotated[bool, typer.Option("--no-wake",
                              help="Every utterance is a command.")] = False,
           live_timing: Annotated[bool, typer.Option(
               "--live-timing", help="Files as a microphone: stream time runs on while the "
               "device replies (what a file holds then is heard during the reply: barge-in "
               "and echo tests).")] = False,
           reply_dir: Annotated[Path | None, typer.Option(
               help="Write spoken replies as WAV files here instead of playing them.")] = None,
           realtime: Annotated[bool, typer.Option(help="Pace files in real time.")] = False,
           engine: EngineOption = "auto", model: ModelOption = None,
           models_dir: ModelsDirOption = Path("models"), voice: VoiceOption = "en_US-joe-medium",
           as_json: JsonOption = False) -> None:
    """The whole loop: wake word, speech, dialog, spoken reply. Exits 1 when any input file
    could not be read (each one is an error event; the others are still processed)."""
    from .audio import MicrophoneSource, SpeakerSink, WavDirectorySink, WavSource
    from .pipeline import Pipeline
    from .wake import WakeEngineName, WakeGate, WakeSettings, load_detector
    if wake_engine not in tuple(WakeEngineName):
        raise ValueError(f"unknown wake engine {wake_engine!r}: micro or open")
    wake = WakeSettings(word="" if no_wake or wake_phrase else wake_word,
                        engine=WakeEngineName(wake_engine), probability_cutoff=wake_cutoff,
                        phrase="" if no_wake else wake_phrase or "")
    settings = _settings(db, engine, model, models_dir, voice, wake=wake)
    source = WavSource(wav, realtime=realtime) if wav else MicrophoneSource()
    if not wav:
        from .audio import input_devices
        if not input_devices():
            raise VoiceShopError("no microphone found on this machine; feed audio files with "
                                 "--wav FILE (and --reply-dir DIR for the replies)",
                                 code="no_input_device")
    sink = WavDirectorySink(reply_dir) if reply_dir else SpeakerSink()
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
    if failed:
        raise typer.Exit(1)


def _warm_up(assistant: Assistant, identifies: bool) -> None:
    """First runs of the ONNX voice and the speaker encoder are slow: spend them before the
    shopper speaks, not on the first reply."""
    import numpy as np
    assistant.tts.synthesize_all("Ready.")
    if identifies:
        noise = np.random.default_rng(0).normal(0, 300, 24_000).astype(np.int16)
        assistant.speakers.encoder.embed(noise)


def _identifier(assistant: Assistant) -> SpeakerIdentifier | None:
    """Attribute every utterance when the encoder weights are installed."""
    from .speaker.weights import weights_path
    if not weights_path(assistant.settings.models_dir).exists():
        return None
    identifier = assistant.speakers

    def identify(samples: Any, expected: str | None) -> tuple[str | None, float]:
        found = identifier.identify(samples, expected)
        return found.speaker, found.score
    return identify


def _speaker_identifier(db: Path, models_dir: Path, threshold: float | None = None,
                        ) -> Any:
    from .speaker.identify import SpeakerIdentifier, SpeakerSettings
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
                    models_dir: ModelsDirOption = Path("models"),
                    as_json: JsonOption = False) -> None:
    """Create or update a voice profile from recordings (or the microphone)."""
    from .audio import read_audio
    from .shop.models import Role
    if mic:
        utterances = _record_enrollment(name)
    elif files:
        utterances = [read_audio(path) for path in files]
    else:
        raise ValueError("give recordings of the speaker, or --mic")
    identifier = _speaker_identifier(db, models_dir)
    profile = identifier.enroll(name, utterances, Role(role))
    emit({**profile.to_dict(), "utterances": len(utterances)}, as_json,
         f"enrolled {profile.name} ({profile.role}) from {len(utterances)} utterances")


ENROLL_PHRASES = ("hey shop, add two bananas to my cart",
                  "hey shop, what's in my cart",
                  "hey shop, check out please")


def _record_enrollment(name: str) -> list[Any]:
    import numpy as np

    from .audio import SAMPLE_RATE_HZ, MicrophoneSource, input_devices
    if not input_devices():
        raise VoiceShopError("no microphone found; enroll from recordings instead: "
                             "voice-shop speakers enroll NAME a.wav b.wav c.wav",
                             code="no_input_device")
    utterances = []
    for phrase in ENROLL_PHRASES:
        typer.echo(f"{name}, please say: \"{phrase}\"")
        chunks = []
        for chunk in MicrophoneSource().chunks():
            chunks.append(chunk.samples)
            if sum(len(c) for c in chunks) >= 4 * SAMPLE_RATE_HZ:
                break
        utterances.append(np.concatenate(chunks))
    return utterances


@speakers_app.command("identify")
def speakers_identify(files: FilesArgument, db: DbOption = DEFAULT_DB,
                      models_dir: ModelsDirOption = Path("models"),
                      threshold: Annotated[float | None, typer.Option(
                          help="Override the calibrated threshold.")] = None) -> None:
    """Who is speaking in each file: {"file","speaker","score"}, speaker null if unknown."""
    identifier = _speaker_identifier(db, models_dir, threshold)
    failed: list[Path] = []
    for path, samples in _audio_files(files, True, failed):
        try:
            found = identifier.identify(samples)
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
    shop = _open_shop(db)
    prints = shop.voiceprints()
    for profile in shop.profiles():
        count = len(prints.get(profile.name, []))
        emit({**profile.to_dict(), "voiceprints": count}, as_json,
             f"{profile.name} ({profile.role}), {count} voice prints")


@speakers_app.command("remove")
def speakers_remove(name: str, db: DbOption = DEFAULT_DB) -> None:
    _open_shop(db).remove_profile(name)
    typer.echo(f"removed {name}")


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
def models_list(models_dir: ModelsDirOption = Path("models"), as_json: JsonOption = False) -> None:
    """Installed and downloadable speech models."""
    from .stt.models import REGISTRY, installed_models
    from .tts import installed_voices
    emit({"kind": "stt", "name": "pocketsphinx-en-us", "installed": True, "bundled": True},
         as_json, "stt  pocketsphinx-en-us  (bundled with the pocketsphinx wheel)")
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


@models_app.command("download")
def models_download(name: str, models_dir: ModelsDirOption = Path("models"),
                    url: Annotated[str | None, typer.Option(help="Archive URL.")] = None,
                    sha256: Annotated[str | None, typer.Option(help="Archive digest.")] = None,
                    replace: bool = False) -> None:
    """Download, verify (SHA-256) and atomically install a Vosk model."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from .stt.models import install_model
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), transient=True) as progress:
        task = progress.add_task(name, total=None)

        def report(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        path = install_model(name, models_dir, url=url, sha256=sha256, progress=report,
                             replace=replace)
    typer.echo(f"installed {name} in {path}")


@app.command()
def doctor(db: DbOption = DEFAULT_DB, models_dir: ModelsDirOption = Path("models"),
           as_json: JsonOption = False) -> None:
    """Check audio devices, models and the database; say what to fix."""
    from .doctor import run_checks
    problems = 0
    for check in run_checks(db, models_dir):
        problems += not check.ok
        emit(check.to_dict(), as_json,
             f"{'ok ' if check.ok else 'FIX'}  {check.name}: {check.detail}")
    if problems:
        raise typer.Exit(1)


DEFAULT_SECTIONS = "parse,speech,loop,speakers,recommend"


@app.command()
def bench(sections: Annotated[str, typer.Option(
        help="Comma-separated: parse, speech, loop, speakers, recommend, wake")]
        = DEFAULT_SECTIONS,
          large: Annotated[int, typer.Option(help="Products in the generated catalog.")] = 50_000,
          commands: Annotated[int, typer.Option(help="Spoken commands per condition.")] = 200,
          quick: Annotated[bool, typer.Option(help="Fewer speech conditions.")] = False,
          wake: Annotated[Path | None, typer.Option(
              "--wake", help="Real recordings of the wake word 'alexa' (misses); false "
              "wakes are counted on the other recordings beside that folder.")] = None,
          tv_minutes: Annotated[float, typer.Option(
              help="Minutes of synthesised TV talk added to the false-wake speech.")] = 12.0,
          ) -> None:
    """The benchmark report: stage latencies, real-time factors, memory, accuracy."""
    from .bench.report import run_report
    wanted = [s.strip() for s in sections.split(",") if s.strip()]
    if wake is not None and sections == DEFAULT_SECTIONS:
        wanted = ["wake"]
    for line in run_report(wanted, large, commands=commands, quick=quick, wake_dir=wake,
                           tv_minutes=tv_minutes):
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
