"""Moonshine base-en as the shop's ear: it hears freely, then the shop's language proposes
what the words could have been, and the model itself scores each proposal against the audio.

One utterance: the encoder runs once; the decoder writes what it heard (greedy, capped by
the audio's length); the words are normalised, and stretches of them that sound like phrases
of the shop's language (products, options, units, counts, the templates' words;
``SoundIndex``) are swapped for those phrases in a small beam search by sound; of the
readings that are complete commands, one per meaning is scored by forced decoding, log
P(reading | audio), in one batch. The transcript carries what was heard, the readings and
every score; ``understand`` decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from ..audio import SAMPLE_RATE_HZ
from ..language.lexicon import lexicon
from ..text import normalize
from .base import Transcript
from .domain import Domain
from .moonshine_model import MoonshineModel, token_cap
from .moonshine_search import GraphSearch
from .sounds import SoundIndex, Substitution

MeaningOf = Callable[[str, bool], Hashable | None]
"""What a text means as a complete command of the shop (the parser's judgement: equal for
two texts asking for the same thing), or None when it is none; told whether the text is a
whole sentence of the shop's language."""

MAX_READINGS = 11
"""Meanings whose readings are scored per utterance (with what was heard, twelve sentences)."""
PROPOSALS_READ = 64
"""Readings, the closest-sounding first, that the parser reads for their meaning."""
PROPOSAL_BEAM = 96
"""Partial readings kept while swapping phrases in, by how close they sound."""
UNKNOWN_WORD_COST = 0.5
"""What keeping a word the shop's language does not know costs a reading's sound score: as
much as swapping it for a phrase that sounds half like it."""
LEADING_WORDS = 2
"""Words before a sentence of the shop's language that do not keep it from being one."""
SWAP_COST = 0.1
"""What any swap costs a reading's sound score beyond how far apart the sounds are: of two
readings that sound alike, the one keeping more heard words comes first."""
COUNT_STANDIN = "a"
"""What a count is heard against: "add eight lattes" is also scored as "add a lattes", so a
count stands only when the model hears it clearly over a single one."""


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
    """The recogniser; ``meaning_of`` comes from the parser of the same catalog."""

    name = "moonshine"

    def __init__(self, domain: Domain | None, settings: MoonshineSettings,
                 meaning_of: MeaningOf | None = None) -> None:
        from .moonshine_prepare import prepared_dir

        self.model = MoonshineModel(prepared_dir(settings.models_dir), settings.threads)
        self.domain = domain
        self.meaning_of = meaning_of
        self.sounds = SoundIndex(_phrases(domain), _counts(domain)) if domain is not None else None
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
        return Heard(states, normalize(heard.text), len(samples))

    def hear(self, heard: Heard, started: float) -> Transcript:
        """The whole decision for one utterance: what was heard, the complete readings of
        the shop it could have been, and the model's score of each."""
        judged = [(heard.text, self._in_language(heard.text)), *self._readings(heard.text)] \
            if heard.text else []
        if self.search is not None and heard.text:
            known = {text for text, _ in judged}
            for found, _ in self.search.search(heard.states, heard.cap):
                text = normalize(found)
                if text and text not in known:
                    known.add(text)
                    judged.append((text, self._in_language(text)))
        scores = self.model.score(heard.states, [_written(t) for t, _ in judged])
        return Transcript(text=heard.text, is_in_domain=True, confidence=0.0,
                          duration_s=heard.samples / SAMPLE_RATE_HZ,
                          decode_s=time.perf_counter() - started,
                          alternatives=tuple(t for t, _ in judged[1:]),
                          log_likelihoods=tuple(scores),
                          in_language=tuple(is_said for _, is_said in judged))

    def _in_language(self, text: str) -> bool:
        """Said in the shop's language: a whole sentence of its grammar, but for at most
        ``LEADING_WORDS`` words run into it from before (the wake word's tail: "boo what's in
        my cart"), or words that are all the shop's words ("what are your specials today")."""
        if self.domain is None or self.sounds is None:
            return True
        words = text.split()
        return any(self.domain.is_command(" ".join(words[k:]))
                   for k in range(min(LEADING_WORDS, len(words) - 1) + 1)) \
            or all(w in self.sounds for w in words)

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

    def _readings(self, text: str) -> list[tuple[str, bool]]:
        """Complete commands the heard words could have been, each with whether it is said in
        the shop's language. For each meaning (the closest-sounding ``MAX_READINGS`` of them)
        the reading that changes the fewest heard words, so a word the parser can pass over
        ("brew a mocha") is kept as heard; for the likeliest meaning also its closest-sounding
        reading; each count also read as "a"."""
        if self.sounds is None or self.meaning_of is None or not text:
            return []
        heard = text.split()
        said: dict[str, bool] = {}
        groups: dict[Hashable, list[str]] = {}
        for reading in _proposals(heard, self.sounds)[:PROPOSALS_READ]:
            said[reading] = self._in_language(reading)
            meaning = self.meaning_of(reading, said[reading]) if reading != text else None
            if meaning is not None and (meaning in groups or len(groups) < MAX_READINGS):
                groups.setdefault(meaning, []).append(reading)
        chosen = [min(group, key=lambda r: Levenshtein.distance(heard, r.split()))
                  for group in groups.values()]
        if groups:
            chosen.insert(1, next(iter(groups.values()))[0])
        readings = list(dict.fromkeys(chosen))
        for count in (_without_counts(r, self.sounds) for r in readings[:4]):
            if count and count not in said:
                said[count] = self._in_language(count)
            if count and count not in readings and self.meaning_of(count, said[count]):
                readings.append(count)
        return [(reading, said[reading]) for reading in readings]


@dataclass(frozen=True)
class Heard:
    """The encoder's view of some audio and the model's free decoding of it."""

    states: np.ndarray
    text: str
    """Normalised words."""
    samples: int
    """Samples of audio heard."""

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


def _phrases(domain: Domain) -> list[str]:
    """The shop's words and phrases; each word also with an article before it, which a
    recogniser runs into the word ("alight roast" for "a light roast")."""
    language = domain.language
    words = language.words()
    return sorted({*words, *(f"{article} {w}" for w in words
                             for article in lexicon().articles),
                   *(v for values in language.lists.values() for v in values)})


def _counts(domain: Domain) -> set[str]:
    """Words of the counts the shop's language knows, "a" and "one" aside."""
    lists = domain.language.lists
    return {w for n in (*lists.get("number", ()), *lists.get("count", ()))
            for w in n.split()} - {"a", "an", "one"}


def _proposals(words: list[str], sounds: SoundIndex) -> list[str]:
    """Readings of the heard words with phrases of the shop's language swapped in, the likeliest by
    sound first: a beam search left to right in which each word is kept (a word the shop's
    language does not know costs ``UNKNOWN_WORD_COST``) or a stretch of words is swapped for
    a phrase (costing how far it sounds from them)."""
    swaps: dict[int, list[Substitution]] = {}
    for swap in sounds.substitutions(words):
        swaps.setdefault(swap.start, []).append(swap)
    beam: list[tuple[float, int, tuple[str, ...]]] = [(0.0, 0, ())]
    done: list[tuple[float, tuple[str, ...]]] = []
    while beam:
        grown: list[tuple[float, int, tuple[str, ...]]] = []
        for prior, at, said in beam:
            if at == len(words):
                done.append((prior, said))
                continue
            keep = 0.0 if words[at] in sounds else -UNKNOWN_WORD_COST
            grown.append((prior + keep, at + 1, (*said, words[at])))
            grown.extend((prior + s.similarity - 1.0 - SWAP_COST, s.end, (*said, *s.phrase))
                         for s in swaps.get(at, ()))
        grown.sort(key=lambda state: -state[0])
        beam = grown[:PROPOSAL_BEAM]
    done.sort(key=lambda found: -found[0])
    return [" ".join(said) for _, said in done]


def _without_counts(text: str, sounds: SoundIndex) -> str:
    """The reading with each count said ("eight", "twenty four") heard as "a" instead;
    empty when it says none."""
    out: list[str] = []
    for word in text.split():
        if word in sounds.counts:
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

