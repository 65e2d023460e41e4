# ruff: noqa: E501  (catalog rows are data)
"""Whole conversations on catalogs other than the demo one, ending with the cart a shopper
expects: its lines with their options (issue 28)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_shop.dialog import Dialog
from voice_shop.intent.parser import IntentParser
from voice_shop.shop.engine import Shop

from .test_foreign_catalog import _shop_of as foreign_shop

HARDWARE = """sku,name,category,unit,price,aliases,tags,stock,description,options
H-1,Interior Paint,paint,can,29.00,wall paint,low voc,40,Washable wall paint,"colour: bright white|eggshell|dove grey|sage green; finish: matte|satin = matte"
H-2,Paint Roller,paint,each,8.25,roller,,12,,size: four inch|nine inch
H-3,Screwdriver,tools,each,6.50,screwdrivers,,30,,"size: small|medium|large; head: flat|phillips"
H-4,LED Light Bulb,lighting,pack,7.99,light bulb;bulb,energy saving,25,Uses a tenth of the power,"wattage: forty watt|sixty watt; colour: warm white|daylight"
H-5,Claw Hammer,tools,each,12.50,,,10,,weight?: sixteen ounce|twenty ounce
H-6,Drop Cloth,paint,each,4.00,dust sheet,,0,,
H-7,Plastic Sheeting,paint,roll,5.00,,,20,,
H-8,Wood Screws,fasteners,box,4.99,screws,,200,,length: one inch|two inch = one inch
H-9,Sledge Hammer,tools,each,34.00,,,0,,
H-10,Tack Hammer,tools,each,9.00,,,5,,
H-11,Rubber Mallet,tools,each,11.00,,,5,,
"""

GROCERY = """sku,name,category,unit,price,aliases,tags,stock,description,options
G-1,Coffee Beans,coffee,bag,11.99,coffee,fair trade,20,Medium roast,grind: whole bean|filter|espresso
G-2,Large Eggs,dairy,dozen,4.29,eggs,,30,,
G-3,Sourdough Bread,bakery,loaf,5.50,sourdough,vegan,10,,sliced?: sliced|unsliced
G-4,Pain Reliever,pharmacy,pack,6.99,ibuprofen,,15,For a headache or back pain,
G-5,Ground Beef,meat,pound,6.49,beef,,0,,
G-6,Chicken Breast,meat,pound,7.99,chicken,,20,,
G-7,Spaghetti,pasta,box,1.89,,,40,,
G-8,Penne,pasta,box,1.49,,,40,,
G-9,Orange Juice,drinks,carton,3.99,juice,,25,,"pulp: no pulp|some pulp|lots of pulp"
G-10,Ground Turkey,meat,pound,5.99,turkey,,20,,
G-11,Rye Bread,bakery,loaf,4.75,,,0,,
G-12,White Bread,bakery,loaf,2.99,,,10,,
G-13,Whole Wheat Bread,bakery,loaf,3.49,,,10,,
G-14,Multigrain Bread,bakery,loaf,3.99,,,10,,
G-15,Gluten Free Bread,bakery,loaf,5.99,,gluten free,10,,
G-16,Brioche Bread,bakery,loaf,4.99,,,10,,
"""


def _shop_of(tmp_path: Path, catalog: str) -> Shop:
    """A fresh shop of ``catalog``, in a folder of its own (two shops may share a test)."""
    folder = tmp_path / str(abs(hash(catalog)))
    folder.mkdir()
    return foreign_shop(folder, catalog)


@pytest.fixture
def hardware(tmp_path: Path) -> Dialog:
    shop = _shop_of(tmp_path, HARDWARE)
    return Dialog(shop, IntentParser(shop.products()))


@pytest.fixture
def grocery(tmp_path: Path) -> Dialog:
    shop = _shop_of(tmp_path, GROCERY)
    return Dialog(shop, IntentParser(shop.products()))


def _lines(dialog: Dialog) -> list[tuple[str, int, dict[str, str]]]:
    return [(ln.sku, ln.quantity, ln.options) for ln in dialog.shop.cart().lines]


# ---- 1. options are asked for -----------------------------------------------------------
def test_an_option_without_a_default_is_asked_before_the_line_is_added(
        hardware: Dialog) -> None:
    reply = hardware.handle_text("add a can of paint").reply
    assert reply == "Which colour: bright white, eggshell, dove grey or sage green?"
    assert _lines(hardware) == []
    assert hardware.handle_text("the sage green one").reply == \
        "Added a can of sage green matte interior paint."
    hardware.handle_text("add a roller")
    hardware.handle_text("the nine inch one")
    assert _lines(hardware) == [("H-1", 1, {"colour": "sage green", "finish": "matte"}),
                                ("H-2", 1, {"size": "nine inch"})]


def test_several_missing_groups_are_asked_together_and_answered_in_any_way(
        hardware: Dialog) -> None:
    reply = hardware.handle_text("add two light bulbs").reply
    assert reply == ("Which wattage: forty watt or sixty watt? "
                     "And which colour: warm white or daylight?")
    hardware.handle_text("daylight sixty watt")
    reply = hardware.handle_text("add some screwdrivers").reply
    assert reply.startswith("Which size: small, medium or large?")
    assert "Added" not in hardware.handle_text("the second one").reply  # the head is asked
    hardware.handle_text("phillips")
    assert _lines(hardware) == [
        ("H-4", 2, {"wattage": "sixty watt", "colour": "daylight"}),
        ("H-3", 1, {"size": "medium", "head": "phillips"})]


def test_defaults_and_optional_groups_are_not_asked(hardware: Dialog, grocery: Dialog) -> None:
    assert hardware.handle_text("add a claw hammer and a box of screws").reply.startswith(
        "Added a claw hammer and a box of one inch wood screws")
    assert _lines(hardware) == [("H-5", 1, {}), ("H-8", 1, {"length": "one inch"})]
    grocery.handle_text("add a loaf of sourdough")
    assert grocery.handle_text("add two bags of coffee").reply == \
        "Which grind: whole bean, filter or espresso?"
    grocery.handle_text("espresso please")
    grocery.handle_text("add orange juice")
    grocery.handle_text("some pulp")
    assert _lines(grocery) == [("G-3", 1, {}), ("G-1", 2, {"grind": "espresso"}),
                               ("G-9", 1, {"pulp": "some pulp"})]


def test_the_parser_reports_the_order_as_said(hardware: Dialog) -> None:
    """The dialog asks; ``parse`` and ``understand`` return the order without the option."""
    item, = hardware.parser.parse("add a can of sage green interior paint").items
    assert (item.sku, item.options) == ("H-1", {"colour": "sage green"})
    item, = hardware.parser.parse("add two screwdrivers").items
    assert (item.sku, item.quantity, item.options) == ("H-3", 2, {})


def test_another_request_leaves_the_question(grocery: Dialog) -> None:
    grocery.handle_text("add coffee")
    grocery.handle_text("add a dozen eggs")
    assert _lines(grocery) == [("G-2", 1, {})]
    grocery.handle_text("add coffee")
    assert grocery.handle_text("never mind").reply
    assert _lines(grocery) == [("G-2", 1, {})]


# ---- 2. "it", "them", "that" are the thing just talked about ---------------------------
def test_it_is_the_product_just_asked_about_not_the_last_line(grocery: Dialog) -> None:
    grocery.handle_text("add a dozen eggs")
    grocery.handle_text("do you have chicken breast")
    grocery.handle_text("add it")
    grocery.handle_text("how much is the penne")
    grocery.handle_text("add two of them")
    grocery.handle_text("what about sourdough bread")
    grocery.handle_text("I'll take that")
    assert _lines(grocery) == [("G-2", 1, {}), ("G-6", 1, {}), ("G-8", 2, {}),
                               ("G-3", 1, {})]


def test_them_after_a_price_or_a_search_on_a_catalog_with_options(hardware: Dialog) -> None:
    hardware.handle_text("add a claw hammer")
    hardware.handle_text("how much are the wood screws")
    hardware.handle_text("add two of them")
    hardware.handle_text("do you have plastic sheeting")
    hardware.handle_text("add it")
    hardware.handle_text("tell me about the roller")
    assert hardware.handle_text("add it").reply == "Which size: four inch or nine inch?"
    hardware.handle_text("nine inch")
    assert _lines(hardware) == [("H-5", 1, {}), ("H-8", 2, {"length": "one inch"}),
                                ("H-7", 1, {}), ("H-2", 1, {"size": "nine inch"})]


# ---- 3. a need instead of a name ------------------------------------------------------
def test_a_need_is_answered_with_products(grocery: Dialog, hardware: Dialog) -> None:
    assert grocery.handle_text("anything for a headache").reply == \
        "For headache, we have pain reliever."
    grocery.handle_text("add it")
    assert hardware.handle_text("what do you have that's energy saving").reply == \
        "For energy saving, we have led light bulb."
    hardware.handle_text("add two of them")
    hardware.handle_text("sixty watt, warm white")
    assert _lines(grocery) == [("G-4", 1, {})]
    assert _lines(hardware) == [("H-4", 2, {"wattage": "sixty watt", "colour": "warm white"})]


# ---- 4. everyday requests -----------------------------------------------------------
def test_everyday_requests(grocery: Dialog) -> None:
    grocery.shop.add_promotion("G-7", 10, "Spaghetti is 10 percent off")
    assert "Spaghetti is 10 percent off" in grocery.handle_text("what's on offer").reply
    assert grocery.handle_text("what's the cheapest pasta").reply == \
        "The cheapest is penne, at one dollar and forty-nine cents a box."
    grocery.handle_text("add two of those")
    grocery.handle_text("add a dozen eggs")
    assert grocery.handle_text("how much is everything").reply == \
        "Everything in your cart, three things, comes to seven dollars and twenty-seven cents."
    grocery.handle_text("check out")
    grocery.handle_text("yes")
    assert grocery.handle_text("what did I order last time").reply.startswith(
        "Your last order, number 1, was two boxes of penne and a dozen large eggs")
    grocery.handle_text("add sourdough bread")
    assert _lines(grocery) == [("G-3", 1, {})]


def test_the_second_one_and_a_new_amount(grocery: Dialog, hardware: Dialog) -> None:
    grocery.handle_text("do you have pasta")
    grocery.handle_text("the second one")
    grocery.handle_text("add a dozen eggs")
    assert grocery.handle_text("no wait, two dozen").reply == \
        "You now have two dozen large eggs."
    assert _lines(grocery) == [("G-8", 1, {}), ("G-2", 2, {})]
    hardware.handle_text("add two boxes of two inch screws")
    hardware.handle_text("sorry, three")
    assert _lines(hardware) == [("H-8", 3, {"length": "two inch"})]


# ---- 5. corrections -----------------------------------------------------------------
def test_a_correction_of_a_sold_out_order_and_never_mind(grocery: Dialog,
                                                         hardware: Dialog) -> None:
    assert "ground beef is out of stock" in \
        grocery.handle_text("add two pounds of ground beef").reply
    reply = grocery.handle_text("actually make that three").reply
    assert "zero" not in reply and "ground beef is out of stock" in reply
    grocery.handle_text("yes")
    assert _lines(grocery) == [("G-10", 3, {})]
    grocery.handle_text("actually make that five")
    assert grocery.handle_text("never mind").reply.startswith("Undone.")
    assert _lines(grocery) == [("G-10", 3, {})]
    assert hardware.handle_text("add a drop cloth").reply.startswith(
        "Sorry, drop cloth is out of stock.")
    assert "zero" not in hardware.handle_text("actually make that three").reply
    hardware.handle_text("add a sixty watt daylight bulb")
    hardware.handle_text("make that three")
    hardware.handle_text("never mind")
    assert _lines(hardware)[-1] == ("H-4", 1, {"wattage": "sixty watt", "colour": "daylight"})


# ---- 6. choices offered -------------------------------------------------------------
def test_only_what_can_be_bought_is_offered(grocery: Dialog, hardware: Dialog) -> None:
    reply = grocery.handle_text("add milk and bread").reply
    assert reply.endswith("Which bread: white bread, brioche bread, sourdough bread "
                          "and three more?")
    assert "rye" not in reply
    grocery.handle_text("whole wheat")
    reply = hardware.handle_text("add two hammers").reply
    assert reply == "Which hammers: tack hammer or claw hammer?"
    hardware.handle_text("the claw one")
    hardware.handle_text("add a sledge hammer")
    assert _lines(grocery) == [("G-13", 1, {})]
    assert _lines(hardware) == [("H-5", 2, {})]


# ---- 7. deals -----------------------------------------------------------------------
def _at(hour: int, minute: int = 0) -> float:
    """A moment of a day, local time, as the shop's clock gives it."""
    from datetime import datetime
    return datetime(2026, 12, 7, hour, minute).timestamp()


def test_every_deal_is_named_and_hours_hold(hardware: Dialog, grocery: Dialog) -> None:
    from voice_shop.shop.models import DailyHours
    shop = hardware.shop
    now = [_at(9)]
    shop.clock = lambda: now[0]
    for sku, text in (("H-1", "Paint is 15 percent off"), ("H-8", "Screws are 20 percent off"),
                      ("H-7", "Sheeting is 10 percent off"),
                      ("H-11", "Mallets are 30 percent off")):
        shop.add_promotion(sku, int(text.split()[-3]), text)
    shop.add_promotion("H-2", 10, "Rollers are 10 percent off before noon",
                       hours=DailyHours.from_text("06:00-12:00"))
    reply = hardware.handle_text("any deals").reply
    assert all(name in reply for name in ("Paint", "Screws", "Sheeting", "Mallets", "Rollers"))
    assert "seven dollars and forty-three cents" in hardware.handle_text(
        "how much is the paint roller").reply
    now[0] = _at(23, 47)
    assert "Rollers" not in hardware.handle_text("what's on offer").reply
    assert hardware.handle_text("how much is the paint roller").reply == \
        "A paint roller is eight dollars and twenty-five cents."
    hardware.handle_text("add a nine inch roller")
    assert [ln.unit_price_cents for ln in shop.cart().lines] == [825]
    grocery.shop.clock = lambda: _at(7, 30)
    grocery.shop.add_promotion("G-6", 25, "Chicken is 25 percent off until eight",
                               hours=DailyHours.from_text("06:00-08:00"))
    grocery.handle_text("add a pound of chicken")
    assert [ln.unit_price_cents for ln in grocery.shop.cart().lines] == [599]
    grocery.shop.clock = lambda: _at(8, 1)
    assert [ln.unit_price_cents for ln in grocery.shop.cart().lines] == [799]
    assert _lines(grocery) == [("G-6", 1, {})]


# ---- 8. numbers ---------------------------------------------------------------------
def test_absurd_and_negative_amounts_are_refused_as_said(grocery: Dialog,
                                                         hardware: Dialog) -> None:
    assert grocery.handle_text("add 99999999999999999999 eggs").reply == \
        "99999999999999999999 is more than I can add at once; the most is ninety-nine."
    item, = grocery.parser.parse("add 99999999999999999999 eggs").items
    assert (item.sku, item.quantity, item.amount_said) == ("G-2", None, "99999999999999999999")
    assert "negative" in grocery.handle_text("add minus three penne").reply
    grocery.handle_text("add a box of penne")
    assert "negative" in grocery.handle_text("make it minus two").reply
    assert hardware.handle_text("add a million wood screws").reply.startswith(
        "One million is more than I can add at once")
    hardware.handle_text("add -4 tack hammers")
    assert all(i.quantity is None or i.quantity >= 0 for said in (
        "add -4 tack hammers", "remove minus two screws", "make it -1")
        for i in hardware.parser.parse(said).items)
    assert _lines(grocery) == [("G-8", 1, {})]
    assert _lines(hardware) == []


def test_parse_answers_every_line_with_one_json_line(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys
    db = tmp_path / "shop.db"
    (tmp_path / "c.csv").write_text(GROCERY)
    run = [sys.executable, "-c", "from voice_shop.cli import main; main()"]
    subprocess.run([*run, "init", "--db", str(db)], check=True, capture_output=True)
    subprocess.run([*run, "catalog", "import", str(tmp_path / "c.csv"), "--db", str(db)],
                   check=True, capture_output=True)
    said = "add two boxes of penne\n\n   \nadd minus five eggs\nadd 99999999999999999999 eggs\n"
    out = subprocess.run([*run, "parse", "--db", str(db)], input=said, text=True,
                         capture_output=True, check=True).stdout.splitlines()
    intents = [json.loads(line) for line in out]
    assert [i["intent"] for i in intents] == ["add_item", "unknown", "unknown", "add_item",
                                              "add_item"]
    assert [i["items"][0]["quantity"] for i in intents[3:]] == [None, None]


# ---- 9. wording ---------------------------------------------------------------------
def test_replies_are_english_a_person_would_say(grocery: Dialog, hardware: Dialog) -> None:
    from voice_shop.dialog import wording
    from voice_shop.replies import describe
    from voice_shop.shop.models import Product
    assert hardware.handle_text("how much is the claw hammer").reply == \
        "A claw hammer is twelve dollars and fifty cents."
    assert grocery.handle_text("how much is the orange juice").reply == \
        "Orange juice is three dollars and ninety-nine cents a carton."
    assert grocery.handle_text("how much are the large eggs").reply == \
        "Large eggs are four dollars and twenty-nine cents a dozen."
    assert wording.goes_with(Product("X", "Latte", unit="cup")) == \
        "People often get a latte with that."
    assert wording.goes_with(Product("Y", "Spaghetti", unit="box")) == \
        "People often get a box of spaghetti with that."
    assert describe("AA Batteries", 1, {"pack size": "eight pack"}, "pack") == \
        "an eight pack of aa batteries"
    assert describe("AA Batteries", 3, {"pack size": "eight pack"}, "pack") == \
        "three eight packs of aa batteries"
    assert describe("Screwdriver", 1, {"size": "large", "head": "flat"}, "each") == \
        "a large flat screwdriver"  # not "a large screwdriver with flat"
    assert describe("LED Light Bulb", 3, {}, "pack") == "three packs of led light bulbs"
    assert describe("Bacon", 2, {}, "pack") == "two packs of bacon"


def test_a_plural_name_is_them(grocery: Dialog) -> None:
    from voice_shop.shop.recommend import recommend
    day = [_at(9)]
    grocery.shop.clock = lambda: day[0]
    for _ in range(2):
        grocery.handle_text("add a dozen eggs and a box of penne")
        grocery.handle_text("check out")
        grocery.handle_text("yes")
        day[0] += 86_400
    reasons = {r.product.sku: r.reason for r in recommend(grocery.shop, limit=5)}
    assert reasons == {"G-2": "you usually buy them every day",
                       "G-8": "you usually buy it every day"}


def test_a_bare_count_and_a_question_about_any_catalog_tag(grocery: Dialog,
                                                            hardware: Dialog) -> None:
    """Found by the measurement on fresh catalogs: "I'll take two" after a price is two of
    that product; "is the X <tag>" is asked of any tag of the catalog, not a fixed few."""
    assert hardware.handle_text("is the interior paint low voc").reply == \
        "Yes, interior paint is low voc."
    assert grocery.handle_text("are the coffee beans fair trade").reply == \
        "Yes, coffee beans are fair trade."
    grocery.handle_text("what's the price of penne")
    grocery.handle_text("I'll take two")
    hardware.handle_text("how much is the plastic sheeting")
    hardware.handle_text("give me three")
    assert _lines(grocery) == [("G-8", 2, {})]
    assert _lines(hardware) == [("H-7", 3, {})]


def test_so_far_and_what_it_all_comes_to(grocery: Dialog, hardware: Dialog) -> None:
    """Found by the second measurement: "so" of "so far" was dropped as a filler."""
    grocery.handle_text("add two boxes of penne")
    assert grocery.handle_text("what have I got so far").reply.startswith(
        "Your cart has two boxes of penne.")
    hardware.handle_text("add a claw hammer")
    assert hardware.handle_text("how much does it all come to").reply == \
        "Everything in your cart, one thing, comes to twelve dollars and fifty cents."


def test_an_offer_accepted_still_asks_the_options(hardware: Dialog) -> None:
    """"a gallon of paint" sold by the can: "shall I add a can?" - "yes" asks the colour
    before the line is added (it went in with none)."""
    reply = hardware.handle_text("add a gallon of interior paint").reply
    assert reply.endswith("Shall I add a can of interior paint?")
    assert hardware.handle_text("yes").reply == \
        "Which colour: bright white, eggshell, dove grey or sage green?"
    hardware.handle_text("eggshell")
    assert _lines(hardware) == [("H-1", 1, {"colour": "eggshell", "finish": "matte"})]


def test_an_option_named_before_a_shared_word_and_a_number_of_a_value(
        hardware: Dialog) -> None:
    """"sage green paint" is the interior paint (the roller has no colours; it was not
    found); "forty" answering "which wattage?" is forty watt, not forty bulbs."""
    assert hardware.handle_text("add sage green paint").reply == \
        "Added a can of sage green matte interior paint."
    hardware.handle_text("add a bulb")
    hardware.handle_text("forty")
    hardware.handle_text("warm white")
    assert _lines(hardware) == [("H-1", 1, {"colour": "sage green", "finish": "matte"}),
                                ("H-4", 1, {"wattage": "forty watt", "colour": "warm white"})]


def test_a_new_amount_while_options_are_asked_and_another_question(hardware: Dialog,
                                                                  grocery: Dialog) -> None:
    """Found by a random walk over these catalogs: "make that five" while "which size?"
    waits set five rollers with no size; "what did I order last time" answered "which
    colour?" with the last colour ("last" of "last time" was read as a place)."""
    hardware.handle_text("add a roller")
    assert hardware.handle_text("actually make that five").reply == \
        "Which size: four inch or nine inch?"
    hardware.handle_text("nine inch")
    assert _lines(hardware) == [("H-2", 5, {"size": "nine inch"})]
    grocery.handle_text("add orange juice")
    assert grocery.handle_text("what did I order last time").reply == \
        "You haven't placed any orders yet."
    assert _lines(grocery) == []
