"""Every message type round-trips through its dict form."""

from __future__ import annotations

import dataclasses

from voice_shop.intent.model import Intent, IntentName, ItemSlot
from voice_shop.intent.parser import IntentParser


def test_intent_round_trip_for_every_intent_name(parser: IntentParser) -> None:
    for name in IntentName:
        intent = Intent(name, items=(ItemSlot("two lattes", "C2101", "Latte", 2, "cup",
                                              {"size": "large"}, ["C2110"]),),
                        category="coffee bar", tags=("vegan",), rating=4, text="t",
                        confidence=0.5, list_name="wish", quantity=3)
        assert Intent.from_dict(intent.to_dict()) == dataclasses.replace(
            intent, items=tuple(dataclasses.replace(i, score=0.0) for i in intent.items))


def test_parsed_intents_round_trip(parser: IntentParser) -> None:
    for text in ["add two bananas and a large oat milk latte", "check out", "five stars",
                 "save the red wine for later", "make it five"]:
        data = parser.parse(text).to_dict()
        assert Intent.from_dict(data).to_dict() == data
