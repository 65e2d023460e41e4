"""A large synthetic catalog (brands x descriptors x products) for speed measurements."""

from __future__ import annotations

import csv
import random
from pathlib import Path

BASES = (
    "bread bagels muffins crackers cookies chips pretzels cereal granola oats rice pasta "
    "noodles beans lentils soup broth sauce salsa ketchup mustard mayonnaise vinegar oil "
    "butter cheese yogurt milk cream eggs juice soda water tea coffee cocoa chocolate candy "
    "gum jam honey syrup flour sugar salt pepper spices nuts almonds cashews peanuts "
    "raisins apples bananas oranges grapes berries lettuce spinach carrots potatoes onions "
    "tomatoes peppers chicken beef pork turkey salmon tuna shrimp sausage bacon ham pizza "
    "fries ice cream popsicles detergent soap shampoo conditioner toothpaste tissues towels "
    "napkins batteries bulbs diapers wipes formula dog food cat food litter treats"
).split()
DESCRIPTORS = (
    "organic classic original spicy sweet smoked roasted salted unsalted light whole low "
    "fat fat free sugar free gluten free vegan family size mini jumbo crunchy creamy honey "
    "garlic lemon vanilla strawberry blueberry chocolate caramel cinnamon maple barbecue "
    "ranch cheddar italian mexican greek thai country farmhouse premium"
).split()
BRANDS = [f"{a}{b}" for a in ("Sun", "Green", "Blue", "Happy", "Golden", "Red", "Silver",
                               "North", "Prairie", "River", "Maple", "Ocean", "Harvest", "Urban",
                               "Stone", "Bright", "Little", "Grand", "Wild", "Pure")
          for b in ("field", "valley", "farms", "kitchen", "choice", "acres", "crest", "market",
                    "brook", "table", "mill", "ridge")]


def generate_catalog(path: Path, count: int, seed: int = 13) -> list[str]:
    """Write ``count`` distinct products to ``path`` and return their names."""
    rng = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sku", "name", "category", "unit", "price", "aliases", "tags", "stock"])
        while len(names) < count:
            name = f"{rng.choice(BRANDS)} {rng.choice(DESCRIPTORS)} {rng.choice(BASES)}"
            if name in seen:
                continue
            seen.add(name)
            price = f"{rng.randint(49, 2999) / 100:.2f}"
            writer.writerow([f"G{len(names):06d}", name.title(), rng.choice(BASES), "each", price,
                             "", rng.choice(["", "vegan", "organic"]), rng.randint(0, 200)])
            names.append(name)
    return names
