"""The speech-to-text interface every engine implements, and its messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

import numpy as np

CLEAR_DYNAMIC_RANGE_DB = 26.0
"""Audio whose loud frames stand this far above its quiet ones (``dynamic_range_db``) is
clear. Cut real orders measure 35 dB and more clean, 26.4 and more with white, pink or
babble at 20 dB, 16.5-27.6 at 10 dB. Noisier audio gets its second look from another noise
filter (``cross_check``) and stricter word evidence from ``understand``."""


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard in one utterance."""

    text: str
    """Best hypothesis, lower case words; empty when nothing was heard."""
    is_in_domain: bool
    """False when the engine itself judged the speech not a shopping command."""
    confidence: float
    """0..1, engine-specific."""
    duration_s: float
    """Length of the audio decoded."""
    decode_s: float
    """Wall-clock seconds the decode took after the last audio arrived."""
    alternatives: tuple[str, ...] = ()
    """Other distinct hypotheses, best first (the n-best list), for the intent stage."""
    is_grammar: bool = False
    """True when the first pass decoded with the shop's grammar (a second opinion is due)."""
    second_opinion: str = ""
    """The open (n-gram) pass's hypothesis of the same audio, when the first pass decoded
    with the shop's grammar: a grammar forces any speech onto some command, so agreement
    of the two is evidence the command was really said."""
    is_second_opinion_a_command: bool = False
    """True when the open pass's hypothesis is itself a whole sentence of the shop's grammar."""
    word_evidence: tuple[float, ...] = ()
    """Per word of ``text``: how much better the audio fits the word than the best free
    phone sequence over the same frames (log-likelihood ratio per frame; 0 is as good as
    unconstrained phones, lower is worse). Empty when not measured, as in audio too noisy
    for the measure to mean anything."""
    dynamic_range_db: float | None = None
    """How far the loud frames of the audio stand above its quiet ones (noise lowers it);
    None when not measured."""
    shares: tuple[float, ...] = ()
    """Per sentence of (``text``, *``alternatives``): its share of the probability of the
    recogniser's n-best list (0..1); empty when not measured. A reading whose runners-up
    mean other orders, with scores close to its own, is uncertain."""
    unexplained_s: float = 0.0
    """Seconds of the decoded audio that the words of ``text`` do not cover and that are
    about as loud as those words (speech the grammar passed over as filler; not silence or
    noise well under the speech); 0 when not measured."""
    others_talking_s: float = 0.0
    """Seconds of the utterance around its foreground speech that were left out of the
    decode because they sounded like other people talking (``foreground_span``)."""
    log_likelihoods: tuple[float, ...] = ()
    """Per sentence of (``text``, *``alternatives``): log P(sentence | audio) under the neural
    recogniser, in nats (forced decoding); empty from engines that do not score."""
    in_language: tuple[bool, ...] = ()
    """Per sentence of (``text``, *``alternatives``): is it said in the shop's language (a
    sentence of its grammar, or only the shop's words)? A request that names no product is
    taken from speech only when it is, since the parser finds one from a keyword anywhere
    ("special", "pay"). Empty when not judged."""
    cross_check: tuple[str, ...] = ()
    """The grammar pass's sentences for the same audio seen another way: in noisy audio
    (under ``CLEAR_DYNAMIC_RANGE_DB``) through a different noise filter, in clear audio
    with the frequency axis warped as for a shorter and a longer vocal tract. A reading
    every view gives is less likely to be the noise's or the voice's doing. Empty when not
    decoded: no word evidence, or it could not change what is understood (the open pass
    heard ``text`` itself, or the reading stands or falls whatever the views say)."""

    def without_wake(self, phrase: tuple[str, ...]) -> Transcript:
        """The transcript with the wake phrase cut from the front of every hypothesis, and
        the measures that go with its words and sentences cut to match (evidence that no
        longer lines up with the words would not count at all)."""
        def cut(text: str) -> str:
            words = text.split()
            return " ".join(words[len(phrase):]) if tuple(words[:len(phrase)]) == phrase else ""

        sentences = [cut(t) for t in (self.text, *self.alternatives)]
        text = sentences[0]
        kept = [bool(a) for a in sentences[1:]]

        def per_sentence(values: tuple[Any, ...]) -> tuple[Any, ...]:
            """The measure of each sentence kept, beside its sentence (the text's first)."""
            if not text or len(values) != len(sentences):
                return ()
            return (values[0], *(v for v, k in zip(values[1:], kept, strict=True) if k))
        return replace(
            self, text=text, alternatives=tuple(a for a in sentences[1:] if a),
            word_evidence=self.word_evidence[len(phrase):] if text else (),
            shares=per_sentence(self.shares), log_likelihoods=per_sentence(self.log_likelihoods),
            in_language=per_sentence(self.in_language),
            cross_check=tuple(cut(view) for view in self.cross_check))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(**{**data, "alternatives": tuple(data.get("alternatives", ())),
                      "word_evidence": tuple(data.get("word_evidence", ())),
                      "shares": tuple(data.get("shares", ())),
                      "cross_check": tuple(data.get("cross_check", ())),
                      "log_likelihoods": tuple(data.get("log_likelihoods", ())),
                      "in_language": tuple(data.get("in_language", ()))})


class RecognizerStream(Protocol):
    """One utterance being decoded while it is spoken."""

    def feed(self, samples: np.ndarray) -> None: ...

    def finish(self) -> Transcript: ...


class SpeechToText(Protocol):
    """A recogniser: start a stream per utterance, or decode a whole array at once."""

    name: str

    def stream(self) -> RecognizerStream: ...

    def transcribe(self, samples: np.ndarray) -> Transcript: ...
