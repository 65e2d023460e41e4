"""Shared fixtures: the demo catalog, a parser over it, and fresh shop databases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from voice_shop.dialog import Dialog
from voice_shop.intent.parser import IntentParser
from voice_shop.shop.catalog_csv import read_catalog_csv
from voice_shop.shop.demo import demo_file, load_demo
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import Product

from .speech import SpeechMaker

DEMO_CSV = demo_file("demo_catalog.csv")

# Property tests: a fixed example budget, derandomized so every CI run tries the same inputs.
# HYPOTHESIS_PROFILE=explore runs many more, randomly, to hunt for new failures locally.
settings.register_profile("ci", max_examples=200, derandomize=True, database=None,
                          deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def demo_products() -> list[Product]:
    return read_catalog_csv(DEMO_CSV)


@pytest.fixture(scope="session")
def parser(demo_products: list[Product]) -> IntentParser:
    return IntentParser(demo_products)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    shop = Shop.open(tmp_path / "shop.db", create=True)
    load_demo(shop)
    yield shop
    shop.close()


@pytest.fixture
def dialog(shop: Shop, parser: IntentParser) -> Dialog:
    return Dialog(shop, parser)


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> SpeechMaker:
    return SpeechMaker(tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database whose compiled speech models are shared by the speech tests."""
    path = tmp_path_factory.mktemp("voice") / "demo.db"
    shop = Shop.open(path, create=True)
    load_demo(shop)
    shop.close()
    return path
