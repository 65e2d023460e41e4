"""The Wyoming side of ``serve``: one ``AsyncEventHandler`` per client connection, built on
the ``wyoming`` library's own events and server (no hand-written protocol).

Services offered (``describe`` -> ``info``):
- ``asr``: ``transcribe`` + ``audio-start``/``audio-chunk``/``audio-stop`` -> ``transcript``,
  with the shop-biased recogniser and the same acceptance rule as ``listen``;
- ``handle``: ``transcript`` -> ``handled`` (the spoken reply; the cart changed as ``chat``
  would) or ``not-handled`` (not a shop request);
- ``tts``: ``synthesize`` -> ``audio-start``/``audio-chunk``/``audio-stop`` from Piper.

Every client is on its own: its audio buffer is capped, a failure answers that client with
an ``error`` event, and its conversation (pending questions, undo) is keyed by the satellite
or connection it comes from.

Whatever a client sends is hostile until shown otherwise: an event's header, data and payload
are capped before they are read, a connection that sends no complete event for a while is
closed, only sane audio formats are taken, and resampling runs off the event loop, so one
client can neither freeze nor exhaust the server for the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from importlib.metadata import version
from typing import Any

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    Describe,
    HandleModel,
    HandleProgram,
    Info,
    TtsProgram,
    TtsVoice,
)
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize

from ..audio import SAMPLE_RATE_HZ
from ..errors import ServerError
from .services import Services

log = logging.getLogger(__name__)

SAMPLE_WIDTH_BYTES = 2
MAX_AUDIO_S = 60.0
"""Audio kept per client utterance; past it the utterance is refused (a command is seconds
long), so many clients cannot exhaust the device's memory."""
MAX_AUDIO_BYTES = int(MAX_AUDIO_S * SAMPLE_RATE_HZ * SAMPLE_WIDTH_BYTES)
TTS_CHUNK_SAMPLES = 2048
"""Samples per ``audio-chunk`` of a reply (128 ms)."""
CONTEXT_KEYS = ("satellite_id", "device_id", "conversation_id")
"""Context fields that name who is talking, most stable first."""
MAX_DATA_BYTES = 64 * 1024
"""An event's JSON data (a transcript, a text to speak) is far smaller."""
MAX_PAYLOAD_BYTES = 256 * 1024
"""An audio chunk's bytes: over a second of 48 kHz stereo (satellites send ~0.1 s)."""
MAX_TEXT_CHARS = 2000
"""A text to handle or to speak; a reply or a command is a sentence or two."""
RATES_HZ = (8_000, 48_000)
"""Sample rates taken, lowest and highest; anything else asks for absurd resampling."""
CHANNELS = (1, 2)


class BadEvent(ServerError):
    """What a client sent is not a Wyoming event this server takes."""

    code = "bad_event"


def describe_info(services: Services) -> Info:
    """What this server offers, for Home Assistant's Wyoming integration."""
    ours = version("voice-shop")
    project = Attribution(name="voice-shop", url="")
    sphinx = Attribution(name="CMU Sphinx", url="https://github.com/cmusphinx/pocketsphinx")
    asr = AsrProgram(
        name="voice-shop-asr", attribution=project, installed=True, version=ours,
        description="Shop-biased speech to text (PocketSphinx, the catalog's language)",
        models=[AsrModel(name=services.settings.speech.engine, attribution=sphinx,
                         installed=True, description="the shop's grammar and language model",
                         version=ours, languages=["en"])])
    handle = HandleProgram(
        name="voice-shop", attribution=project, installed=True,
        description="The shopping conversation: cart, questions, checkout", version=ours,
        models=[HandleModel(name="voice-shop-dialog", attribution=project,
                            installed=True, description="cart dialog", version=ours,
                            languages=["en"])])
    voice = services.settings.tts.voice
    piper = Attribution(name="Piper", url="https://github.com/rhasspy/piper")
    tts = TtsProgram(
        name="voice-shop-tts", attribution=piper, installed=True, version=ours,
        description="Piper text to speech",
        voices=[TtsVoice(name=voice, attribution=piper, installed=True, description=voice,
                         version=None, languages=["en_US"])])
    return Info(asr=[asr], handle=[handle], tts=[tts])


class ShopEventHandler(AsyncEventHandler):
    """One client connection."""

    def __init__(self, services: Services, info: Info, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.services = services
        self.info = info
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        self.idle_timeout_s = services.settings.server.idle_timeout_s
        self._converter: AudioChunkConverter | None = None
        self._audio = bytearray()
        self._is_refused = False

    async def run(self) -> None:
        """Read events until the client leaves, idles or sends what cannot be an event; each
        bad connection is one line in the log, never a traceback."""
        try:
            while True:
                event = await asyncio.wait_for(read_event(self.reader), self.idle_timeout_s)
                if event is None or not await self.handle_event(event):
                    break
        except TimeoutError:
            log.info("client %s: nothing for %.0f s; closed", self.peer, self.idle_timeout_s)
        except BadEvent as exc:
            log.warning("client %s: %s; closed", self.peer, exc.message)
        except (ConnectionError, asyncio.IncompleteReadError):
            log.debug("client %s: connection lost", self.peer)
        finally:
            await self.disconnect()
            self.writer.close()

    async def write_event(self, event: Event) -> None:
        """A client that stops reading does not hold the connection forever."""
        await asyncio.wait_for(super().write_event(event), self.idle_timeout_s)

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; a failure is answered with an ``error`` event and the
        connection stays usable."""
        try:
            await self._dispatch(event)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            return False
        except BadEvent as exc:
            log.warning("client %s: %s refused: %s", self.peer, event.type, exc.message)
            return await self._answer_error(exc.message, exc.code)
        except Exception as exc:  # a bug answers this client only
            log.exception("client %s: %s failed", self.peer, event.type)
            return await self._answer_error(f"{event.type} failed: {exc}", "internal_error")
        return True

    async def _answer_error(self, text: str, code: str) -> bool:
        try:
            await self.write_event(Error(text=text, code=code).event())
        except (ConnectionError, RuntimeError, TimeoutError):
            return False
        return True

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(self.info.event())
        elif Transcribe.is_type(event.type):
            self._start_audio()
        elif AudioStart.is_type(event.type):
            self._start_audio()
            await self._check_format(event)
        elif AudioChunk.is_type(event.type):
            await self._add_audio(event)
        elif AudioStop.is_type(event.type):
            await self._transcribe()
        elif Transcript.is_type(event.type):
            await self._handle(_text_of(event), _context_of(event))
        elif Synthesize.is_type(event.type):
            await self._synthesize(_text_of(event))
        else:
            log.debug("client %s: ignoring %s", self.peer, event.type)

    # ---- asr -----------------------------------------------------------------------------
    def _start_audio(self) -> None:
        self._converter = AudioChunkConverter(rate=SAMPLE_RATE_HZ, width=SAMPLE_WIDTH_BYTES,
                                              channels=1)
        self._audio = bytearray()
        self._is_refused = False

    async def _check_format(self, event: Event) -> bool:
        """True when the event's audio format is one this server takes; else the utterance
        is refused (one ``error``; its audio is dropped until the next one starts)."""
        if self._is_refused:
            return False
        problem = _format_problem(event.data)
        if problem is None:
            return True
        self._is_refused, self._audio = True, bytearray()
        log.warning("client %s: audio refused: %s", self.peer, problem)
        await self.write_event(Error(text=problem, code="bad_audio_format").event())
        return False

    async def _add_audio(self, event: Event) -> None:
        if self._converter is None:
            self._start_audio()
        if not await self._check_format(event):
            return
        assert self._converter is not None
        audio = (await asyncio.to_thread(self._converter.convert,
                                         AudioChunk.from_event(event))).audio
        if len(self._audio) + len(audio) > MAX_AUDIO_BYTES:
            self._is_refused, self._audio = True, bytearray()
            log.warning("client %s: utterance longer than %.0f s refused", self.peer,
                        MAX_AUDIO_S)
            await self.write_event(Error(text=f"audio longer than {MAX_AUDIO_S:.0f} s",
                                         code="audio_too_long").event())
            return
        self._audio += audio

    async def _transcribe(self) -> None:
        audio, was_refused = bytes(self._audio), self._is_refused
        self._converter, self._audio, self._is_refused = None, bytearray(), False
        if was_refused:
            await self.write_event(Transcript(text="").event())
            return
        samples = np.frombuffer(audio[:len(audio) // 2 * 2], dtype=np.int16)
        heard = await self.services.transcribe(samples)
        # The words themselves are not logged: the utterance may be a purchase PIN.
        log.info("asr %s: %.2f s of audio, %s in %.0f ms", self.peer, heard.duration_s,
                 "understood" if heard.is_understood else "not understood",
                 heard.decode_s * 1000)
        await self.write_event(Transcript(text=heard.text, language="en").event())

    # ---- handle --------------------------------------------------------------------------
    async def _handle(self, text: str, context: dict[str, Any] | None) -> None:
        conversation = self._conversation(context)
        started = time.perf_counter()
        answer = await self.services.handle(text, conversation)
        log.info("handle %s: %r -> %s (%.0f ms): %s", conversation, answer.shown_text,
                 answer.intent, (time.perf_counter() - started) * 1000, answer.reply)
        context = {"conversation_id": conversation}  # so the client can continue it
        if answer.is_handled:
            await self.write_event(Handled(text=answer.reply, context=context).event())
        else:
            await self.write_event(NotHandled(text=answer.reply, context=context).event())

    def _conversation(self, context: dict[str, Any] | None) -> str:
        """Whose conversation this is: the satellite or device named in the request's
        context, else Home Assistant's conversation id, else the client's address (a
        client opening a connection per request still continues its conversation)."""
        for key in CONTEXT_KEYS:
            value = (context or {}).get(key)
            if isinstance(value, str) and value:
                return value[:100]
        return self.host

    # ---- tts -----------------------------------------------------------------------------
    async def _synthesize(self, text: str) -> None:
        started, seconds = time.perf_counter(), 0.0
        await self.write_event(AudioStart(rate=SAMPLE_RATE_HZ, width=SAMPLE_WIDTH_BYTES,
                                          channels=1).event())
        async for piece in self.services.synthesize(text):
            for at in range(0, len(piece), TTS_CHUNK_SAMPLES):
                pcm = piece[at:at + TTS_CHUNK_SAMPLES].astype("<i2").tobytes()
                await self.write_event(AudioChunk(rate=SAMPLE_RATE_HZ, width=SAMPLE_WIDTH_BYTES,
                                                  channels=1, audio=pcm).event())
            seconds += len(piece) / SAMPLE_RATE_HZ
        await self.write_event(AudioStop().event())
        log.info("tts %s: %.1f s of speech in %.0f ms", self.peer, seconds,
                 (time.perf_counter() - started) * 1000)


def _format_problem(data: dict[str, Any]) -> str | None:
    """Why an ``audio-start``/``audio-chunk``'s format is refused; None when it is fine."""
    rate, width, channels = data.get("rate"), data.get("width"), data.get("channels")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (rate, width, channels)):
        return "audio needs whole-number rate, width and channels"
    assert isinstance(rate, int) and isinstance(channels, int)
    if not (RATES_HZ[0] <= rate <= RATES_HZ[1] and width == SAMPLE_WIDTH_BYTES
            and channels in CHANNELS):
        return (f"audio must be {RATES_HZ[0]}-{RATES_HZ[1]} Hz, 16-bit, mono or stereo "
                f"(not {rate} Hz, {width} bytes, {channels} channels)")
    return None


def _text_of(event: Event) -> str:
    text = event.data.get("text")
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise BadEvent(f"{event.type} needs a text of at most {MAX_TEXT_CHARS} characters")
    return text


def _context_of(event: Event) -> dict[str, Any] | None:
    context = event.data.get("context")
    return context if isinstance(context, dict) else None


async def read_event(reader: asyncio.StreamReader) -> Event | None:
    """The next event, its data and payload capped before they are read (the ``wyoming``
    library reads whatever length a header claims); None at the end of the stream."""
    try:
        line = await reader.readline()
    except ValueError as exc:  # a header line over the reader's limit
        raise BadEvent("event header too long") from exc
    if not line:
        return None
    header = _json_object(line, "header")
    data_length = _length(header, "data_length", MAX_DATA_BYTES)
    payload_length = _length(header, "payload_length", MAX_PAYLOAD_BYTES)
    data = header.get("data") or {}
    if not isinstance(data, dict) or not isinstance(header.get("type"), str):
        raise BadEvent("an event needs a type and data that is an object")
    if data_length:
        data.update(_json_object(await reader.readexactly(data_length), "data"))
    payload = await reader.readexactly(payload_length) if payload_length else None
    return Event(type=header["type"], data=data, payload=payload)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BadEvent(f"the event {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise BadEvent(f"the event {what} is not a JSON object")
    return value


def _length(header: dict[str, Any], key: str, cap: int) -> int:
    value = header.get(key) or 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= cap:
        raise BadEvent(f"{key} must be 0-{cap} bytes, not {value!r}")
    return value


class RefusingHandler(AsyncEventHandler):
    """Answers a connection over a limit with one ``error`` event and closes it."""

    async def handle_event(self, event: Event) -> bool:
        return False

    async def run(self) -> None:
        try:
            await asyncio.wait_for(self.write_event(Error(
                text="too many clients; try again later", code="busy").event()), 5.0)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self.writer.close()
