"""The shop's language: templates compile into a grammar and a corpus that agree."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from voice_shop.bench.catalog_gen import generate_catalog
from voice_shop.intent.model import Intent
from voice_shop.intent.parser import IntentParser
from voice_shop.intent.quantities import DIGITS, PLACES
from voice_shop.language.compiler import (
    LanguageError,
    ShopLanguage,
    catalog_lists,
    default_templates,
    parse_templates,
)
from voice_shop.language.forms import engine, spoken_forms
from voice_shop.replies import describe
from voice_shop.shop.models import Product

TINY = """
lists:
  number: [one, two, three]
expansion_rules:
  ask: "(can i get|i'd like)"
  item: "[{number}] [{option}] {product} [with {option}]"
intents:
  add_item:
    - "[please] [<ask>] <item> [please]"
  view_cart:
    - "what's in my cart"
"""

PRODUCTS = [
    Product("S1", "Claw Hammer", unit="each", aliases=("hammer",),
            options={"weight": ("sixteen ounce", "twenty ounce")}),
    Product("S2", "Wood Screws", unit="box", options={"length": ("one inch", "two inch")}),
    Product("S3", "Duct Tape", unit="roll"),
]


def tiny_language() -> ShopLanguage:
    return ShopLanguage(parse_templates(TINY), catalog_lists(PRODUCTS))


@pytest.mark.parametrize("sentence", [
    "claw hammer", "can i get two claw hammers", "i'd like a hammer".replace(" a ", " "),
    "please sixteen ounce claw hammer please", "wood screws with two inch",
    "what's in my cart", "three two inch wood screws",
])
def test_grammar_accepts_template_sentences(sentence: str) -> None:
    graph = tiny_language().graph()
    assert graph.accepts(sentence.split())


@pytest.mark.parametrize("sentence", [
    "can i get", "claw hammer hammer", "what's in my", "four claw hammers",
    "can i get two bananas", "with two inch", "",
])
def test_grammar_rejects_other_sentences(sentence: str) -> None:
    graph = tiny_language().graph()
    assert not graph.accepts(sentence.split())


def test_prefix_and_completeness() -> None:
    graph = tiny_language().graph()
    assert graph.is_prefix("can i get two".split())
    assert not graph.accepts("can i get two".split())
    assert not graph.is_prefix("can you get".split())


def test_wake_phrase_is_an_optional_prefix() -> None:
    graph = tiny_language().graph(prefix="hey shop")
    assert graph.accepts("hey shop duct tape".split())
    assert graph.accepts("duct tape".split())
    assert not graph.accepts("hey duct tape".split())


def test_sampled_sentences_are_all_in_the_grammar() -> None:
    """The corpus and the grammar come from the same templates, so they cannot drift."""
    language = ShopLanguage.for_catalog(PRODUCTS)
    graph = language.graph()
    sentences = language.sample(30, seed="3")
    assert len(sentences) > 100
    assert all(graph.accepts(s.split()) for s in sentences), [
        s for s in sentences if not graph.accepts(s.split())][:5]


def test_a_new_phrasing_leaves_the_other_sampled_sentences_as_they_were() -> None:
    """Each template draws from its own stream: a phrasing added to the language changes
    only its own sentences in the open pass's corpus, not every sentence drawn after it."""
    source = (Path(__file__).parents[1] / "voice_shop/language/shop.yaml").read_text()
    added = "    - \"[<opening>] (strike|scratch) <product_ref> off my (shopping|wish) list\"\n"
    grown = source.replace("  add_to_list:\n", "  add_to_list:\n" + added, 1)
    assert grown != source
    lists = catalog_lists(PRODUCTS)
    before = ShopLanguage(parse_templates(source), lists).sample(10)
    after = ShopLanguage(parse_templates(grown), lists).sample(10)
    new = [s for s in after if s.endswith(" list") and ("strike" in s or "scratch" in s)]
    assert len(new) == 10, new
    assert [s for s in after if s not in new] == before


def test_every_product_form_reaches_the_grammar() -> None:
    language = ShopLanguage.for_catalog(PRODUCTS)
    graph = language.graph()
    for form in ("claw hammer", "claw hammers", "hammer", "wood screws", "wood screw",
                 "duct tape"):
        assert graph.accepts(f"can i get {form}".split()), form


@pytest.mark.parametrize(("sentence", "is_said"), [
    ("can i get a claw hammer", True), ("can i get two claw hammers", True),
    ("can i get one sixteen ounce claw hammer", True),
    ("can i get eight sixteen ounce claw hammer", False),  # "a" blurred into "eight"
    ("can i get a claw hammers", False),
    ("i'd like two boxes of wood screws", True), ("i'd like a box of wood screws", True),
    ("i'd like two wood screw", True),  # sold by the box: counted by its plain name too
    ("add three rolls of duct tape", True), ("add two duct tape", True),
    ("add a claw hammer and two rolls of duct tape", True),
])
def test_counts_agree_with_the_noun(sentence: str, is_said: bool) -> None:
    """English number agreement is the evidence that tells "a latte" from "eight latte"."""
    graph = ShopLanguage.for_catalog(PRODUCTS).graph()
    assert graph.accepts(sentence.split()) is is_said


def test_graph_is_deterministic_and_minimal() -> None:
    graph = ShopLanguage.for_catalog(PRODUCTS).graph()
    for arcs in graph.arcs:  # one arc per word per state
        assert len(arcs) == len(set(arcs))
    lines = graph.to_fsg().splitlines()
    assert lines[0] == "FSG_BEGIN shop" and lines[-1] == "FSG_END"
    assert sum(1 for line in lines if line.startswith("TRANSITION")) == \
        graph.n_arcs + len(graph.finals)


def test_packaged_language_has_every_intent_the_parser_knows() -> None:
    from voice_shop.intent.model import IntentName
    templates = default_templates()
    named = {i.value for i in IntentName} - {"unknown"}
    assert named <= set(templates.intents)


def test_bad_templates_are_a_clear_error() -> None:
    with pytest.raises(LanguageError):
        ShopLanguage(parse_templates("intents:\n  x:\n    - '{nowhere} thing'\n"), {})
    with pytest.raises(LanguageError):
        parse_templates("intents:\n  x:\n    - '(unclosed'\n")


def test_spoken_forms() -> None:
    assert spoken_forms("Latte") == {"latte", "lattes"}
    assert spoken_forms("Strawberries") == {"strawberries", "strawberry"}
    assert spoken_forms("7 Up") == {"seven up", "seven ups"}
    assert "hummu" not in spoken_forms("Hummus")


_INFLECT_AS_SHIPPED = """
import inflect, json, sys
e = inflect.engine()
words = json.load(sys.stdin)
json.dump([[e.plural_noun(w), e.singular_noun(w), e.a(w)] for w in words], sys.stdout)
"""


def test_inflect_without_import_checks_says_the_same_words(tmp_path: Path) -> None:
    """The engine is imported without typeguard's instrumentation (seconds at start-up):
    every catalog word gets the plural, singular and article a normal import gives."""
    generate_catalog(tmp_path / "5k.csv", 5000)
    demo = Path(__file__).parents[1] / "voice_shop" / "data" / "demo_catalog.csv"
    words = sorted({w for path in (demo, tmp_path / "5k.csv")
                    for row in csv.DictReader(path.open()) for w in row["name"].lower().split()})
    assert len(words) > 100
    shipped = subprocess.run([sys.executable, "-c", _INFLECT_AS_SHIPPED], input=json.dumps(words),
                             capture_output=True, text=True, check=True)
    e = engine()
    ours = [[e.plural_noun(w), e.singular_noun(w), e.a(w)] for w in words]
    assert ours == json.loads(shipped.stdout)
    assert "typeguard" not in type(e).plural_noun.__code__.co_names
    import typeguard
    assert typeguard.typechecked.__name__ == "typechecked"  # put back after the import


@pytest.mark.parametrize(("args", "said"), [
    (("Large Eggs", 1, {}, "dozen"), "a dozen large eggs"),
    (("Large Eggs", 2, {}, "dozen"), "two dozen large eggs"),
    (("Bacon", 2, {}, "pack"), "two packs of bacon"),
    (("Bacon", 1, {}, "pack"), "a pack of bacon"),
    (("Latte", 3, {"size": "large", "milk": "oat milk"}, "cup"),
     "three large lattes with oat milk"),
    (("Iced Mocha", 1, {}, "cup"), "an iced mocha"),
    (("Bananas", 1, {}, "each"), "a banana"),
    (("Banana", 2, {}, None), "two bananas"),
    (("Claw Hammer", 1, {"weight": "twenty ounce"}, "each"), "a twenty ounce claw hammer"),
    (("Interior Paint", 2, {"finish": "satin"}, "gallon"), "two gallons of satin interior paint"),
    (("Wood Screws", 1, {"length": "two inch"}, "box"), "a box of two inch wood screws"),
    (("Gala Apples", 3, {}, "lb"), "three pounds of gala apples"),
    (("Set of Mixing Bowls", 3, {}, "each"), "three sets of mixing bowls"),
    (("Set of Mixing Bowls", 1, {}, "each"), "a set of mixing bowls"),
])
def test_lines_are_said_in_proper_english(args: tuple, said: str) -> None:
    assert describe(*args) == said


def test_the_languages_places_and_digits_have_values() -> None:
    """The recogniser hears the ``{ordinal}`` and ``{digit}`` words of shop.yaml; the
    parser's slots give each a value (so a word added to one is not lost in the other)."""
    lists = default_templates().lists
    assert set(lists["ordinal"]) - {"other"} == set(PLACES)
    assert set(lists["digit"]) <= set(DIGITS)


@pytest.mark.parametrize(("text", "choice", "digits"), [
    ("the second one", 2, None),
    ("uh the first one please", 1, None),
    ("the last one", -1, None),
    ("number three", 3, None),
    ("one two three four", None, "1234"),
    ("yes four oh oh seven", None, "4007"),
    ("my pin is won too free for", None, "1234"),
    ("4007", None, "4007"),
    ("my pin is 4007.", None, "4007"),
    ("one two three", None, None),  # too short for a code
    ("no, not one two three four", None, None),  # words before it that are no lead-in
    ("cancel order 1234", None, None),
    ("yes, 1234", None, "1234"),
    ("no wait a second", None, None),  # "a second" is no place
    ("add two bananas", None, None),
    ("add four bananas two apples three pears and one lime", None, None),
])
def test_places_and_codes_are_parser_slots(parser: IntentParser, text: str,
                                           choice: int | None, digits: str | None) -> None:
    intent = parser.parse(text)
    assert (intent.choice, intent.digits) == (choice, digits)
    restored = Intent.from_dict(intent.to_dict())  # the JSON interface carries them
    assert (restored.choice, restored.digits) == (choice, digits)


@pytest.mark.parametrize("catalog", ["demo", "generated"])
def test_what_the_recogniser_can_hear_is_read_as_its_intent(catalog: str, tmp_path: Path,
                                                            ) -> None:
    """Sentences drawn from each intent's templates parse to that intent: the grammar and
    the parser read one language. An order the parser cannot make sense of ("no ice
    granolas with medium") may be refused, never read as another request; "place the
    order" is a yes (to a read-back), which the checkout template also allows; "i changed
    my mind" is a no that changes nothing (the conversation's taking back), not an undo."""
    from voice_shop.intent.model import IntentName
    from voice_shop.shop.catalog_csv import read_catalog_csv
    from voice_shop.shop.demo import demo_file
    path = demo_file("demo_catalog.csv")
    if catalog == "generated":
        path = tmp_path / "generated.csv"
        generate_catalog(path, 400)
    products = read_catalog_csv(path)
    language = ShopLanguage.for_catalog(products)
    parser = IntentParser(products)
    misread = []
    for intent in IntentName:
        if intent is IntentName.UNKNOWN:
            continue
        allowed = {intent.value}
        allowed |= {"unknown"} if intent is IntentName.ADD_ITEM else set()
        allowed |= {"confirm"} if intent is IntentName.CHECKOUT else set()
        allowed |= {"deny"} if intent is IntentName.UNDO else set()
        for sentence in language.sample(30, [intent.value], seed="5"):
            heard = parser.parse(sentence).intent.value
            if heard not in allowed:
                misread.append((sentence, intent.value, heard))
    assert not misread, misread[:10]


def test_an_option_that_starts_with_its_connector_is_said_with_one() -> None:
    """"orange juice with pulp": the value "with pulp" after its product takes one "with",
    as people say it, and the parser reads the value back."""
    products = [Product("J1", "Orange Juice", unit="bottle",
                        options={"pulp": ("with pulp", "no pulp")}),
                Product("J2", "Apple Juice", unit="bottle")]
    graph = ShopLanguage.for_catalog(products).graph()
    sentence = "add two bottles of orange juice with pulp"
    assert graph.accepts(sentence.split())
    item = IntentParser(products).parse(sentence).items[0]
    assert (item.sku, item.quantity, item.options) == ("J1", 2, {"pulp": "with pulp"})


def test_a_short_word_the_dictionary_lacks_may_be_spelled_out() -> None:
    """"aa batteries" is said "A A": the letters are one of the word's pronunciations."""
    from voice_shop.stt.pronounce import cmu_dictionary, pronounce
    assert "aa" not in cmu_dictionary()
    assert "EY EY" in pronounce("aa")
    assert pronounce("milk") == cmu_dictionary()["milk"]  # a known word keeps its own


def test_a_catalogs_own_pack_word_is_said_and_read() -> None:
    """A unit the common list lacks ("ream") is the catalog's pack word: the recogniser may
    hear "a ream of printer paper" and the parser reads the count of reams."""
    products = [Product("P1", "Printer Paper", unit="ream"),
                Product("P2", "Stapler", unit="each")]
    graph = ShopLanguage.for_catalog(products).graph()
    assert graph.accepts("add a ream of printer paper".split())
    assert graph.accepts("add five reams of printer paper".split())
    item, = IntentParser(products).parse("add five reams of printer paper").items
    assert (item.sku, item.quantity, item.unit) == ("P1", 5, "ream")


@pytest.mark.parametrize(("name", "said"), [
    ("Fruit Smoothie", "fruit smoothie is"), ("Sandwich Cookies", "sandwich cookies are"),
    ("Safety Glasses", "safety glasses are"), ("Hummus", "hummus is"),
    ("Frozen Burritos", "frozen burritos are"),
])
def test_a_name_takes_the_verb_its_number_asks(name: str, said: str) -> None:
    """One test of a name's number for "is"/"are" and "comes"/"come" ("fruit smoothie" is
    one, though matching reads "smoothie" and "smoothies" alike)."""
    from voice_shop.dialog import wording
    assert wording.out_of_stock(name) == f"Sorry, {said} out of stock."
    verb = "come" if said.endswith("are") else "comes"
    assert wording.only_whole(name, "each").startswith(f"Sorry, {name.lower()} {verb} ")


def test_packed_dictionary_finds_words_and_their_variants() -> None:
    from voice_shop.stt.pronounce import PackedDictionary
    packed = PackedDictionary.from_lines([
        "milk M IH L K", "almond AA M AH N D", "almond(2) AE L M AH N D", "'bout B AW T",
        "oat OW T", "broken-line"])
    assert packed["almond"] == ["AA M AH N D", "AE L M AH N D"]
    assert packed["milk"] == ["M IH L K"] and packed["'bout"] == ["B AW T"]
    assert list(packed) == ["'bout", "almond", "milk", "oat"]
    assert "almond(2)" not in packed and "oats" not in packed and "broken-line" not in packed
    assert "" not in packed and "zzz" not in packed and packed.get("mil") is None


def test_packed_bundled_dictionary_holds_every_entry_of_the_file() -> None:
    from voice_shop.stt.pronounce import bundled_dictionary_path, cmu_dictionary
    plain: dict[str, list[str]] = {}
    for line in bundled_dictionary_path().read_text("utf-8").splitlines():
        word, _, phones = line.strip().partition(" ")
        if phones:
            plain.setdefault(word.split("(")[0], []).append(phones.strip())
    packed = cmu_dictionary()
    assert len(packed) == len(plain) > 100_000
    assert all(packed[word] == phones for word, phones in plain.items())
