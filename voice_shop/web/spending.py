"""What the household spent per week: the page's one chart (HTML ``<meter>`` bars)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..shop.models import OrderStatus

WEEKS_SHOWN = 8
COUNTED = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.OUT_FOR_DELIVERY,
           OrderStatus.DELIVERED)
"""Orders that cost money: not cancelled, not waiting for an adult's approval."""


@dataclass(frozen=True)
class WeekSpend:
    starts: date
    """The Monday the week starts on, in the household's time zone."""
    total_cents: int

    @property
    def label(self) -> str:
        return f"{self.starts.day} {self.starts:%b}"


def weekly_spending(conn: sqlite3.Connection, today: date,
                    weeks: int = WEEKS_SHOWN) -> list[WeekSpend]:
    """The totals of the orders placed in each of the last ``weeks`` weeks, oldest first
    (this week included)."""
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    since_s = datetime.combine(first, datetime.min.time()).astimezone().timestamp()
    totals = [0] * weeks
    rows = conn.execute(
        f"SELECT created_at, total_cents FROM orders WHERE created_at >= ? AND status IN "
        f"({', '.join('?' * len(COUNTED))})", (since_s, *map(str, COUNTED)))
    for created_at, total_cents in rows:
        week = (datetime.fromtimestamp(created_at).astimezone().date() - first).days // 7
        if 0 <= week < weeks:
            totals[week] += total_cents
    return [WeekSpend(first + timedelta(weeks=n), cents) for n, cents in enumerate(totals)]
