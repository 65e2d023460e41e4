"""What the assistant says: every reply sentence, apart from the decisions that choose it.

The conversation (``conversation.py``) decides what happens to the cart and which reply
fits; the words are here, so rewording a reply (or, one day, another language) touches
nothing that decides. Products and lines are described by ``replies.describe`` (inflect:
"a dozen large eggs", "two packs of bacon").
"""

from __future__ import annotations

from collections.abc import Sequence

from ..money import number_to_words, speak_cents
from ..replies import COUNTED_BY_NAME, comes_by, describe, is_plural_name, join, spoken_unit
from ..shop.models import DeliveryState, Order, OrderStatus, Product


def not_caught(example: str) -> str:
    """``example``: an order of this shop's catalog ("two bunches of bananas")."""
    return f"Sorry, I didn't catch that. You can say, for example, add {example}."


def help_text(example: str, asked_about: str) -> str:
    return (f"You can say things like: add {example}, what's in my cart, how much is "
            f"{asked_about}, any deals, or check out.")


ASK_AGAIN = "Sorry, which one did you mean?"
NOTHING_TO_CONFIRM = "There's nothing to confirm right now."
OKAY = "Okay."
LEFT_IT = "Okay, I'll leave it."
CANCELLED = "Okay, cancelled."
ORDER_NOT_PLACED = "Okay, I haven't placed the order. Your cart is still there."
NO_OPEN_ORDER = "You have no open order to cancel."
ONLY_ADULTS_APPROVE = "Only an adult of the household can approve that order."
WHAT_TO_ADD = "What would you like me to add?"
WHAT_TO_REMOVE = "What would you like me to remove?"
WHICH_AND_HOW_MANY = "Which item, and how many?"
ALREADY_EMPTY = "Your cart is already empty."
EMPTIED = "I've emptied your cart. Say undo to bring it back."
NOTHING_TO_UNDO = "There's nothing to undo."
NOTHING_TO_REORDER = "You haven't ordered anything yet, so there's nothing to repeat."
NONE_TO_REORDER = "None of the items from your last order are available right now."
CART_EMPTY = "Your cart is empty."
WHICH_PRICE = "Which product would you like the price of?"
WHICH_INFO = "Which product would you like to know about?"
NO_SUGGESTION = ("I don't have a suggestion yet; order a few times and I'll learn what "
                 "you like.")
NO_DEALS = "There are no deals right now."
NO_ORDERS = "You haven't placed any orders yet."
THANKS_FOR_FEEDBACK = "Thanks for your feedback."
NOTHING_SAID = "I haven't said anything yet."
NOTHING_TO_CHECK_OUT = "Your cart is empty, so there's nothing to check out."
SAY_PIN = "To place it, say your purchase PIN."
SHALL_I_PLACE = "Shall I place the order?"
UNKNOWN_VOICE = ("I don't recognise your voice, so I can't place orders for you. "
                 "A household member can check out.")
CART_CHANGED = "Your cart changed since I read it back. Say check out to hear it again."
NOT_YOUR_CHECKOUT = "Only the person who started the checkout can confirm it."
WRONG_PIN = "That PIN isn't right, so I haven't placed the order."


def quantity_words(quantity: int) -> str:
    return number_to_words(quantity)


def sorry(message: str) -> str:
    return f"Sorry, {message}."


def added(lines: Sequence[str]) -> str:
    return f"Added {join(lines)}."


def not_found(query: str) -> str:
    return f"Sorry, I couldn't find {query or 'that'} in the shop."


def not_a_positive_amount(quantity: int) -> str:
    amount = "zero" if quantity == 0 else "a negative amount"
    return f"Sorry, I can't do {amount}; say how many, like two."


def unusable_amount(said: str, most: int) -> str:
    """A negative or absurd amount, refused in the words it was said."""
    if said.startswith("minus"):
        return not_a_positive_amount(-1)
    return f"{said.capitalize()} is more than I can add at once; the most is " \
        f"{quantity_words(most)}."


def only_whole(name: str, unit: str | None) -> str:
    """Part of one asked for ("half a gallon of whole milk")."""
    return f"Sorry, {comes_by(name, unit)}; I can only add whole ones."


def not_sold_by(name: str, unit: str | None, said: str) -> str:
    """Another measure asked for ("three gallons" of paint sold by the litre)."""
    return f"Sorry, {comes_by(name, unit)}, not by the {said}."


def too_many_at_once(quantity: int, most: int) -> str:
    return (f"{quantity_words(quantity).capitalize()} is more than I can add at once; "
            f"the most is {quantity_words(most)}.")


def at_most(most: int) -> str:
    return f"The most I can put in is {quantity_words(most)}."


def over_stock(stock: int, product: Product, in_cart: int) -> str:
    """"There are only three pairs of safety glasses in stock"."""
    have = f", and {quantity_words(in_cart)} are already in your cart" if in_cart else ""
    what = describe(product.name, stock, None, product.unit)
    verb = "is" if stock == 1 else "are"
    return f"There {verb} only {what} in stock{have}."


def product_sentence(product: Product) -> str:
    """What the catalog says of a product, as a sentence that names it: "Cordless Drill:
    20V drill."."""
    text = (product.description or "").strip()
    if not text:
        return f"{product.name}."
    if product.name.lower() not in text.lower():
        text = f"{product.name}: {text}"
    return text if text[-1] in ".!?" else f"{text}."


def which(query: str, names: Sequence[str], more: int = 0) -> str:
    """"Which bread: rye or sourdough?"; past the few named, "and two more"."""
    if more > 0:
        return f"Which {query or 'one'}: {', '.join(names)} and {quantity_words(more)} more?"
    return f"Which {query or 'one'}: {join(names, 'or')}?"


def which_options(groups: Sequence[tuple[str, Sequence[str]]]) -> str:
    """"Which colour: bright white, eggshell or sage green?", one sentence per group."""
    asked = [f"which {group}: {join(values, 'or')}?" for group, values in groups]
    return " And ".join(asked)[:1].upper() + " And ".join(asked)[1:]


def several_to_choose(queries: Sequence[str]) -> str:
    """Another question is waiting: these are not added, and nothing remembers them."""
    return (f"I haven't added the {join(queries)}: there are several kinds. Ask for the one "
            "you want by name.")


def _is_are(name: str) -> str:
    """"is" or "are", as the name is singular or plural ("avocados are", "safety glasses
    are", "hummus is")."""
    return "are" if is_plural_name(name) else "is"


def out_of_stock(name: str) -> str:
    return f"Sorry, {name.lower()} {_is_are(name)} out of stock."


def substitute_question(name: str) -> str:
    return f"Would you like {name.lower()} instead?"


def substitute_offer(missing: str, substitute: str, unit_price_cents: int) -> str:
    return (f"Sorry, {missing.lower()} {_is_are(missing)} out of stock. Would you like "
            f"{substitute.lower()} instead, for {speak_cents(unit_price_cents)}?")


def did_you_mean(offer: str) -> str:
    return f"We don't have that exactly. Did you mean {offer}?"


def shall_i_add(offer: str) -> str:
    return f"Shall I add {offer}?"


def whole_dozens_offer(name: str, offer: str) -> str:
    return f"{comes_by(name, 'dozen').capitalize()}. {shall_i_add(offer)}"


def goes_with(product: Product) -> str:
    """"People often get a latte with that", "... a box of penne ..."."""
    return f"People often get {describe(product.name, 1, {}, product.unit)} with that."


def not_in_cart(query: str) -> str:
    return f"There's no {query or 'such item'} in your cart."


def removed(line: str) -> str:
    return f"Removed {line}."


def which_line(lines: Sequence[str]) -> str:
    """The product is in the cart in several ways and the shopper did not say which."""
    return f"You have {join(lines)}. Which one should I change?"


def now_have(line: str) -> str:
    return f"You now have {line}."


def removed_all(name: str) -> str:
    return f"Removed the {name.lower()}."


def undone(cart_reading: str) -> str:
    return "Undone. " + cart_reading


def usual_added(speaker: str | None, spoken: str) -> str:
    whose = f"your usual, {speaker}" if speaker else "your usual"
    return f"I've added {whose}: {spoken}. Say check out when you're ready."


def cart_reading(lines: str, total_cents: int) -> str:
    return f"Your cart has {lines}. The total is {speak_cents(total_cents)}."


def cart_total(count: int, total_cents: int) -> str:
    """"How much is everything": the cart's total, and how many things make it."""
    things = "one thing" if count == 1 else f"{quantity_words(count)} things"
    return f"Everything in your cart, {things}, comes to {speak_cents(total_cents)}."


def last_order_lines(order: Order, lines: str) -> str:
    return (f"Your last order, number {order.id}, was {lines}, for "
            f"{speak_cents(order.total_cents)}.")


def for_need(need: str, names: Sequence[str], more: int) -> str:
    """"For a headache we have pain reliever." """
    extra = f", and {quantity_words(more)} more" if more > 0 else ""
    return f"For {need}, we have {join(names)}{extra}."


def cheapest(product: Product, unit_price_cents: int) -> str:
    per = f" a {product.unit}" if product.unit and product.unit != "each" else " each"
    return (f"The cheapest is {product.name.lower()}, at {speak_cents(unit_price_cents)}"
            f"{per}.")


def sentence_start(words: str) -> str:
    """``words`` opening a sentence: its first letter a capital, the rest as they are."""
    return words[:1].upper() + words[1:]


def price(product: Product, unit_price_cents: int, quantity: int | None) -> str:
    """"A latte is three dollars", "Bananas are ... a bunch", "Dish soap is ... a bottle"."""
    if spoken_unit(product.unit) in COUNTED_BY_NAME and not is_plural_name(product.name):
        subject, per = describe(product.name, 1), ""  # "a latte", "an americano"
    else:
        per = f" a {spoken_unit(product.unit)}" if spoken_unit(product.unit) not in \
            COUNTED_BY_NAME else " each"
        subject = product.name.lower()
    text = (f"{sentence_start(subject)} {_is_are(product.name)} "
            f"{speak_cents(unit_price_cents)}{per}")
    if unit_price_cents != product.price_cents:
        text += f", on sale from {speak_cents(product.price_cents)}"
    if quantity and quantity > 1:
        text += (f"; {quantity_words(quantity)} would be "
                 f"{speak_cents(unit_price_cents * quantity)}")
    return text + "."


def tags(tags: Sequence[str]) -> str:
    return f"It is {join(list(tags))}."


OUT_OF_STOCK_NOW = "It is out of stock right now."


def we_have_none(what: str) -> str:
    return f"Sorry, we don't have {what or 'that'}."


def is_tagged(name: str, tag: str, is_so: bool) -> str:
    """"Yes, rye bread is vegan." / "No, rye bread is not marked gluten free." (only the
    catalog's tags are known: never a guess about an allergen)."""
    verb = _is_are(name)
    if is_so:
        return f"Yes, {name.lower()} {verb} {tag}."
    return f"No, {name.lower()} {verb} not marked {tag}."


def none_but(what: str, names: Sequence[str]) -> str:
    """Asked for something the shop lacks, what it has like it."""
    return f"Sorry, we don't have {what}, but we have {join(names)}."


def we_have(names: Sequence[str], more: int) -> str:
    extra = f", and {quantity_words(more)} more" if more > 0 else ""
    return f"Yes, we have {join(names)}{extra}."


def how_about(parts: Sequence[str]) -> str:
    return f"How about {join(parts, 'or')}?"


def deals(descriptions: Sequence[str]) -> str:
    return "Today's deals: " + "; ".join(descriptions) + "."


def approve_question(order: Order, lines: str) -> str:
    return (f"Order number {order.id} from {order.placed_by or 'a child'} is waiting for "
            f"your approval: {lines}, {speak_cents(order.total_cents)}. Approve it?")


def last_order(order: Order, delivery: DeliveryState | None) -> str:
    return (f"Your last order, number {order.id}, for {speak_cents(order.total_cents)}, "
            f"{_status(order, delivery)}.")


def _status(order: Order, delivery: DeliveryState | None) -> str:
    """What is really known about the order: the shop's last report, or how far the outbox
    got with it; never "on its way" on a guess."""
    if order.status is OrderStatus.PLACED:
        return {DeliveryState.QUEUED: "is placed, and it hasn't reached the shop yet",
                DeliveryState.SENT: "is placed and the shop has it, but it hasn't "
                                    "accepted it yet",
                DeliveryState.FAILED: "is placed, but the shop did not take it; please "
                                      "check the household page",
                None: "is placed"}[delivery]
    return {OrderStatus.PENDING_APPROVAL: "is waiting for an adult to approve it",
            OrderStatus.ACCEPTED: "has been accepted by the shop",
            OrderStatus.OUT_FOR_DELIVERY: "is out for delivery",
            OrderStatus.CANCELLED: "is cancelled",
            OrderStatus.DELIVERED: "has been delivered"}[order.status]


def cancel_question(order: Order) -> str:
    return (f"Cancel order number {order.id} for {speak_cents(order.total_cents)}? "
            "Say yes to cancel it.")


def order_cancelled(order_id: int) -> str:
    return f"Order number {order_id} is cancelled."


def approved(order_id: int) -> str:
    return f"Approved. Order number {order_id} is placed."


def could_not_approve(message: str) -> str:
    return f"Sorry, I couldn't approve it: {message}."


def what_to_list(list_name: str) -> str:
    return f"What should I put on your {list_name} list?"


def listed(names: Sequence[str], list_name: str) -> str:
    return f"Added {join(names)} to your {list_name} list."


def unlisted(label: str, list_name: str) -> str:
    return f"Took {label} off your {list_name} list."


def not_listed(query: str, list_name: str) -> str:
    return f"{query.capitalize()} {_is_are(query)} not on your {list_name} list."


def list_empty(list_name: str) -> str:
    return f"Your {list_name} list is empty."


def list_cleared(list_name: str) -> str:
    return f"Cleared your {list_name} list."


def list_reading(list_name: str, labels: Sequence[str]) -> str:
    return f"Your {list_name} list has {join(labels)}."


def thanks_for_rating(stars: int) -> str:
    return f"Thanks for the {quantity_words(stars)}-star rating!"


def readback(lines: str, total_cents: int, prompt: str) -> str:
    return f"Your order is {lines}. The total is {speak_cents(total_cents)}. {prompt}"


def over_limit(total_cents: int, limit_cents: int) -> str:
    return f"That's {speak_cents(total_cents)}, over your limit of {speak_cents(limit_cents)}."


def could_not_place(message: str) -> str:
    return f"Sorry, I couldn't place the order: {message}."


def placed(order: Order) -> str:
    total = speak_cents(order.total_cents)
    if order.status is OrderStatus.PENDING_APPROVAL:
        return (f"I've saved order number {order.id} for {total}. "
                "It will be placed when an adult approves it.")
    thanks = f"Thank you, {order.placed_by}!" if order.placed_by else "Thank you!"
    return f"Your order is placed. Order number {order.id}, {total}. {thanks}"


def welcome_back(speaker: str, count: int) -> str:
    return (f"Welcome back, {speaker}. You still have {quantity_words(count)} "
            f"item{'s' if count != 1 else ''} waiting in your cart. ")


def small_talk(social: str | None) -> str | None:
    """A short friendly answer to a greeting or thanks said alone, else None."""
    return {"greeting": "Hello! What can I get you?", "thanks": "You're welcome."}.get(
        social or "")
