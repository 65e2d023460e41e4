"""The listen loop: audio in, spoken replies out, one JSON-able event per step.

AudioSource -> WakeWordDetector -> Endpointer (Silero VAD) -> SpeechToText (streaming) ->
understand -> Dialog -> TextToSpeech -> AudioSink.

- With a wake-word engine (the default) only the wake-word model listens while nobody has
  woken the device; after a wake word the audio that follows it is decoded until the
  endpointer ends the utterance. The recogniser also runs, without a wake word, in the
  follow-up window after the device asked a question.
- With a custom phrase (``WakeGate``) or no wake at all, every utterance the endpointer finds
  is decoded, and the gate decides from the transcript. With a recogniser that can score the
  phrase (Moonshine), the gate hears it on the start of the utterance's audio instead, once,
  and only an utterance that begins with it is decoded.
- The utterance ends after ``end_silence_ms`` of non-speech, or early, after ``pause_ms``,
  when ``is_complete(partial transcript)`` says the command is already complete. The check
  starts when the pause has lasted ``check_ms``, so the recogniser works while the rest of
  the pause is waited for. Who is speaking is asked before that, as soon as speech stops
  (``quiet_ms``), in time the device would otherwise idle away.
- Stream time: with files (by default) it stops while the device speaks, as if the tester
  waited for the answer. Live (a microphone, or files with ``is_live``) it runs on: what is
  heard while the device speaks goes only to the wake-word model, so the device never
  transcribes itself, a wake word the reply itself contains is ignored, and the shopper's
  wake word stops the reply (barge-in).
- A file that cannot be read becomes an ``error`` event and a spoken "Sorry"; the loop goes on.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .audio import SAMPLE_RATE_HZ, AudioChunk, AudioSink, AudioSource, SourceError, chunks_of
from .dialog import Dialog
from .errors import VoiceShopError
from .intent.parser import IntentParser
from .intent.secret import masked_event
from .stt.base import RecognizerStream, SpeechToText, Transcript
from .tts import TextToSpeech
from .understand import Understanding, understand
from .vad import Endpointer, EndpointerSettings, EndpointKind
from .wake import WakeDetection, WakeGate, WakeWordDetector
from .wake.neural import PhraseHeard, is_settled

log = logging.getLogger(__name__)
PRE_ROLL_S = 0.3
"""Audio kept from before the endpointer noticed speech (its first syllable)."""
RECENT_S = 1.5
"""Audio kept while asleep: the wake word itself goes to speaker identification, which
needs more than a short command ("check out") to tell voices apart."""
SORRY = "Sorry, I didn't catch that."
YES = "Yes?"
FIXED_REPLIES = (SORRY, YES)
"""Replies said word for word again and again (made before the shopper speaks)."""
SILENT_PEAK = 4
"""A chunk whose samples all stay within +-this is digital silence."""
SILENCE_SKIP_AFTER_S = 1.0
"""After this much digital silence the models are not fed more of it (an hour of silence
in a file costs next to nothing)."""
WAKE_PRE_ROLL_S = 0.1
"""Audio from just before the wake word fired that goes to the recogniser: the model decides
~130 ms after the word ends, by when a command said in one breath has begun."""
RECUT_S = 0.1
"""When the command after a wake word is not understood, it is decoded again starting this
much earlier, then this much later (see ``Pipeline._recut``)."""
OWN_VOICE_MARGIN_S = 1.0
"""A wake word heard within this time of one the reply itself contains is the device's own."""

IsComplete = Callable[[str], bool]
"""The early-end hook: (partial transcript of the utterance so far) -> True when it is
already a complete command, so a short pause ends the utterance."""


@runtime_checkable
class PartialStream(Protocol):
    """A recogniser stream that can say what it has heard so far."""

    def partial(self) -> str: ...

    def end_at_partial(self) -> None:
        """The utterance ends where ``partial`` was last asked (the rest is the pause)."""


@dataclass(frozen=True)
class PipelineEvent:
    """One thing that happened in the loop."""

    kind: str
    """wake | barge_in | transcript | speaker | intent | reply | error"""
    t: float
    """Stream time in seconds."""
    file: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "t": round(self.t, 3), "file": self.file, **self.data}


SpeakerIdentifier = Callable[[np.ndarray, str | None], tuple[str | None, float]]
"""(audio of one utterance, the speaker just asked a question or None) -> (speaker name or
None when unknown, score)."""


@dataclass(frozen=True)
class _Check:
    """An early-end check: was the command complete when speech paused at ``t``?"""

    t: float
    started: float
    """perf_counter() when the check began."""
    is_complete: bool


@dataclass(frozen=True)
class _Voice:
    """Who spoke the speech that stopped at ``t``, heard as it stopped."""

    t: float
    found: tuple[str | None, float] | None
    lag_s: float
    """How far the work ran past ``check_ms``: in real time the check started that late."""


@dataclass
class _Utterance:
    start_s: float
    file: str | None
    stream: RecognizerStream
    wake: WakeDetection | None = None
    """The wake word that opened it (None when the endpointer found it)."""
    has_speech: bool = True
    """False until speech follows the wake word."""
    samples: list[np.ndarray] = field(default_factory=list)
    wake_samples: list[np.ndarray] = field(default_factory=list)
    """The wake word (not decoded; heard by speaker identification)."""
    check: _Check | None = None
    """The early-end check asked when the current pause began."""
    voice: _Voice | None = None
    """The speaker identified when the current pause began."""
    phrase: PhraseHeard | None = None
    """The custom wake phrase heard on the audio (``WakeGate.hear``); None until checked."""
    phrase_t: float = -1.0
    """The end of the speech the last phrase check heard (one check per pause)."""

    def voice_at(self, t: float) -> _Voice | None:
        """The speaker identified at the pause after speech that stopped at ``t``: the
        endpointer gives every event of one pause the same ``t``."""
        return self.voice if self.voice is not None and self.voice.t == t else None

    def add(self, samples: np.ndarray) -> None:
        self.stream.feed(samples)
        self.samples.append(samples)


@dataclass
class _Timing:
    """Where the time between end of speech and first reply audio went."""

    endpoint_wait_ms: float = 0.0
    """Stream time from the end of speech to the endpointer's decision (audio it waited for)."""
    ended: float = 0.0
    """perf_counter() when the endpoint was decided."""
    stages_ms: dict[str, float] = field(default_factory=dict)

    def mark(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stages_ms[stage] = round(1000 * (now - since), 1)
        return now


class Pipeline:
    def __init__(self, stt: SpeechToText, parser: IntentParser, dialog: Dialog,
                 tts: TextToSpeech, sink: AudioSink, gate: WakeGate,
                 endpointer: EndpointerSettings | None = None, *, is_live: bool = False,
                 identify: SpeakerIdentifier | None = None,
                 between_utterances: Callable[[Pipeline], None] | None = None,
                 wake: WakeWordDetector | None = None,
                 own_voice: WakeWordDetector | None = None,
                 is_complete: IsComplete | None = None) -> None:
        self.stt, self.parser, self.dialog, self.tts, self.sink = stt, parser, dialog, tts, sink
        self.gate = gate
        self.endpointer = Endpointer(endpointer)
        self.is_live = is_live
        self.identify = identify
        self.between_utterances = between_utterances
        """Called after each utterance (e.g. to pick up a new catalog)."""
        self.wake = wake
        """The wake-word engine; None: a custom phrase (the gate) or no wake at all."""
        self.own_voice = own_voice
        """A second instance of the wake-word engine, run over the device's own replies."""
        self.is_complete = is_complete
        self._offset_s = 0.0
        self._speaking: tuple[float, float] = (-1.0, -1.0)
        """Stream time from the end of the last utterance to the end of its reply (live)."""
        self._reply_start_s = -1.0
        self._own_wakes: list[float] = []
        """Stream times at which the reply itself sounds like the wake word."""
        self._asked: tuple[str | None, float] = (None, -1.0)
        """Who the device last asked a question, and until when an answer counts."""
        self._speaker_now: str | None = None
        self._utterance: _Utterance | None = None
        self._ring: deque[AudioChunk] = deque(maxlen=int(RECENT_S * 1000) // 20)
        self._silent_s = 0.0
        self.wake_pre_roll_s = WAKE_PRE_ROLL_S
        self.latencies_ms: list[float] = []
        """End of speech (endpoint decided) to first reply audio, per reply."""

    # ---- the stream ----------------------------------------------------------------------
    def run(self, source: AudioSource) -> Iterator[PipelineEvent]:
        last: AudioChunk | None = None
        for item in source.chunks():
            if isinstance(item, SourceError):
                yield from self._source_error(item)
                continue
            chunk = replace(item, start_s=item.start_s + self._offset_s)
            if last is not None and chunk.source != last.source and self._utterance is None:
                self._new_recording()
            last = chunk
            yield from self._on_chunk(chunk)
        if self._utterance is not None and last is not None:
            yield from self._finish(last.start_s + last.duration_s, _Timing())

    def _new_recording(self) -> None:
        """The next file begins: its audio is heard from the state the first file was heard
        from (the endpointer's and wake word's models, the recent audio), so a file is cut
        and decoded the same wherever it comes in a batch; the conversation goes on."""
        self.endpointer.reset()
        if self.wake is not None:
            self.wake.reset()
        self._silent_s = 0.0
        self._ring.clear()

    def _on_chunk(self, chunk: AudioChunk) -> Iterator[PipelineEvent]:
        start, end = self._speaking
        if start <= chunk.start_s < end:
            yield from self._while_speaking(chunk)
            return
        is_silent = self._is_silent(chunk)
        if self._utterance is not None:
            yield from self._in_utterance(chunk)
            return
        if is_silent and self._silent_s > SILENCE_SKIP_AFTER_S:
            return  # nothing to hear; the models already know the room is silent
        if self.wake is not None:
            detection = self.wake.feed(chunk.samples, chunk.start_s)
            if detection is not None:
                yield from self._woke(detection, chunk.source)
                return
        if self.wake is None or self.gate.is_following_up(chunk.start_s):
            self._listen_without_wake(chunk)
        else:
            self._ring.append(chunk)

    def _is_silent(self, chunk: AudioChunk) -> bool:
        if len(chunk.samples) and int(np.abs(chunk.samples.astype(np.int32)).max()) <= SILENT_PEAK:
            self._silent_s += chunk.duration_s
            return True
        self._silent_s = 0.0
        return False

    def _listen_without_wake(self, chunk: AudioChunk) -> None:
        """The endpointer finds an utterance; the recogniser starts on it (with pre-roll)."""
        self._ring.append(chunk)
        event = self.endpointer.feed(chunk)
        if event is not None and event.kind is EndpointKind.STARTED:
            self._utterance = _Utterance(event.t, chunk.source, self.stt.stream())
            for held in self._ring:
                if _is_since(held, event.t - PRE_ROLL_S):
                    self._utterance.add(held.samples)
            self._ring.clear()

    def _woke(self, detection: WakeDetection, file: str | None) -> Iterator[PipelineEvent]:
        """The wake word was heard: decode what follows it."""
        if self._utterance is not None:
            self._utterance.stream.finish()  # what came before the wake word is dropped
        self.endpointer.reset()
        self._utterance = _Utterance(detection.t, file, self.stt.stream(), detection,
                                     has_speech=False)
        for chunk in self._ring:
            if _is_since(chunk, detection.t - self.wake_pre_roll_s):
                self._utterance.add(chunk.samples)
            else:
                self._utterance.wake_samples.append(chunk.samples)
        self._ring.clear()
        yield PipelineEvent("wake", detection.t, file, {
            "word": detection.word, "probability": round(detection.probability, 3)})

    def _in_utterance(self, chunk: AudioChunk) -> Iterator[PipelineEvent]:
        utterance = self._utterance
        assert utterance is not None
        if self.wake is not None:
            # A wake word inside an utterance starts it afresh: an answer in the follow-up
            # window that begins with it, or the word said again after a pause or a noise.
            self._ring.append(chunk)
            detection = self.wake.feed(chunk.samples, chunk.start_s)
            if detection is not None:
                yield from self._woke(detection, chunk.source)
                return
        utterance.add(chunk.samples)
        event = self.endpointer.feed(chunk)
        end_t = chunk.start_s + chunk.duration_s
        if end_t - utterance.start_s >= self.gate.policy.head_s:
            self._hear_phrase(utterance, end_t)  # and at each pause before, and the end
        if not utterance.has_speech:
            if event is not None and event.kind is EndpointKind.STARTED:
                utterance.has_speech = True
            elif end_t - utterance.start_s >= self.gate.settings.command_wait_s:
                self.endpointer.reset()
                yield from self._finish(end_t, _Timing(ended=time.perf_counter()))
            return
        if event is None or event.kind is EndpointKind.STARTED:
            return
        if event.kind is EndpointKind.QUIET:
            utterance.voice = self._voice_so_far(utterance, event.t)
            return
        if event.kind is EndpointKind.PAUSING:
            utterance.check = self._check_so_far(utterance, event.t)
            return
        decided = time.perf_counter()
        check = utterance.check
        is_checked = check is not None and check.t == event.t  # one t per pause
        if (event.kind is EndpointKind.ENDED and is_checked and not event.is_cut
                and isinstance(utterance.stream, PartialStream)):
            # Not complete, but the decode of this pause is the decode of the whole
            # command: the rest is silence.
            utterance.stream.end_at_partial()
        if event.kind is EndpointKind.PAUSED:
            settings = self.endpointer.settings
            if check is not None and is_checked:
                # Asked when the pause began: in real time, the rest of the pause elapsed
                # while the recogniser worked, and the clock starts when it did.
                overlap_s = (settings.pause_ms - settings.check_ms) / 1000
                voice = utterance.voice_at(event.t)
                if voice is not None:
                    overlap_s -= voice.lag_s
                decided = min(decided, check.started + overlap_s)
            else:
                check = utterance.check = self._check_so_far(utterance, event.t)
                decided = check.started  # the check's decode is part of the wait
            if not check.is_complete:
                return
            assert isinstance(utterance.stream, PartialStream)
            utterance.stream.end_at_partial()
            event = self.endpointer.end_now(event.t)
        yield from self._finish(event.t, _Timing(1000 * (end_t - event.t), decided))

    # ---- a custom wake phrase heard on the audio -----------------------------------------
    def _hear_phrase(self, utterance: _Utterance, t: float) -> None:
        """The neural check of a custom wake phrase on the utterance so far (its speech
        ended at ``t``): at each pause, when its start (``PhrasePolicy.head_s``) is all
        heard, and when it ends, until the verdict is settled."""
        if utterance.wake is not None or utterance.phrase_t == t \
                or is_settled(utterance.phrase, self.gate.policy):
            return
        ear = self.gate.ear_for(self.stt, utterance.start_s)
        if ear is not None and utterance.samples:
            utterance.phrase = self.gate.hear(ear, np.concatenate(utterance.samples))
            utterance.phrase_t = t

    def _is_addressed_so_far(self, utterance: _Utterance) -> bool:
        """False while the neural check applies and has not heard the phrase: nothing else
        (early-end decodes, speaker id) is spent on talk that is not for the device."""
        if utterance.wake is not None or self.gate.ear_for(self.stt, utterance.start_s) is None:
            return True
        return utterance.phrase is not None and utterance.phrase.has_phrase

    def _voice_so_far(self, utterance: _Utterance, t: float) -> _Voice | None:
        """Who is speaking, asked the moment speech stops: until the check begins the
        device would only wait, and the answer stands when the pause ends the command."""
        if self.identify is None or not self._is_addressed_so_far(utterance):
            return None
        started = time.perf_counter()
        found = self._identify(utterance)
        settings = self.endpointer.settings
        spare_s = (settings.check_ms - settings.quiet_ms) / 1000
        return _Voice(t, found, max(0.0, time.perf_counter() - started - spare_s))

    def _check_so_far(self, utterance: _Utterance, t: float) -> _Check:
        """Is the command heard up to this pause (speech ended at ``t``) complete?"""
        started = time.perf_counter()
        self._hear_phrase(utterance, t)
        if self.is_complete is None or not isinstance(utterance.stream, PartialStream) \
                or not self._is_addressed_so_far(utterance):
            return _Check(t, started, False)
        try:
            text = utterance.stream.partial()
        except Exception:  # the utterance goes on, and is decoded whole when it ends
            log.exception("decode at a pause failed")
            return _Check(t, started, False)
        text = self.gate.check(text, utterance.start_s, utterance.phrase).command
        return _Check(t, started, bool(text) and self.is_complete(text))

    # ---- while the device speaks ---------------------------------------------------------
    def _while_speaking(self, chunk: AudioChunk) -> Iterator[PipelineEvent]:
        """Only the wake-word model hears this: a wake word stops the reply (barge-in)."""
        if self.wake is None:
            return
        detection = self.wake.feed(chunk.samples, chunk.start_s)
        if detection is None:
            return
        if any(abs(detection.t - t) <= OWN_VOICE_MARGIN_S for t in self._own_wakes):
            log.info("ignored a wake word in the device's own reply at %.2f s", detection.t)
            return
        self._speaking = (-1.0, -1.0)
        played_s = self.sink.stop(max(0.0, detection.t - self._reply_start_s))
        yield PipelineEvent("barge_in", detection.t, chunk.source,
                            {"reply_played_s": round(played_s, 3)})
        yield from self._woke(detection, chunk.source)

    # ---- one utterance -------------------------------------------------------------------
    def _finish(self, end_s: float, timing: _Timing) -> Iterator[PipelineEvent]:
        utterance, self._utterance = self._utterance, None
        assert utterance is not None
        if self.wake is not None:
            self.wake.reset()  # the reply comes next: listen afresh after it
        if not timing.ended:
            timing.ended = time.perf_counter()
        try:
            yield from self._handle(utterance, end_s, timing)
            if self.between_utterances is not None:
                self.between_utterances(self)
        except VoiceShopError as exc:
            yield PipelineEvent("error", end_s, utterance.file,
                                {"code": exc.code, "message": exc.message})
            yield from self._reply(SORRY, end_s, utterance.file, timing)
        except Exception as exc:  # one bad utterance never stops the loop
            log.exception("utterance failed")
            yield PipelineEvent("error", end_s, utterance.file,
                                {"code": "internal", "message": f"{type(exc).__name__}: {exc}"})
            yield from self._reply(SORRY, end_s, utterance.file, timing)

    def _source_error(self, item: SourceError) -> Iterator[PipelineEvent]:
        t = item.start_s + self._offset_s
        if self._utterance is not None:
            yield from self._finish(t, _Timing())
        yield PipelineEvent("error", t, item.source, {"code": item.error.code,
                                                      "message": item.error.message})
        yield from self._reply(SORRY, t, item.source, _Timing(ended=time.perf_counter()))

    def _handle(self, utterance: _Utterance, end_s: float,
                timing: _Timing) -> Iterator[PipelineEvent]:
        self._speaker_now = None
        mark, identified = timing.ended, None
        voice = utterance.voice_at(end_s)  # nobody spoke after it
        if voice is not None:
            identified = voice.found
            mark = timing.mark("speaker", mark)  # what was left of the check's decode
        self._hear_phrase(utterance, end_s)
        if not self._is_addressed_so_far(utterance):
            return  # not for the device: never decoded whole
        transcript = utterance.stream.finish()
        mark = timing.mark("decode", mark)
        heard = utterance.phrase
        wake = self.gate.check(transcript.text, utterance.start_s, heard)
        if not wake.is_awake:
            return
        command = (self.gate.command(transcript, heard) if heard is not None
                   else transcript.without_wake(self.gate.phrase) if wake.has_phrase
                   else transcript)
        understood = understand(command, self.parser)
        if not understood.is_understood and _has_words(transcript) and utterance.wake:
            transcript, understood = self._recut(utterance, transcript, understood)
            command, wake = transcript, self.gate.check(transcript.text, utterance.start_s)
        mark = timing.mark("understand", mark)  # any re-cut's decodes included
        file = utterance.file
        if wake.has_phrase:
            cost = {} if heard is None else {"cost_nats": round(heard.cost_nats, 2)}
            yield PipelineEvent("wake", utterance.start_s, file, {"phrase": " ".join(
                self.gate.phrase), **cost})
        secret = self.dialog.is_secret_input(transcript.text or transcript.second_opinion)
        shown = masked_event if secret else dict  # a spoken PIN never reaches an event
        yield PipelineEvent("transcript", end_s, file, shown({
            "text": wake.command, "heard": transcript.text,
            "confidence": round(transcript.confidence, 3),
            "duration_s": round(transcript.duration_s, 3)}))
        if (wake.has_phrase or utterance.wake is not None) and not wake.command \
                and not transcript.second_opinion:
            yield from self._reply(YES, end_s, file, timing, expects_answer=True)
            return
        speaker = yield from self._speaker(utterance, end_s, identified)
        if identified is None:
            mark = timing.mark("speaker", mark)
        self._speaker_now = speaker
        yield PipelineEvent("intent", end_s, file, shown({
            "text": understood.text, "understood": understood.is_understood,
            "intent": understood.intent.to_dict()}))
        turn = self.dialog.handle(understood.intent, speaker)
        timing.mark("dialog", mark)
        data = {"order_id": turn.order_id} if turn.order_id is not None else {}
        yield from self._reply(turn.reply, end_s, file, timing, data,
                               expects_answer=turn.expects_answer)

    def _recut(self, utterance: _Utterance, transcript: Transcript,
               understood: Understanding) -> tuple[Transcript, Understanding]:
        """The command decoded again from a little earlier and a little later, when the
        first cut was not understood: the wake-word model decides 100-250 ms after the word
        ends, so in one breath the first cut can hold the tail of the wake word ("yeah get
        dozen eggs") or miss the command's first sound ("oat to my cart"). Only a cut that
        is understood (the grammar and the open pass agree) replaces the first."""
        audio = np.concatenate(utterance.samples)
        before = np.concatenate([np.zeros(0, np.int16), *utterance.wake_samples])
        shift = int(RECUT_S * SAMPLE_RATE_HZ)
        for samples in (np.concatenate([before[-shift:], audio]), audio[shift:]):
            stream = self.stt.stream()
            stream.feed(samples)
            candidate = stream.finish()
            again = understand(candidate, self.parser)
            if again.is_understood:
                log.info("re-cut after the wake word: %r -> %r", transcript.text, candidate.text)
                return candidate, again
        return transcript, understood

    def _identify(self, utterance: _Utterance) -> tuple[str | None, float] | None:
        """(speaker name or None, score); None when nobody is identified here."""
        if self.identify is None or not utterance.samples:
            return None
        asked, until_s = self._asked
        expected = asked if utterance.start_s <= until_s else None
        return self.identify(np.concatenate([*utterance.wake_samples, *utterance.samples]),
                             expected)

    def _speaker(self, utterance: _Utterance, end_s: float,
                 identified: tuple[str | None, float] | None = None,
                 ) -> Generator[PipelineEvent, None, str | None]:
        """The speaker event, from ``identified`` when that was done already."""
        found = identified if identified is not None else self._identify(utterance)
        if found is None:
            return None
        name, score = found
        yield PipelineEvent("speaker", end_s, utterance.file,
                            {"speaker": name, "score": round(score, 3)})
        return name

    def _reply(self, text: str, end_s: float, file: str | None, timing: _Timing,
               extra: dict[str, Any] | None = None, *,
               expects_answer: bool = False) -> Iterator[PipelineEvent]:
        first_audio: list[float] = []
        spoken: list[np.ndarray] = []
        before_tts = time.perf_counter()

        def sentences() -> Iterator[np.ndarray]:
            for audio in self.tts.synthesize(text):
                if not first_audio:
                    first_audio.append(time.perf_counter())
                spoken.append(np.asarray(audio, np.int16))
                yield audio

        played_s = self.sink.play(sentences(), _slug(text))
        first = first_audio[0] if first_audio else time.perf_counter()
        latency_ms = 1000 * (first - timing.ended)
        timing.stages_ms["tts_first_audio"] = round(1000 * (first - before_tts), 1)
        self.latencies_ms.append(latency_ms)
        data: dict[str, Any] = {"text": text, "duration_s": round(played_s, 3),
                                "first_audio_ms": round(latency_ms, 1),
                                "endpoint_wait_ms": round(timing.endpoint_wait_ms, 1),
                                "stages_ms": timing.stages_ms, **(extra or {})}
        written = getattr(self.sink, "written", None)
        if written:
            data["audio"] = str(written[-1])
        yield PipelineEvent("reply", end_s, file, data)
        if expects_answer:  # the answer may come without the wake word
            self.gate.open_follow_up(end_s + played_s)
            self._asked = (self._speaker_now, end_s + played_s + self.gate.settings.follow_up_s)
        if self.is_live:
            # Busy from the end of speech: deciding, answering, then playing the reply.
            start = end_s + timing.endpoint_wait_ms / 1000 + latency_ms / 1000
            self._speaking = (end_s, start + played_s + 0.2)
            self._reply_start_s = start
            self._own_wakes = self._wakes_in(spoken, start)
        else:
            self.sink.wait()  # files wait for the reply, as a tester would
            self._offset_s += played_s
        self.endpointer.reset()

    def _wakes_in(self, spoken: list[np.ndarray], start_s: float) -> list[float]:
        """Where the reply itself would wake the device (heard back through the room)."""
        if self.own_voice is None or not spoken:
            return []
        self.own_voice.reset()
        audio = np.concatenate([*spoken, np.zeros(SAMPLE_RATE_HZ // 2, np.int16)])
        found = [d.t for c in chunks_of(audio, start_s)
                 if (d := self.own_voice.feed(c.samples, c.start_s)) is not None]
        return found


def _is_since(chunk: AudioChunk, t: float) -> bool:
    """The chunk is (mostly) after stream time ``t``. Judged by its middle: ``t`` is reckoned
    in floating point from other chunks' times, and a test on its start alone took or left a
    whole chunk of pre-roll by a rounding error, depending on what came before."""
    return chunk.start_s + chunk.duration_s / 2 >= t


def _has_words(transcript: Transcript) -> bool:
    return bool(transcript.text or transcript.second_opinion)


def _slug(text: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words[:6]) or "reply"
