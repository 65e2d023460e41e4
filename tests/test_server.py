"""``voice-shop serve``'s Wyoming server, spoken to with the ``wyoming`` library's own TCP
client, with real speech (Piper) and the real recogniser, dialog and database."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soxr
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize

from voice_shop.audio import SAMPLE_RATE_HZ, read_audio
from voice_shop.config import AppSettings, ServerSettings
from voice_shop.intent.parser import IntentParser
from voice_shop.intent.secret import SECRET_MASK
from voice_shop.server import ServerError, serve
from voice_shop.shop.engine import Shop

from .outbox_server import SECRET
from .speech import SpeechMaker

pytestmark = pytest.mark.slow
READ_TIMEOUT_S = 60.0
CONCURRENT_CLIENTS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningServer:
    """``serve`` in its own thread and event loop, as the CLI would run it."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.port = settings.server.wyoming_port
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        await serve(self.settings, self._stop, self._ready.set)

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(300), "the server did not start"
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        assert not self._thread.is_alive()


def _copy_db(demo_db: Path, name: str) -> Path:
    """A private copy of the demo shop beside it, sharing its compiled speech models."""
    target = demo_db.with_name(f"{name}.db")
    with sqlite3.connect(demo_db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[RunningServer]:
    db = _copy_db(demo_db, "served")
    settings = AppSettings(db_path=db, server=ServerSettings(
        wyoming_port=_free_port(), http_port=0,
        max_connections_per_address=2 * CONCURRENT_CLIENTS))  # all clients are 127.0.0.1,
    # and a connection of the test before may still be closing
    running = RunningServer(settings)
    running.start()
    yield running
    running.close()


def _client(server: RunningServer) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", server.port, connect_timeout=10,
                          read_timeout=READ_TIMEOUT_S)


async def _ask(server: RunningServer, event: Event) -> Event:
    async with _client(server) as client:
        await client.write_event(event)
        answer = await client.read_event()
    assert answer is not None
    return answer


def _chunks(samples: np.ndarray, rate: int, channels: int) -> list[Event]:
    frame = 1024 * channels
    return [AudioChunk(rate=rate, width=2, channels=channels,
                       audio=samples[at:at + frame].astype("<i2").tobytes()).event()
            for at in range(0, len(samples), frame)]


async def _transcribe(server: RunningServer, samples: np.ndarray, rate: int = SAMPLE_RATE_HZ,
                      channels: int = 1) -> str:
    async with _client(server) as client:
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate=rate, width=2, channels=channels).event())
        for chunk in _chunks(samples, rate, channels):
            await client.write_event(chunk)
        await client.write_event(AudioStop().event())
        answer = await client.read_event()
    assert answer is not None and Transcript.is_type(answer.type), answer
    return Transcript.from_event(answer).text


def _said(text: str, conversation: str) -> Event:
    return Transcript(text=text, context={"conversation_id": conversation}).event()


def _cart_quantity(server: RunningServer, sku: str) -> int:
    shop = Shop.open(server.settings.db_path)
    try:
        return sum(line.quantity for line in shop.cart().lines if line.sku == sku)
    finally:
        shop.close()


def _intent(text: str, demo_products: list) -> tuple[str, list[tuple[str | None, int]]]:
    parsed = IntentParser(demo_products).parse(text)
    return str(parsed.intent), [(i.sku, i.quantity or 1) for i in parsed.items]


def test_describe_offers_asr_handle_and_tts(server: RunningServer) -> None:
    info = Info.from_event(asyncio.run(_ask(server, Describe().event())))
    assert [p.name for p in info.asr] == ["voice-shop-asr"]
    assert [p.name for p in info.handle] == ["voice-shop"]
    assert info.tts[0].voices[0].name == "en_US-joe-medium"
    assert info.asr[0].models[0].languages == ["en"] and info.asr[0].installed


def test_spoken_command_comes_back_as_its_transcript(server: RunningServer,
                                                     speech: SpeechMaker,
                                                     demo_products: list) -> None:
    samples = read_audio(speech.piper("add two bananas"))
    text = asyncio.run(_transcribe(server, samples))
    assert _intent(text, demo_products) == ("add_item", [("P101", 2)]), text


def test_audio_in_another_format_is_converted(server: RunningServer, speech: SpeechMaker,
                                              demo_products: list) -> None:
    """A satellite sending 22.05 kHz stereo is heard as well as one sending 16 kHz mono."""
    mono = read_audio(speech.piper("how much are the strawberries"))
    resampled = soxr.resample(mono.astype(np.float32) / 32768, SAMPLE_RATE_HZ, 22050)
    stereo = np.repeat(np.clip(resampled * 32767, -32768, 32767).astype(np.int16), 2)
    text = asyncio.run(_transcribe(server, stereo, rate=22050, channels=2))
    assert _intent(text, demo_products) == ("price_query", [("P108", 1)]), text


def test_out_of_domain_speech_is_an_empty_transcript(server: RunningServer,
                                                     speech: SpeechMaker) -> None:
    samples = read_audio(speech.piper("the weather tomorrow will be cloudy with some rain"))
    assert asyncio.run(_transcribe(server, samples)) == ""


def test_text_command_is_handled_and_changes_the_cart(server: RunningServer) -> None:
    before = _cart_quantity(server, "P101")
    answer = asyncio.run(_ask(server, _said("add two bananas", "kitchen")))
    assert Handled.is_type(answer.type), answer
    assert "bananas" in (Handled.from_event(answer).text or "")
    assert _cart_quantity(server, "P101") == before + 2


def test_unknown_request_is_not_handled_and_changes_nothing(server: RunningServer) -> None:
    before = _cart_quantity(server, "P101")
    answer = asyncio.run(_ask(server, _said("flibber the quantum giraffe", "kitchen")))
    assert NotHandled.is_type(answer.type), answer
    assert "didn't catch" in (NotHandled.from_event(answer).text or "")
    assert _cart_quantity(server, "P101") == before


def test_each_satellite_has_its_own_conversation(server: RunningServer) -> None:
    """A "yes" from another room does not confirm the kitchen's checkout."""
    async def talk() -> list[Event]:
        return [await _ask(server, _said("add a bag of rice", "kitchen")),
                await _ask(server, _said("check out", "kitchen")),
                await _ask(server, _said("yes", "bedroom")),
                await _ask(server, _said("yes", "kitchen"))]

    answers = asyncio.run(talk())
    replies = [a.data.get("text", "") for a in answers]
    assert "shall i place the order" in replies[1].lower(), replies
    assert "nothing to confirm" in replies[2].lower(), replies
    assert "order is placed" in replies[3].lower(), replies
    assert _cart_quantity(server, "Y104") == 0


def test_pin_like_answer_is_logged_masked(server: RunningServer,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="voice_shop")

    async def talk() -> None:
        await _ask(server, _said("add a bag of rice", "hall"))
        await _ask(server, _said("check out", "hall"))
        await _ask(server, _said("four two seven one", "hall"))

    asyncio.run(talk())
    handled = [r.getMessage() for r in caplog.records if r.getMessage().startswith("handle")]
    assert any(SECRET_MASK in line for line in handled), handled
    assert not any("four two seven one" in r.getMessage() for r in caplog.records)


def test_synthesize_streams_piper_audio_the_recogniser_understands(
        server: RunningServer, demo_products: list) -> None:
    async def synthesize() -> tuple[list[Event], np.ndarray]:
        events: list[Event] = []
        async with _client(server) as client:
            await client.write_event(Synthesize(text="add a pack of bacon").event())
            while not events or not AudioStop.is_type(events[-1].type):
                event = await client.read_event()
                assert event is not None
                events.append(event)
        pcm = b"".join(AudioChunk.from_event(e).audio for e in events
                       if AudioChunk.is_type(e.type))
        return events, np.frombuffer(pcm, np.int16)

    events, samples = asyncio.run(synthesize())
    start = AudioStart.from_event(events[0])
    assert (start.rate, start.width, start.channels) == (SAMPLE_RATE_HZ, 2, 1)
    assert len(samples) > 0.5 * SAMPLE_RATE_HZ and np.abs(samples).max() > 3000
    text = asyncio.run(_transcribe(server, samples))
    assert _intent(text, demo_products)[0] == "add_item" and "bacon" in text, text


def test_client_gone_mid_audio_does_not_hurt_the_next(server: RunningServer,
                                                      speech: SpeechMaker,
                                                      demo_products: list) -> None:
    samples = read_audio(speech.piper("add two bananas"))

    async def leave_halfway() -> None:
        async with _client(server) as client:
            await client.write_event(AudioStart(rate=SAMPLE_RATE_HZ, width=2,
                                                channels=1).event())
            for chunk in _chunks(samples, SAMPLE_RATE_HZ, 1)[:5]:
                await client.write_event(chunk)

    async def garbage() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"this is not a wyoming event\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # the server hung up
        writer.close()

    asyncio.run(leave_halfway())
    asyncio.run(garbage())
    text = asyncio.run(_transcribe(server, samples))
    assert _intent(text, demo_products) == ("add_item", [("P101", 2)]), text


def test_malformed_event_is_an_error_and_the_connection_goes_on(server: RunningServer) -> None:
    async def talk() -> tuple[Event | None, Event | None]:
        async with _client(server) as client:
            await client.write_event(Event(type="transcript", data={"txet": "add rice"}))
            error = await client.read_event()
            await client.write_event(Describe().event())
            return error, await client.read_event()

    error, info = asyncio.run(talk())
    assert error is not None and error.type == "error", error
    assert error.data["code"] == "bad_event"
    assert info is not None and Info.is_type(info.type)


def test_audio_past_the_cap_is_refused(server: RunningServer) -> None:
    from voice_shop.server import MAX_AUDIO_S
    silence = np.zeros(int((MAX_AUDIO_S + 1) * SAMPLE_RATE_HZ), np.int16)

    async def too_long() -> list[Event]:
        async with _client(server) as client:
            await client.write_event(AudioStart(rate=SAMPLE_RATE_HZ, width=2,
                                                channels=1).event())
            for chunk in _chunks(silence, SAMPLE_RATE_HZ, 1):
                await client.write_event(chunk)
            await client.write_event(AudioStop().event())
            first, second = await client.read_event(), await client.read_event()
        assert first is not None and second is not None
        return [first, second]

    error, transcript = asyncio.run(too_long())
    assert error.type == "error" and error.data["code"] == "audio_too_long"
    assert Transcript.from_event(transcript).text == ""


def test_twenty_concurrent_clients_all_succeed(server: RunningServer) -> None:
    before = _cart_quantity(server, "B102")

    async def one(n: int) -> float:
        started = time.perf_counter()
        async with _client(server) as client:
            await client.write_event(Describe().event())
            info = await client.read_event()
            assert info is not None and Info.is_type(info.type)
            await client.write_event(_said("add a loaf of white bread", f"room-{n}"))
            answer = await client.read_event()
            assert answer is not None and Handled.is_type(answer.type), answer
        return time.perf_counter() - started

    async def all_at_once() -> list[float | BaseException]:
        return await asyncio.gather(*(one(n) for n in range(CONCURRENT_CLIENTS)),
                                    return_exceptions=True)

    started = time.perf_counter()
    results = asyncio.run(all_at_once())
    wall = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    latencies = sorted(r for r in results if isinstance(r, float))
    print(f"\n{CONCURRENT_CLIENTS} concurrent clients (describe + handle): wall {wall:.2f} s, "
          f"errors {len(errors)}, per client p50 {latencies[len(latencies) // 2]:.3f} s, "
          f"max {latencies[-1]:.3f} s" if latencies else f"errors {errors}")
    assert not errors, errors
    assert _cart_quantity(server, "B102") == before + CONCURRENT_CLIENTS


def test_connections_over_the_limit_are_refused(server: RunningServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voice_shop.server.run.MAX_CLIENTS", 2)

    async def crowd() -> Event | None:
        async with _client(server) as first, _client(server) as second:
            for held in (first, second):
                await held.write_event(Describe().event())
                assert await held.read_event() is not None
            async with _client(server) as third:
                return await third.read_event()

    refused = asyncio.run(crowd())
    assert refused is not None and refused.type == "error" and refused.data["code"] == "busy"
    for _ in range(50):  # the held connections close asynchronously
        if Info.is_type(asyncio.run(_ask(server, Describe().event())).type):
            break
        time.sleep(0.1)
    else:
        pytest.fail("a client was still refused after the others left")


RUN_CLI = "import sys; from voice_shop.cli import main; sys.argv[0] = 'voice-shop'; main()"


def _get(url: str) -> bytes:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing answered at {url}")


def test_serve_runs_the_page_and_stops_cleanly_on_sigterm(demo_db: Path) -> None:
    db = _copy_db(demo_db, "sigterm")
    wyoming_port, http_port = _free_port(), _free_port()
    process = subprocess.Popen([sys.executable, "-c", RUN_CLI, "serve", "--db", str(db),
                                "--wyoming-port", str(wyoming_port),
                                "--http-port", str(http_port)], stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "JOURNAL_STREAM": "8:1"})
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "Wyoming server on" in line:
                break
        assert lines and "Wyoming server on" in lines[-1], lines
        assert not lines[-1][0].isdigit()  # journald stamps the lines itself
        page = _get(f"http://127.0.0.1:{http_port}/").decode()
        assert "<form" in page and "Cart" in page, page[:300]
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        rest = process.stderr.read()
        assert "SIGTERM received" in rest and "stopped" in rest, rest
    finally:
        if process.poll() is None:
            process.kill()


def test_page_port_in_use_is_a_clear_error(demo_db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = AppSettings(db_path=_copy_db(demo_db, "busy"), server=ServerSettings(
            wyoming_port=_free_port(), http_port=taken.getsockname()[1]))
        running = RunningServer(settings)
        running.start()
        running._thread.join(60)
    assert isinstance(running._error, ServerError), running._error
    assert running._error.code == "cannot_listen"
    assert "for the household page" in running._error.message


def test_finished_client_conversations_are_forgotten(shop: Shop) -> None:
    """One row per client conversation: old ones go, the household's own never does."""
    for key in ("wyoming:old", "wyoming:new", "home", "wyomingx"):
        shop.save_dialog_state({"last_reply": key}, key)
    shop.conn.execute("UPDATE dialog_state SET updated_at = 1 WHERE household != ?",
                      ("wyoming:new",))
    assert shop.forget_dialog_states("wyoming:", time.time() - 60) == 1
    kept = {row[0] for row in shop.conn.execute("SELECT household FROM dialog_state")}
    assert kept == {"wyoming:new", "home", "wyomingx"}


def test_page_off_localhost_needs_a_password_and_a_webhook_starts_the_outbox(
        demo_db: Path) -> None:
    from voice_shop.errors import ConfigError
    from voice_shop.server.http import _http_tasks
    db = _copy_db(demo_db, "tasks")
    exposed = AppSettings(db_path=db, server=ServerSettings(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="needs a password"):
        _http_tasks(exposed, asyncio.Event())
    unsigned = AppSettings(db_path=db, server=ServerSettings(
        http_port=0, webhook_url="http://127.0.0.1:9/orders"))
    with pytest.raises(ConfigError, match="webhook_secret"):
        _http_tasks(unsigned, asyncio.Event())
    outbox_only = replace(unsigned, server=replace(unsigned.server, webhook_secret=SECRET))
    tasks = _http_tasks(outbox_only, asyncio.Event())
    assert [t.__qualname__ for t in tasks] == ["OutboxDeliverer.run"]
    for task in tasks:
        task.close()
    with pytest.raises(ConfigError, match="webhook_url"):
        _http_tasks(AppSettings(db_path=db, server=ServerSettings(
            http_port=0, webhook_url="ftp://shop/orders", webhook_secret=SECRET)),
            asyncio.Event())
