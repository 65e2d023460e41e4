"""Recommendations from purchase history, baskets bought together and promotions.

Each suggestion says why it is made. Scores add up three signals:
- *time to buy again*: the shopper's own repeat purchases, strongest when the usual interval
  since the last purchase has passed (and weaker, but present, by plain frequency);
- *bought together*: how often the household bought it in the same order as what is in the
  cart now (lift over its base rate);
- *on sale*: active promotions, a small boost and a fallback when there is no history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from ..replies import is_plural_name
from .engine import Recommendation, Shop
from .models import Product

DAY_S = 86_400.0


def _repeat_scores(history: Sequence[tuple[float, list[str]]], now: float,
                   ) -> dict[str, tuple[float, str]]:
    times: dict[str, list[float]] = defaultdict(list)
    for created, skus in history:
        for sku in set(skus):
            times[sku].append(created)
    scores: dict[str, tuple[float, str]] = {}
    for sku, seen in times.items():
        count = len(seen)
        frequency = count / max(len(history), 1)
        if count >= 2:
            interval = (seen[-1] - seen[0]) / (count - 1)
            due = (now - seen[-1]) / interval if interval > 0 else 1.0
            every = _spoken_interval(interval)
            scores[sku] = (1.0 + frequency + min(due, 2.0), f"you usually buy {{it}} {every}")
        else:
            scores[sku] = (0.5 * frequency, "you bought {it} before")
    return scores


def _spoken_interval(seconds: float) -> str:
    days = seconds / DAY_S
    if days < 1.5:
        return "every day"
    if days < 10:
        return "every week" if days >= 5 else f"every {round(days)} days"
    if days < 21:
        return "every two weeks"
    return "every month" if days < 45 else "now and then"


def _together_scores(history: Sequence[tuple[float, list[str]]], cart_skus: set[str],
                     names: dict[str, str]) -> dict[str, tuple[float, str]]:
    if not cart_skus or not history:
        return {}
    base = Counter[str]()
    joint: dict[str, Counter[str]] = defaultdict(Counter)
    for _, skus in history:
        basket = set(skus)
        base.update(basket)
        for anchor in basket & cart_skus:
            joint[anchor].update(basket - {anchor})
    scores: dict[str, tuple[float, str]] = {}
    total = len(history)
    for anchor, counts in joint.items():
        for sku, together in counts.items():
            lift = (together / base[anchor]) / (base[sku] / total)
            score = min(together / base[anchor], 1.0) * min(lift, 3.0) / 3.0 + 0.2
            if together >= 1 and score > scores.get(sku, (0.0, ""))[0]:
                scores[sku] = (score, "{it_is} often bought with " + names.get(anchor, anchor))
    return scores


def recommend(shop: Shop, speaker: str | None = None, limit: int = 3,
              now: float | None = None) -> list[Recommendation]:
    """Up to ``limit`` in-stock products not already in the cart, best first. Only the
    products that have a score are read, so the cost follows the history, not the catalog."""
    now = now or shop.clock()
    cart = shop.cart()
    cart_skus = {line.sku for line in cart.lines}
    own = shop.purchase_history(speaker) if speaker else shop.purchase_history()
    household = shop.purchase_history()
    names = {line.sku: line.name.lower() for line in cart.lines}
    signals = [_repeat_scores(own, now), _together_scores(household, cart_skus, names),
               {p.sku: (0.3 + p.percent_off / 100, f"{{it_is}} {p.percent_off} percent off")
                for p in shop.active_promotions()}]
    combined: dict[str, tuple[float, str]] = {}
    for signal in signals:
        for sku, (score, reason) in signal.items():
            old_score, old_reason = combined.get(sku, (0.0, ""))
            combined[sku] = (old_score + score, old_reason if old_score >= score else reason)
    ranked = sorted(combined.items(), key=lambda kv: (-round(kv[1][0], 9), kv[0]))
    result: list[Recommendation] = []
    for sku, (score, reason) in ranked:
        if sku in cart_skus:
            continue
        product: Product | None = shop.find_product(sku)
        if product is None or not product.is_in_stock:
            continue
        plural = is_plural_name(product.name)  # "bananas: you usually buy them every day"
        said = reason.replace("{it_is}", "they are" if plural else "it is").replace(
            "{it}", "them" if plural else "it")
        result.append(Recommendation(product, said, score))
        if len(result) == limit:
            break
    return result
