"""Text to intent: what the shopper wants done, with products, quantities, units and options.

The intent comes from trigger patterns tried in priority order; the slots come from the words
left once triggers and politeness are removed, split into one segment per product. Products are
matched against the live catalog (``CatalogIndex``), so nothing here knows any product.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..language.compiler import default_templates, rule_phrases
from ..language.lexicon import lexicon
from ..money import number_to_words
from ..replies import PLURAL_ONLY
from ..shop.models import Product
from ..text import normalize, singular
from .matcher import MATCH_THRESHOLD, CatalogIndex, Match
from .model import Intent, IntentName, ItemSlot
from .quantities import (
    MAX_SPOKEN_QUANTITY,
    MIN_SPOKEN_DIGITS,
    NUMBER_WORDS,
    has_negative_amount,
    is_code_lead_in,
    leading_fraction,
    leading_quantity,
    leading_unit,
    pack_word,
    spoken_digits,
    spoken_homophone_quantity,
    spoken_place,
    without_signs,
)

I = IntentName  # noqa: E741 - short alias keeps the rule table readable
_NUMBER = "(" + "|".join(sorted(NUMBER_WORDS)) + ")"
_TYPED_CODE = re.compile(rf"((?:[a-z']+ )*)(\d{{{MIN_SPOKEN_DIGITS},}})")
"""A code typed as digits, alone or after a lead-in ("my pin is 4007": ``is_code_lead_in``)."""

_WORDS = lexicon()
_LANGUAGE = default_templates()


def _rule_pattern(rule: str) -> str:
    """An expansion rule of the shop's language as a regex alternation, longest first."""
    phrases = sorted(rule_phrases(_LANGUAGE, rule), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(p) for p in phrases) + ")"


# Politeness, hesitations and hedges that carry no meaning for the shop; yes and no: rules
# of the shop's language. "so" is a filler, but not in "so far".
_FILLERS = re.compile(rf"\b({_rule_pattern('filler')}|so(?! far\b))\b")
_CONFIRM = re.compile(rf"^{_rule_pattern('yes_words')}( {_rule_pattern('yes_more')})*$")
_DENY = re.compile(rf"^{_rule_pattern('no_words')}( {_rule_pattern('no_more')})*$")
_HESITATION = re.compile(rf"^({_rule_pattern('hesitation')} )+")

_FROM_LIST = re.compile(
    r"^(add|buy|order|get|put)( me)? (everything|all|all the (items|things)|the (items|"
    r"things|stuff)) (from|on|in) (my|the|our) ((shopping|wish|grocery) )?list"
    r"( (to|in|into) (my|the) cart)?$|"
    r"^(add|buy|order|get) (my|the|our) ((shopping|wish|grocery) )?list( to (my|the) cart)?$")
"""The whole list into the cart: "add everything from my shopping list"."""
_OFF_THE_LIST = re.compile(r"\b(remove|delete|take|cross|clear|empty)\b.*\b(from|off|out of) "
                           r"(my|the|our) ((shopping|wish|grocery) )?list\b|"
                           r"^(clear|empty) (my|the|our) ((shopping|wish|grocery) )?list$")
"""Off a list, not the cart: "take milk off my shopping list", "clear my wish list"."""
_WHOLE_LIST = re.compile(r"\b(everything|all of it|all the (items|things)|the whole list)\b|"
                         r"^(clear|empty)\b")

# (intent, pattern) in priority order; the first that matches decides the intent.
_RULES: tuple[tuple[IntentName, re.Pattern[str]], ...] = tuple(
    (intent, re.compile(pattern)) for intent, pattern in (
        (I.CANCEL, r"^(cancel|cancel (that|it|this|everything)|never ?mind|forget (it|about it|"
                   r"that)|stop|abort|quit|cancel (my|the) (last |latest )?order)$"),
        (I.UNDO, r"^(undo|undo (that|it|the last (thing|change|one|item))|take (that|it) back|"
                 r"scratch that|revert( that)?|go back|oops|put it back)$"),
        (I.REPEAT, r"^(repeat|repeat (that|it|yourself|please)|say (that|it) again|come again|"
                   r"pardon( me)?|what did you (just )?say|sorry what|what was that|"
                   r"i didn't (catch|hear) (that|you))$"),
        (I.HELP, r"^(help|help me|what can (you|i) (do|say|ask)|what do|what can i (do|say)|"
                 r"how does (this|it) work|what do you do|how do i (use|shop|order).*|"
                 r"what are my options)$"),
        (I.CLEAR_CART, r"\b(clear|empty|reset|wipe|dump|delete) (out )?(my|the|our|this) "
                       r"(whole |entire )?(cart|basket|trolley|order)\b|\b(remove|delete|"
                       r"take out) everything\b|\bstart (over|again|from scratch)\b"),
        (I.VIEW_LIST, r"\b(what's|what is|what do i have|what have i got|read|show|check|"
                      r"view|open|list|tell me what's) .*\b(shopping|wish|grocery)? ?list\b|"
                      r"\bwhat did i save for later\b"),
        (I.ADD_TO_LIST, r"\b(to|on|onto|in) (my|the|our) (shopping |wish |grocery )?list\b|"
                        r"\bwish ?list\b|\bfor later\b|\bremind me to (buy|get)\b"),
        (I.ORDER_STATUS, r"\b(where('s| is)|status of|track|tracking|when (will|is|does))\b"
                         r".*\b(order|delivery|package|parcel|groceries|shopping|stuff)\b|"
                         r"\b(has|did|is) my (last )?(order|delivery|package)\b|"
                         r"\border status\b"),
        (I.REORDER, r"\b(my|the) usual\b|\bsame (as|thing as|order as) (last time|before|"
                    r"last week|usual)\b|\b(re ?order|order again|buy again|order it again)\b|"
                    r"\b(repeat|redo) my (last|previous) order\b|\bwhat i (got|bought|"
                    r"ordered) last (time|week)\b|\bmy (last|previous) order again\b"),
        (I.VIEW_CART, r"\b(what's|what is|whats|what do i have|what have i got|what have i "
                      r"added|show|read|list|check|review|view|open|tell me what's|how much is"
                      r"|what's the total|how many items are)\b.*\b(cart|basket|trolley)\b|"
                      r"\bwhat('s| is) (my|the) total\b|^(my |the )?(cart|basket)$|"
                      r"\bwhat have i (got|ordered) so far\b|\bhow much (do i owe|so far)\b|"
                      r"^read (me )?(back )?(my|the|our) order( back)?$"),
        (I.CHECKOUT, r"\b(check ?out|place (my|the|an|this) order|complete (my|the) (order|"
                     r"purchase)|finish (my|the) order|submit (my|the) order|buy (it all|"
                     r"everything|them all|all of it|what's in my cart)|pay( now| for (it|"
                     r"everything|my order))?|i'm (done|ready to (pay|order))|that's "
                     r"(all|everything|it)|proceed to checkout|order now|ready to (pay|check "
                     r"out|order)|place order|complete purchase)\b|^place it$"),
        (I.DEALS, r"\b(deals?|on sale|on offer|sales|specials?|special offers?|promotions?|promos?|"
                  r"discounts?|discounted|coupons?|offers|bargains?|what's cheap)\b"),
        (I.FEEDBACK, r"\b(feedback|rate|rating|stars?|review|complain(t)?|(loved|hated|enjoyed"
                     r"|liked|disliked) (it|the (service|delivery|app|shopping))|the (service|"
                     r"delivery|app|experience) (was|is)|(great|good|excellent|bad|poor|terrible) "
                     r"(service|delivery))\b"),
        (I.RECOMMEND, r"\b(recommend|recommendations?|suggest|suggestions?|what should i (buy|"
                      r"get|cook|make|eat|order)|any ideas|what goes (well )?with|what else "
                      r"(should|do|would|could) i|anything else i (need|might|should)|"
                      r"surprise me)\b"),
        (I.PRICE_QUERY, r"\b(how much (is|are|does|do|for|would|will|'s)|how much|price|"
                        r"prices|cost|costs|how expensive|what do .* go for)\b"),
        (I.PRODUCT_INFO, r"\bwhat about\b|"
                         r"\b(tell me (more )?about|what is in|what's in|ingredients|"
                         r"describe|information (on|about)|info (on|about)|details (on|about|"
                         r"of)|what brand|who makes|how big is|what size is|is (it|the|that|"
                         r"your)( .*)? (vegan|gluten free|organic|dairy free|kosher|halal))\b"),
        (I.SEARCH, r"\b(do you (have|sell|carry|stock|got)|have you got|you got any|search|"
                   r"find|look(ing)? for|show me|what (kind|kinds|type|types|sort|sorts) of|"
                   r"which .* do you have|what .* do you (have|sell|carry)|is there any|"
                   r"are there any|got any|browse|in stock)\b"),
        (I.REMOVE_ITEM, r"\b(never ?mind|remove|"
                        r"take (out|off|away)|cancel|(put|take) .* (back|off|out)$|"
                        r"delete|drop|get rid of|no more|"
                        r"(don't|do not|no longer) (want|need)|cross off|lose the|minus|"
                        r"take .* (out|off))\b"),
        (I.SET_QUANTITY, r"(^|\b(yes|yeah|ok|okay|so|and|now|then|no|hey) )set\b|"
                         rf"\b(change|update|adjust|switch|make (it|that|them|those|the|"
                         rf"this)|make .* to ({_NUMBER} ?)+$|i only (want|need)|"
                         rf"only (want|need)|instead)\b"),
        (I.ADD_ITEM, r"^((another|one more|(a few|a couple|"
                     rf"{_NUMBER}( {_NUMBER})?) more)( [a-z]+)?( ones?)?|(the )?same again|"
                     rf"(a few|a couple|{_NUMBER}( {_NUMBER})?) more"
                     r"( of (those|them|these|that))?)$|"
                     r"\b(add|put|i'd like|i would like|i'll (take|have|get)|i want|i need|"
                     r"we need|we want|get me|give me|buy|order|grab|pick up|throw in|toss in|"
                     r"include|can i (get|have)|could i (get|have)|may i have|let me (get|"
                     r"have)|also|need|want|get|bring)\b"),
    ))

# The ways of asking for something, from the shop's language (the recogniser's grammar says
# the same): "make me a large latte", "can i please get", "i'll go with".
_ASK_PHRASES = tuple(rule_phrases(_LANGUAGE, "ask") + rule_phrases(_LANGUAGE, "add"))
_OPENING_WORDS = frozenset(w for p in rule_phrases(_LANGUAGE, "opening") for w in p.split())
_CLOSING_PHRASES = sorted(rule_phrases(_LANGUAGE, "closing"), key=len, reverse=True)
_ASK_PATTERN = re.compile(r"\b(" + "|".join(
    re.escape(p) for p in sorted(_ASK_PHRASES, key=len, reverse=True)) + r")\b")
_RULES = (*_RULES[:-1], (_RULES[-1][0], re.compile(
    _ASK_PATTERN.pattern + "|" + _RULES[-1][1].pattern)))
_AMOUNT_WORDS = frozenset({"a", "an", "some", "another", *NUMBER_WORDS})


def _with_pointers(intent: Intent) -> Intent:
    """The slots that say how an utterance points at the conversation: back at what it is
    about ("it", "another"), at a change ("make", "instead"), at the order ("cancel my
    order"), or at nothing (a greeting, thanks)."""
    said = normalize(intent.text)
    social = "greeting" if _HELLO.match(said) else "thanks" if _THANKS.match(said) else None
    aspect = intent.aspect
    if intent.intent is IntentName.CANCEL and aspect is None and re.search(r"\border\b", said):
        aspect = "order"
    return dataclasses.replace(intent, refers_back=_REFERENCE.search(said) is not None,
                               is_change=_CHANGE.search(said) is not None, social=social,
                               aspect=aspect)


def _unusable(quantity: int | None, text: str, negative: bool) -> str | None:
    """The amount as said when no order can have it: negative, or at the parser's cap."""
    if quantity and negative:
        return f"minus {number_to_words(quantity)}"
    if quantity is not None and quantity >= MAX_SPOKEN_QUANTITY:
        digits = max(re.findall(r"\d[\d,]*", text), key=len, default="")
        if not digits:
            return number_to_words(quantity)  # "a million"
        return digits if len(digits) <= MAX_DIGITS_SAID else "that many"
    return None


def _without_unusable_amounts(intent: Intent, negative: bool) -> Intent:
    """A negative or absurd amount is never reported as a quantity: it is ``amount_said``
    ("add minus five bananas", "add 99999999999999999999 eggs"), for the dialog to refuse."""
    text = intent.text
    items = tuple(dataclasses.replace(i, quantity=None, amount_said=said)
                  if (said := _unusable(i.quantity, text, negative)) else i
                  for i in intent.items)
    said = _unusable(intent.quantity, text, negative)
    if said is None and items == intent.items:
        return intent
    return dataclasses.replace(intent, items=items, quantity=None if said else intent.quantity,
                               amount_said=said)


def _amount_correction(text: str) -> Intent | None:
    """"no wait, two dozen", "actually, three": a new amount for what was just said."""
    said = _CORRECTION.match(normalize(text.replace(",", " ")))
    if said is None:
        return None
    words = said.group("amount").split()
    while words and words[-1] in ("please", "instead", "then"):
        words = words[:-1]
    value, used = leading_quantity(words) if words else (None, 0)
    if value is None or used != len(words):
        return None
    unit = "dozen" if words[-1] == "dozen" else None
    return Intent(IntentName.SET_QUANTITY, text=text, confidence=0.9, quantity=value, unit=unit)


_NEED = re.compile(rf"^{_rule_pattern('need_lead')} {_rule_pattern('need_link')} "
                   r"(?:(?:a|an|my|the|some|your|our) )?(?P<need>[a-z0-9][a-z0-9' ]*)$")
_CHEAPEST = re.compile(rf"^(?:{_rule_pattern('cheapest')}|the cheapest) (?P<rest>.+)$")
_CORRECTION = re.compile(rf"^{_rule_pattern('correction')} (?P<amount>.+)$")
_TAKE_BACK = re.compile(rf"^{_rule_pattern('take_back')}$")
_NEVER_MIND = re.compile(rf"^{_rule_pattern('never_mind')}$")
_REFERENCE = re.compile(rf"\b{_rule_pattern('reference')}\b")
_CHANGE = re.compile(rf"\b{_rule_pattern('change')}\b")
_HELLO = re.compile(rf"^{_rule_pattern('hello')}$")
_THANKS = re.compile(rf"^{_rule_pattern('thanks')}$")
_WHOLE_TOTAL = re.compile(rf"^{_rule_pattern('whole_total')}$")
_LAST_ORDER_LINES = re.compile(rf"^{_rule_pattern('last_order_lines')}$")
MAX_UNKNOWN_LEAD_WORDS = 2
"""A bare product order may start with this many words the shop does not know ("brew a dark
roast coffee"); more, and it is not understood."""

# Words that name the action rather than the product; removed before slots are read.
_TRIGGER_PHRASES = _WORDS.trigger_phrases
_TRIGGER_WORDS = re.compile(
    r"\b(" + "|".join(sorted({*_TRIGGER_PHRASES, *_ASK_PHRASES}, key=len, reverse=True))
    + r")\b")
_CART_WORDS = re.compile(
    r"\b(to|in|into|on|onto|from|off|out of) (my|the|our) (shopping |grocery |wish )?"
    r"(cart|basket|trolley|order|list|wish ?list)\b|\b(my|the|our) (shopping |grocery |wish )?"
    r"(cart|basket|trolley|list)\b")
_SPLIT_WORDS = _WORDS.split_words
_EDGE_WORDS = _WORDS.edge_words
_NON_PRODUCT_WORDS = re.compile(
    r"\b(deals?|on sale|on offer|sales|specials?|special offers?|promotions?|promos?|discounts?|"
    r"discounted|coupons?|offers|bargains?|today|this week|right now|tonight|recommendations?|"
    r"suggestions?|what should i (buy|get|cook|make|eat|order)|ideas|anything else|"
    r"what else|should i|might like)\b")
_LEADING_WORDS = _WORDS.leading_words  # "grab me two bananas"
_STAR_RATING = re.compile(
    r"\b(one|two|three|four|five|1|2|3|4|5)( out of (five|5))? stars?\b|"
    r"\b(one|two|three|four|five) out of (five|5)\b")
_WORD_VALUES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
SINGLE_UNIT = "each"
"""The unit of an amount counted in single pieces of a product sold in packs ("half a
dozen" of eggs sold by the dozen)."""
_PLURAL_PRONOUNS = _WORDS.plural_pronouns
_TO_NUMBER = re.compile(r"\b(to|at|be|is|into|with|have|want|need|just) ([a-z ]+?)$")
_TAG_QUESTION_SUBJECTS = _WORDS.tag_question_subjects
MAX_DIGITS_SAID = 24
"""A longer run of digits is read back as "that many", not digit by digit."""
FALLBACK_THRESHOLD = 0.8
"""A bare product name with no verb must match this well to count as an order."""


@dataclass
class _Segment:
    """One product mention being read."""

    tokens: list[str]
    quantity: int | None = None
    unit: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    match: Match | None = None
    query: str = ""
    fraction: str | None = None


class IntentParser:
    """Parses utterances against one catalog; build once, call ``parse`` per utterance."""

    def __init__(self, products: Iterable[Product], wake_phrase: str | None = "hey shop") -> None:
        self.index = CatalogIndex(products)
        self.wake_tokens = tuple(normalize(wake_phrase).split()) if wake_phrase else ()
        self._options = self._option_phrases(self.index.products)
        self._longest_option = max((len(k) for k in self._options), default=0)
        self._protected = self._phrases_with_split_words(self.index.products)
        self._trigger_labels = self._labels_with_trigger_words(self.index.products)
        self._units = frozenset(u for p in self.index.products if (u := pack_word(p.unit)))
        """The catalog's own pack words ("ream"), besides the common ones."""
        self._tags = self._phrase_table(t for p in self.index.products for t in p.tags)
        self._categories = self._phrase_table(
            p.category for p in self.index.products if p.category)

    # ---- catalog-derived vocabularies ----------------------------------------------------
    @staticmethod
    def _phrase_table(values: Iterable[str]) -> dict[tuple[str, ...], str]:
        """Spoken forms (singular too) of tags or categories -> the catalog spelling."""
        table: dict[tuple[str, ...], str] = {}
        for value in set(values):
            words = tuple(normalize(value).split())
            if words:
                table[words] = value
                table[tuple(singular(w) for w in words)] = value
        return table

    @cached_property
    def slot_words(self) -> frozenset[str]:
        """Words (singular) that name part of a product or of an option value of the
        catalog ("twelve" of "twelve ounce" too), glue words and words of amounts and units
        ("dozen", "pack") aside."""
        words = set(self.index.vocabulary) | {w for phrase in self._options for w in phrase}
        amounts = {w for phrase, _ in lexicon().amount_phrases for w in phrase}
        units = {w for unit in lexicon().units for w in unit.split()}
        return frozenset(words - lexicon().glue_words - amounts - units)

    @cached_property
    def _first_words(self) -> frozenset[str]:
        """Words (singular) that begin a product's name or alias or an option value: after
        words the catalog does not know, where a bare order may begin ("brew small latte")."""
        names = (n for p in self.index.products for n in (p.name, *p.aliases))
        return frozenset({singular(w) for n in names for w in normalize(n).split()[:1]}
                         | {phrase[0] for phrase in self._options if phrase})

    @staticmethod
    def _option_phrases(products: Sequence[Product]) -> dict[tuple[str, ...], set[str]]:
        """Every option value's words (singular) -> the catalog spellings."""
        phrases: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for product in products:
            for values in product.options.values():
                for value in values:
                    phrases[tuple(singular(w) for w in normalize(value).split())].add(value)
        return dict(phrases)

    @staticmethod
    def _phrases_with_split_words(products: Sequence[Product]) -> set[tuple[str, ...]]:
        """Names, aliases and option values that contain "and" ("mac and cheese")."""
        found: set[tuple[str, ...]] = set()
        for product in products:
            labels = [product.name, *product.aliases,
                      *(v for vs in product.options.values() for v in vs)]
            for label in labels:
                words = tuple(normalize(label).split())
                if any(w in _SPLIT_WORDS for w in words[1:-1]):
                    found.add(words)
        return found

    @staticmethod
    def _labels_with_trigger_words(products: Sequence[Product],
                                   ) -> dict[str, list[tuple[str, ...]]]:
        """Multi-word names, aliases and option values holding a word the parser reads as
        an action or drops as a filler ("chicken stock", "take out containers", "get well
        card", "off white"), by first word: they are shielded, so neither the request's
        rules nor the removal of action and filler words ever read part of a product."""
        labels: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for product in products:
            for label in (product.name, *product.aliases,
                          *(v for vs in product.options.values() for v in vs)):
                words = tuple(normalize(label).split())
                joined = " ".join(words)
                if len(words) > 1 and words not in labels[words[0]] and (
                        _TRIGGER_WORDS.search(joined) or _FILLERS.search(joined)
                        or any(rule.search(joined) for _, rule in _RULES)):
                    labels[words[0]].append(words)
        for options in labels.values():
            options.sort(key=len, reverse=True)
        return dict(labels)

    def _shield(self, words: Sequence[str]) -> list[str]:
        """The words with each catalog label that holds an action or filler word joined
        into one token ("take_out_containers"); ``_unshield`` parts them again."""
        joined: list[str] = []
        i = 0
        while i < len(words):
            for label in self._trigger_labels.get(words[i], ()):
                if tuple(words[i:i + len(label)]) == label:
                    joined.append("_".join(label))
                    i += len(label)
                    break
            else:
                joined.append(words[i])
                i += 1
        return joined

    def _strip_triggers(self, sentence: str) -> list[str]:
        """Remove action words, except inside catalog names ("chicken stock")."""
        shielded = " ".join(self._shield(sentence.split()))
        return _unshield(_TRIGGER_WORDS.sub(" ", shielded)).split()

    # ---- the parse ---------------------------------------------------------------------------
    def requests(self, text: str) -> list[str]:
        """The requests an utterance joins with "and" or "then": "add a hammer and remove
        the screws" is two, to be done in turn; one request, however many products it
        names, is the utterance itself. A cut is made only before a verb that adds or takes
        away, and kept only where the parts ask different things."""
        words = normalize(text).split()
        cuts = [i for i in range(1, len(words) - 1) if words[i] in {"and", "then"}
                and _request_verb(words[i + 1:])
                and not any(self._protected_at(words, start) > i - start  # "bake and take"
                            for start in range(i))]
        if not cuts:
            return [text]
        parts, start = [], 0
        for cut in (*cuts, len(words)):
            part = words[start:cut]
            while part and part[0] in {"and", "then", "also"}:
                part = part[1:]
            if start and part[-1:] == ["instead"]:  # "remove the tea and add coffee instead"
                part = part[:-1]
            if part:
                parts.append(" ".join(part))
            start = cut
        kinds = {self._parse(part).intent for part in parts}
        return parts if len(parts) > 1 and len(kinds) > 1 else [text]

    def parse(self, text: str) -> Intent:
        """The intent of one utterance (of its first request, when it joins several that
        ask different things: ``requests``); a negative amount ("add minus five") is kept
        negative so the dialog can refuse it instead of reading "minus" as "remove".
        Whatever the intent, a place said ("the second one") and a code said digit by digit
        fill the ``choice`` and ``digits`` slots, for the dialog's questions."""
        parts = self.requests(text)
        if len(parts) > 1:
            return dataclasses.replace(self.parse(parts[0]), text=text)
        intent = self._parse(text)
        words = normalize(text).split()
        typed = _TYPED_CODE.fullmatch(" ".join(re.sub(r"[^\w' ]", " ", text.lower()).split()))
        digits = (typed.group(2) if typed and is_code_lead_in(typed.group(1).split())
                  else spoken_digits(words))
        choice = spoken_place(words)
        if digits is not None or choice is not None:
            intent = dataclasses.replace(intent, digits=digits, choice=choice)
        return _with_pointers(_without_unusable_amounts(intent, has_negative_amount(words)))

    def _parse(self, text: str) -> Intent:
        corrected = _amount_correction(text)
        if corrected is not None:
            return corrected
        words = self._clean(text)
        sentence = " ".join(words)
        # Fillers that take back are a no: "no wait", "um, I changed my mind".
        # Without the words around it ("hey", "ok", "thanks a lot"): never "ok" for "ok, I
        # changed my mind", whose filler words the cleaned sentence has lost.
        bare = _bare_forms(_HESITATION.sub("", normalize(text.replace(",", " "))).split())
        if any(_DENY.match(form) for form in bare):
            return Intent(IntentName.DENY, text=text, confidence=0.9)
        if not words:
            return Intent(IntentName.UNKNOWN, text=text, confidence=0.0)
        if _CONFIRM.match(sentence) or any(_CONFIRM.match(form) for form in bare):
            return Intent(IntentName.CONFIRM, text=text, confidence=0.95)
        if _DENY.match(sentence):
            return Intent(IntentName.DENY, text=text, confidence=0.95)
        core = " ".join(_without_openings(words))  # "hey, clear my shopping list"
        if _OFF_THE_LIST.search(core):
            if _WHOLE_LIST.search(core):  # never Everything Bagels
                return Intent(IntentName.REMOVE_ITEM, text=text, confidence=0.9,
                              list_name=_list_named(sentence))
            return self._with_slots(IntentName.REMOVE_ITEM, re.sub(r"^cross ", "", core),
                                    text, is_list=True)
        if _FROM_LIST.search(core):
            return Intent(IntentName.ADD_ITEM, text=text, confidence=0.9,
                          list_name=_list_named(sentence))
        count = self._count_of_them(words)
        if count is not None:
            return Intent(IntentName.SET_QUANTITY, text=text, confidence=0.9, quantity=count)
        asked = self._asked_of(core, text)
        if asked is not None:
            return asked
        shielded = " ".join(self._shield(words))  # "add a set of mixing bowls" sets nothing
        if self._asks_of_a_tag(core):  # "is the wet cat food grain free": any catalog tag
            return self._with_slots(IntentName.PRODUCT_INFO, shielded, text)
        for intent, pattern in _RULES:
            if pattern.search(shielded):
                if intent is IntentName.CLEAR_CART and _EXCEPT.search(shielded):
                    break  # "remove everything except the bagels": not a clear, not understood
                found = self._with_slots(intent, shielded, text)
                if intent is IntentName.CANCEL and _TAKE_BACK.match(core):
                    found = dataclasses.replace(found, aspect="take_back")
                elif intent is IntentName.CANCEL and _NEVER_MIND.match(core):
                    found = dataclasses.replace(found, aspect="never_mind")
                return found
        else:
            found = self._fallback(sentence, text)
            if found.intent is IntentName.ADD_ITEM and text.rstrip().endswith("?"):
                return dataclasses.replace(found, intent=IntentName.SEARCH)  # "croissants?"
            return found
        return Intent(IntentName.UNKNOWN, text=text, confidence=0.3)

    @staticmethod
    def _count_of_them(words: list[str]) -> int | None:
        """"six of them", "just two of those": how many of what the talk is about."""
        while words and words[0] in _OPENING_WORDS | {"just", "only"}:
            words = words[1:]
        if len(words) < 3 or words[-2:-1] != ["of"] or words[-1] not in _PLURAL_PRONOUNS \
                or "more" in words:  # "two more of those" adds two
            return None
        number, used = leading_quantity(words[:-2])
        return number if number is not None and used == len(words) - 2 else None

    def _clean(self, text: str) -> list[str]:
        sentence = normalize(text.replace(",", " and ").replace(";", " and "))
        words = without_signs(sentence.split())
        if self.wake_tokens and tuple(words[:len(self.wake_tokens)]) == self.wake_tokens:
            words = words[len(self.wake_tokens):]
        sentence = _FILLERS.sub(" ", " ".join(self._shield(words)))  # never "get well card"
        words = _unshield(sentence).split()
        while words and words[0] in _SPLIT_WORDS:
            words = words[1:]
        while words and words[-1] in _SPLIT_WORDS:
            words = words[:-1]
        return words

    def _fallback(self, sentence: str, text: str) -> Intent:
        """No verb: a bare product list ("two bananas and a latte", "yeah a large mocha",
        "brew a dark roast coffee", "three tubs of yogurt in my cart") is an order."""
        words = _CART_WORDS.sub(" ", sentence).split()
        while len(words) > 1 and words[0] in _OPENING_WORDS:
            words = words[1:]
        for skip in range(min(MAX_UNKNOWN_LEAD_WORDS, len(words) - 1) + 1):
            if skip and ({words[skip - 1], singular(words[skip - 1])} & self.index.vocabulary):
                break  # only words the catalog does not know may be skipped
            if skip and words[skip] not in _AMOUNT_WORDS \
                    and singular(words[skip]) not in self._first_words \
                    and spoken_homophone_quantity(words[skip:])[0] is None:
                continue  # "brew a coffee", "brew small latte", "fetch to hammers" (two),
                # never "turn on the lights"
            items = self._items(words[skip:])
            if items and all(i.sku and i.score >= FALLBACK_THRESHOLD for i in items):
                return Intent(IntentName.ADD_ITEM, items=tuple(items), text=text,
                              confidence=(0.75 - 0.1 * skip) * min(i.score for i in items))
        return Intent(IntentName.UNKNOWN, text=text, confidence=0.3)

    def _asked_of(self, core: str, text: str) -> Intent | None:
        """Questions the shop's language names whole: a need ("anything for a headache"),
        the cheapest of a kind, the cart's total, the last order's lines."""
        if _WHOLE_TOTAL.match(core):
            return Intent(IntentName.VIEW_CART, text=text, confidence=0.95, aspect="total")
        if _LAST_ORDER_LINES.match(core):
            return Intent(IntentName.ORDER_STATUS, text=text, confidence=0.95, aspect="lines")
        need = _NEED.match(core)
        if need:
            return Intent(IntentName.SEARCH, text=text, confidence=0.9,
                          need=need.group("need").strip())
        cheapest = _CHEAPEST.match(core)
        if cheapest:
            found = self._with_slots(IntentName.SEARCH, cheapest.group("rest"), text)
            return dataclasses.replace(found, aspect="cheapest")
        return None

    def _with_slots(self, intent: IntentName, sentence: str, text: str,
                    is_list: bool = False) -> Intent:
        """``is_list``: the request is about a list ("take milk off my shopping list")."""
        rest = _CART_WORDS.sub(" ", sentence)
        list_name = None
        if intent in (IntentName.ADD_TO_LIST, IntentName.VIEW_LIST) or is_list:
            list_name = _list_named(sentence)
            rest = re.sub(r"\b(shopping|grocery|wish) ?list\b|\blist\b", " ", rest)
        if intent is IntentName.FEEDBACK:
            return self._feedback(sentence, text)
        if intent is IntentName.SET_QUANTITY:
            return self._set_quantity(rest, text)
        if intent not in _SLOT_INTENTS:
            return Intent(intent, text=text, confidence=0.95, list_name=list_name)
        words = self._strip_triggers(_NON_PRODUCT_WORDS.sub(" ", rest))
        if intent is IntentName.PRODUCT_INFO:  # "is the rye bread gluten free"
            asked, words = self._tag_asked(words)
            items = self._items(words)
            return Intent(intent, items=tuple(items), tags=tuple(asked), text=text,
                          confidence=self._confidence(items, 0.95), list_name=list_name)
        tags, category, rest_words = self._tags_and_category(words, intent)
        items = self._items(words)
        if rest_words != words and not all(i.sku and i.score >= 0.99 for i in items):
            items = self._items(rest_words)
        if intent in (IntentName.DEALS, IntentName.RECOMMEND):
            items = [i for i in items if i.sku]
        return Intent(intent, items=tuple(items), category=category, tags=tuple(tags), text=text,
                      confidence=self._confidence(items, 0.95), list_name=list_name)

    @staticmethod
    def _confidence(items: Sequence[ItemSlot], base: float) -> float:
        if not items:
            return base
        return base * min((i.score if i.sku else 0.4) for i in items)

    def _feedback(self, sentence: str, text: str) -> Intent:
        found = _STAR_RATING.search(sentence)
        rating = None
        if found:
            word = found.group(1) or found.group(4)
            rating = _WORD_VALUES.get(word, int(word) if word.isdigit() else None)
        return Intent(IntentName.FEEDBACK, rating=rating, text=text, confidence=0.9)

    def _trailing_count(self, words: list[str]) -> tuple[int, str] | None:
        """The count at the end of "make the bananas five" and the words before it. Of the
        number words at the end, as many are the count as leave the product named best
        ("wd forty two": the can is "wd forty", the count two); a lone "one" is a pronoun
        ("make it the large one")."""
        first = len(words)
        while first > 1 and words[first - 1] in NUMBER_WORDS:
            first -= 1
        best: tuple[float, int, str] | None = None
        for start in range(first, len(words)):
            number, used = leading_quantity(words[start:])
            if number is None or used != len(words) - start or words[start:] == ["one"]:
                continue
            before = " ".join(words[:start])
            items = self._items(self._strip_triggers(before))
            if not items or not all(i.sku for i in items):
                continue
            score = min(i.score for i in items)
            if best is None or score > best[0]:
                best = (score, number, before)
        return None if best is None else (best[1], best[2])

    def _set_quantity(self, rest: str, text: str) -> Intent:
        """"change the bananas to three", "make it five", "I only want two apples"."""
        quantity: int | None = None
        words = rest.split()
        while len(words) > 1 and (words[0] in _OPENING_WORDS or words[0] in {"no", "wait"}):
            words = words[1:]  # "ok, no wait, make it five"
        rest = " ".join(words)
        tail = _TO_NUMBER.search(rest)
        if tail:
            number, used = leading_quantity(tail.group(2).split())
            if number is not None and used == len(tail.group(2).split()):
                quantity, rest = number, rest[:tail.start()]
        else:  # "make the bananas five": the count said last, with no "to", after a product
            counted = self._trailing_count(rest.split())
            if counted is not None:
                quantity, rest = counted
        items = self._items(self._strip_triggers(rest))
        if quantity is not None:
            items = [ItemSlot(query=i.query, sku=i.sku, name=i.name, quantity=quantity,
                              unit=i.unit, options=i.options, alternatives=i.alternatives,
                              score=i.score) for i in items]
        elif len(items) == 1 and items[0].sku is None and items[0].quantity is not None \
                and not items[0].query:
            quantity, items = items[0].quantity, []
        if len(items) == 1 and items[0].sku is None and quantity is not None:
            items = []
        if quantity is None and not any(i.sku for i in items):
            return Intent(IntentName.UNKNOWN, text=text, confidence=0.3)
        return Intent(IntentName.SET_QUANTITY, items=tuple(items), text=text,
                      confidence=self._confidence(items, 0.9),
                      quantity=quantity if not items else None)

    def _asks_of_a_tag(self, core: str) -> bool:
        """"is the X <tag>", "are they <tag>": a yes-or-no question about a tag of this
        catalog (the rules know only the common ones)."""
        words = core.split()
        if len(words) < 3 or words[0] not in ("is", "are") \
                or words[1] not in _TAG_QUESTION_SUBJECTS:
            return False
        return bool(self._tag_asked(words[2:])[0])

    def _tag_asked(self, words: list[str]) -> tuple[list[str], list[str]]:
        """A catalog tag said after the product ("is the rye bread gluten free") and the
        words before it; a tag inside a name ("gluten free bread") is the name's."""
        for width in (3, 2, 1):
            tail = tuple(words[-width:])
            if len(words) >= width and tail in self._tags:
                return [self._tags[tail]], words[:-width]
        return [], words

    def _tags_and_category(self, words: list[str], intent: IntentName,
                           ) -> tuple[list[str], str | None, list[str]]:
        """Pull catalog tags ("gluten free") and a category ("snacks") out of a search."""
        if intent not in (IntentName.SEARCH, IntentName.RECOMMEND, IntentName.DEALS):
            return [], None, words
        tags, rest = self._take_phrases(words, self._tags)
        categories, rest = self._take_phrases(rest, self._categories)
        category = categories[0] if categories else None
        if category and not [w for w in rest if w not in _EDGE_WORDS]:
            return tags, category, []
        return tags, category, rest if (tags or category) else words

    @staticmethod
    def _take_phrases(words: list[str], table: dict[tuple[str, ...], str],
                      ) -> tuple[list[str], list[str]]:
        found: list[str] = []
        rest: list[str] = []
        i = 0
        while i < len(words):
            for width in (3, 2, 1):
                key = tuple(words[i:i + width])
                if len(key) == width and key in table:
                    found.append(table[key])
                    i += width
                    break
            else:
                rest.append(words[i])
                i += 1
        return found, rest

    # ---- items -----------------------------------------------------------------------------
    def _items(self, words: Sequence[str]) -> list[ItemSlot]:
        items: list[ItemSlot] = []
        previous: _Segment | None = None
        for tokens in self._segments(words):
            segment = self._read_segment(tokens, previous)
            if segment is None:
                continue
            if segment.match is None and not segment.query and segment.options \
                    and previous is not None and previous.match is not None \
                    and _is_another_one(segment):  # "two black pens and a red one"
                product = previous.match.product
                other = dataclasses.replace(previous, quantity=segment.quantity,
                                            options=dict(previous.options))
                for value in segment.options.values():
                    group = product.option_group_of(value)
                    if group:
                        other.options[group] = value
                items.append(self._slot(other))
                continue
            if segment.match is None and not segment.query and segment.options \
                    and previous is not None and previous.match is not None:
                product = previous.match.product
                for value in segment.options.values():
                    group = product.option_group_of(value)
                    if group:
                        previous.options[group] = value
                items[-1] = self._slot(previous)
                continue
            if not segment.query and segment.match is None:
                if segment.quantity is not None:
                    items.append(self._slot(segment))
                continue
            items.append(self._slot(segment))
            previous = segment
        return items

    def _segments(self, words: Sequence[str]) -> list[list[str]]:
        """Split on "and"/"plus", but not inside a catalog phrase ("half and half")."""
        segments: list[list[str]] = [[]]
        i = 0
        while i < len(words):
            protected = self._protected_at(words, i)
            if protected:
                segments[-1].extend(words[i:i + protected])
                i += protected
                continue
            word = words[i]
            if word == "and" and i and ((
                    words[i - 1] in {"hundred", "thousand"} and words[i + 1:i + 2]
                    and words[i + 1] in NUMBER_WORDS) or (
                    words[i - 1] in NUMBER_WORDS and leading_fraction(words[i:],
                                                                      after_number=True))):
                segments[-1].append(word)  # "a hundred and fifty", "one and a half": amounts
                i += 1
                continue
            if word in _SPLIT_WORDS or (word == "as" and words[i + 1:i + 3] == ["well", "as"]):
                i += 3 if word == "as" else 1
                if word == "along" and i < len(words) and words[i] == "with":
                    i += 1
                segments.append([])
                continue
            segments[-1].append(word)
            i += 1
        return [s for s in segments if s]

    def _protected_at(self, words: Sequence[str], start: int) -> int:
        """Length of the longest catalog phrase with "and" starting here, else 0."""
        return max((len(p) for p in self._protected
                    if tuple(words[start:start + len(p)]) == p), default=0)

    def _read_segment(self, tokens: list[str], previous: _Segment | None) -> _Segment | None:
        with_options = self._interpret(tokens, use_options=True)
        plain = self._interpret(tokens, use_options=False)
        candidates = [s for s in (with_options, plain) if s is not None]
        if with_options is None:  # an option word of another product ("tuna cat food")
            found, _ = self._take_options(tokens)
            if len(found) > 1:
                candidates += [s for phrase in found if (s := self._interpret(
                    tokens, use_options=True, leave=phrase)) is not None]
        if not candidates:
            return None
        best = max(candidates, key=self._segment_rank)
        if previous is not None and with_options is not None and not with_options.query \
                and with_options.options and previous.match is not None:
            valid = all(previous.match.product.option_group_of(v) for v in
                        with_options.options.values())
            if valid and (best.match is None or best.match.score < 0.9):
                return with_options
        return best

    @staticmethod
    def _segment_rank(segment: _Segment) -> tuple[float, int]:
        score = segment.match.score if segment.match else 0.0
        return score + 0.03 * len(segment.options), len(segment.options)

    def _interpret(self, tokens: list[str], *, use_options: bool,
                   leave: str | None = None) -> _Segment | None:
        """One reading of a product mention; ``leave``: an option phrase read as words of
        the name instead."""
        options: dict[str, tuple[str, ...]] = {}
        words = list(tokens)
        if use_options:
            found, words = self._take_options(words, leave)
            if not found:
                return None
            options = found
        quantity, used = spoken_homophone_quantity(words)
        words = words[used:]
        while words and words[0] in _LEADING_WORDS:
            words = words[1:]
        if quantity is None:
            quantity, used = leading_quantity(words)
        else:
            used = 0
        said_dozen = "dozen" in words[:used]
        amount, words = words[:used], words[used:]
        part = leading_fraction(words, after_number=quantity is not None)
        if not part and amount in (["a"], ["an"]):  # "a half gallon"
            part = leading_fraction(words, after_number=False)
        fraction = " ".join(amount + words[:part]) if part else None
        if part and amount in (["a"], ["an"]):
            quantity = None  # "a half gallon" is no whole one
        words = words[part:]
        if words[:1] == ["more"]:
            words = words[1:]
        unit, used = leading_unit(words, self._units)
        words = words[used:]
        if words[:2] == ["of", "the"] or words[:2] == ["of", "those"]:
            words = words[2:]
        query_words = self._trim(words)
        segment = _Segment(tokens=tokens, quantity=quantity, unit=unit,
                           query=" ".join(query_words), fraction=fraction)
        if not query_words:
            segment.options = {group_values[0]: group_values[1] for group_values in
                               ((g, v[0]) for g, v in options.items())}
            return segment
        self._match_with_number_names(segment, tokens, query_words, quantity)
        if segment.match is not None and _is_said_in_name(
                amount, segment.unit, segment.match.product.name):
            segment.quantity, segment.unit = None, None  # "a 4 pack aa batteries": one
        if segment.unit == "pair" and segment.match and segment.match.product.unit != "pair":
            name = normalize(segment.match.product.name).split()
            is_pair = bool(name) and name[-1] in PAIRED_NOUNS
            segment.quantity = segment.quantity if is_pair else 2 * (segment.quantity or 1)
            segment.unit = None  # "a pair of lemons" is two; "a pair of jeans" is one
        if said_dozen and segment.quantity and segment.match \
                and segment.match.product.unit == "dozen":  # eggs sold by the dozen
            # "two dozen" is two; "half a dozen" is six single ones, which the dialog must
            # not round to a dozen (nor read as six dozen).
            segment.quantity, segment.unit = (
                (segment.quantity // 12, "dozen") if segment.quantity % 12 == 0
                else (segment.quantity, SINGLE_UNIT))
        if segment.match is None:
            return segment if not use_options else None
        if use_options and not self._resolve_options(segment, options):
            return None
        return segment

    def _match_with_number_names(self, segment: _Segment, tokens: list[str],
                                 query_words: list[str], quantity: int | None) -> None:
        """Match the product; a leading number may belong to the name ("seven up")."""
        segment.match = self.index.match([singular(w) for w in query_words])
        self._match_noun_phrase(segment, query_words)
        if quantity is None or segment.unit is not None:
            return
        whole = self._trim(tokens)
        if whole == query_words or not whole:
            return
        whole_match = self.index.match([singular(w) for w in whole])
        best = segment.match.score if segment.match else 0.0
        if whole_match is not None and whole_match.score >= 0.99 and whole_match.score > best:
            segment.match, segment.quantity, segment.query = whole_match, None, " ".join(whole)

    def _match_noun_phrase(self, segment: _Segment, query_words: list[str]) -> None:
        """Words before a determiner are no part of the name after it: "brew a mocha",
        "i won a house coffee" name the mocha and the house coffee exactly."""
        if segment.match is not None and segment.match.score >= 1.0:
            return
        starts = [i for i, w in enumerate(query_words) if w in lexicon().determiners and i > 0]
        if not starts:
            return
        rest = query_words[starts[0] + 1:]
        match = self.index.match([singular(w) for w in rest]) if rest else None
        if match is not None and match.score >= 1.0:
            segment.match, segment.query = match, " ".join(rest)

    def _take_options(self, words: list[str], leave: str | None = None,
                      ) -> tuple[dict[str, tuple[str, ...]], list[str]]:
        """Option values said in the segment (longest phrases first, but not ``leave``) and
        the words left."""
        singular_words = [singular(w) for w in words]
        found: dict[str, tuple[str, ...]] = {}
        keep = [True] * len(words)
        for width in range(self._longest_option, 0, -1):
            for start in range(len(words) - width + 1):
                key = tuple(singular_words[start:start + width])
                if key in self._options and all(keep[start:start + width]) \
                        and " ".join(key) != leave and (
                            not set(key) <= NUMBER_WORDS
                            or singular_words[start - 1:start] in (["size"], ["number"])):
                    found[" ".join(key)] = tuple(sorted(self._options[key]))
                    keep[start:start + width] = [False] * width
        rest = [w for w, k in zip(words, keep, strict=True) if k]
        return found, rest

    @staticmethod
    def _resolve_options(segment: _Segment, found: dict[str, tuple[str, ...]]) -> bool:
        """Keep the options only if the matched product has every one of them; when it does
        not but some of the products the words name as well do ("sage green paint": the
        interior paint, not the roller), the match is those."""
        assert segment.match is not None

        def has_all(product: Product) -> bool:
            return all(any(product.option_group_of(v) for v in spellings)
                       for spellings in found.values())
        if not has_all(segment.match.product):
            fitting = [p for p in segment.match.alternatives if has_all(p)]
            if not fitting:
                return False
            segment.match = dataclasses.replace(segment.match, product=fitting[0],
                                                alternatives=tuple(fitting[1:]))
        product = segment.match.product
        for spellings in found.values():
            for value in spellings:
                group = product.option_group_of(value)
                if group:
                    segment.options[group] = value
                    break
            else:
                return False
        return True

    @staticmethod
    def _trim(words: Sequence[str]) -> list[str]:
        words = list(words)
        while words and words[0] in _EDGE_WORDS:
            words.pop(0)
        while words and words[-1] in _EDGE_WORDS:
            words.pop()
        return words

    @staticmethod
    def _slot(segment: _Segment) -> ItemSlot:
        match = segment.match
        if match is None:
            return ItemSlot(query=segment.query, quantity=segment.quantity, unit=segment.unit,
                            options=dict(segment.options), fraction=segment.fraction)
        return ItemSlot(query=segment.query, sku=match.product.sku, name=match.product.name,
                        quantity=segment.quantity, unit=segment.unit,
                        options=dict(segment.options),
                        alternatives=[p.sku for p in match.alternatives], score=match.score,
                        fraction=segment.fraction)


def _is_another_one(segment: _Segment) -> bool:
    """Options with a count of their own are another line of the product before: "and a
    red one", "and two white ones", "and 2 with sesame"; "and sugar", "and two sugars" are
    more of the same line's options."""
    words = segment.tokens
    return segment.quantity is not None and (
        bool({"one", "ones"} & set(words[1:])) or (
            len(words) > 1 and words[0] in NUMBER_WORDS and words[1] in {"with", "in"}))


def _is_said_in_name(amount: Sequence[str], unit: str | None, name: str) -> bool:
    """The number said before a product, and its pack word, are words of the product's
    name ("four pack aa batteries" of "AA Batteries 4 Pack"): they name it, not a count."""
    numbers = [w for w in amount if w in NUMBER_WORDS]
    if not numbers or len(numbers) != len(amount):
        return False
    words = {singular(w) for w in normalize(name).split()}
    return set(numbers) <= words and (unit is None or unit in words)


PAIRED_NOUNS = (PLURAL_ONLY - {"clothes"}) | {
    "socks", "gloves", "mittens", "shoes", "boots", "sandals", "slippers", "sneakers",
    "trainers", "earrings", "chopsticks", "skis", "wellies"}
"""Things that come as a pair, whose one is "a pair of": "a pair of jeans" is one pair of
jeans, where "a pair of lemons" is two lemons."""
_EXCEPT = re.compile(r"\b(except|apart from|other than|but not|but the)\b")


_REQUEST_VERBS = frozenset({"add", "put", "buy", "order", "grab", "get", "throw", "include",
                            "remove", "take", "delete", "drop"})


def _request_verb(words: Sequence[str]) -> bool:
    """The words start a request of their own ("remove the screws", "then add milk")."""
    while words and words[0] in {"then", "also", "please"}:
        words = words[1:]
    return bool(words) and words[0] in _REQUEST_VERBS


def _unshield(text: str) -> str:
    """Catalog labels joined by ``IntentParser._shield`` as their words again."""
    return text.replace("_", " ")


def _bare_forms(words: list[str]) -> list[str]:
    """The request with none, one, two... of its opening words ("hey", "yes", "and") taken
    off the front, each also without a closing phrase ("thanks a lot", "today"): the
    opening words include answers ("yes please"), so every cut is a candidate."""
    forms = []
    for start in range(len(words) - len(_without_openings(words)) + 1):
        sentence = " ".join(words[start:])
        forms.append(sentence)
        closing = next((c for c in _CLOSING_PHRASES if sentence.endswith(f" {c}")), None)
        if closing:
            forms.append(sentence[:-len(closing) - 1])
    return forms or [""]


def _without_openings(words: list[str]) -> list[str]:
    """The words after the opening words ("hey, clear my shopping list"), one kept."""
    start = 0
    while start < len(words) - 1 and words[start] in _OPENING_WORDS:
        start += 1
    return words[start:]


def _list_named(sentence: str) -> str:
    """Which list a request about a list means: the wish list ("save for later") or the
    shopping list."""
    return "wish" if re.search(r"\bwish ?list\b|\bfor later\b", sentence) else "shopping"


_SLOT_INTENTS = frozenset({
    IntentName.ADD_ITEM, IntentName.REMOVE_ITEM, IntentName.PRICE_QUERY,
    IntentName.PRODUCT_INFO, IntentName.SEARCH, IntentName.ADD_TO_LIST, IntentName.RECOMMEND,
    IntentName.DEALS,
})
assert MATCH_THRESHOLD < FALLBACK_THRESHOLD
