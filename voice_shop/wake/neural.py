"""A custom wake phrase heard by the neural recogniser, on the audio itself.

While nobody has woken the device, the start of each utterance the endpointer finds (at most
``PhrasePolicy.head_s``) goes to the recogniser at each pause in it, until the phrase is
heard or the whole start has been checked: it decodes the audio freely, then scores
by forced decoding the phrase followed by what it heard ("Alexa, add two bananas.", also with
the phrase in place of the first heard words: "Alexis, add" -> "Alexa, add"). The phrase is
heard when its own words begin with it, or that reading is nearly as likely as the model's
own words: one number, in nats, with one cutoff. Only an utterance that is addressed to the
device is decoded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..stt.moonshine import PhraseScore


@dataclass(frozen=True)
class PhrasePolicy:
    """When the neural recogniser hears the wake phrase."""

    max_cost_nats: float = 1.5
    """The phrase's reading may be at most this much less likely than the model's own words
    (log P(heard | audio) - log P(phrase, ... | audio)); a free decoding that begins with the
    phrase costs 0. Chosen by ``bench --wake DIR --wake-phrase alexa``: the smallest cutoff
    (in half nats) that hears every real "alexa" clip at an even index."""
    head_s: float = 3.0
    """Audio from the start of an utterance (pre-roll included) in which the phrase is looked
    for: the check's cost is bounded however long the talk in the room goes on."""


@runtime_checkable
class PhraseEar(Protocol):
    """A recogniser that can score a phrase against its own free decoding."""

    def score_phrase(self, samples: np.ndarray, phrase: str) -> PhraseScore: ...


@dataclass(frozen=True)
class PhraseHeard:
    """The neural check of one utterance's start."""

    has_phrase: bool
    score: PhraseScore
    heard_s: float
    """Seconds of audio checked: a check of less than ``PhrasePolicy.head_s`` that did not
    hear the phrase is made again when the utterance goes on after a pause."""
    cost_nats: float
    """How much less likely the phrase's reading is than the model's own words (0 when those
    begin with the phrase)."""

    @property
    def stand_in(self) -> tuple[str, ...]:
        """The heard words the phrase stood for ("alexis"), cut from the command."""
        return tuple(self.score.heard.split()[:self.score.replaced])


def hear_phrase(ear: PhraseEar, samples: np.ndarray, phrase: str,
                policy: PhrasePolicy) -> PhraseHeard:
    head = np.asarray(samples)[:int(policy.head_s * SAMPLE_RATE_HZ)]
    score = ear.score_phrase(head, phrase)
    words = phrase.split()
    cost = 0.0 if score.heard.split()[:len(words)] == words else max(0.0, -score.margin_nats)
    return PhraseHeard(cost <= policy.max_cost_nats, score, len(head) / SAMPLE_RATE_HZ, cost)


def is_settled(heard: PhraseHeard | None, policy: PhrasePolicy) -> bool:
    """True when no later check of the same utterance can change the verdict."""
    return heard is not None and (heard.has_phrase or heard.heard_s >= policy.head_s)
