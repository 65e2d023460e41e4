"""Full parses (intent, sku, quantity, unit, options) of utterances as shoppers say them.

Each row: utterance | intent | items, where items are ``sku qty unit group=value,...`` joined
by ``;`` (``-`` for "not said"). Written from how people talk, not from the parser's patterns.
"""

from __future__ import annotations

import pytest

from voice_shop.intent.parser import IntentParser

TABLE = """
add two bananas and a large oat milk latte | add_item | P101 2 - ; C2101 1 - size=large,milk=oat milk
hey shop add two bags of rice and a box of spaghetti | add_item | Y104 2 bag ; Y101 1 box
could you please add a couple of avocados | add_item | P112 2 -
um I'd like half a dozen eggs | add_item | D109 6 each
add a large latte with oat milk and an extra shot | add_item | C2101 1 - size=large,milk=oat milk,shots=extra shot
put 3 cans of black beans in my cart | add_item | Y123 3 can
I need a gallon of whole milk and two loaves of sourdough | add_item | D101 1 gallon ; B101 2 loaf
add some OJ and TP | add_item | V101 - - ; H102 - -
add two percent milk | add_item | D102 - -
add mac and cheese and half and half | add_item | Y103 - - ; D107 - -
get me a seven up | add_item | V108 1 -
add three pounds of ground beef | add_item | M104 3 pound
i'd like a small mocha with whole milk and caramel syrup | add_item | C2106 1 - size=small,milk=whole milk,sweetener=caramel syrup
add salt and vinegar chips | add_item | S102 - -
add a dozen eggs and a pound of butter | add_item | D109 1 dozen ; D111 1 pound
add two dozen eggs and half a dozen bagels | add_item | D109 2 dozen ; B108 6 -
a twelve ounce cappuccino with almond milk | add_item | C2102 1 - size=twelve ounce,milk=almond milk
two bananas and a latte | add_item | P101 2 - ; C2101 1 -
can I get four greek yogurts | add_item | D120 4 -
throw in a bag of baby spinach | add_item | P113 1 bag
I want 2 pints of strawberries and a pint of blueberries | add_item | P108 2 pint ; P109 1 pint
please add twenty four cans of tuna | add_item | Y128 24 can
add ten limes | add_item | P107 10 -
uh add a jar of peanut butter | add_item | Y118 1 jar
add peanut butter and strawberry jam | add_item | Y118 - - ; Y119 - -
add two boxes of corn flakes | add_item | K101 2 box
add a box of cheerios | add_item | K102 1 box
add maple syrup | add_item | K107 - -
we need paper towels and toilet paper | add_item | H101 - - ; H102 - -
add three rolls of aluminum foil | add_item | H109 3 roll
add a pack of double a batteries | add_item | H116 1 pack
add triple a batteries | add_item | H117 - -
add dish soap | add_item | H104 - -
add kitty litter | add_item | T107 - -
add a bag of dry dog food | add_item | T101 1 bag
add a couple cans of wet cat food | add_item | T105 2 can
add baby wipes and diapers size four | add_item | A103 - - ; A102 - -
add a tube of toothpaste and a toothbrush | add_item | C101 1 tube ; C102 1 -
add shampoo and conditioner | add_item | C105 - - ; C106 - -
add frozen peas | add_item | F103 - -
add a tub of vanilla ice cream | add_item | F107 1 tub
add two frozen pepperoni pizzas | add_item | F101 2 -
add a bag of french fries | add_item | F111 1 bag
add tortilla chips and salsa | add_item | S103 - - ; S104 - -
add hummus | add_item | S105 - -
add a box of protein bars | add_item | S121 1 box
add a bottle of red wine | add_item | V122 1 bottle
add a six pack of ginger ale | add_item | V109 1 six pack
add two bottles of sparkling water | add_item | V104 2 bottle
add a bag of ground coffee | add_item | V113 1 bag
add a box of green tea | add_item | V116 1 box
add a pound of chicken breast | add_item | M101 1 pound
add two pounds of salmon | add_item | M115 2 pound
add a pack of bacon | add_item | M108 1 pack
add a whole chicken | add_item | M103 1 -
add pork chops | add_item | M107 - -
add a sourdough loaf | add_item | B101 1 -
add a baguette | add_item | B107 1 -
add a pack of bagels | add_item | B108 1 pack
add six croissants | add_item | B110 6 -
add hamburger buns and hot dogs | add_item | B113 - - ; M114 - -
add a couple of lemons and a lime | add_item | P106 2 - ; P107 1 -
add garlic, onions and carrots | add_item | P124 - - ; P122 - - ; P116 - -
add 2 heads of broccoli | add_item | P117 2 head
add a head of romaine lettuce | add_item | P114 1 head
add a watermelon | add_item | P135 1 -
add three mangoes | add_item | P137 3 -
add a pair of avocados and a pair of lemons | add_item | P112 2 - ; P106 2 -
add cherry tomatoes | add_item | P120 - -
add a bag of russet potatoes | add_item | P125 1 bag
add one sweet potato | add_item | P126 1 -
add some honeycrisp apples | add_item | P104 - -
add granny smith apples | add_item | P103 - -
add cheddar | add_item | D113 - -
add a tub of greek yogurt | add_item | D120 1 tub
add a carton of almond milk | add_item | D105 1 carton
add heavy cream | add_item | D108 - -
add unsalted butter | add_item | D112 - -
add sour cream and cream cheese | add_item | D118 - - ; D117 - -
add a medium cappuccino | add_item | C2102 1 - size=medium
add a small americano | add_item | C2104 1 - size=small
add an espresso with an extra shot | add_item | C2105 1 - shots=extra shot
add a large cold brew with light ice | add_item | C2109 1 - size=large,ice=light ice
add two medium chai lattes with oat milk | add_item | C2111 2 - size=medium,milk=oat milk
add a hot chocolate with almond milk | add_item | C2113 1 - milk=almond milk
add a large iced latte with soy milk and vanilla syrup | add_item | C2110 1 - size=large,milk=soy milk,sweetener=vanilla syrup
add a flat white with a splash of oat milk | add_item | C2103 1 - milk=a splash of oat milk
add a decaf latte | add_item | C2101 1 - shots=decaf
add a blueberry scone | add_item | C2119 1 -
add a breakfast sandwich | add_item | C2120 1 -
I'll have a large matcha latte with no sugar | add_item | C2112 1 - size=large,sweetener=no sugar
can I have a drip coffee | add_item | C2108 1 -
let me get a banana bread | add_item | C2121 1 -
I'd also like a couple of fruit smoothies | add_item | C2116 2 -
add another latte | add_item | C2101 1 -
add one more bag of rice | add_item | Y104 1 bag
grab some gummy bears | add_item | S114 - -
grab me two bananas | add_item | P101 2 -
order us three limes | add_item | P107 3 -
add a hundred limes | add_item | P107 100 -
add a hundred and fifty limes and a banana | add_item | P107 150 - ; P101 1 -
pick up some trail mix | add_item | S111 - -
order five cans of chickpeas | add_item | Y124 5 can
buy a jar of honey | add_item | Y120 1 jar
add two cartons of chicken broth | add_item | Y121 2 carton
add quinoa and brown rice | add_item | Y108 - - ; Y105 - -
add penne pasta and marinara sauce | add_item | Y102 - - ; Y109 - -
add olive oil | add_item | Y111 - -
add a bottle of ketchup and a bottle of mustard | add_item | Y131 1 bottle ; Y132 1 bottle
add mayo | add_item | Y133 - -
add soy sauce | add_item | Y134 - -
add ramen | add_item | Y136 - -
add flour and sugar | add_item | Y113 - - ; Y114 - -
add baking soda | add_item | Y137 - -
add a box of pop tarts | add_item | K114 1 box
add granola bars | add_item | K112 - -
add nutella | add_item | K115 - -
add orange juice with pulp | add_item | V101 - -
add coke and diet coke | add_item | V106 - - ; V107 - -
add a case of bottled water | add_item | V105 1 case
add a bag of frozen dumplings | add_item | F119 1 bag
add fish fingers | add_item | F112 - -
add chicken nuggets | add_item | F110 - -
add some popsicles | add_item | F117 - -
add a pack of pacifiers | add_item | A114 1 pack
add baby formula | add_item | A104 - -
add dog treats | add_item | T103 - -
add cat treats and catnip | add_item | T106 - - ; T110 - -
add bird seed | add_item | T111 - -
add band aids | add_item | C116 - -
add q tips | add_item | C115 - -
add sunscreen and lip balm and a box of band aids | add_item | C113 - - ; C114 - - ; C116 1 box
add a unicorn | add_item | None 1 -
remove the bananas | remove_item | P101 - -
take two apples out of my cart | remove_item | P102 2 -
take the oat milk out | remove_item | D104 - -
i don't want the bananas anymore | remove_item | P101 - -
I don't want the chocolate cake anymore | remove_item | B121 - -
delete the paper towels | remove_item | H101 - -
get rid of one latte | remove_item | C2101 1 -
no more chips please | remove_item | S101 - -
remove a bag of rice | remove_item | Y104 1 bag
change the bananas to three | set_quantity | P101 3 -
make it five | set_quantity |
I only want two avocados | set_quantity | P112 2 -
set the eggs to two | set_quantity | D109 2 -
make the bananas five | set_quantity | P101 5 -
make the large latte three | set_quantity | C2101 3 - size=large
update the milk quantity to two | set_quantity | D104 2 -
change the lattes to four | set_quantity | C2101 4 -
what's in my cart | view_cart |
read me my order | view_cart |
read back the order | view_cart |
what do I have in my basket | view_cart |
read me my cart | view_cart |
what's my total | view_cart |
clear my cart | clear_cart |
empty the basket please | clear_cart |
start over | clear_cart |
check out | checkout |
I'm ready to check out | checkout |
place my order | checkout |
place the order | checkout |
place it | checkout |
yes, place the order | confirm |
that's everything, place the order | checkout |
yes | confirm |
yes please | confirm |
yeah go ahead | confirm |
that's right | confirm |
sure | confirm |
no | deny |
no thanks | deny |
nope | deny |
not now | deny |
cancel | cancel |
never mind | cancel |
forget it | cancel |
cancel my order | cancel |
undo | undo |
undo that | undo |
scratch that | undo |
say that again | repeat |
repeat that please | repeat |
what did you say | repeat |
help | help |
what can you do | help |
how much are the strawberries | price_query | P108 - -
how much is a large latte | price_query | C2101 1 - size=large
what's the price of olive oil | price_query | Y111 - -
how much do six bananas cost | price_query | P101 6 -
tell me about the sourdough bread | product_info | B101 - -
what's in the trail mix | product_info | S111 - -
is the hummus vegan | product_info | S105 - -
do you have gluten free bread | search | B104 - -
do you sell kombucha | search | V125 - -
do you carry dog shampoo | search | T118 - -
do you have unicorn meat | search | None - -
any deals today | deals |
what's on sale | deals |
are there any discounts on oat milk | deals | D104 - -
what do you recommend | recommend |
any suggestions | recommend |
what goes well with spaghetti | recommend | Y101 - -
my usual please | reorder |
same as last time | reorder |
reorder my last order | reorder |
where is my order | order_status |
has my order shipped | order_status |
when will my delivery arrive | order_status |
where's my stuff | order_status |
show me everything on my wish list | view_list |
read all the items on my list | view_list |
remove everything from my shopping list | remove_item |
clear my wish list | remove_item |
take the paper towels off my shopping list | remove_item | H101 - -
cross eggs off the shopping list | remove_item | D109 - -
add everything from my shopping list | add_item |
um no wait | deny |
ok, I changed my mind | deny |
hey, not yet, thanks a lot | deny |
yes, add everything from my wish list | add_item |
hey clear my wish list | remove_item |
never mind some bananas | remove_item | P101 - -
put the bananas back | remove_item | P101 - -
ok make them five | set_quantity |
no, wait | deny |
actually I changed my mind | deny |
hold on a second | deny |
add paper towels to my shopping list | add_to_list | H101 - -
put eggs on the shopping list | add_to_list | D109 - -
save the red wine for later | add_to_list | V122 - -
add a toothbrush to my wish list | add_to_list | C102 1 -
what's on my shopping list | view_list |
read my wish list | view_list |
five stars, great service | feedback |
I'd rate it four stars | feedback |
the delivery was late | feedback |
what's the weather like | unknown |
play some music | unknown |
turn on the lights | unknown |
tell me a joke | unknown |
set an alarm for seven | unknown |
"""


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in TABLE.strip().splitlines():
        text, intent, items = (part.strip() for part in line.split("|"))
        rows.append((text, intent, items))
    return rows


def _expected_items(spec: str) -> list[dict[str, object]]:
    items = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        fields = part.split(" ", 3)
        sku, qty, unit_and_rest = fields[0], fields[1], fields[2:]
        unit, options = "-", ""
        rest = " ".join(unit_and_rest)
        if rest.startswith("six pack"):
            unit, options = "six pack", rest[len("six pack"):].strip()
        elif rest:
            unit, _, options = rest.partition(" ")
        items.append({
            "sku": None if sku == "None" else sku,
            "quantity": None if qty == "-" else int(qty),
            "unit": None if unit == "-" else unit,
            "options": dict(o.split("=", 1) for o in options.split(",") if o),
        })
    return items


ROWS = _rows()


def test_table_is_broad() -> None:
    assert len(ROWS) >= 150
    assert sum(1 for _, _, items in ROWS if items.count(";") >= 1) >= 25


@pytest.mark.parametrize(("text", "intent", "items"), ROWS, ids=[r[0] for r in ROWS])
def test_full_parse(parser: IntentParser, text: str, intent: str, items: str) -> None:
    parsed = parser.parse(text).to_dict()
    got = [{k: i[k] for k in ("sku", "quantity", "unit", "options")} for i in parsed["items"]]
    assert (parsed["intent"], got) == (intent, _expected_items(items))
