"""Masking what a shopper said when it was a secret (a purchase PIN).

Whenever the dialog waits for a PIN (``Dialog.is_secret_input``), every place that prints or
logs the utterance (``chat --json``, ``listen`` transcript and intent events) shows
``SECRET_MASK`` instead of the words, and the intent keeps no slot that could hold digits.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .model import Intent

SECRET_MASK = "****"


def mask_text(text: str) -> str:
    """What to show instead of a secret utterance (empty stays empty)."""
    return SECRET_MASK if text else text


def masked_intent(intent: Intent) -> Intent:
    """The intent with its text masked and no items, quantity, rating, place or digits (any
    could be digits of the PIN); the intent name stays, so logs still say what happened."""
    return dataclasses.replace(intent, text=mask_text(intent.text), items=(), quantity=None,
                               rating=None, category=None, tags=(), choice=None, digits=None)


def masked_event(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data (``listen``'s transcript or intent event, a chat turn) with every field
    that holds the spoken words masked: ``text``, ``heard`` and the ``intent`` dict."""
    masked = dict(data)
    for key in ("text", "heard"):
        if isinstance(masked.get(key), str):
            masked[key] = mask_text(masked[key])
    if isinstance(masked.get("intent"), dict):
        masked["intent"] = masked_intent(Intent.from_dict(masked["intent"])).to_dict()
    return masked
