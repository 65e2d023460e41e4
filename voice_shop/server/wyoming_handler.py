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
"""

from __future__ import annotations

import asyncio
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
        self._converter: AudioChunkConverter | None = None
        self._audio = bytearray()
        self._is_over_cap = False

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; a failure is answered with an ``error`` event and the
        connection stays usable."""
        try:
            await self._dispatch(event)
        except (ConnectionError, asyncio.IncompleteReadError):
            return False
        except Exception as exc:  # a bug answers this client only
            log.exception("client %s: %s failed", self.peer, event.type)
            try:
                await self.write_event(Error(text=f"{event.type} failed: {exc}",
                                             code="internal_error").event())
            except (ConnectionError, RuntimeError):
                return False
        return True

    async def _dispatch(self, event: Event) -> None:
        if Describe.is_type(event.type):
            await self.write_event(self.info.event())
        elif Transcribe.is_type(event.type) or AudioStart.is_type(event.type):
            self._start_audio()
        elif AudioChunk.is_type(event.type):
            await self._add_audio(AudioChunk.from_event(event))
        elif AudioStop.is_type(event.type):
            await self._transcribe()
        elif Transcript.is_type(event.type):
            await self._handle(Transcript.from_event(event))
        elif Synthesize.is_type(event.type):
            await self._synthesize(Synthesize.from_event(event).text)
        else:
            log.debug("client %s: ignoring %s", self.peer, event.type)

    # ---- asr -----------------------------------------------------------------------------
    def _start_audio(self) -> None:
        self._converter = AudioChunkConverter(rate=SAMPLE_RATE_HZ, width=SAMPLE_WIDTH_BYTES,
                                              channels=1)
        self._audio = bytearray()
        self._is_over_cap = False

    async def _add_audio(self, chunk: AudioChunk) -> None:
        if self._converter is None:
            self._start_audio()
        if self._is_over_cap:
            return
        assert self._converter is not None
        audio = self._converter.convert(chunk).audio
        if len(self._audio) + len(audio) > MAX_AUDIO_BYTES:
            self._is_over_cap, self._audio = True, bytearray()
            log.warning("client %s: utterance longer than %.0f s refused", self.peer,
                        MAX_AUDIO_S)
            await self.write_event(Error(text=f"audio longer than {MAX_AUDIO_S:.0f} s",
                                         code="audio_too_long").event())
            return
        self._audio += audio

    async def _transcribe(self) -> None:
        audio, was_over = bytes(self._audio), self._is_over_cap
        self._converter, self._audio, self._is_over_cap = None, bytearray(), False
        if was_over:
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
    async def _handle(self, transcript: Transcript) -> None:
        conversation = self._conversation(transcript.context)
        started = time.perf_counter()
        answer = await self.services.handle(transcript.text, conversation)
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


class RefusingHandler(AsyncEventHandler):
    """Answers a connection over the client limit with one ``error`` event and closes it."""

    async def handle_event(self, event: Event) -> bool:
        return False

    async def run(self) -> None:
        try:
            await self.write_event(Error(text="too many clients; try again later",
                                         code="busy").event())
        finally:
            self.writer.close()
