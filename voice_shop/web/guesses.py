"""Wrong PINs and passwords, counted in the database before each guess is checked.

Counting first, in one write transaction, is what makes the limit hold: a hundred guesses
sent at once each take a try from the same row, so only the allowed number is ever checked;
and the rows outlive a restart of ``serve``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..shop.db import transaction


@dataclass(frozen=True)
class GuessLimit:
    """How many guesses one key may take before it is locked."""

    tries: int
    window_s: float
    """The count starts at the first wrong guess; after this long it starts over."""


PIN_LIMIT = GuessLimit(tries=5, window_s=300.0)
"""Per adult: a 4-digit PIN would otherwise fall to a script in minutes."""
PASSWORD_PER_CLIENT = GuessLimit(tries=10, window_s=900.0)
PASSWORD_OVERALL = GuessLimit(tries=50, window_s=900.0)
"""All clients together, so many addresses do not multiply the guesses."""


def take_guess(conn: sqlite3.Connection, key: str, limit: GuessLimit, now: float) -> bool:
    """Count one guess for ``key`` before it is checked; False (nothing counted) when the
    key has used up its tries in this window."""
    with transaction(conn):
        row = conn.execute("SELECT failures, since FROM guesses WHERE key = ?",
                           (key,)).fetchone()
        failures, since = (row["failures"], row["since"]) if row else (0, now)
        if now - since >= limit.window_s:
            failures, since = 0, now
        if failures >= limit.tries:
            return False
        conn.execute("INSERT INTO guesses (key, failures, since) VALUES (?, ?, ?) "
                     "ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, "
                     "since = excluded.since", (key, failures + 1, since))
    return True


def forgive(conn: sqlite3.Connection, key: str) -> None:
    """The guess was right: the key's count starts again."""
    conn.execute("DELETE FROM guesses WHERE key = ?", (key,))
