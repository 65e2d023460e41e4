"""The wake gate for a custom phrase: only utterances that begin with it are commands.

Used when no trained wake-word model exists for the phrase (``listen --wake-phrase TEXT``):
the phrase is put into the recogniser's language (``WakeSettings.recogniser_phrase``).

Every utterance the endpointer finds is decoded with the shop-biased recogniser (whose
language knows the phrase), and the wake phrase must be its first words: a keyphrase search
found a phrase in too few voices and fired on near-misses (docs/measurements.md). Whatever was
said before the wake phrase is dropped. After the device asks a question, a short follow-up
window lets the shopper answer ("yes") without the wake phrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..text import normalize
from .base import WakeSettings


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
    def __init__(self, settings: WakeSettings) -> None:
        self.settings = settings
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

    def check(self, transcript_text: str, utterance_start_s: float) -> WakeResult:
        words = transcript_text.split()
        has_phrase = bool(self.phrase) and tuple(words[:len(self.phrase)]) == self.phrase
        if has_phrase:
            return WakeResult(True, True, " ".join(words[len(self.phrase):]))
        if not self.needs_phrase or utterance_start_s <= self._follow_up_until_s:
            return WakeResult(True, False, transcript_text)
        return WakeResult(False, False, transcript_text)
