"""From a transcript to an intent: the reading of the utterance the shop acts on, or
"not understood".

The neural recogniser scores what it heard freely and the sentences of the shop's language
its decoder found likeliest, and the model's own likelihoods decide (``weigh``): the
likeliest reading that is a complete command stands when the catalog did not have to bend
what was heard too far (``MAX_BEND_NATS``) and no reading that means something else comes
close (``MIN_MARGIN_NATS``). A request that names no product
counts only as a whole sentence of the shop's language (``Transcript.in_language``).
PocketSphinx transcripts carry no such scores; their evidence is weighed in
``understand_grammar``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from .intent.model import READ_BACK_COUNT, Intent, IntentName
from .intent.parser import IntentParser
from .money import number_to_words
from .stt.base import Transcript
from .text import normalize, singular
from .understand_grammar import is_cross_check_due
from .understand_grammar import understand as understand_grammar
from .understanding import Understanding, is_complete, meaning_of

__all__ = ["Understanding", "Weighed", "is_complete", "is_cross_check_due", "meaning_of",
           "understand", "weigh"]

MAX_BEND_NATS = 16.0
"""How much less likely than what the neural recogniser heard (as it wrote it) a reading of
the shop may be, in nats of log P(words | audio): the catalog may bend "mocker" into
"mocha", not rewrite a sentence. Chosen on the even half of the real clips, clean and in
noise (docs/measurements.md)."""
MAX_BEND_PER_WORD_NATS = 1.5
"""The same allowance per word of the reading (and its end): a short command bent into
another ("add two" heard, "oat to" read) bends each of its few words far more than one
misheard word bends a whole order."""
MIN_MARGIN_NATS = 2.0
"""How much likelier a reading must be than the best reading that means something else
(another product, option or count): e^2, about seven to one."""


@dataclass(frozen=True)
class Weighed:
    """The neural recogniser's readings of one utterance, weighed against each other."""

    text: str
    intent: Intent
    bend_nats: float
    """Log-likelihood of the best reading the shop understands minus that of the best one
    it does not (what was heard, when that was no command); inf when every reading is one."""
    margin_nats: float
    """Its log-likelihood minus that of the best reading meaning something else; inf when
    none does."""

    unexplained: frozenset[str] = frozenset()
    """Words of the reading that name part of a product or option of the catalog but are no
    part of what the parse took ("alight roast" left over beside a cappuccino with no
    roast): the order may lack something that was said."""

    @property
    def is_sure(self) -> bool:
        words = len(self.text.split()) + 1
        return (self.bend_nats >= -min(MAX_BEND_NATS, MAX_BEND_PER_WORD_NATS * words)
                and self.margin_nats >= MIN_MARGIN_NATS and not self.unexplained)


def weigh(transcript: Transcript, parser: IntentParser) -> Weighed | None:
    """The likeliest reading that is a complete command, and how sure the model is of it;
    None when no reading is one."""
    sentences = (transcript.text, *transcript.alternatives)
    in_language = transcript.in_language or (True,) * len(sentences)
    parsed = [(text, score, parser.parse(text), is_sentence) for text, score, is_sentence
              in zip(sentences, transcript.log_likelihoods, in_language, strict=False)]
    meant = [(text, score, intent, meaning_of(intent, is_sentence))
             for text, score, intent, is_sentence in parsed]
    complete = [m for m in meant if m[3] is not None]
    if not complete:
        return None
    text, best, intent, meaning = max(complete, key=lambda m: m[1])
    not_commands = [score for _, score, _, m in meant if m is None]
    others = [score for _, score, _, m in complete if m != meaning]
    return Weighed(text, intent,
                   best - max(not_commands) if not_commands else float("inf"),
                   best - max(others) if others else float("inf"),
                   _unexplained(intent, text, parser))


def _unexplained(intent: Intent, text: str, parser: IntentParser) -> frozenset[str]:
    if not intent.items:
        return frozenset()
    used = Counter(singular(w) for item in intent.items
                   for phrase in (item.query, *item.options.values(),
                                  _count_words(item.quantity))
                   for w in normalize(phrase).split())
    said = Counter(singular(w) for w in text.split() if singular(w) in parser.slot_words)
    return frozenset(said - used)


def _count_words(quantity: int | None) -> str:
    return number_to_words(quantity) if quantity is not None and quantity >= 0 else ""


def _understand_scored(transcript: Transcript, parser: IntentParser) -> Understanding:
    weighed = weigh(transcript, parser)
    if weighed is not None and weighed.is_sure:
        intent = weighed.intent
        if any((item.quantity or 0) >= READ_BACK_COUNT for item in intent.items):
            intent = replace(intent, read_back=True)
        return Understanding(weighed.text, intent, True)
    heard = parser.parse(transcript.text) if transcript.text else None
    unknown = Intent(IntentName.UNKNOWN, text=transcript.text,
                     choice=heard.choice if heard else None,
                     digits=heard.digits if heard else None)
    return Understanding(transcript.text, unknown, False)


def understand(transcript: Transcript, parser: IntentParser) -> Understanding:
    if transcript.log_likelihoods:
        return _understand_scored(transcript, parser)
    return understand_grammar(transcript, parser)
