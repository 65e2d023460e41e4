"""Nothing depends on the demo catalog: a hardware store's catalog works the same way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voice_shop.dialog import Dialog
from voice_shop.intent.parser import IntentParser
from voice_shop.shop.engine import Shop

HARDWARE = """sku,name,category,unit,price,aliases,tags,stock,options
T-1,Claw Hammer,tools,each,12.50,hammer,steel,10,"weight?: sixteen ounce|twenty ounce"
T-2,Wood Screws,fasteners,box,4.99,screws,,200,"length?: one inch|two inch|three inch"
T-3,Duct Tape,supplies,roll,6.00,gaffer tape,,50,"color?: silver|black"
T-4,Paint Roller,paint,each,8.25,roller,,5,
T-5,Interior Paint,paint,gallon,32.00,wall paint,low voc,30,"finish?: matte|eggshell|satin|gloss"
T-6,Safety Glasses,safety,pair,9.99,goggles,,12,
T-7,Sandpaper,supplies,pack,5.49,sanding paper,,0,"grit?: fine|medium|coarse"
T-8,Sanding Block,supplies,each,3.99,,,20,
"""


def _shop_of(tmp_path: Path, catalog: str) -> Shop:
    """A fresh shop database holding ``catalog`` (CSV text)."""
    path = tmp_path / "catalog.csv"
    path.write_text(catalog)
    shop = Shop.open(tmp_path / "shop.db", create=True)
    shop.import_catalog(path)
    return shop


@pytest.fixture
def hardware(tmp_path: Path) -> tuple[Shop, IntentParser]:
    shop = _shop_of(tmp_path, HARDWARE)
    return shop, IntentParser(shop.products())


@pytest.mark.parametrize(("text", "expected"), [
    ("add two boxes of wood screws", [("T-2", 2, "box", {})]),
    ("add a box of two inch screws and a claw hammer",
     [("T-2", 1, "box", {"length": "two inch"}), ("T-1", 1, None, {})]),
    ("I need three gallons of satin wall paint", [("T-5", 3, "gallon", {"finish": "satin"})]),
    ("add a roll of black duct tape and a pair of goggles",
     [("T-3", 1, "roll", {"color": "black"}), ("T-6", 1, "pair", {})]),
    ("put a twenty ounce hammer in my cart", [("T-1", 1, None, {"weight": "twenty ounce"})]),
])
def test_foreign_catalog_parses(hardware: tuple[Shop, IntentParser], text: str,
                                expected: list[tuple[str, int, str | None, dict[str, str]]],
                                ) -> None:
    _, parser = hardware
    intent = parser.parse(text)
    assert intent.intent == "add_item"
    assert [(i.sku, i.quantity, i.unit, i.options) for i in intent.items] == expected


def test_foreign_catalog_dialog(hardware: tuple[Shop, IntentParser]) -> None:
    shop, parser = hardware
    dialog = Dialog(shop, parser)
    assert dialog.handle_text("add two paint rollers").reply == "Added two paint rollers."
    reply = dialog.handle_text("add sandpaper").reply
    assert "sandpaper is out of stock" in reply and "sanding block" in reply
    dialog.handle_text("yes")
    assert [(line.sku, line.quantity) for line in shop.cart().lines] == [("T-4", 2), ("T-8", 1)]
    readback = dialog.handle_text("checkout").reply
    assert "twenty dollars and forty-nine cents" in readback
    dialog.handle_text("yes please")
    assert shop.orders()[0].total_cents == 2049


def test_questions_about_stock_and_price_are_answered_in_its_units(
        hardware: tuple[Shop, IntentParser]) -> None:
    """Sold out is "out of stock", never "we don't have"; the stock of goggles is counted in
    pairs; "how much is the paint" prices the paints instead of the first one alone; a
    description is a sentence that names its product."""
    from voice_shop.dialog.wording import product_sentence
    from voice_shop.shop.models import Product
    shop, parser = hardware
    dialog = Dialog(shop, parser)
    assert dialog.handle_text("do you have sandpaper").reply == \
        "Sorry, sandpaper is out of stock."
    assert dialog.handle_text("add 13 pairs of safety glasses").reply == \
        "There are only twelve pairs of safety glasses in stock."
    reply = dialog.handle_text("how much is the paint").reply
    assert "A paint roller is eight dollars" in reply and "Interior paint is thirty-two" in reply
    assert dialog.handle_text("how many safety glasses do you have").reply == \
        "Yes, we have safety glasses."
    drill = Product("D-1", "Cordless Drill", unit="each", description="20V drill, two batteries")
    assert product_sentence(drill) == "Cordless Drill: 20V drill, two batteries."


def test_foreign_catalog_options_change_by_name(hardware: tuple[Shop, IntentParser]) -> None:
    """"make the wood screws three inch", "change the paint to gloss": the named product's
    line takes the option; a product in the cart two ways is asked about in the singular
    and changed whole in the plural."""
    shop, parser = hardware
    dialog = Dialog(shop, parser)
    dialog.handle_text("add a box of one inch wood screws")
    dialog.handle_text("add a gallon of matte interior paint")
    assert dialog.handle_text("change the interior paint to gloss").reply == (
        "You now have a gallon of gloss interior paint.")
    dialog.handle_text("add a gallon of satin interior paint")
    assert dialog.handle_text("make the interior paint eggshell").reply.endswith(
        "Which one should I change?")
    dialog.handle_text("make the wood screws three inch")
    lines = [(line.sku, line.quantity, line.options) for line in shop.cart().lines]
    assert lines == [("T-2", 1, {"length": "three inch"}), ("T-5", 1, {"finish": "gloss"}),
                     ("T-5", 1, {"finish": "satin"})]
    dialog.handle_text("make the interior paints eggshell")
    lines = [(line.sku, line.quantity, line.options) for line in shop.cart().lines]
    assert lines == [("T-2", 1, {"length": "three inch"}), ("T-5", 2, {"finish": "eggshell"})]


def test_examples_in_replies_are_orders_of_this_catalog(
        hardware: tuple[Shop, IntentParser]) -> None:
    """"Sorry, I didn't catch that" and help give an example the shopper can say here."""
    shop, parser = hardware
    dialog = Dialog(shop, parser)
    for said in ("blah blah blah", "help"):
        reply = dialog.handle_text(said).reply
        example = re.search(r"add ([a-z ]+)[,.]", reply)
        assert example is not None, reply
        intent = parser.parse(example.group(0).rstrip(",."))
        assert intent.intent == "add_item" and intent.items[0].quantity == 2
        assert intent.items[0].sku in {p.sku for p in shop.products()}


TRICKY = """sku,name,category,unit,price,aliases,tags,stock,options
K-1,Take Out Containers,kitchen,pack,8.99,,,30,
K-2,Get Well Card,cards,each,3.99,,,40,
K-3,Set of Mixing Bowls,kitchen,each,24.99,mixing bowls,,12,
K-4,Last Minute Gift Card,cards,each,25.00,gift card,,99,
K-5,Interior Paint,paint,litre,18.99,,,30,"colour: white|off white|red"
K-6,Stock Pot,kitchen,each,29.99,,,10,
"""


@pytest.mark.parametrize(("said", "expected"), [
    # "take out" removes, "get" asks and "well" is a filler: not inside a product's name
    ("add another pack of take out containers", ("add_item", "K-1", {})),
    ("add a get well card", ("add_item", "K-2", {})),
    # "set" changes a count, but not the one of "a set of mixing bowls"
    ("add a set of mixing bowls", ("add_item", "K-3", {})),
    ("add off white interior paint", ("add_item", "K-5", {"colour": "off white"})),
    ("remove the take out containers", ("remove_item", "K-1", {})),
    ("could you please take out the stock pot", ("remove_item", "K-6", {})),
])
def test_names_holding_action_or_filler_words_are_read_whole(tmp_path: Path, said: str,
                                                            expected: tuple) -> None:
    shop = _shop_of(tmp_path, TRICKY)
    intent = IntentParser(shop.products()).parse(said)
    assert [(intent.intent.value, i.sku, i.options) for i in intent.items] == [expected]
    dialog = Dialog(shop, IntentParser(shop.products()))
    if expected[0] == "add_item":
        assert dialog.handle_text(said).reply.startswith("Added")
        assert [line.sku for line in shop.cart().lines] == [expected[1]]


def test_an_add_and_a_removal_in_one_breath_are_done_in_turn(tmp_path: Path) -> None:
    """"add a hammer and remove the screws" adds the hammer and removes the screws (it
    removed both); a name holding "and" and a verb ("bake and take pizza") is one product."""
    shop = _shop_of(tmp_path, HARDWARE + "F-1,Bake and Take Pizza,food,each,9.99,,,20,\n")
    parser = IntentParser(shop.products())
    dialog = Dialog(shop, parser)
    dialog.handle_text("add two boxes of wood screws")
    assert parser.parse("add a claw hammer and remove the screws").intent.value == "add_item"
    turn = dialog.handle_text("add a claw hammer and remove the screws")
    assert [(line.sku, line.quantity) for line in shop.cart().lines] == [("T-1", 1)]
    assert turn.reply == "Added a claw hammer. Removed two boxes of wood screws."
    dialog.handle_text("remove the claw hammer and then add a roll of duct tape instead")
    assert [(line.sku, line.quantity) for line in shop.cart().lines] == [("T-3", 1)]
    assert parser.requests("add a bake and take pizza") == ["add a bake and take pizza"]
    assert [i.sku for i in parser.parse("add a bake and take pizza").items] == ["F-1"]


@pytest.mark.parametrize(("said", "count"), [
    ("add a 4 pack of aa batteries", 1), ("add 4 pack aa batteries", None),
    ("add two 4 packs of aa batteries", 2), ("add three packs of aa batteries", 3),
    ("add 8 pack aaa batteries", None), ("add 2 aa batteries", 2),
])
def test_a_number_and_pack_word_of_a_name_are_no_count(tmp_path: Path, said: str,
                                                        count: int | None) -> None:
    """"4 pack aa batteries" names "AA Batteries 4 Pack" (it was four packs); a count said
    before it, or a number the name does not hold, is still a count."""
    shop = _shop_of(tmp_path, "sku,name,category,unit,price\n"
                    "B-4,AA Batteries 4 Pack,power,pack,5.99\n"
                    "B-8,AAA Batteries 8 Pack,power,pack,9.99\n")
    item, = IntentParser(shop.products()).parse(said).items
    assert (item.sku, item.quantity) == ("B-8" if "aaa" in said else "B-4", count)


def test_an_option_word_of_another_product_keeps_the_options_of_this_one(
        tmp_path: Path) -> None:
    """"cat" is a size of the flea treatment and a word of "cat food": "tuna cat food" is
    cat food with tuna (it lost the tuna), and the flea treatment "for cat" is still its
    size."""
    shop = _shop_of(tmp_path, "sku,name,category,unit,price,options\n"
                    "P-1,Wet Cat Food,cat,can,1.29,flavour: chicken|tuna\n"
                    "P-2,Flea Treatment,health,pack,24.99,size: small dog|cat\n")
    parser = IntentParser(shop.products())
    item, = parser.parse("add a dozen cans of tuna cat food").items
    assert (item.sku, item.quantity, item.options) == ("P-1", 12, {"flavour": "tuna"})
    item, = parser.parse("add flea treatment for cat").items
    assert (item.sku, item.options) == ("P-2", {"size": "cat"})


def test_the_red_one_is_the_line_with_that_option(tmp_path: Path) -> None:
    """"remove the red one" with a red and a blue collar removes the red; "remove the large
    one" is the large collar, not "Large Dog Bed", which its whole name removes."""
    shop = _shop_of(tmp_path, "sku,name,category,unit,price,options\n"
                    "C-1,Dog Collar,dog,each,12.99,size?: small|large; colour?: red|blue\n"
                    "C-2,Large Dog Bed,dog,each,49.00,\n")
    dialog = Dialog(shop, IntentParser(shop.products()))
    for line in ("add a red collar", "add a blue collar", "add a large dog bed",
                 "remove the red one"):
        dialog.handle_text(line)
    assert [(ln.sku, ln.options) for ln in shop.cart().lines] == [
        ("C-1", {"colour": "blue"}), ("C-2", {})]
    dialog.handle_text("add a large collar")
    dialog.handle_text("remove the large one")
    assert [(ln.sku, ln.options) for ln in shop.cart().lines] == [
        ("C-1", {"colour": "blue"}), ("C-2", {})]
    dialog.handle_text("remove the large dog bed")
    assert [ln.sku for ln in shop.cart().lines] == ["C-1"]


BAKERY = """sku,name,category,unit,price,aliases,tags,stock,options
B-1,Bagels,bakery,each,1.25,bagel,vegan,60,flavour: plain|sesame|everything = plain
B-2,Rye Bread,bread,loaf,5.75,rye,vegan,15,
B-3,Gluten Free Bread,bread,loaf,7.25,gf bread,gluten free,10,
B-4,Sourdough Loaf,bread,loaf,6.50,sourdough,vegan,10,
B-5,Birthday Cake,cakes,each,30.00,,,5,size: 8 inch|10 inch; flavour: chocolate|vanilla
B-6,Chocolate Cake,cakes,each,25.00,,,5,
B-7,Pumpkin Pie,pies,each,12.00,,,0,
B-8,Apple Pie,pies,each,11.00,,,4,
B-9,Cookie,bakery,each,1.00,,,90,
C-1,Summer Dress,clothes,each,39.00,dress,,20,size: 8|10|12
C-2,Jeans,clothes,pair,49.00,,,20,
C-3,Pyjamas,clothes,set,29.00,,,20,
"""


@pytest.mark.parametrize(("said", "expected"), [
    # options with a count of their own are another line of the product before
    ("add 4 plain bagels and 2 with sesame",
     [("B-1", 4, {"flavour": "plain"}), ("B-1", 2, {"flavour": "sesame"})]),
    ("add a plain bagel and a sesame one",
     [("B-1", 1, {"flavour": "plain"}), ("B-1", 1, {"flavour": "sesame"})]),
    # a size that is a number is a count unless "size" says it
    ("add ten summer dresses", [("C-1", 10, {})]),
    ("add two summer dresses in size 10", [("C-1", 2, {"size": "10"})]),
    # "a pair of" jeans is one; "a set of" pyjamas is an add, never a count
    ("add a pair of jeans", [("C-2", 1, {})]),
    ("add a set of pyjamas", [("C-3", 1, {})]),
    # "cookies" is the plural of "cookie", as "berries" of "berry"
    ("add two cookies", [("B-9", 2, {})]),
])
def test_a_bakery_and_clothes_shop_reads_as_said(tmp_path: Path, said: str,
                                                 expected: list) -> None:
    items = IntentParser(_shop_of(tmp_path, BAKERY).products()).parse(said).items
    assert [(i.sku, i.quantity, i.options) for i in items] == expected


def test_questions_are_answered_by_what_the_catalog_says(tmp_path: Path) -> None:
    """"is the rye bread gluten free" is about rye bread (it described the gluten free
    bread: an allergen answer about another product); a sold-out product is "out of stock"
    though others match; a product the shop lacks is said so before what it has; a typed
    question with no verb searches, never orders; "everything except" clears nothing."""
    shop = _shop_of(tmp_path, BAKERY)
    dialog = Dialog(shop, IntentParser(shop.products()))
    reply = dialog.handle_text
    assert reply("is the rye bread gluten free").reply == \
        "No, rye bread is not marked gluten free."
    assert reply("is it vegan").reply == "Yes, rye bread is vegan."
    assert reply("do you have pumpkin pie").reply == "Sorry, pumpkin pie is out of stock."
    assert reply("do you have white bread").reply.startswith(
        "Sorry, we don't have white bread, but we have")
    assert reply("bagels?").intent.intent.value == "search"
    reply("add two bagels")
    assert reply("remove everything except the bagels").intent.intent.value == "unknown"
    assert [line.sku for line in shop.cart().lines] == ["B-1"]


def test_an_answer_to_which_one_keeps_what_else_it_says(tmp_path: Path) -> None:
    """Asked "which bread?", "the rye, and two bagels" adds a loaf of rye and two bagels
    (the bagels were lost and their count went to the rye); an option the chosen product
    lacks is dropped, never spoken back as an error."""
    shop = _shop_of(tmp_path, BAKERY)
    dialog = Dialog(shop, IntentParser(shop.products()))
    dialog.handle_text("add some bread")
    dialog.handle_text("the rye, and two bagels")
    assert [(ln.sku, ln.quantity) for ln in shop.cart().lines] == [("B-2", 1), ("B-1", 2)]
    assert dialog.handle_text("add an 8 inch chocolate cake").reply.startswith("Which cake")
    assert dialog.handle_text("chocolate cake").reply == "Added a chocolate cake."


def test_a_product_named_in_part_is_offered_not_added(tmp_path: Path) -> None:
    """"a pair of leather boots" in a shop of leather belts, "aaa batteries" where only AA
    ones are sold: the closest product is offered and added only on a yes (it was added
    at once); a typo of the name ("croisants") is the product."""
    shop = _shop_of(tmp_path, "sku,name,category,unit,price\n"
                              "L-1,Leather Belt,clothes,each,25.00\n"
                              "A-1,AA Batteries,power,pack,5.99\n"
                              "K-1,Croissant,bakery,each,2.50\n")
    dialog = Dialog(shop, IntentParser(shop.products()))
    assert dialog.handle_text("add leather boots").reply.endswith(
        "Did you mean a leather belt?")
    assert shop.cart().is_empty
    dialog.handle_text("no")
    assert dialog.handle_text("add aaa batteries").reply.endswith(
        "Did you mean a pack of aa batteries?")
    dialog.handle_text("yes")
    assert dialog.handle_text("add croisants").reply == "Added a croissant."
    assert [line.sku for line in shop.cart().lines] == ["A-1", "K-1"]
