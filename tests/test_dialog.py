"""Whole conversations over a real cart in a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice_shop.bench.catalog_gen import generate_catalog
from voice_shop.dialog import Dialog, questions, wording
from voice_shop.intent.model import ItemSlot
from voice_shop.intent.parser import IntentParser
from voice_shop.language import forms
from voice_shop.replies import BY_THE_DOZEN, COUNTED_BY_NAME
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import ListName, OrderStatus, Product, Role
from voice_shop.shop.recommend import recommend


def say(dialog: Dialog, *lines: str, speaker: str | None = None) -> list[str]:
    return [dialog.handle_text(line, speaker).reply for line in lines]


def cart_of(shop: Shop) -> list[tuple[str, int, dict[str, str]]]:
    return [(line.sku, line.quantity, line.options) for line in shop.cart().lines]


def test_add_change_remove(dialog: Dialog, shop: Shop) -> None:
    replies = say(dialog, "add two bananas and a large oat milk latte")
    assert replies[0] == "Added two bunches of bananas and a large latte with oat milk."
    assert cart_of(shop) == [("P101", 2, {}), ("C2101", 1, {"size": "large", "milk": "oat milk"})]
    say(dialog, "change the bananas to five")
    assert cart_of(shop)[0] == ("P101", 5, {})
    say(dialog, "remove the latte")
    assert cart_of(shop) == [("P101", 5, {})]
    say(dialog, "make it three")
    assert cart_of(shop) == [("P101", 3, {})]


def test_same_product_and_options_merge_into_one_line(dialog: Dialog, shop: Shop) -> None:
    say(dialog, "add a large latte", "add two large lattes", "add a small latte")
    assert cart_of(shop) == [("C2101", 3, {"size": "large"}), ("C2101", 1, {"size": "small"})]


def test_checkout_confirm_places_order_and_takes_stock(dialog: Dialog, shop: Shop) -> None:
    stock = shop.product("Y104").stock
    assert stock is not None and stock >= 2
    say(dialog, "add two bags of rice")
    readback = say(dialog, "check out")[0]
    assert "two bags of long grain white rice" in readback
    assert "seven dollars and ninety-eight cents" in readback
    assert readback.endswith("Shall I place the order?")
    assert shop.orders() == []
    placed = say(dialog, "yes")[0]
    assert placed.startswith("Your order is placed. Order number 1")
    order = shop.orders()[0]
    assert order.status is OrderStatus.PLACED and order.total_cents == 798
    assert shop.cart().is_empty
    assert shop.product("Y104").stock == stock - 2


def test_place_the_order_starts_the_checkout_and_then_confirms_it(dialog: Dialog,
                                                                   shop: Shop) -> None:
    """"Place the order" with nothing asked is a checkout (it was a "yes" to nothing: "There's
    nothing to confirm right now"); after the read-back it is the yes."""
    say(dialog, "add two bags of rice")
    readback = say(dialog, "place the order")[0]
    assert readback.endswith("Shall I place the order?") and shop.orders() == []
    assert say(dialog, "place the order")[0].startswith("Your order is placed.")
    assert len(shop.orders()) == 1 and shop.cart().is_empty


def test_checkout_deny_keeps_cart(dialog: Dialog, shop: Shop) -> None:
    say(dialog, "add a pack of bacon", "checkout")
    assert say(dialog, "no")[0].startswith("Okay, I haven't placed the order")
    assert shop.orders() == [] and cart_of(shop) == [("M108", 1, {})]
    assert say(dialog, "yes")[0] == "There's nothing to confirm right now."
    assert shop.orders() == []


def test_cart_change_after_readback_needs_new_readback(dialog: Dialog, shop: Shop) -> None:
    say(dialog, "add a pack of bacon", "checkout", "add a bag of carrots")
    say(dialog, "yes")
    assert shop.orders() == []


def test_undo_restores_previous_cart(dialog: Dialog, shop: Shop) -> None:
    say(dialog, "add two bananas", "add a bag of potatoes", "clear my cart")
    assert shop.cart().is_empty
    assert say(dialog, "undo")[0].startswith("Undone. Your cart has two bunches of bananas")
    say(dialog, "undo")
    assert cart_of(shop) == [("P101", 2, {})]
    say(dialog, "undo")
    assert shop.cart().is_empty
    assert say(dialog, "undo")[0] == "There's nothing to undo."


def test_repeat_says_last_reply_again(dialog: Dialog) -> None:
    first = say(dialog, "how much is the oat milk")[0]
    assert "three dollars and sixty-five cents" in first  # 15 percent off 4.29
    assert say(dialog, "say that again")[0] == first


def test_ambiguous_product_is_asked_about(dialog: Dialog, shop: Shop) -> None:
    question = say(dialog, "add milk")[0]
    assert question.startswith("Which milk:") and "oat milk" in question
    assert shop.cart().is_empty
    say(dialog, "the oat one")
    assert cart_of(shop) == [("D104", 1, {})]


def _ambiguous_queries(dialog: Dialog) -> list[tuple[str, tuple[str, ...]]]:
    """Words of the catalog that name several products ("milk", "bread"), with the
    products the parser offers for them; only words that name two that can be bought (the
    one product in stock is simply added)."""
    found = {}
    for product in dialog.shop.products():
        word = product.name.lower().split()[-1]
        item = dialog.parser.parse(f"add {word}").items
        if word not in found and len(item) == 1 and item[0].alternatives and item[0].sku:
            skus = (item[0].sku, *item[0].alternatives)
            if sum(dialog.shop.product(sku).is_in_stock for sku in skus) >= 2:
                found[word] = skus
    return list(found.items())


@pytest.fixture(params=["demo", "generated"])
def any_dialog(request: pytest.FixtureRequest, tmp_path: Path) -> Dialog:
    """The demo catalog's conversation, and one over 400 generated products."""
    if request.param == "demo":
        dialog: Dialog = request.getfixturevalue("dialog")
        return dialog
    generate_catalog(tmp_path / "generated.csv", 400)
    shop = Shop.open(tmp_path / "generated.db", create=True)
    shop.import_catalog(tmp_path / "generated.csv")
    return Dialog(shop, IntentParser(shop.products()))


def test_each_product_that_names_several_is_asked_about_in_turn(any_dialog: Dialog) -> None:
    """"add milk and bread": both are asked about, one question at a time; neither is
    guessed."""
    dialog, shop = any_dialog, any_dialog.shop
    (first, first_choices), (second, second_choices) = _ambiguous_queries(dialog)[:2]
    question = say(dialog, f"add {first} and {second}")[0]
    assert question.startswith(f"Which {first}:") and shop.cart().is_empty
    question = say(dialog, "the second one")[0]
    assert f"Which {second}:" in question
    assert [line.sku for line in shop.cart().lines] == [first_choices[1]]
    say(dialog, "the first one")
    assert [line.sku for line in shop.cart().lines] == [first_choices[1], second_choices[0]]


def test_which_one_is_answered_by_an_answer_and_not_by_another_request(
        any_dialog: Dialog) -> None:
    """Asked "which milk?": "how much is the third one" is the price of the third milk and
    adds nothing, "add <another product> first" adds that product and no milk, and "two of
    the second one" adds two of the second."""
    dialog, shop = any_dialog, any_dialog.shop
    (query, choices), *_ = _ambiguous_queries(dialog)
    other = next(p for p in shop.products() if p.sku not in choices and p.is_in_stock
                 and not p.options and dialog.parser.parse(f"add {p.name}").items[0].sku == p.sku
                 and not dialog.parser.parse(f"add {p.name}").items[0].alternatives)
    third = shop.product(choices[min(2, len(choices) - 1)])
    say(dialog, f"add {query}")
    reply = say(dialog, f"how much is the {('first', 'second', 'third')[choices.index(third.sku)]}"
                        " one")[0]
    assert reply.lower().startswith(third.name.lower()) and shop.cart().is_empty
    say(dialog, f"add {query}")
    say(dialog, f"add the {other.name.lower()} first")
    assert cart_of(shop) == [(other.sku, 1, {})]
    say(dialog, f"add {query}")
    say(dialog, "two of the second one")
    assert cart_of(shop) == [(other.sku, 1, {}), (choices[1], 2, {})]


def _plainly_named(dialog: Dialog) -> list[Product]:
    """In-stock products without options that "add <name>" finds alone."""
    found = []
    for product in dialog.shop.products():
        if product.options or not product.is_in_stock or (product.stock or 99) < 5:
            continue
        item = dialog.parser.parse(f"add {product.name}").items
        if len(item) == 1 and item[0].sku == product.sku and not item[0].alternatives:
            found.append(product)
    return found


def test_part_of_a_unit_is_never_rounded(any_dialog: Dialog) -> None:
    """"half a gallon", "two point five bags", "one and a half packs": never one, never two,
    never half a dozen's six; the shopper hears the product comes in whole ones."""
    dialog, shop = any_dialog, any_dialog.shop
    plain = _plainly_named(dialog)
    for product in [p for p in plain if p.unit.lower() not in COUNTED_BY_NAME][:4]:
        name, unit = product.name.lower(), forms.plural(product.unit.lower())
        for said in (f"add half a {product.unit} of {name}", f"add 2.5 {unit} of {name}",
                     f"add one and a half {unit} of {name}", f"add a half {product.unit} of "
                     f"{name}"):
            reply = say(dialog, said)[0]
            assert "only add whole ones" in reply and shop.cart().is_empty, (said, reply)
        say(dialog, f"add two {unit} of {name}")
        assert cart_of(shop) == [(product.sku, 2, {})]
        shop.clear_cart()
    counted = next(p for p in plain if p.unit.lower() in COUNTED_BY_NAME)
    reply = say(dialog, f"add half a {counted.name.lower()}")[0]
    assert "only add whole ones" in reply and shop.cart().is_empty


def test_a_measure_the_product_is_not_sold_by_is_not_its_unit(any_dialog: Dialog) -> None:
    """Sold by the bag or the litre, "three pounds" of it is no three bags: refused; "a
    pound of it" is one bag only when the shopper says yes to it."""
    dialog, shop = any_dialog, any_dialog.shop
    product = next(p for p in _plainly_named(dialog)
                   if p.unit.lower() not in ("lb", "lbs", "pound"))
    name = product.name.lower()
    reply = say(dialog, f"add three pounds of {name}")[0]
    assert reply.startswith("Sorry") and "not by the pound" in reply and shop.cart().is_empty
    reply = say(dialog, f"add a pound of {name}")[0]
    assert "not by the pound" in reply and reply.endswith("?") and shop.cart().is_empty
    say(dialog, "yes")
    assert cart_of(shop) == [(product.sku, 1, {})]


def test_cancel_that_right_after_a_change_takes_it_back(any_dialog: Dialog) -> None:
    """"cancel that" (or "forget it") said right after an add takes the add back; said
    after another turn, or as "never mind" alone, it changes nothing."""
    dialog, shop = any_dialog, any_dialog.shop
    first, second = _plainly_named(dialog)[:2]
    say(dialog, f"add two {forms.plural(first.name.lower())}", "cancel that")
    assert shop.cart().is_empty
    say(dialog, f"add a {second.name.lower()}", f"add a {first.name.lower()}", "forget it")
    assert cart_of(shop) == [(second.sku, 1, {})]
    say(dialog, f"add a {first.name.lower()}", "what's in my cart", "cancel that")
    say(dialog, f"add a {first.name.lower()}", "never mind")
    assert cart_of(shop) == [(second.sku, 1, {}), (first.sku, 2, {})]


def test_words_every_choice_shares_choose_nothing(any_dialog: Dialog) -> None:
    """Asked "which bread?", "add some bread" is the same question again, not the first
    bread offered."""
    dialog, shop = any_dialog, any_dialog.shop
    for query, _ in _ambiguous_queries(dialog)[:5]:
        question = say(dialog, f"add {query}")[0]
        assert say(dialog, f"add some {query}")[0] == question
        assert say(dialog, f"{query} please")[0] == question
        assert shop.cart().is_empty
        say(dialog, "never mind")


def test_out_of_stock_offers_substitute(dialog: Dialog, shop: Shop) -> None:
    out = next(p for p in shop.products() if p.stock == 0 and shop.substitute_for(p))
    substitute = shop.substitute_for(out)
    assert substitute is not None
    reply = dialog.handle_text(f"add {out.name}").reply
    assert "out of stock" in reply and substitute.name.lower() in reply
    say(dialog, "yes")
    assert cart_of(shop) == [(substitute.sku, 1, {})]


def test_absurd_quantity_and_unknown_product_change_nothing(dialog: Dialog, shop: Shop) -> None:
    assert "the most is ninety-nine" in say(dialog, "add five thousand bananas")[0]
    assert say(dialog, "add a unicorn")[0] == "Sorry, I couldn't find unicorn in the shop."
    assert shop.cart().is_empty


def test_reorder_repeats_last_order(dialog: Dialog, shop: Shop) -> None:
    say(dialog, "add two bananas and a dozen eggs", "check out", "yes")
    assert shop.cart().is_empty
    reply = say(dialog, "my usual")[0]
    assert reply.startswith("I've added your usual: two bunches of bananas and a dozen large eggs")
    assert cart_of(shop) == [("P101", 2, {}), ("D109", 1, {})]  # eggs come by the dozen


def test_order_status_lists_and_feedback(dialog: Dialog, shop: Shop) -> None:
    assert say(dialog, "where is my order")[0] == "You haven't placed any orders yet."
    say(dialog, "add paper towels to my shopping list", "save the red wine for later")
    assert [i.sku for i in shop.list_items(ListName.SHOPPING)] == ["H101"]
    assert say(dialog, "what's on my shopping list")[0] == \
        "Your shopping list has a pack of paper towels."
    assert say(dialog, "read my wish list")[0] == "Your wish list has a bottle of red wine."
    assert say(dialog, "five stars, great service")[0] == "Thanks for the five-star rating!"
    rating = shop.conn.execute("SELECT rating FROM feedback").fetchone()[0]
    assert rating == 5


def test_deals_read_active_promotions(dialog: Dialog, shop: Shop) -> None:
    reply = say(dialog, "any deals")[0]
    assert reply.startswith("Today's deals: Potato chips are 25 percent off")
    assert "oat milk" in say(dialog, "any discounts on oat milk")[0].lower()


def test_recommend_from_history_and_baskets(dialog: Dialog, shop: Shop) -> None:
    for _ in range(2):
        say(dialog, "add spaghetti and marinara sauce", "checkout", "yes")
    say(dialog, "add spaghetti")
    reply = say(dialog, "what do you recommend")[0]
    assert reply.startswith("How about marinara sauce, since")
    reasons = {r.product.sku: r.reason for r in recommend(shop, None, limit=5)}
    assert "Y101" not in reasons  # already in the cart
    assert reasons["Y109"] in {"you usually buy it every day",
                               "it is often bought with spaghetti"}


def test_child_checkout_waits_for_adult(dialog: Dialog, shop: Shop) -> None:
    shop.add_profile("mum", Role.ADULT)
    shop.add_profile("kid", Role.CHILD)
    say(dialog, "add a box of pop tarts", "check out", "yes", speaker="kid")
    order = shop.orders()[0]
    assert order.status is OrderStatus.PENDING_APPROVAL and order.placed_by == "kid"


def test_unknown_voice_cannot_checkout_when_household_has_profiles(dialog: Dialog,
                                                                     shop: Shop) -> None:
    shop.add_profile("mum", Role.ADULT)
    say(dialog, "add a box of pop tarts")
    assert "don't recognise your voice" in say(dialog, "check out")[0]
    say(dialog, "yes")
    assert shop.orders() == []


def test_pin_is_required_when_set(dialog: Dialog, shop: Shop) -> None:
    shop.add_profile("dad", Role.ADULT)
    shop.set_pin("dad", "4321")
    say(dialog, "add a pack of bacon", speaker="dad")
    assert say(dialog, "check out", speaker="dad")[0].endswith("say your purchase PIN.")
    assert "PIN isn't right" in say(dialog, "one two three four", speaker="dad")[0]
    assert shop.orders() == []
    say(dialog, "check out", speaker="dad")
    assert say(dialog, "four three two one", speaker="dad")[0].startswith("Your order is placed")
    say(dialog, "add a pack of bacon", "check out", speaker="dad")
    assert say(dialog, "my pin is 4321", speaker="dad")[0].startswith("Your order is placed")
    events = " ".join(str(e["data"]) for e in shop.events(200))
    assert "4321" not in events


def test_state_survives_a_new_dialog_instance(shop: Shop, parser: IntentParser) -> None:
    Dialog(shop, parser).handle_text("add a bag of potatoes")
    Dialog(shop, parser).handle_text("check out")
    Dialog(shop, parser).handle_text("yes")
    assert len(shop.orders()) == 1


def test_half_a_dozen_of_a_product_sold_by_the_dozen_is_asked_about(dialog: Dialog,
                                                                     shop: Shop) -> None:
    """Never one dozen and never six dozen without asking: the shopper hears the pack size."""
    product = next(p for p in shop.products() if p.unit == "dozen")
    name = product.name.lower()
    reply = say(dialog, f"add half a dozen {name}")[0]
    assert "by the dozen" in reply and reply.endswith("?")
    assert cart_of(shop) == []
    say(dialog, "yes")
    assert cart_of(shop) == [(product.sku, 1, {})]
    say(dialog, f"add two dozen {name}")
    assert cart_of(shop) == [(product.sku, 3, {})]


def test_count_of_them_sets_the_last_products_quantity(dialog: Dialog, shop: Shop) -> None:
    product = next(p for p in shop.products() if p.unit == "each" and not p.options)
    say(dialog, f"add {product.name.lower()}")
    say(dialog, "six of them")
    assert cart_of(shop) == [(product.sku, 6, {})]
    say(dialog, "actually just two of those")
    assert cart_of(shop) == [(product.sku, 2, {})]


def test_questions_are_kept_and_read_back_typed() -> None:
    """Every question survives the database as it was asked; one that cannot be read (an
    older version's, or damaged) is forgotten rather than answered wrongly."""
    item = ItemSlot("milk", sku="D104", name="Oat Milk", quantity=2, alternatives=["D106"])
    asked = [
        questions.ChooseProduct(item, ("D104", "D106"), "Which milk?", (item,)),
        questions.ConfirmCheckout(1234, "sam", "Shall I place the order?"),
        questions.ConfirmCheckout(99, None, "Shall I place the order?"),
        questions.OfferSubstitute("D109", 1, "Shall I add a dozen eggs?", {"size": "large"}),
        questions.ConfirmCancel(7, "Cancel order number 7?"),
        questions.ApproveOrder(8, "Approve it?"),
    ]
    for question in asked:
        kept = json.loads(json.dumps(questions.to_dict(question)))
        assert questions.from_dict(kept) == question
    before_queues = {"kind": "choose", "choices": ["D104"], "item": item.to_dict(),
                     "question": "Which milk?"}
    assert questions.from_dict(before_queues) == questions.ChooseProduct(
        item, ("D104",), "Which milk?")
    for damaged in (None, "choose", {"kind": "choose"}, {"kind": "teleport", "question": "?"},
                    {"kind": "checkout", "total_cents": "lots", "question": "?"}):
        assert questions.from_dict(damaged) is None


def _product_with_two_ways(shop: Shop) -> tuple[str, str, str, str, str]:
    """(sku, name, option group, one value, another) of a product sold in several ways."""
    for p in shop.products():
        if p.stock is not None and p.stock < 20:
            continue
        for group, values in p.options.items():
            if len(values) >= 2:
                return p.sku, p.name.lower(), group, values[0], values[1]
    raise AssertionError("the catalog has no product with options")


def test_the_line_the_talk_is_about_keeps_its_options(dialog: Dialog, shop: Shop) -> None:
    """"another one", "the same again", "make it three" and "take it off" mean the line just
    talked about, options and all; the product's other lines stay as they are."""
    sku, name, group, one, other = _product_with_two_ways(shop)
    say(dialog, f"add a {one} {name}")
    say(dialog, "another one", "the same again")
    assert cart_of(shop) == [(sku, 3, {group: one})]
    say(dialog, f"add a {other} {name}")
    say(dialog, "make it three")
    assert cart_of(shop) == [(sku, 3, {group: one}), (sku, 3, {group: other})]
    say(dialog, "six of them")
    assert cart_of(shop) == [(sku, 3, {group: one}), (sku, 6, {group: other})]
    say(dialog, "take it off")
    assert cart_of(shop) == [(sku, 3, {group: one})]


def test_taking_back_is_a_no_not_a_misunderstanding(dialog: Dialog, shop: Shop) -> None:
    """"no wait", "I changed my mind", "wait a second" are heard, and change nothing."""
    product = next(p for p in shop.products() if p.unit == "each" and not p.options
                   and (p.stock is None or p.stock > 2))
    say(dialog, f"add two {product.name.lower()}")
    before = cart_of(shop)
    assert before == [(product.sku, 2, {})]
    for line in ("no wait", "I changed my mind", "wait a second", "hold on"):
        assert say(dialog, line)[0] == "Okay."
    assert cart_of(shop) == before
    question = say(dialog, "check out")[0]
    assert question.endswith("Shall I place the order?")
    assert say(dialog, "no wait")[0].startswith("Okay, I haven't placed the order")
    assert shop.orders() == []


def test_the_last_line_takes_other_options_and_more_of_the_same(dialog: Dialog,
                                                                 shop: Shop) -> None:
    """"make that a large", "switch it to ...", "make it two ... ones", "two more": the line
    just talked about changes (merging into a line that already has those options)."""
    sku, name, group, one, other = _product_with_two_ways(shop)
    say(dialog, f"add a {name}")
    assert say(dialog, f"make that a {one}")[0] == f"You now have a {one} {name}."
    assert cart_of(shop) == [(sku, 1, {group: one})]
    say(dialog, "two more")
    assert cart_of(shop) == [(sku, 3, {group: one})]
    say(dialog, f"switch it to {other}")
    assert cart_of(shop) == [(sku, 3, {group: other})]
    say(dialog, f"add a {one} {name}", f"make it {other}")
    assert cart_of(shop) == [(sku, 4, {group: other})]
    say(dialog, "undo")
    assert cart_of(shop) == [(sku, 3, {group: other}), (sku, 1, {group: one})]


def test_it_is_the_product_just_talked_about(dialog: Dialog, shop: Shop) -> None:
    sku, name, *_ = _product_with_two_ways(shop)
    say(dialog, f"add a {name}")
    price = say(dialog, "how much is it")[0]
    assert name in price.lower() and "dollar" in price
    assert name in say(dialog, "tell me about it")[0].lower()
    assert cart_of(shop) == [(sku, 1, {})]


def test_out_of_stock_agrees_with_the_name() -> None:
    assert wording.out_of_stock("Avocados") == "Sorry, avocados are out of stock."
    assert wording.out_of_stock("Rye Bread") == "Sorry, rye bread is out of stock."
    assert wording.out_of_stock("Safety Glasses") == "Sorry, safety glasses are out of stock."
    assert wording.out_of_stock("Hummus") == "Sorry, hummus is out of stock."
    assert wording.substitute_offer("Large Eggs", "Duck Eggs", 399).startswith(
        "Sorry, large eggs are out of stock. Would you like duck eggs instead")


def test_a_product_in_the_cart_two_ways_is_not_merged_by_a_count(dialog: Dialog,
                                                                  shop: Shop) -> None:
    """"change the lattes to five" with a large and a small latte in the cart asks which;
    "make the large latte three" changes that line."""
    sku, name, group, one, other = _product_with_two_ways(shop)
    say(dialog, f"add a {one} {name}", f"add a {other} {name}")
    other_item = next(p for p in shop.products() if p.sku != sku and not p.options
                      and p.unit == "each" and (p.stock is None or p.stock > 1))
    say(dialog, f"add a {other_item.name.lower()}")  # the talk moved on
    reply = say(dialog, f"change the {name} to five")[0]
    assert reply.endswith("Which one should I change?") and one in reply and other in reply
    assert cart_of(shop)[:2] == [(sku, 1, {group: one}), (sku, 1, {group: other})]
    say(dialog, f"make the {one} {name} three")
    assert cart_of(shop)[:2] == [(sku, 3, {group: one}), (sku, 1, {group: other})]


def test_the_shopping_list_goes_into_the_cart(dialog: Dialog, shop: Shop) -> None:
    """"add everything from my shopping list" orders what is on it (never a product whose
    name happens to hold "everything"); the list stays."""
    assert say(dialog, "add everything from my shopping list")[0] == \
        "Your shopping list is empty."
    wanted = [p for p in shop.products() if p.unit == "each" and not p.options
              and (p.stock is None or p.stock > 3)][:2]
    say(dialog, f"put three {wanted[0].name.lower()} and a {wanted[1].name.lower()} on my "
                "shopping list")
    assert shop.cart().is_empty
    say(dialog, "add everything from my shopping list")
    assert cart_of(shop) == [(wanted[0].sku, 3, {}), (wanted[1].sku, 1, {})]
    assert len(shop.list_items(ListName.SHOPPING)) == 2


def test_a_product_asked_about_is_what_it_means(dialog: Dialog, shop: Shop) -> None:
    """"how much is the ...?" / "do you have ...?" then "add it" orders that product."""
    asked = [p for p in shop.products() if p.unit == "each" and not p.options
             and (p.stock is None or p.stock > 1)][:2]
    say(dialog, f"how much is the {asked[0].name.lower()}", "add it")
    say(dialog, f"tell me about the {asked[1].name.lower()}", "add it")
    assert cart_of(shop) == [(asked[0].sku, 1, {}), (asked[1].sku, 1, {})]


def test_more_of_the_last_product_in_other_options_is_a_new_line(dialog: Dialog,
                                                                  shop: Shop) -> None:
    """"another large one" after a small latte adds a large latte; the small one stays."""
    sku, name, group, one, other = _product_with_two_ways(shop)
    say(dialog, f"add a {one} {name}", f"another {other} one", f"two more {other} ones")
    assert cart_of(shop) == [(sku, 1, {group: one}), (sku, 3, {group: other})]


def test_an_answer_to_which_one_changes_nothing_else(dialog: Dialog, shop: Shop) -> None:
    """Answering "which milk?" with "that one, the oat milk" adds the milk and leaves the
    line talked about before as it was; "no wait a second" chooses nothing."""
    sku, name, group, one, _ = _product_with_two_ways(shop)
    (query, choices), *_ = _ambiguous_queries(dialog)
    say(dialog, f"add a {one} {name}")
    question = say(dialog, f"add {query}")[0]
    assert question.startswith(f"Which {query}:")
    assert say(dialog, "no wait a second")[0] == wording.LEFT_IT
    assert cart_of(shop) == [(sku, 1, {group: one})]
    say(dialog, f"add {query}")
    chosen = dialog.shop.product(choices[1]).name.lower()
    say(dialog, f"that one, the {chosen}")
    assert cart_of(shop) == [(sku, 1, {group: one}), (choices[1], 1, {})]


def test_words_before_digits_that_are_no_lead_in_place_nothing(dialog: Dialog,
                                                               shop: Shop) -> None:
    product = next(p for p in shop.products() if not p.options and p.is_in_stock)
    say(dialog, f"add a {product.name.lower()}", "check out")
    assert say(dialog, "no, not one two three four")[0].startswith("Your order is")
    assert shop.orders() == []


def test_a_product_named_with_options_takes_them(dialog: Dialog, shop: Shop) -> None:
    """"make the latte large" changes the latte's line; with two lines of it, "make the
    latte ..." asks which, and "make the lattes ..." changes both (merging them). (The
    hardware catalog's conversation: ``test_foreign_catalog``.)"""
    sku, name, group, values = next(
        (p.sku, p.name.lower(), group, values) for p in shop.products()
        if p.stock is None or p.stock >= 20 for group, values in p.options.items()
        if len(values) >= 3)
    one, other, third = values[:3]
    say(dialog, f"add a {one} {name}")
    assert say(dialog, f"make the {name} {other}")[0].startswith("You now have")
    assert cart_of(shop) == [(sku, 1, {group: other})]
    say(dialog, f"add a {one} {name}")
    assert say(dialog, f"make the {name} {third}")[0].endswith("Which one should I change?")
    assert cart_of(shop) == [(sku, 1, {group: other}), (sku, 1, {group: one})]
    say(dialog, f"make the {forms.plural(name)} {third}")
    assert cart_of(shop) == [(sku, 2, {group: third})]
    say(dialog, "undo")
    assert cart_of(shop) == [(sku, 1, {group: other}), (sku, 1, {group: one})]


def test_the_list_keeps_and_says_how_many(dialog: Dialog, shop: Shop) -> None:
    """The list says its quantities; "half a dozen" of a product sold by the dozen goes on
    it as a dozen, said so (it went on as six, and became six dozen in the cart)."""
    by_dozen = next(p for p in shop.products() if p.unit.lower() == BY_THE_DOZEN
                    and (p.stock is None or p.stock > 2))
    name = by_dozen.name.lower()
    reply = say(dialog, f"add half a dozen {name} to my shopping list")[0]
    assert reply == f"Added a dozen {name} to your shopping list."
    say(dialog, f"add two {name} to my shopping list")
    assert say(dialog, "what's on my shopping list")[0] == \
        f"Your shopping list has three dozen {name}."
    say(dialog, "add everything from my shopping list")
    assert cart_of(shop) == [(by_dozen.sku, 3, {})]


def test_the_shopping_list_by_voice(any_dialog: Dialog) -> None:
    """A word that names several products ("milk") stays the shopper's word on the list and
    is asked about when the list is ordered; the same entry twice is one entry; items come
    off the list by voice, and "clear my shopping list" empties it (never the cart)."""
    dialog, shop = any_dialog, any_dialog.shop
    query, choices = _ambiguous_queries(dialog)[0]
    plain = next(p for p in shop.products() if p.sku not in choices
                 and (found := dialog.parser.parse(f"add {p.name.lower()}").items)
                 and found[0].sku == p.sku and not found[0].alternatives
                 and not p.options and (p.stock is None or p.stock > 3))
    name = plain.name.lower()
    say(dialog, f"add {query} to my shopping list", f"add {query} to my shopping list",
        f"put {name} on my shopping list")
    listed = [(e.label, e.sku, e.quantity) for e in shop.list_items(ListName.SHOPPING)]
    assert listed == [(query, None, 2), (plain.name, plain.sku, 1)]
    question = say(dialog, "add everything from my shopping list")[0]
    assert f"Which {query}:" in question and cart_of(shop) == [(plain.sku, 1, {})]
    say(dialog, "the first one")
    assert cart_of(shop) == [(plain.sku, 1, {}), (choices[0], 2, {})]
    assert say(dialog, f"take {query} off my shopping list")[0] == \
        f"Took {query} off your shopping list."
    say(dialog, f"remove the {name} from my shopping list")
    assert shop.list_items(ListName.SHOPPING) == []
    assert say(dialog, f"take {name} off my shopping list")[0].endswith(
        "not on your shopping list.")
    cleared = say(dialog, f"add {name} to my shopping list", "clear my shopping list")[1]
    assert cleared == "Cleared your shopping list."
    assert shop.list_items(ListName.SHOPPING) == [] and len(shop.cart().lines) == 2
