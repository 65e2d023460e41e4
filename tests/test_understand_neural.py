"""The neural recogniser's readings weighed by their likelihoods (``understand.weigh``), with
transcripts built in the test: what is acted on, and what is "sorry?"."""

from __future__ import annotations

import pytest

from voice_shop.dialog import Dialog
from voice_shop.intent.model import IntentName
from voice_shop.intent.parser import IntentParser
from voice_shop.stt.base import Transcript
from voice_shop.understand import MAX_BEND_NATS, MIN_MARGIN_NATS, understand, weigh


def heard(text: str, score: float, *readings: tuple[str, float]) -> Transcript:
    """What the model wrote (``text``) and the readings proposed, each with log P(. | audio)."""
    return Transcript(text=text, is_in_domain=True, confidence=0.0, duration_s=2.0,
                      decode_s=0.0, alternatives=tuple(r for r, _ in readings),
                      log_likelihoods=(score, *(s for _, s in readings)))


def bacon(parser: IntentParser) -> str | None:
    """The catalog's bacon, as the parser finds it typed."""
    return parser.parse("add a pack of bacon").items[0].sku


def items(result: object) -> list[tuple[str | None, int | None]]:
    return [(i.sku, i.quantity) for i in result.intent.items]  # type: ignore[attr-defined]


def test_what_was_heard_is_acted_on_when_it_is_a_command(parser: IntentParser) -> None:
    result = understand(heard("add a pack of bacon", -3.0), parser)
    assert result.is_understood and result.intent.intent is IntentName.ADD_ITEM
    assert items(result) == [(bacon(parser), 1)]


def test_a_word_bent_to_the_catalog_stands_within_the_allowance(parser: IntentParser) -> None:
    """'bay con' is no product; the catalog's 'bacon' costs the model a little likelihood."""
    bent = heard("add a pack of bay con", -5.0, ("add a pack of bacon", -5.0 - MAX_BEND_NATS / 2))
    result = understand(bent, parser)
    assert result.is_understood and items(result) == [(bacon(parser), 1)]
    assert result.text == "add a pack of bacon"
    too_far = heard("add a pack of bay con", -5.0,
                    ("add a pack of bacon", -5.0 - MAX_BEND_NATS - 0.5))
    assert not understand(too_far, parser).is_understood


def test_a_rival_meaning_close_behind_is_no_order(parser: IntentParser) -> None:
    """Two products (or counts) the audio fits almost equally well: ask again, never guess."""
    close = heard("add a pack of bay con", -9.0, ("add a pack of bacon", -10.0),
                  ("add two packs of bacon", -10.0 - MIN_MARGIN_NATS / 2))
    weighed = weigh(close, parser)
    assert weighed is not None and weighed.margin_nats == pytest.approx(MIN_MARGIN_NATS / 2)
    assert not understand(close, parser).is_understood
    clear = heard("add a pack of bay con", -9.0, ("add a pack of bacon", -10.0),
                  ("add two packs of bacon", -10.0 - MIN_MARGIN_NATS - 1))
    assert understand(clear, parser).is_understood


def test_a_count_stands_only_when_heard_clearly_over_a_single_one(parser: IntentParser) -> None:
    """'eight' and 'a' sound alike: the count the model hardly prefers is not taken."""
    unsure = heard("add eight lattes", -4.0, ("add a latte", -4.5))
    assert not understand(unsure, parser).is_understood
    sure = heard("add eight lattes", -4.0, ("add a latte", -4.0 - MIN_MARGIN_NATS - 3))
    result = understand(sure, parser)
    assert result.is_understood and [q for _, q in items(result)] == [8]


def test_readings_meaning_the_same_order_are_no_rivals(parser: IntentParser) -> None:
    same = heard("i'd like a pack of bacon", -4.0, ("id like a pack of bacon", -4.2),
                 ("add a pack of bacon", -9.0))
    assert understand(same, parser).is_understood


def test_speech_with_no_command_in_it_is_not_understood(parser: IntentParser) -> None:
    result = understand(heard("the weather will turn colder later this week", -6.0), parser)
    assert not result.is_understood and result.intent.intent is IntentName.UNKNOWN
    assert weigh(heard("", 0.0), parser) is None


def test_a_heard_dozen_plus_is_read_back_before_it_is_added(parser: IntentParser,
                                                            dialog: Dialog) -> None:
    """"nineteen lattes" heard clearly is still asked about: a count is what a recogniser
    most often mishears. Typed, the same words are simply done."""
    said = heard("add nineteen lattes", -3.0, ("add a latte", -3.0 - MIN_MARGIN_NATS - 4))
    result = understand(said, parser)
    typed = parser.parse("add nineteen lattes")
    latte = typed.items[0].sku
    assert result.is_understood and result.intent.read_back
    assert items(result) == [(latte, 19)]
    asked = dialog.handle(result.intent)
    assert "nineteen" in asked.reply.lower() and asked.reply.endswith("?"), asked.reply
    assert asked.cart.is_empty
    done = dialog.handle(parser.parse("yes"))
    assert [(line.sku, line.quantity) for line in done.cart.lines] == [(latte, 19)]
    assert not understand(heard("add two lattes", -3.0, ("add a latte", -9.0)),
                          parser).intent.read_back
    assert not typed.read_back and dialog.handle(typed).cart.lines[0].quantity == 38


def test_a_short_command_is_not_bent_as_far_as_a_long_one(parser: IntentParser) -> None:
    """Rewriting one word of two bends the whole command; the same cost over a long order is
    one misheard word among many."""
    short = heard("at bay con", -0.5, ("add bacon", -0.5 - 8.0))
    assert not understand(short, parser).is_understood
    long = heard("i'd like to add a pack of bay con please", -2.0,
                 ("i'd like to add a pack of bacon please", -2.0 - 8.0))
    result = understand(long, parser)
    assert result.is_understood and [sku for sku, _ in items(result)] == [bacon(parser)]
