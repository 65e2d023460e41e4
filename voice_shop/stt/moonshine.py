"""Moonshine base-en as the shop's ear: it hears freely, and it hears again kept to the
shop's language; the two writings' likelihoods under the same audio say how far the catalog
had to bend what was heard.

One utterance: the encoder runs once; the decoder writes what it heard (greedy, capped by
the audio's length, in its own spelling and punctuation); then a beam search kept to the
shop's word graph (``GraphSearch``) finds the likeliest sentences of the shop's language.
Each is scored by forced decoding, log P(writing | audio), one decoder call per sentence;
the transcript carries what was heard, the readings and every score; ``understand`` decides.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..text import normalize
from .base import Transcript
from .domain import Domain
from .moonshine_model import MoonshineModel, token_cap
from .moonshine_search import FREE_WORDS, GraphSearch, written_word

NOTHING = ""
"""The reading that nothing was said: scored beside the others, so a short command found in
talk the model could not make out (babble, a television) must be likelier than silence."""
MAX_END_NATS = 4.0
"""How unlikely the model may find the speech ending where a sentence of the shop ends
(log P(end mark, end of text | sentence, audio), about 2% at 4 nats): a shorter sentence
that stops where the speech goes on ("I need twelve cans of satin paint." with "in navy
blue and a box of wood screws" still to come) is no reading of the utterance."""
PHRASE_MAX_REPLACED = 3
"""Heard words a wake phrase may stand for at the start of an utterance ("a lexa", "Alex
saw")."""


@dataclass(frozen=True)
class PhraseScore:
    """A wake phrase scored against the free decoding of the same audio."""

    heard: str
    """What the model heard (normalised)."""
    heard_nats: float
    """log P(heard | audio), as the model writes a sentence."""
    phrase_nats: float
    """log P(phrase, then the heard words after the first ``replaced`` | audio)."""
    replaced: int
    """Heard words the phrase stands for in its best reading."""

    @property
    def margin_nats(self) -> float:
        """How much less likely the audio makes the phrase's reading than its own words
        (0 or above: the model as good as heard the phrase)."""
        return self.phrase_nats - self.heard_nats


@dataclass(frozen=True)
class MoonshineSettings:
    models_dir: Path
    """Where the prepared model is kept (``moonshine_prepare``)."""
    threads: int = 1


class MoonshineSTT:
    """The recogniser for one catalog's language (without a grammar: what it hears)."""

    name = "moonshine"

    def __init__(self, domain: Domain | None, settings: MoonshineSettings) -> None:
        from .moonshine_prepare import prepared_dir

        self.model = MoonshineModel(prepared_dir(settings.models_dir), settings.threads)
        self.domain = domain
        self.search = GraphSearch(self.model, domain.grammar) \
            if domain is not None and domain.grammar is not None else None

    def stream(self) -> MoonshineStream:
        return MoonshineStream(self)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        started = time.perf_counter()
        return self.hear(self.listen(np.asarray(samples, np.int16)), started)

    def listen(self, samples: np.ndarray) -> Heard:
        """What the model heard, freely: the encoder once, then greedy decoding."""
        states = self.model.encode(samples)
        heard = self.model.generate(states, len(samples) / SAMPLE_RATE_HZ)
        return Heard(states, heard.text, len(samples))

    def hear(self, heard: Heard, started: float) -> Transcript:
        """The whole decision for one utterance: what was heard, the sentences of the shop
        it could have been, and the model's score of each, every one as written (the free
        decoding in the model's own spelling and punctuation)."""
        written = list(dict.fromkeys([heard.written, NOTHING]))
        if self.search is not None:
            found = [f.written for f in self.search.search(heard.states, heard.cap)
                     if f.end_nats >= -MAX_END_NATS]
            written += [s for s in found if normalize(s) != heard.text]
        texts = [normalize(w) for w in written]
        scores = self.model.score(heard.states, written)
        return Transcript(text=heard.text, is_in_domain=True, confidence=0.0,
                          duration_s=heard.samples / SAMPLE_RATE_HZ,
                          decode_s=time.perf_counter() - started,
                          alternatives=tuple(texts[1:]), log_likelihoods=tuple(scores),
                          in_language=tuple(self._in_language(t) for t in texts))

    @cached_property
    def _words(self) -> frozenset[str]:
        return self.domain.language.words() if self.domain is not None else frozenset()

    def _in_language(self, text: str) -> bool:
        """Said in the shop's language: a whole sentence of its grammar, but for at most
        ``FREE_WORDS`` words run into it from before (the wake word's tail: "boo what's in
        my cart"), or words that are all the shop's words ("what are your specials today")."""
        if self.domain is None:
            return True
        words = text.split()
        return any(self.domain.is_command(" ".join(words[k:]))
                   for k in range(min(FREE_WORDS, len(words) - 1) + 1)) \
            or all(w in self._words for w in words)

    def score_phrase(self, samples: np.ndarray, phrase: str,
                     max_replaced: int = PHRASE_MAX_REPLACED) -> PhraseScore:
        """How well the audio is explained as ``phrase`` followed by what the model heard:
        the free decoding, and the same words with the phrase in place of their first 0 to
        ``max_replaced`` words ("Alexis, add" -> "Alexa, add"), each written with and without
        a comma after the phrase, all scored by forced decoding."""
        heard = self.listen(samples)
        words = heard.text.split()
        said = normalize(phrase)
        rests = [" ".join(words[k:]) for k in range(min(max_replaced, len(words)) + 1)]
        written = [_written(f"{said}{mark} {rest}".strip(" ,")) for rest in rests
                   for mark in (",", "")]
        scores = self.model.score(heard.states, [_written(heard.text), *written])
        best = max(range(len(written)), key=lambda k: scores[1 + k])
        return PhraseScore(heard.text, scores[0], scores[1 + best], best // 2)


@dataclass(frozen=True)
class Heard:
    """The encoder's view of some audio and the model's free decoding of it."""

    states: np.ndarray
    written: str
    """As the model wrote it (capitals, punctuation)."""
    samples: int
    """Samples of audio heard."""

    @cached_property
    def text(self) -> str:
        """The words heard, normalised."""
        return normalize(self.written)

    @property
    def cap(self) -> int:
        """Most tokens a sentence of this audio may take."""
        return token_cap(self.samples / SAMPLE_RATE_HZ)


class MoonshineStream:
    """Audio of one utterance. At a pause the audio so far is heard and its readings scored
    (the early-end check asks what was heard); when the utterance ends right there, that
    transcript stands, so nothing is left to decode after the pause."""

    def __init__(self, stt: MoonshineSTT) -> None:
        self.stt = stt
        self._chunks: list[np.ndarray] = []
        self._end: int | None = None
        self._at_pause: tuple[int, Transcript] | None = None
        """(samples heard, the transcript of them) at the last pause."""

    def feed(self, samples: np.ndarray) -> None:
        self._chunks.append(np.asarray(samples, np.int16))

    def _audio(self) -> np.ndarray:
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return audio[:self._end] if self._end is not None else audio

    def partial(self) -> str:
        if not self._chunks:
            return ""
        audio = self._audio()
        self._at_pause = (len(audio), self.stt.transcribe(audio))
        return self._at_pause[1].text

    def end_at_partial(self) -> None:
        self._end = self._at_pause[0] if self._at_pause is not None else None

    def finish(self) -> Transcript:
        audio = self._audio()
        if self._at_pause is not None and self._at_pause[0] == len(audio):
            return replace(self._at_pause[1], decode_s=0.0)
        return self.stt.transcribe(audio)


def _written(text: str) -> str:
    """A reading as the model writes a sentence: capital first letter and "I", a full stop
    (every reading is scored in the same form, so they compare fairly)."""
    words = [written_word(w, k == 0) for k, w in enumerate(text.split())]
    return " ".join(words) + "." if words else ""

