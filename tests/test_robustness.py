"""Regressions from issue 8: inputs that crashed the parser, quantities that were misread,
carts over the stock, and a purchase PIN printed back."""

from __future__ import annotations

import json

import pytest

from voice_shop.dialog import Dialog
from voice_shop.intent.model import IntentName
from voice_shop.intent.parser import IntentParser
from voice_shop.intent.secret import SECRET_MASK
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import ListName, Role
from voice_shop.text import normalize


@pytest.mark.parametrize("text", ["add xyzzy and medium", "add xyzzy and large and oat milk",
                                  "price of xyzzy and small"])
def test_option_after_an_unmatched_item_does_not_crash(parser: IntentParser, text: str) -> None:
    intent = parser.parse(text)
    assert intent.items[0].sku is None and intent.items[0].query == "xyzzy"


def test_a_4301_digit_number_is_read_as_too_many(parser: IntentParser) -> None:
    intent = parser.parse("add " + "9" * 4301 + " bananas")
    assert intent.intent is IntentName.ADD_ITEM
    item = intent.items[0]
    assert (item.sku, item.quantity, item.amount_said) == ("P101", None, "that many")
    assert normalize("0" * 5000 + "7") == "seven"


@pytest.mark.parametrize(("text", "intent", "quantity", "said"), [
    ("add zero bananas", IntentName.ADD_ITEM, 0, None),
    ("add -3 bananas", IntentName.ADD_ITEM, None, "minus three"),
    ("add minus five bananas", IntentName.ADD_ITEM, None, "minus five"),
    ("add negative two bananas", IntentName.ADD_ITEM, None, "minus two"),
    ("remove minus 2 bananas", IntentName.REMOVE_ITEM, None, "minus two"),
    ("add 3 bananas", IntentName.ADD_ITEM, 3, None),
])
def test_signed_amounts_are_never_a_quantity(parser: IntentParser, text: str,
                                             intent: IntentName, quantity: int | None,
                                             said: str | None) -> None:
    """A negative amount is no item's quantity (issue 28): it is kept as said, for the
    dialog to refuse."""
    parsed = parser.parse(text)
    item = parsed.items[0]
    assert (parsed.intent, item.sku, item.quantity, item.amount_said) == (
        intent, "P101", quantity, said)


def test_minus_without_a_number_still_removes(parser: IntentParser) -> None:
    parsed = parser.parse("minus the bananas")
    assert parsed.intent is IntentName.REMOVE_ITEM and parsed.items[0].quantity is None


@pytest.mark.parametrize("text", ["add zero bananas", "add -3 bananas", "add minus five bananas",
                                  "remove minus two bananas", "change the bananas to -4"])
def test_zero_and_negative_amounts_are_refused_aloud(dialog: Dialog, shop: Shop,
                                                     text: str) -> None:
    dialog.handle_text("add two bananas")
    turn = dialog.handle_text(text)
    assert "zero" in turn.reply or "negative" in turn.reply, turn.reply
    assert [(line.sku, line.quantity) for line in shop.cart().lines] == [("P101", 2)]


def test_repeated_adds_never_take_the_cart_past_the_stock(dialog: Dialog, shop: Shop) -> None:
    assert shop.product("P101").stock == 46
    assert dialog.handle_text("add 40 bananas").reply.startswith("Added forty bunches of bananas")
    reply = dialog.handle_text("add 10 bananas").reply
    assert reply.startswith("There are only forty-six bunches of bananas in stock, and forty are")
    assert dialog.handle_text("add six bananas").reply.startswith("Added six")
    assert "only forty-six" in dialog.handle_text("add a banana").reply
    assert "only forty-six" in dialog.handle_text("make it 50 bananas").reply
    assert shop.in_cart("P101") == 46


def test_the_engine_refuses_more_than_the_stock(shop: Shop) -> None:
    from voice_shop.errors import CartError
    shop.add_to_cart("P101", 46)
    with pytest.raises(CartError) as err:
        shop.add_to_cart("P101", 1)
    assert err.value.code == "over_stock"
    with pytest.raises(CartError):
        shop.remove_from_cart("P101", -3)
    assert shop.in_cart("P101") == 46


def test_the_pin_never_appears_in_a_turn(dialog: Dialog, shop: Shop) -> None:
    shop.add_profile("dad", Role.ADULT)
    shop.set_pin("dad", "4721")
    dialog.handle_text("add a bag of rice", speaker="dad")
    assert dialog.handle_text("check out", speaker="dad").reply.endswith("purchase PIN.")
    assert dialog.is_secret_input("four seven two one")
    turn = dialog.handle_text("four seven two one", speaker="dad")
    assert turn.order_id == 1 and turn.is_secret
    data = turn.to_dict()
    assert data["text"] == SECRET_MASK and data["intent"]["text"] == SECRET_MASK
    assert data["intent"]["intent"] == "confirm"
    dumped = json.dumps(data) + json.dumps(shop.events(100))
    assert "seven" not in dumped and "4721" not in dumped
    assert not dialog.is_secret_input("add two bananas")  # nothing pending any more


def test_digits_answering_a_read_back_are_masked_even_without_a_pin(dialog: Dialog) -> None:
    dialog.handle_text("add a bag of rice")
    dialog.handle_text("check out")
    turn = dialog.handle_text("nine eight seven six")
    assert turn.to_dict()["text"] == SECRET_MASK


def test_a_negative_amount_for_the_list_is_refused(dialog: Dialog, shop: Shop) -> None:
    """Found by the property tests: "minus five 2% milk for later" raised a CartError."""
    turn = dialog.handle_text("minus five 2% milk for later")
    assert "negative" in turn.reply
    assert shop.list_items(ListName.WISH) == []


def test_masked_event_hides_every_copy_of_the_words(parser: IntentParser) -> None:
    from voice_shop.intent.secret import masked_event
    intent = parser.parse("one two three four")
    data = masked_event({"text": "one two three four", "heard": "hey shop one two three four",
                         "confidence": 0.9, "intent": intent.to_dict()})
    assert data["text"] == data["heard"] == data["intent"]["text"] == SECRET_MASK
    assert data["confidence"] == 0.9 and data["intent"]["intent"] == str(intent.intent)
    assert "one" not in json.dumps(data) and "four" not in json.dumps(data)
