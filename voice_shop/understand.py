"""From a transcript to an intent: pick the hypothesis that is a complete shop command.

The recogniser's best path is not always the best reading ("add to diaper rash cream" vs
"add two ..."). Among the n-best hypotheses, the first one whose parse is complete (a known
intent, and every product it names found in the catalog) wins; speech for which no hypothesis
is complete, or that the recogniser itself rejected, comes back as ``unknown``: not
understood, never a guessed order.
"""

from __future__ import annotations

from dataclasses import dataclass

from .intent.model import Intent, IntentName
from .intent.parser import IntentParser
from .stt.base import Transcript

COMPLETE_ITEM_SCORE = 0.85
_ITEM_INTENTS = {IntentName.ADD_ITEM, IntentName.REMOVE_ITEM, IntentName.PRICE_QUERY,
                 IntentName.PRODUCT_INFO, IntentName.ADD_TO_LIST}


@dataclass(frozen=True)
class Understanding:
    """The chosen reading of one utterance."""

    text: str
    """The hypothesis the intent was read from."""
    intent: Intent
    is_understood: bool


def is_complete(intent: Intent) -> bool:
    """A parse that fully makes sense as a shop command."""
    if intent.intent is IntentName.UNKNOWN:
        return False
    if intent.intent in _ITEM_INTENTS:
        return bool(intent.items) and all(
            i.sku is not None and i.score >= COMPLETE_ITEM_SCORE for i in intent.items)
    if intent.intent is IntentName.SET_QUANTITY:
        return bool(intent.items) or intent.quantity is not None
    return True


def understand(transcript: Transcript, parser: IntentParser) -> Understanding:
    if not transcript.text:
        return Understanding("", Intent(IntentName.UNKNOWN, text=""), False)
    first = parser.parse(transcript.text)
    if transcript.is_in_domain and first.intent is not IntentName.UNKNOWN:
        # Alternatives may repair a word ("to" -> "two") but not change what was asked.
        # A top reading with no product at all ("take out" for "check out") is broken
        # enough that a complete alternative of another intent may replace it.
        is_broken = first.intent in _ITEM_INTENTS and not first.items
        for text in (transcript.text, *transcript.alternatives):
            intent = first if text == transcript.text else parser.parse(text)
            if (intent.intent is first.intent or is_broken) and is_complete(intent):
                return Understanding(text, intent, True)
    unknown = Intent(IntentName.UNKNOWN, text=transcript.text, confidence=first.confidence)
    return Understanding(transcript.text, unknown, False)
