"""The assistant's stages behind an async face, shared by every client of ``serve``.

The models are loaded once (``Services.start``) and every blocking call runs on a
single-thread executor, so the event loop keeps serving other clients while one utterance is
decoded or one reply synthesised. Three lanes, one thread each, because the device has two
cores and each lane holds something that must not be used by two threads at once:

- *shop*: the ``Assistant`` and its SQLite connection (made in that thread; sqlite3 refuses
  a connection from another), the dialog, and catalog refreshes;
- *decode*: PocketSphinx keeps one decoder, so utterances are decoded one at a time;
- *synth*: the Piper voice, one reply at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..assistant import Assistant
from ..config import AppSettings
from ..dialog import Dialog, Turn
from ..errors import VoiceShopError
from ..intent.model import IntentName
from ..intent.parser import IntentParser
from ..intent.secret import mask_text
from ..stt.base import SpeechToText
from ..understand import understand
from ..vad import speech_span

log = logging.getLogger(__name__)
T = TypeVar("T")
CONVERSATION_PREFIX = "wyoming:"
"""Keys of the server's conversations in the dialog-state table (the household's own is
``home``)."""
FORGET_AFTER_S = 86_400.0
"""A client conversation untouched this long is deleted (its question timed out long ago)."""


@dataclass(frozen=True)
class Heard:
    """What the recogniser made of one utterance."""

    text: str
    """The accepted command's words; empty when nothing was understood (out-of-domain
    speech must not reach a conversation agent as a guessed order)."""
    is_understood: bool
    duration_s: float
    decode_s: float


@dataclass(frozen=True)
class Answer:
    """The conversation's answer to one text."""

    reply: str
    """The spoken reply."""
    is_handled: bool
    """False when the text was not understood as a shop request."""
    shown_text: str
    """The text as it may be logged: masked when it answered a PIN question."""
    intent: str


class Services:
    """The loaded stages and the three executor lanes."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self._shop_lane = ThreadPoolExecutor(1, thread_name_prefix="shop")
        self._decode_lane = ThreadPoolExecutor(1, thread_name_prefix="decode")
        self._synth_lane = ThreadPoolExecutor(1, thread_name_prefix="synth")
        self._assistant: Assistant | None = None
        self._forgotten_at = 0.0

    async def start(self) -> None:
        """Open the database and load every model before the first client arrives, so no
        shopper waits for a model load."""
        self._assistant = await self._on(self._shop_lane, Assistant, self.settings)
        await self._on(self._shop_lane, self._load)

    def _load(self) -> None:
        assistant = self._loaded
        assistant.stt  # noqa: B018 - cached_property: builds the recogniser's language now
        assistant.parser  # noqa: B018
        assistant.tts.synthesize_all("Ready.")  # the ONNX runtime's first run is slow

    @property
    def _loaded(self) -> Assistant:
        if self._assistant is None:
            raise RuntimeError("Services.start() was not awaited")
        return self._assistant

    def close(self) -> None:
        for lane in (self._decode_lane, self._synth_lane):
            lane.shutdown(wait=True, cancel_futures=True)
        if self._assistant is not None:
            self._shop_lane.submit(self._assistant.shop.close).result()
        self._shop_lane.shutdown(wait=True, cancel_futures=True)

    async def _on(self, lane: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(lane, fn, *args)

    # ---- speech to text -------------------------------------------------------------------
    async def transcribe(self, samples: np.ndarray) -> Heard:
        stt, parser = await self._on(self._shop_lane, self._current_recogniser)
        return await self._on(self._decode_lane, _decode, stt, parser, samples)

    def _current_recogniser(self) -> tuple[SpeechToText, IntentParser]:
        """The recogniser and parser for the catalog as it is now (the web page or
        ``catalog import`` may have changed it since the last utterance)."""
        assistant = self._loaded
        assistant.refresh_if_catalog_changed()
        return assistant.stt, assistant.parser

    # ---- conversation ---------------------------------------------------------------------
    async def handle(self, text: str, conversation: str) -> Answer:
        return await self._on(self._shop_lane, self._handle, text, conversation)

    def _handle(self, text: str, conversation: str) -> Answer:
        assistant = self._loaded
        assistant.refresh_if_catalog_changed()
        self._forget_old_conversations()
        dialog = Dialog(assistant.shop, assistant.parser, self.settings.dialog,
                        CONVERSATION_PREFIX + conversation)
        shown = mask_text(text) if dialog.is_secret_input(text) else text
        try:
            turn = dialog.handle_text(text, None)
        except VoiceShopError as exc:  # one bad turn is an answer, never a dead connection
            log.warning("handle %s: %r failed: %s", conversation, shown, exc.message)
            return Answer(f"Sorry, that did not work: {exc.message}", False, shown, "error")
        return _answer(turn, shown)

    def _forget_old_conversations(self) -> None:
        """Every hour at most: one row per client conversation must not pile up forever."""
        now = time.time()
        if now - self._forgotten_at < FORGET_AFTER_S / 24:
            return
        self._forgotten_at = now
        gone = self._loaded.shop.forget_dialog_states(CONVERSATION_PREFIX, now - FORGET_AFTER_S)
        if gone:
            log.info("forgot %d finished conversations", gone)

    # ---- text to speech -------------------------------------------------------------------
    async def synthesize(self, text: str) -> AsyncIterator[np.ndarray]:
        """Pipeline-format audio, one array per sentence, each made on the synth lane as
        the previous one is being sent."""
        pieces = iter(self._loaded.tts.synthesize(text))
        while True:
            piece = await self._on(self._synth_lane, next, pieces, None)
            if piece is None:
                return
            yield piece


def _decode(stt: SpeechToText, parser: IntentParser, samples: np.ndarray) -> Heard:
    """Decode and understand one utterance exactly as ``understand`` and ``listen`` do."""
    transcript = stt.transcribe(speech_span(samples))
    result = understand(transcript, parser)
    text = result.text if result.is_understood else ""
    return Heard(text, result.is_understood, transcript.duration_s, transcript.decode_s)


def _answer(turn: Turn, shown: str) -> Answer:
    is_handled = turn.intent.intent is not IntentName.UNKNOWN
    return Answer(turn.reply, is_handled, mask_text(shown) if turn.is_secret else shown,
                  str(turn.intent.intent))
