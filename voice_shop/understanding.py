"""What every recogniser's reading comes to: an understanding, and when a parse is a whole
command."""

from __future__ import annotations

from dataclasses import dataclass

from .intent.model import Intent, IntentName

COMPLETE_ITEM_SCORE = 0.85
"""A product named at least this well (the matcher's 0..1 score) is named."""
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


def meaning_of(intent: Intent, is_sentence: bool = True) -> tuple[object, ...] | None:
    """What a complete command asks for (intent, products, amounts, options and the other
    slots), equal for two wordings of the same request; None when it is not complete, or
    names no product and was not said as a whole sentence of the shop's language
    (``is_sentence``): such a request is found from a keyword anywhere in the words."""
    if not is_complete(intent) or not (intent.items or is_sentence):
        return None
    slots = intent.to_dict()
    slots["items"] = [(i.sku, i.quantity or 1, i.unit, i.fraction, i.amount_said,
                       tuple(sorted(i.options.items()))) for i in intent.items]
    return tuple((name, repr(value)) for name, value in sorted(slots.items())
                 if name not in ("text", "confidence"))
