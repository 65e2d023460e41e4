"""The listen loop: audio in, spoken replies out, one JSON-able event per step.

AudioSource -> Endpointer -> SpeechToText (streaming) -> WakeGate -> understand -> Dialog ->
TextToSpeech -> AudioSink. Files and the microphone take the same path. With files, stream
time stops while the device speaks (as if the tester waited for the answer); with the
microphone, what the microphone hears while the device speaks is dropped, so the device never
hears, or wakes on, its own voice.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .audio import AudioChunk, AudioSink, AudioSource
from .dialog import Dialog
from .errors import VoiceShopError
from .intent.parser import IntentParser
from .stt.base import RecognizerStream, SpeechToText, Transcript
from .tts import TextToSpeech
from .understand import understand
from .vad import Endpointer, EndpointerSettings, EndpointKind
from .wake import WakeGate

log = logging.getLogger(__name__)
PRE_ROLL_S = 0.3
"""Audio kept from before the endpointer noticed speech (its first syllable)."""
SORRY = "Sorry, I didn't catch that."


@dataclass(frozen=True)
class PipelineEvent:
    """One thing that happened in the loop."""

    kind: str
    """wake | transcript | speaker | intent | reply | error"""
    t: float
    """Stream time in seconds."""
    file: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "t": round(self.t, 3), "file": self.file, **self.data}


SpeakerIdentifier = Callable[[np.ndarray, str | None], tuple[str | None, float]]
"""(audio of one utterance, the speaker just asked a question or None) -> (speaker name or
None when unknown, score)."""


@dataclass
class _Utterance:
    start_s: float
    file: str | None
    stream: RecognizerStream
    samples: list[np.ndarray] = field(default_factory=list)

    def add(self, samples: np.ndarray) -> None:
        self.stream.feed(samples)
        self.samples.append(samples)


class Pipeline:
    def __init__(self, stt: SpeechToText, parser: IntentParser, dialog: Dialog,
                 tts: TextToSpeech, sink: AudioSink, gate: WakeGate,
                 endpointer: EndpointerSettings | None = None, *, is_live: bool = False,
                 identify: SpeakerIdentifier | None = None,
                 between_utterances: Callable[[Pipeline], None] | None = None) -> None:
        self.stt, self.parser, self.dialog, self.tts, self.sink = stt, parser, dialog, tts, sink
        self.gate = gate
        self.endpointer = Endpointer(endpointer)
        self.is_live = is_live
        self.identify = identify
        self.between_utterances = between_utterances
        """Called after each utterance (e.g. to pick up a new catalog)."""
        self._offset_s = 0.0
        self._deaf_until_s = -1.0
        self._asked: tuple[str | None, float] = (None, -1.0)
        """Who the device last asked a question, and until when an answer counts."""
        self._speaker_now: str | None = None
        self.latencies_ms: list[float] = []
        """End of speech (endpoint decided) to first reply audio, per reply."""

    def run(self, source: AudioSource) -> Iterator[PipelineEvent]:
        ring: deque[AudioChunk] = deque(maxlen=max(1, int(PRE_ROLL_S * 1000) // 20))
        current: _Utterance | None = None
        last: AudioChunk | None = None
        for raw in source.chunks():
            chunk = replace(raw, start_s=raw.start_s + self._offset_s)
            last = chunk
            if chunk.start_s < self._deaf_until_s:
                continue  # the device is speaking: do not listen to itself
            event = self.endpointer.feed(chunk)
            if current is None:
                ring.append(chunk)
                if event is not None and event.kind is EndpointKind.STARTED:
                    current = _Utterance(event.t, chunk.source, self.stt.stream())
                    for held in ring:
                        current.add(held.samples)
                    ring.clear()
                continue
            current.add(chunk.samples)
            if event is not None and event.kind is EndpointKind.ENDED:
                yield from self._finish(current, event.t)
                current = None
        if current is not None and last is not None:
            yield from self._finish(current, last.start_s + last.duration_s)

    # ---- one utterance -------------------------------------------------------------------
    def _finish(self, utterance: _Utterance, end_s: float) -> Iterator[PipelineEvent]:
        ended = time.perf_counter()
        try:
            yield from self._handle(utterance, end_s, ended)
            if self.between_utterances is not None:
                self.between_utterances(self)
        except VoiceShopError as exc:
            yield PipelineEvent("error", end_s, utterance.file,
                                {"code": exc.code, "message": exc.message})
            yield from self._reply(SORRY, end_s, utterance.file, ended)
        except Exception as exc:  # one bad utterance never stops the loop
            log.exception("utterance failed")
            yield PipelineEvent("error", end_s, utterance.file,
                                {"code": "internal", "message": f"{type(exc).__name__}: {exc}"})
            yield from self._reply(SORRY, end_s, utterance.file, ended)

    def _handle(self, utterance: _Utterance, end_s: float,
                ended: float) -> Iterator[PipelineEvent]:
        self._speaker_now = None
        transcript = utterance.stream.finish()
        wake = self.gate.check(transcript.text, utterance.start_s)
        if not wake.is_awake:
            return
        file = utterance.file
        if wake.has_phrase:
            yield PipelineEvent("wake", utterance.start_s, file, {"phrase": " ".join(
                self.gate.phrase)})
        yield PipelineEvent("transcript", end_s, file, {
            "text": wake.command, "heard": transcript.text,
            "confidence": round(transcript.confidence, 3),
            "duration_s": round(transcript.duration_s, 3)})
        if wake.has_phrase and not wake.command:
            yield from self._reply("Yes?", end_s, file, ended, expects_answer=True)
            return
        speaker = yield from self._speaker(utterance, end_s)
        self._speaker_now = speaker
        command = _without_wake(transcript, self.gate.phrase) if wake.has_phrase else transcript
        understood = understand(command, self.parser)
        yield PipelineEvent("intent", end_s, file, {"text": understood.text,
                                                    "understood": understood.is_understood,
                                                    "intent": understood.intent.to_dict()})
        turn = self.dialog.handle(understood.intent, speaker)
        data = {"order_id": turn.order_id} if turn.order_id is not None else {}
        yield from self._reply(turn.reply, end_s, file, ended, data,
                               expects_answer=turn.expects_answer)

    def _speaker(self, utterance: _Utterance,
                 end_s: float) -> Generator[PipelineEvent, None, str | None]:
        if self.identify is None:
            return None
        asked, until_s = self._asked
        expected = asked if utterance.start_s <= until_s else None
        name, score = self.identify(np.concatenate(utterance.samples), expected)
        yield PipelineEvent("speaker", end_s, utterance.file,
                            {"speaker": name, "score": round(score, 3)})
        return name

    def _reply(self, text: str, end_s: float, file: str | None, ended: float,
               extra: dict[str, Any] | None = None, *,
               expects_answer: bool = False) -> Iterator[PipelineEvent]:
        first_audio: list[float] = []

        def sentences() -> Iterator[np.ndarray]:
            for audio in self.tts.synthesize(text):
                if not first_audio:
                    first_audio.append(time.perf_counter())
                yield audio

        played_s = self.sink.play(sentences(), _slug(text))
        latency_ms = 1000 * ((first_audio[0] if first_audio else time.perf_counter()) - ended)
        self.latencies_ms.append(latency_ms)
        data: dict[str, Any] = {"text": text, "duration_s": round(played_s, 3),
                                "first_audio_ms": round(latency_ms, 1), **(extra or {})}
        written = getattr(self.sink, "written", None)
        if written:
            data["audio"] = str(written[-1])
        yield PipelineEvent("reply", end_s, file, data)
        if expects_answer:  # the answer may come without the wake phrase
            self.gate.open_follow_up(end_s + played_s)
            self._asked = (self._speaker_now, end_s + played_s + self.gate.settings.follow_up_s)
        if self.is_live:
            self._deaf_until_s = end_s + played_s + 0.2
        else:
            self._offset_s += played_s
        self.endpointer.reset()


def _without_wake(transcript: Transcript, phrase: tuple[str, ...]) -> Transcript:
    """The transcript with the wake phrase cut from the front of every hypothesis."""
    def cut(text: str) -> str | None:
        words = text.split()
        return " ".join(words[len(phrase):]) if tuple(words[:len(phrase)]) == phrase else None

    alternatives = tuple(a for a in (cut(t) for t in transcript.alternatives) if a)
    return replace(transcript, text=cut(transcript.text) or "", alternatives=alternatives)


def _slug(text: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words[:6]) or "reply"
