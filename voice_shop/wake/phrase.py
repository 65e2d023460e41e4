"""The wake gate for a custom phrase: only utterances that begin with it are commands.

Used when no trained wake-word model exists for the phrase (``listen --wake-phrase TEXT``):
the phrase is put into the recogniser's language (``WakeSettings.recogniser_phrase``).

Every utterance the endpointer finds is decoded with the shop-biased recogniser (whose
language knows the phrase), and the wake phrase must be its first words: a keyphrase search
found a phrase in too few voices and fired on near-misses (docs/measurements.md). Whatever was
said before the wake phrase is dropped. After the device asks a question, a short follow-up
window lets the shopper answer ("yes") without the wake phrase.

With a recogniser that scores sentences against the audio (Moonshine), the phrase is heard
on the audio instead (``neural``): the start of each utterance is checked once, and only an
utterance that begins with the phrase is decoded whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..stt.base import Transcript
from ..text import normalize
from .base import WakeSettings
from .neural import PhraseEar, PhraseHeard, PhrasePolicy, hear_phrase


@dataclass(frozen=True)
class WakeResult:
    """What the gate made of one utterance's transcript."""

    is_awake: bool
    """True when the utterance is addressed to the device."""
    has_phrase: bool
    """True when the wake phrase itself was said."""
    command: str
    """The words after the wake phrase (all words when no phrase is needed)."""


class WakeGate:
    def __init__(self, settings: WakeSettings, policy: PhrasePolicy | None = None) -> None:
        self.settings = settings
        self.policy = policy or PhrasePolicy()
        self.phrase = tuple(normalize(settings.recogniser_phrase).split())
        self._follow_up_until_s = -1.0

    @property
    def needs_phrase(self) -> bool:
        return bool(self.phrase)

    def open_follow_up(self, now_s: float) -> None:
        self._follow_up_until_s = now_s + self.settings.follow_up_s

    def is_following_up(self, t: float) -> bool:
        """True while an answer to the device's question is accepted without waking it."""
        return t <= self._follow_up_until_s

    def ear_for(self, stt: object, utterance_start_s: float) -> PhraseEar | None:
        """The recogniser that listens for the phrase on this utterance's audio: when the
        phrase is needed and the recogniser can score it; None: the transcript decides."""
        if not self.needs_phrase or self.is_following_up(utterance_start_s):
            return None
        return stt if isinstance(stt, PhraseEar) else None

    def hear(self, ear: PhraseEar, samples: np.ndarray) -> PhraseHeard:
        """Is the phrase said at the start of this utterance's audio?"""
        return hear_phrase(ear, samples, " ".join(self.phrase), self.policy)

    def check(self, transcript_text: str, utterance_start_s: float,
              heard: PhraseHeard | None = None) -> WakeResult:
        """``heard``: the neural check of the same utterance, which then decides; the words
        cut from the command are the phrase, or the heard words it stood for."""
        words = transcript_text.split()
        if heard is not None:
            said = _said_first(words, (self.phrase, heard.stand_in))
            return WakeResult(heard.has_phrase, heard.has_phrase,
                              " ".join(words[len(said):]))
        has_phrase = bool(self.phrase) and tuple(words[:len(self.phrase)]) == self.phrase
        if has_phrase:
            return WakeResult(True, True, " ".join(words[len(self.phrase):]))
        if not self.needs_phrase or utterance_start_s <= self._follow_up_until_s:
            return WakeResult(True, False, transcript_text)
        return WakeResult(False, False, transcript_text)

    def command(self, transcript: Transcript, heard: PhraseHeard) -> Transcript:
        """The transcript of an utterance the neural check found addressed, the phrase (or
        the heard words it stood for) cut from the front of each sentence that begins with
        it; every sentence is kept, so the model's scores still belong to their sentences."""
        marks = (self.phrase, heard.stand_in)

        def cut(text: str) -> str:
            words = text.split()
            return " ".join(words[len(_said_first(words, marks)):])

        return replace(transcript, text=cut(transcript.text),
                       alternatives=tuple(cut(a) for a in transcript.alternatives),
                       word_evidence=(), shares=(), cross_check=())


def _said_first(words: list[str], marks: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The first of ``marks`` the words begin with (empty: none)."""
    return next((m for m in marks if m and tuple(words[:len(m)]) == m), ())
