"""Offline quality of recommendations on a simulated multi-person household.

Three people shop weekly for 16 weeks from the demo catalog: each has staples bought on a
rhythm (every week, every two or three weeks), pairs bought together (spaghetti with marinara
sauce) and random extras. The first 15 weeks are history; for week 16 each person asks for
recommendations with an empty cart and, separately, after putting the first item of their
real basket in the cart. A hit is a recommended product that is in that person's real basket.
The baseline recommends the household's most bought products.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..shop.demo import load_demo
from ..shop.engine import Shop
from ..shop.recommend import recommend

WEEK_S = 7 * 86_400.0
WEEKS = 16
TOP_K = 3


def _people(rng: random.Random, skus: list[str]) -> dict[str, dict[str, int]]:
    """name -> {sku: every how many weeks}."""
    people = {}
    for name in ("alex", "sam", "kim"):
        staples = rng.sample(skus, 8)
        people[name] = {sku: rng.choice((1, 1, 2, 3)) for sku in staples}
    return people


PAIRS = {"Y101": "Y109", "Y102": "Y110", "B108": "D117", "S103": "S104", "M104": "B113"}


def _basket(rng: random.Random, rhythm: dict[str, int], week: int, skus: list[str]) -> list[str]:
    basket = [sku for sku, every in rhythm.items() if week % every == 0 and rng.random() < 0.85]
    basket += rng.sample(skus, 2)
    basket += [PAIRS[s] for s in list(basket) if s in PAIRS and rng.random() < 0.8]
    return list(dict.fromkeys(basket))


def _score(recommended: list[str], actual: set[str]) -> tuple[int, int]:
    hits = len(set(recommended[:TOP_K]) & actual)
    return int(hits > 0), hits


def run(seeds: tuple[int, ...] = (3, 4, 5), first_eval_week: int = 6) -> Iterator[str]:
    """Rolling evaluation: each week from ``first_eval_week`` on, every person's real basket
    is compared with what was recommended from the history before that week."""
    totals = Counter[str]()
    for seed in seeds:
        totals.update(_simulate(seed, first_eval_week))
    trials = totals["trials"]
    yield (f"recommend (simulated 3-person household, {WEEKS} weeks, {trials} next baskets, "
           f"top {TOP_K}): hit rate {100 * totals['hit'] / trials:.0f}% "
           f"(precision {100 * totals['hits'] / (TOP_K * trials):.0f}%) vs most-bought "
           f"baseline {100 * totals['base_hit'] / trials:.0f}% "
           f"({100 * totals['base_hits'] / (TOP_K * trials):.0f}%)")


def _simulate(seed: int, first_eval_week: int) -> Counter[str]:
    rng = random.Random(seed)
    counts = Counter[str]()
    with tempfile.TemporaryDirectory() as tmp:
        shop = Shop.open(Path(tmp) / "r.db", create=True)
        load_demo(shop)
        shop.conn.execute("UPDATE products SET stock = NULL")  # the simulation never runs out
        shop.conn.execute("DELETE FROM promotions")  # measure history, not deals
        skus = [p.sku for p in shop.products() if not p.options]
        people = _people(rng, skus)
        start = 1_700_000_000.0
        for week in range(WEEKS):
            now = start + week * WEEK_S
            popular = [s for s, _ in Counter(
                s for _, basket in shop.purchase_history() for s in basket).most_common()]
            for offset, (name, rhythm) in enumerate(people.items()):
                basket = _basket(rng, rhythm, week, skus)
                if week >= first_eval_week:
                    ours = [r.product.sku for r in recommend(shop, name, TOP_K, now)]
                    hit, hits = _score(ours, set(basket))
                    base_hit, base_hits = _score(popular, set(basket))
                    counts.update({"trials": 1, "hit": hit, "hits": hits,
                                   "base_hit": base_hit, "base_hits": base_hits})
                for sku in basket:
                    shop.add_to_cart(sku, 1, None, name)
                shop.checkout(name, placed_at=now + 600 * offset)
        shop.close()
    return counts
