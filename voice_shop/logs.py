"""Logging for the long-running commands (``serve``, ``listen`` as a service).

Under systemd (``JOURNAL_STREAM`` set) lines carry no timestamp, since journald stamps each
one itself; elsewhere they do. Nothing that is logged may hold a purchase PIN: the callers
mask a secret utterance (``intent/secret.py``) before it reaches a log call.
"""

from __future__ import annotations

import logging
import sys

LEVELS = ("debug", "info", "warning", "error")
JOURNAL_FORMAT = "%(levelname)s %(name)s: %(message)s"
TERMINAL_FORMAT = "%(asctime)s " + JOURNAL_FORMAT


def setup_logging(level: str, is_journal: bool) -> None:
    """Send the project's log records to stderr at ``level`` (one of ``LEVELS``)."""
    name = level.strip().lower()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r}: choose one of {', '.join(LEVELS)}")
    logging.basicConfig(level=name.upper(), stream=sys.stderr, force=True,
                        format=JOURNAL_FORMAT if is_journal else TERMINAL_FORMAT)
