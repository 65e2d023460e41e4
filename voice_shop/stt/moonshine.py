"""Moonshine base-en as the shop's ear: it hears freely, then the shop's language proposes
what the words could have been, and the model itself scores each proposal against the audio.

One utterance: the encoder runs once; the decoder writes what it heard (greedy, capped by
the audio's length); the words are normalised and every stretch of them that sounds like a
phrase of the shop's language (products, options, units, counts, the templates' words) is
swapped for it (``Lexicon``), alone and together; the readings that are complete commands
are scored by forced decoding, log P(reading | audio), in batches. The transcript carries
what was heard, the complete readings and every score; ``understand`` decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ
from ..text import normalize
from .base import Transcript
from .domain import Domain
from .lexicon import Lexicon, Substitution
from .moonshine_model import MoonshineModel

MeaningOf = Callable[[str], Hashable | None]
"""What a text means as a complete command of the shop (the parser's judgement: equal for
two texts asking for the same thing), or None when it is none."""

MAX_READINGS = 16
"""Complete readings scored per utterance (two decoder calls): the closest-sounding reading
of each of the likeliest meanings, and the runner-up of the likeliest."""
PROPOSAL_BEAM = 96
"""Partial readings kept while swapping phrases in, by how close they sound."""
UNKNOWN_WORD_COST = 0.5
"""What keeping a word the shop's language does not know costs a reading's sound score, as
against swapping it for a phrase that sounds half like it."""
COUNT_STANDIN = "a"
"""What a count word is heard against: "eight lattes" is also scored as "a lattes", so a
count stands only when the model hears it clearly over no count at all."""


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
    """The recogniser; ``is_command`` comes from the parser of the same catalog."""

    name = "moonshine"

    def __init__(self, domain: Domain | None, settings: MoonshineSettings,
                 meaning_of: MeaningOf | None = None) -> None:
        from .moonshine_prepare import prepared_dir

        self.model = MoonshineModel(prepared_dir(settings.models_dir), settings.threads)
        self.domain = domain
        self.meaning_of = meaning_of
        self.lexicon = Lexicon(_phrases(domain), _counts(domain)) if domain is not None else None

    def stream(self) -> MoonshineStream:
        return MoonshineStream(self)

    def transcribe(self, samples: np.ndarray) -> Transcript:
        stream = self.stream()
        stream.feed(samples)
        return stream.finish()

    def hear(self, samples: np.ndarray) -> Transcript:
        """The whole decision for one utterance's audio."""
        started = time.perf_counter()
        duration_s = len(samples) / SAMPLE_RATE_HZ
        states = self.model.encode(samples)
        heard = self.model.generate(states, duration_s)
        text = normalize(heard.text)
        readings = self._readings(text)
        scores = self.model.score(states, [_written(t) for t in (text, *readings)]) \
            if text else []
        return Transcript(text=text, is_in_domain=True, confidence=0.0, duration_s=duration_s,
                          decode_s=time.perf_counter() - started, alternatives=tuple(readings),
                          log_likelihoods=tuple(scores))

    def free(self, samples: np.ndarray) -> str:
        """What the model heard, with no reading proposed (the early-end check)."""
        states = self.model.encode(samples)
        return normalize(self.model.generate(states, len(samples) / SAMPLE_RATE_HZ).text)

    def score_phrase(self, samples: np.ndarray, phrase: str,
                     max_replaced: int = PHRASE_MAX_REPLACED) -> PhraseScore:
        """How well the audio is explained as ``phrase`` followed by what the model heard:
        the free decoding, and the same words with the phrase in place of their first 0 to
        ``max_replaced`` words ("Alexis, add" -> "Alexa, add"), each written with and without
        a comma after the phrase, all scored by forced decoding."""
        states = self.model.encode(samples)
        heard = normalize(self.model.generate(states, len(samples) / SAMPLE_RATE_HZ).text)
        words = heard.split()
        said = normalize(phrase)
        rests = [" ".join(words[k:]) for k in range(min(max_replaced, len(words)) + 1)]
        written = [_written(f"{said}{mark} {rest}".strip(" ,")) for rest in rests
                   for mark in (",", "")]
        scores = self.model.score(states, [_written(heard), *written])
        best = max(range(len(written)), key=lambda k: scores[1 + k])
        return PhraseScore(heard, scores[0], scores[1 + best], best // 2)

    def _readings(self, text: str) -> list[str]:
        """Complete commands the heard words could have been: for each meaning, the reading
        that sounds closest to what was heard (two for the likeliest meaning), each count
        also read as "a"."""
        if self.lexicon is None or self.meaning_of is None or not text:
            return []
        chosen: dict[Hashable, list[str]] = {}
        for reading, _ in _proposals(text.split(), self.lexicon):
            meaning = self.meaning_of(reading) if reading != text else None
            if meaning is None:
                continue
            room = 2 if not chosen or next(iter(chosen)) == meaning else 1
            if len(chosen.setdefault(meaning, [])) < room:
                chosen[meaning].append(reading)
            if len(chosen) >= MAX_READINGS:
                break
        readings = list(dict.fromkeys(r for group in chosen.values() for r in group))
        counted = [c for c in (_without_counts(r, self.lexicon) for r in readings[:4])
                   if c and c not in readings and self.meaning_of(c) is not None]
        return (readings + counted)[:MAX_READINGS + len(counted)]


class MoonshineStream:
    """Audio of one utterance, decoded when it ends (and at pauses, when asked)."""

    def __init__(self, stt: MoonshineSTT) -> None:
        self.stt = stt
        self._chunks: list[np.ndarray] = []
        self._end: int | None = None

    def feed(self, samples: np.ndarray) -> None:
        self._chunks.append(np.asarray(samples, np.int16))

    def _audio(self) -> np.ndarray:
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return audio[:self._end] if self._end is not None else audio

    def partial(self) -> str:
        audio = self._audio()
        self._partial_at = len(audio)
        return self.stt.free(audio) if len(audio) else ""

    def end_at_partial(self) -> None:
        self._end = getattr(self, "_partial_at", None)

    def finish(self) -> Transcript:
        return self.stt.hear(self._audio())


def _phrases(domain: Domain) -> list[str]:
    language = domain.language
    return sorted({*language.words(), *(v for values in language.lists.values()
                                        for v in values)})


def _counts(domain: Domain) -> set[str]:
    """Words of the counts the shop's language knows, "a" and "one" aside."""
    lists = domain.language.lists
    return {w for n in (*lists.get("number", ()), *lists.get("count", ()))
            for w in n.split()} - {"a", "an", "one"}


def _proposals(words: list[str], lexicon: Lexicon) -> list[tuple[str, float]]:
    """Readings of the heard words with phrases of the lexicon swapped in, the likeliest by
    sound first: a beam search left to right in which each word is kept (a word the shop's
    language does not know costs ``UNKNOWN_WORD_COST``) or a stretch of words is swapped for
    a phrase (costing how far it sounds from them)."""
    swaps: dict[int, list[Substitution]] = {}
    for swap in lexicon.substitutions(words):
        swaps.setdefault(swap.start, []).append(swap)
    beam: list[tuple[float, int, tuple[str, ...]]] = [(0.0, 0, ())]
    done: list[tuple[float, tuple[str, ...]]] = []
    while beam:
        grown: list[tuple[float, int, tuple[str, ...]]] = []
        for prior, at, said in beam:
            if at == len(words):
                done.append((prior, said))
                continue
            keep = 0.0 if words[at] in lexicon else -UNKNOWN_WORD_COST
            grown.append((prior + keep, at + 1, (*said, words[at])))
            grown.extend((prior + s.similarity - 1.0, s.end, (*said, *s.phrase))
                         for s in swaps.get(at, ()))
        grown.sort(key=lambda state: -state[0])
        beam = grown[:PROPOSAL_BEAM]
    done.sort(key=lambda found: -found[0])
    return [(" ".join(said), prior) for prior, said in done]


def _without_counts(text: str, lexicon: Lexicon) -> str:
    """The reading with each count said ("eight", "twenty four") heard as "a" instead;
    empty when it says none."""
    out: list[str] = []
    for word in text.split():
        if word in lexicon.counts:
            if not out or out[-1] != COUNT_STANDIN:
                out.append(COUNT_STANDIN)
        else:
            out.append(word)
    said = " ".join(out)
    return said if said != text else ""


_CAPITALISED = {"i": "I", "i'd": "I'd", "i'm": "I'm", "i'll": "I'll", "i've": "I've"}


def _written(text: str) -> str:
    """A reading as the model writes a sentence: capital first letter and "I", a full stop
    (every reading is scored in the same form, so they compare fairly)."""
    words = [_CAPITALISED.get(w, w) for w in text.split()]
    if not words:
        return ""
    return f"{words[0][:1].upper()}{words[0][1:]} {' '.join(words[1:])}".rstrip() + "."

