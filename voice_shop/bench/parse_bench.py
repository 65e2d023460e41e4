"""Parse latency on the demo catalog and on a generated 50,000-product catalog."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..intent.parser import IntentParser
from ..shop.demo import load_demo
from ..shop.engine import Shop
from .catalog_gen import generate_catalog

TEMPLATES = ("add two {a}", "could you add a {a} and three {b}", "remove the {a}",
             "how much is the {a}", "i'd like half a dozen {a} please", "change the {a} to four",
             "do you have {a}", "add a couple of {a} and a {b} to my cart")


@dataclass(frozen=True)
class ParseFigures:
    catalog: str
    products: int
    utterances: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    index_build_s: float
    import_s: float | None
    first_item_correct: float
    """Share of utterances whose first product is the one the sentence was built from."""

    def lines(self) -> list[str]:
        imported = f", import {self.import_s:.2f} s" if self.import_s is not None else ""
        return [f"parse [{self.catalog}] {self.products} products, {self.utterances} utterances: "
                f"p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, max {self.max_ms:.2f} ms; "
                f"index build {self.index_build_s:.2f} s{imported}; first product right "
                f"{100 * self.first_item_correct:.1f}%"]


def _utterances(names: Sequence[tuple[str, str]], count: int, seed: int = 5,
                ) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        (sku_a, a), (_, b) = rng.sample(list(names), 2)
        result.append((rng.choice(TEMPLATES).format(a=a.lower(), b=b.lower()), sku_a))
    return result


def _measure(parser: IntentParser, utterances: Sequence[tuple[str, str]],
             ) -> tuple[list[float], float]:
    for text, _ in utterances[:20]:
        parser.parse(text)  # warm caches the way a running device has them warm
    times, right = [], 0
    for text, sku in utterances:
        started = time.perf_counter()
        intent = parser.parse(text)
        times.append((time.perf_counter() - started) * 1000)
        right += bool(intent.items) and intent.items[0].sku == sku
    return times, right / len(utterances)


def _figures(catalog: str, shop: Shop, count: int, import_s: float | None) -> ParseFigures:
    products = shop.products()
    started = time.perf_counter()
    parser = IntentParser(products)
    build_s = time.perf_counter() - started
    utterances = _utterances([(p.sku, p.name) for p in products], count)
    times, correct = _measure(parser, utterances)
    quantiles = statistics.quantiles(times, n=100)
    return ParseFigures(catalog, len(products), len(times), statistics.median(times),
                        quantiles[98], max(times), build_s, import_s, correct)


def run(large_count: int = 50_000, utterances: int = 2000) -> list[ParseFigures]:
    with tempfile.TemporaryDirectory() as tmp:
        demo = Shop.open(Path(tmp) / "demo.db", create=True)
        load_demo(demo)
        figures = [_figures("demo", demo, utterances, None)]
        csv_path = Path(tmp) / "large.csv"
        generate_catalog(csv_path, large_count)
        large = Shop.open(Path(tmp) / "large.db", create=True)
        report = large.import_catalog(csv_path)
        figures.append(_figures(f"generated {large_count}", large, utterances, report.seconds))
    return figures
