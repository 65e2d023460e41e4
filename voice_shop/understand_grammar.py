"""From a PocketSphinx transcript to an intent: pick the hypothesis that is a complete shop
command, and accept it only when the evidence says it was really said.

The recogniser's best path is not always the best reading ("add to diaper rash cream" vs
"add two ..."). Among the n-best hypotheses, the first one whose parse is complete (a known
intent, and every product it names found in the catalog) wins; speech for which no hypothesis
is complete, or that the recogniser itself rejected, comes back as ``unknown``: not
understood, never a guessed order.

A grammar decode forces any speech onto some command (a sentence about the weather becomes
an order), so when the recogniser decoded with the shop's grammar its open n-gram pass is a
second opinion: the command is accepted when that pass itself heard a whole command of the
grammar, or heard the same products and quantities, at least ``MIN_OPTIONS_HEARD`` of the
options the grammar chose, and no other value for any of them. Without that, the grammar's
reading still stands when it is heard clearly on its own: sentences meaning the same order
hold most of the n-best list's probability (``MIN_ORDER_SHARE``), and the words naming the
products and options fit the audio nearly as well as a free phone loop does
(``MIN_SLOT_EVIDENCE``), while the open pass heard at least one of those words and no
rival value for an option. Measured on real recorded orders (README), this rejects
out-of-domain speech and keeps wrong orders rare at the price of asking "sorry?"
sometimes.
"""

from __future__ import annotations

from dataclasses import replace

from .intent.model import Intent, IntentName
from .intent.parser import IntentParser
from .stt.base import CLEAR_DYNAMIC_RANGE_DB, Transcript
from .understanding import _ITEM_INTENTS, Understanding, is_complete

MIN_OPTIONS_HEARD = 0.5
"""Share of the grammar's option values the open pass must also have heard."""
MIN_SLOT_EVIDENCE = -4.25
"""Mean acoustic evidence (``Transcript.word_evidence``) the words naming the products and
options must reach when the second opinion did not confirm the command (docs/measurements.md)."""
MIN_SLOT_EVIDENCE_NOISY = -3.0
"""The evidence asked of audio under ``CLEAR_DYNAMIC_RANGE_DB``, where a word fits the audio
poorly against a phone loop right or wrong."""
MIN_SLOT_EVIDENCE_CROSS_CHECKED = -4.5
"""The evidence asked of noisy audio whose cross-check (another noise filter's grammar pass)
means the same order; the n-best share is then not asked either."""
MIN_PRODUCT_EVIDENCE = -6.0
"""In clear audio, a product the open pass did not hear must fit the audio on its own: its
words' mean evidence at least this."""
MAX_UNEXPLAINED_S = 2.0
"""Audio as loud as the words that the words of a grammar reading leave uncovered
(``Transcript.unexplained_s``): more, and the reading is only a part of what was said."""
MIN_ORDER_SHARE = 0.7
"""Share of the n-best probability (``Transcript.shares``) that sentences meaning the same
order must hold for a reading to stand without the open pass."""


def _same_order(intent: Intent, other: Intent) -> bool:
    """The same command with the same products and quantities."""
    def key(i: Intent) -> tuple[object, ...]:
        return i.intent, tuple((item.sku, item.quantity or 1) for item in i.items)
    return key(intent) == key(other)


def _options_heard(intent: Intent, text: str) -> float:
    padded = f" {text} "
    values = [v for item in intent.items for v in item.options.values()]
    if not values:
        return 1.0
    return sum(1 for v in values if f" {v.lower()} " in padded) / len(values)


def _order_with_options(intent: Intent) -> tuple[object, ...]:
    return intent.intent, tuple((i.sku, i.quantity or 1, tuple(sorted(i.options.items())))
                                for i in intent.items)


def slot_evidence(intent: Intent, transcript: Transcript) -> float | None:
    """Mean acoustic evidence of the words that name the products and their options, where
    they are said as a phrase ("a" in "a lot of sugar", not every "a" of the sentence; of
    every word when none are); None when the recogniser did not measure it."""
    words = transcript.text.split()
    if not transcript.word_evidence or len(transcript.word_evidence) != len(words):
        return None
    phrases = [phrase.split() for phrase in _slot_phrases(intent)]
    positions = {start + k for phrase in phrases if phrase
                 for start in range(len(words) - len(phrase) + 1)
                 if words[start:start + len(phrase)] == phrase
                 for k in range(len(phrase))}
    scores = ([transcript.word_evidence[i] for i in sorted(positions)]
              or list(transcript.word_evidence))
    return sum(scores) / len(scores)


def _unheard_product_fits(intent: Intent, transcript: Transcript) -> bool:
    """Each product the open pass did not hear fits the audio on its own
    (``MIN_PRODUCT_EVIDENCE``), where its words can be found in the reading."""
    words, evidence = transcript.text.split(), transcript.word_evidence
    if len(evidence) != len(words):
        return True
    heard = set(transcript.second_opinion.split())
    for item in intent.items:
        said = item.query.split()
        if not said or heard & set(said):
            continue
        starts = [i for i in range(len(words) - len(said) + 1) if words[i:i + len(said)] == said]
        if starts and sum(evidence[starts[0]:starts[0] + len(said)]) / len(said) \
                < MIN_PRODUCT_EVIDENCE:
            return False
    return True


def order_share(intent: Intent, transcript: Transcript, parser: IntentParser) -> float:
    """The share of the recogniser's n-best probability held by sentences that mean the
    same order as ``intent`` (0 when the shares were not measured)."""
    order = _order_with_options(intent)
    sentences = (transcript.text, *transcript.alternatives)
    return sum(share for text, share in zip(sentences, transcript.shares, strict=False)
               if _order_with_options(parser.parse(text)) == order)


def is_heard_clearly(intent: Intent, transcript: Transcript, second: Intent | None,
                     parser: IntentParser) -> bool:
    """The grammar's reading stands on its own: sentences meaning the same order hold most
    of the n-best list's probability, the words naming the products and options fit the
    audio well against a free phone loop, and the open pass (``second``, its parse) heard
    one of those words and no rival value for an option. A cross-check whose every view
    means the same order stands in for the n-best share (with others talking around the
    speech, ``Transcript.others_talking_s``, it is needed), and in noise lowers the evidence
    asked (``MIN_SLOT_EVIDENCE_CROSS_CHECKED``)."""
    evidence = slot_evidence(intent, transcript)
    range_db = transcript.dynamic_range_db
    is_noisy = range_db is not None and range_db < CLEAR_DYNAMIC_RANGE_DB
    order = _order_with_options(intent)
    is_cross_checked = bool(transcript.cross_check) and all(
        _order_with_options(parser.parse(text)) == order for text in transcript.cross_check)
    floor = (MIN_SLOT_EVIDENCE if not is_noisy
             else MIN_SLOT_EVIDENCE_CROSS_CHECKED if is_cross_checked
             else MIN_SLOT_EVIDENCE_NOISY)
    if evidence is None or evidence < floor:
        return False
    if not is_noisy and not _unheard_product_fits(intent, transcript):
        return False
    # With others talking around the speech, the share was high for wrong readings as for
    # right ones while the views told them apart (docs/measurements.md).
    is_share_enough = (not transcript.others_talking_s
                       and order_share(intent, transcript, parser) >= MIN_ORDER_SHARE)
    return (_names_a_slot_word(intent, transcript.second_opinion)
            and not (second is not None and _rival_option_heard(intent, second))
            and (is_cross_checked or is_share_enough))


def _rival_option_heard(intent: Intent, other: Intent) -> bool:
    """The open pass heard a rival value for an option of an item: not the same value with a
    word more or less ("some almond milk" for "almond milk", "milk" for "whole milk": a
    pass that missed a word), but another one ("triple shot" for "double shot", "almond
    milk" for "whole milk")."""
    def is_rival(value: str, heard: str) -> bool:
        words, heard_words = set(value.split()), set(heard.split())
        return not (words <= heard_words or heard_words <= words)
    return any(is_rival(value, heard) for value, heard in _option_pairs(intent, other))


def _option_pairs(intent: Intent, other: Intent) -> list[tuple[str, str]]:
    """(value, other value) for each option both readings chose for the same item."""
    return [(value, other_item.options[group])
            for item, other_item in zip(intent.items, other.items, strict=False)
            for group, value in item.options.items() if group in other_item.options]


def _slot_phrases(intent: Intent) -> list[str]:
    """The phrases naming the reading's products and their option values."""
    return [phrase for item in intent.items for phrase in (item.query, *item.options.values())]


def _names_a_slot_word(intent: Intent, text: str) -> bool:
    """The open pass heard at least one word of the products or options the reading names.
    A reading that stands on its own evidence still needs that much of a second opinion:
    1.6 s of LibriSpeech, "the second check out" to the open pass, fit "seven cappuccinos"
    well word by word. A command that names nothing (no items) never meets this, and stands
    only when the open pass heard it too."""
    heard = set(text.split())
    return any(word in heard for phrase in _slot_phrases(intent) for word in phrase.split())


def is_confirmed(intent: Intent, transcript: Transcript, second: Intent | None,
                 parser: IntentParser | None = None) -> bool:
    """True when the grammar's words account for the audio, and the second opinion
    (``second``, its parse; None without one) agrees with the grammar's reading or the
    reading is heard clearly on its own."""
    if not transcript.is_grammar:
        return True
    if transcript.unexplained_s > MAX_UNEXPLAINED_S:
        return False  # the reading is not what the speech said, only a part that fits
    if _is_under_voices(transcript):
        evidence = slot_evidence(intent, transcript)
        if evidence is None or evidence < MIN_SLOT_EVIDENCE_NOISY:
            return False
    if (second is not None and _same_order(intent, second)
            and _options_heard(intent, transcript.second_opinion) >= MIN_OPTIONS_HEARD
            and not _options_conflict(intent, second)):
        return True
    if _is_rival_command(intent, transcript, second):
        return False
    return parser is not None and is_heard_clearly(intent, transcript, second, parser)


def _is_under_voices(transcript: Transcript) -> bool:
    """Others talk around the speech and not far under it (babble at 10 dB): the open pass
    and the views then agree on wrong readings too, hearing the same voices ("i'd like to
    twenty ounce iced mochas" confirmed "two"). Whatever confirms such a reading, its own
    words must fit the audio as well as noisy audio's must (``MIN_SLOT_EVIDENCE_NOISY``).
    At 20 dB the speech is clear and this asks nothing."""
    range_db = transcript.dynamic_range_db
    return (transcript.others_talking_s > 0 and range_db is not None
            and range_db < CLEAR_DYNAMIC_RANGE_DB)


def _options_conflict(intent: Intent, other: Intent) -> bool:
    """The two readings chose different values for the same option of an item ("double
    shot" and "triple shot"): half the options heard alike is then no agreement. On the real
    orders and their noisy copies this turned 6 wrong orders into "Sorry" for 5 right ones."""
    return any(value != heard for value, heard in _option_pairs(intent, other))


def _is_rival_command(intent: Intent, transcript: Transcript, second: Intent | None) -> bool:
    """The open pass heard another whole command of the shop's language. Then the grammar's
    reading is one of two and cannot stand on its own evidence: a short path such as
    "avocado please" can fit "add a pack of bacon" well enough word by word, while its
    filler words fit badly and the open pass heard the real sentence."""
    return (second is not None and transcript.is_second_opinion_a_command
            and is_complete(second)
            and _order_with_options(second) != _order_with_options(intent))


def understand(transcript: Transcript, parser: IntentParser) -> Understanding:
    # Parsed once: the open pass's reading is both a candidate and the second opinion.
    second = parser.parse(transcript.second_opinion) if transcript.is_grammar else None
    if transcript.text:
        first = parser.parse(transcript.text)
        found = _grammar_reading(first, transcript, second, parser)
        if found is not None:
            return found
    # The open pass, free to hear anything, heard a whole command of the shop's language on
    # its own (the grammar pass may have been pulled onto a shorter path, "avocado thank
    # you" for "add a pack of bacon"). It comes second: alone it is right far less often
    # than a grammar reading that is confirmed or heard clearly ("a few bags of rice" for
    # "add two bags of rice").
    if transcript.is_second_opinion_a_command and second is not None and is_complete(second) \
            and not (transcript.text and _conflicts(first, second)):
        return Understanding(transcript.second_opinion, second, True)
    if not transcript.text:
        return Understanding("", Intent(IntentName.UNKNOWN, text=""), False)
    # Not an order, but a place or a code said ("the second one", a PIN digit by digit)
    # still answers a question the dialog asked: it reads those slots, never the text.
    unknown = Intent(IntentName.UNKNOWN, text=transcript.text, confidence=first.confidence,
                     choice=first.choice, digits=first.digits)
    return Understanding(transcript.text, unknown, False)


def is_cross_check_due(transcript: Transcript, parser: IntentParser) -> bool:
    """Could a cross-check change what ``transcript`` is understood as? The views count
    only when every one of them means the reading's order; views that do not are read as
    no views at all. So they matter only when agreeing views would change the answer: a
    reading that stands without them, or falls even when they agree, needs no second look.
    The recogniser asks this before decoding the views (``PocketSphinxSTT``'s
    ``is_cross_check_due``), so the views' decodes are paid only where they could decide."""
    if not transcript.text or transcript.cross_check:
        return False
    agreeing = replace(transcript, cross_check=(transcript.text,))
    return understand(agreeing, parser) != understand(transcript, parser)


def _conflicts(first: Intent, second: Intent) -> bool:
    """The two passes heard different requests about the same product: other amounts or
    options, or another request ("add a dozen free range eggs" to the grammar, "i don't want
    an free range egg" to the open pass), the grammar's reading complete or not ("add a
    white permanent marker", a colour the marker lacks, against "i don't want an permanent
    marker"). Which one was said is anybody's guess, so neither is taken."""
    skus = {i.sku for i in first.items} & {i.sku for i in second.items}
    return bool(skus - {None}) and _order_with_options(first) != _order_with_options(second)


def _grammar_reading(first: Intent, transcript: Transcript, second: Intent | None,
                     parser: IntentParser) -> Understanding | None:
    """The first pass's reading (or a repairing alternative) when it is complete and
    confirmed; None otherwise."""
    if not transcript.is_in_domain or first.intent is IntentName.UNKNOWN:
        return None
    # Alternatives may repair a word ("to" -> "two") but not change what was asked.
    # A top reading with no product at all ("take out" for "check out") is broken
    # enough that a complete alternative of another intent may replace it.
    is_broken = first.intent in _ITEM_INTENTS and not first.items
    for text in (transcript.text, *transcript.alternatives):
        intent = first if text == transcript.text else parser.parse(text)
        if (intent.intent is first.intent or is_broken) and is_complete(intent):
            if not is_confirmed(intent, transcript, second,
                                parser if text == transcript.text else None):
                return None
            return Understanding(text, intent, True)
    return None
