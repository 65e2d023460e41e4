"""Attacks on the Wyoming port of a real ``serve``: absurd audio formats, headers claiming
gigabytes, silent connections, malformed events; each next to a client that must still be
served."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from wyoming.asr import Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Describe, Info

from .conftest import Serve, household_db

IDLE_S = 5.0
"""The server's idle timeout here: the four silent connections (each checked to be taken)
and the probe after them must fit in it with room to spare on a loaded machine."""
TAKEN_S = 0.3
"""How long a connection must go unanswered to count as taken, not refused as busy."""
PER_ADDRESS = 4
CONFIG = f"""
[server]
host = "127.0.0.1"
wyoming_port = {{wyoming}}
http_port = 0

[wyoming]
idle_timeout_s = {IDLE_S}
max_connections_per_address = {PER_ADDRESS}
"""


@pytest.fixture(scope="module")
def served(demo_db: Path) -> Iterator[Serve]:
    serve = Serve(household_db(demo_db, "wyoming"), CONFIG).start("Wyoming server on")
    yield serve
    serve.stop()
    log = "".join(serve.log)
    assert "Task exception was never retrieved" not in log and "Traceback" not in log, log


async def connect(serve: Serve, source: str = "127.0.0.1") -> tuple[asyncio.StreamReader,
                                                                    asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", serve.wyoming_port,
                                         local_addr=(source, 0))


async def ask(serve: Serve, events: list[Event], source: str = "127.0.0.1") -> Event | None:
    reader, writer = await connect(serve, source)
    try:
        for event in events:
            await async_write_event(event, writer)
        return await asyncio.wait_for(async_read_event(reader), 30)
    finally:
        writer.close()


async def taken_connection(serve: Serve) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection the server took and holds open, silent. A connection an earlier test
    closed may count against the address for a moment on a loaded machine: a connection
    refused as busy meanwhile is closed and made again."""
    for _ in range(50):
        reader, writer = await connect(serve)
        try:
            await asyncio.wait_for(async_read_event(reader), TAKEN_S)
        except TimeoutError:
            return reader, writer
        writer.close()
        await asyncio.sleep(0.1)
    raise AssertionError("the server refused every connection from this address")


async def is_closed_by_server(reader: asyncio.StreamReader, within_s: float) -> bool:
    """True when the server hangs up (after answering, perhaps) within ``within_s``."""
    try:
        while await asyncio.wait_for(reader.read(65536), within_s):
            pass
    except TimeoutError:
        return False
    return True


def describe_works(serve: Serve, source: str = "127.0.0.1") -> bool:
    answer = asyncio.run(ask(serve, [Describe().event()], source))
    return answer is not None and Info.is_type(answer.type)


# ---- 7. absurd audio formats, and nobody freezes -------------------------------------------
def test_rate_1_audio_is_refused_and_nobody_waits(served: Serve) -> None:
    absurd = AudioChunk(rate=1, width=2, channels=1, audio=b"\0" * 65536).event()

    async def scenario() -> tuple[Event | None, float]:
        attack = asyncio.create_task(ask(served, [AudioStart(rate=1, width=2, channels=1)
                                                  .event(), absurd]))
        started = time.perf_counter()
        info = await ask(served, [Describe().event()], "127.0.0.2")
        assert info is not None and Info.is_type(info.type)
        return await attack, time.perf_counter() - started

    refused, waited_s = asyncio.run(scenario())
    assert refused is not None and refused.type == "error", refused
    assert refused.data["code"] == "bad_audio_format" and waited_s < 2.0


@pytest.mark.parametrize(("rate", "width", "channels"),
                         [(1, 2, 1), (200_000, 2, 1), (16_000, 4, 1), (16_000, 2, 6),
                          (16_000, 1, 1)])
def test_only_sane_audio_formats_are_taken(served: Serve, rate: int, width: int,
                                           channels: int) -> None:
    answer = asyncio.run(ask(served, [AudioStart(rate=rate, width=width, channels=channels)
                                      .event()]))
    assert answer is not None and answer.data.get("code") == "bad_audio_format", answer


def test_a_sane_format_other_than_16k_is_still_heard(served: Serve) -> None:
    silence = b"\0" * (22_050 * 2 * 2 // 10)  # 0.1 s of 22.05 kHz stereo
    events = [AudioStart(rate=22_050, width=2, channels=2).event(),
              *[AudioChunk(rate=22_050, width=2, channels=2, audio=silence).event()] * 5,
              AudioStop().event()]
    answer = asyncio.run(ask(served, events))
    assert answer is not None and Transcript.is_type(answer.type), answer


# ---- 8. lengths claimed in the header ------------------------------------------------------
@pytest.mark.parametrize("header", [
    {"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1},
     "payload_length": 2**31},
    {"type": "transcript", "data_length": 2**31},
    {"type": "transcript", "data_length": "lots"},
    {"type": 7},
    ["not", "an", "object"],
    {"type": "transcript", "data": ["not", "an", "object"]},
])
def test_a_header_claiming_too_much_or_nonsense_is_hung_up_on(served: Serve,
                                                               header: object) -> None:
    async def attack() -> bool:
        reader, writer = await connect(served)
        writer.write(json.dumps(header).encode() + b"\n" + b"x" * 1000)
        await writer.drain()  # then keep the connection open, as if more were coming
        closed = await is_closed_by_server(reader, IDLE_S / 2)
        writer.close()
        return closed

    assert asyncio.run(attack()), f"the server kept reading after {header}"
    assert describe_works(served)


def test_a_bad_text_is_an_error_and_the_connection_goes_on(served: Serve) -> None:
    async def talk() -> tuple[Event | None, Event | None]:
        reader, writer = await connect(served)
        try:
            await async_write_event(Event("transcript", {"text": "x" * 5000}), writer)
            error = await asyncio.wait_for(async_read_event(reader), 10)
            await async_write_event(Describe().event(), writer)
            return error, await asyncio.wait_for(async_read_event(reader), 10)
        finally:
            writer.close()

    error, info = asyncio.run(talk())
    assert error is not None and error.data.get("code") == "bad_event", error
    assert info is not None and Info.is_type(info.type)


# ---- 9. silent connections -----------------------------------------------------------------
def test_silent_connections_are_closed_and_cannot_lock_others_out(served: Serve) -> None:
    async def scenario() -> None:
        silent = [await taken_connection(served) for _ in range(PER_ADDRESS)]
        busy = await ask(served, [Describe().event()])  # a fifth from the same address
        assert busy is not None and busy.data.get("code") == "busy", busy
        other = await ask(served, [Describe().event()], "127.0.0.2")
        assert other is not None and Info.is_type(other.type)  # another address gets in
        closed = await asyncio.gather(*(is_closed_by_server(r, IDLE_S * 4) for r, _ in silent))
        assert all(closed), "an idle connection was kept open"
        for _, writer in silent:
            writer.close()

    asyncio.run(scenario())
    for _ in range(50):  # the server notices the closed connections asynchronously
        if describe_works(served):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the address was still refused after its idle connections were closed")
