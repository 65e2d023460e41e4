"""The demo catalog and promotions that ship as data files with the package."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from .engine import Shop
from .models import DailyHours, ImportReport


def demo_file(name: str) -> Path:
    return Path(str(resources.files("voice_shop") / "data" / name))


def load_demo(shop: Shop) -> ImportReport:
    """Import the demo catalog, and its promotions unless promotions already exist."""
    report = shop.import_catalog(demo_file("demo_catalog.csv"))
    if not shop.active_promotions():
        with demo_file("demo_promotions.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                hours = (row.get("hours") or "").strip()
                shop.add_promotion(row["sku"], int(row["percent_off"]), row["description"],
                                   hours=DailyHours.from_text(hours) if hours else None)
    return report
