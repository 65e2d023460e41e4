"""A second process that decodes the open pass and the phone loop while this one runs the
grammar pass over the same audio.

PocketSphinx holds the GIL while it decodes (two threads decoding took longer than one after
the other), so only a process uses the second core. Each decode starts from a clean feature
state in either process, so the answers are the same as decoding here; only the wall clock
differs. Any failure of the helper falls back to decoding here, with one warning.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import weakref
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pocketsphinx_engine import Span

log = logging.getLogger(__name__)

HelperResult = tuple[str, list["Span"]]
"""The open pass's words (cleaned of fillers), and the phone loop's spans."""

RESULT_TIMEOUT_S = 60.0


class OpenPassHelper:
    """One helper process; one job at a time (the caller decodes here when it is busy)."""

    def __init__(self, config: dict[str, str], open_search: str, phone_search: str) -> None:
        context = multiprocessing.get_context("spawn")  # no forked copy of ONNX threads
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, config, open_search, phone_search), daemon=True,
            name="voice-shop-open-pass")
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._next_ticket = 0
        self._pending: int | None = None
        self._is_ready = False
        self.is_alive = True
        self._finalizer = weakref.finalize(self, _stop, self._conn, self._process)

    def submit(self, pcm: bytes) -> int | None:
        """Start decoding ``pcm``; a ticket for :meth:`result`, or None when the helper is
        busy or gone (then the caller decodes here)."""
        with self._lock:
            if not self.is_alive or not self._is_started():
                return None
            if self._pending is not None:
                return None
            try:
                self._conn.send_bytes(pcm)
            except (OSError, ValueError) as exc:
                self._fail(f"cannot send audio: {exc}")
                return None
            self._next_ticket += 1
            self._pending = self._next_ticket
            return self._pending

    def result(self, ticket: int) -> HelperResult | None:
        """The decode of a submitted job; None when it failed (decode here instead)."""
        with self._lock:
            if ticket != self._pending:
                return None
            self._pending = None
            try:
                if not self._conn.poll(RESULT_TIMEOUT_S):
                    self._fail("no answer in time")
                    return None
                answer = self._conn.recv()
            except (EOFError, OSError) as exc:
                self._fail(f"it stopped: {exc}")
                return None
            if isinstance(answer, str):
                log.warning("the open-pass helper could not decode: %s", answer)
                return None
            text, spans = answer
            return text, spans

    def drop(self, ticket: int) -> None:
        """Forget a job nobody will ask for (the utterance went on after the pause)."""
        result = self.result(ticket)
        del result

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def wait_started(self, timeout_s: float) -> bool:
        """Wait until the helper has loaded its decoder (or failed to)."""
        with self._lock:
            if self.is_alive and not self._is_ready:
                self._conn.poll(timeout_s)
            return self.is_alive and self._is_started()

    def close(self) -> None:
        self.is_alive = False
        self._finalizer()

    def _is_started(self) -> bool:
        """True once the helper has loaded its decoder; False while it is still loading
        (the caller decodes here meanwhile) or when it failed to load."""
        if self._is_ready:
            return True
        try:
            if not self._conn.poll(0):
                return False
            answer = self._conn.recv()
        except (EOFError, OSError):
            answer = "it stopped while loading"
        if answer == "ready":
            self._is_ready = True
            return True
        self._fail(str(answer))
        return False

    def _fail(self, why: str) -> None:
        log.warning("the open-pass helper process failed (%s); decoding in one process", why)
        self.is_alive = False
        self._finalizer()


def _stop(conn: Connection, process: Any) -> None:
    try:
        conn.close()
    finally:
        if process.is_alive():
            process.terminate()
            process.join(5)


def _serve(conn: Connection, config: dict[str, str], open_search: str,
           phone_search: str) -> None:
    """The helper's loop: audio in, (open pass words, phone spans) out, until the pipe
    closes."""
    from pocketsphinx import Decoder
    try:
        decoder = Decoder(samprate=16000, loglevel="FATAL", **config)
        decoder.add_lm_file(open_search, config["lm"])
        decoder.add_allphone_file(phone_search)
    except Exception as exc:  # reported once; the parent decodes alone from then on
        conn.send(f"cannot load: {exc}")
        return
    conn.send("ready")
    while True:
        try:
            pcm = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            conn.send(_decode_both(decoder, pcm, open_search, phone_search))
        except Exception as exc:  # one bad job never ends the helper
            conn.send(f"{type(exc).__name__}: {exc}")


def _decode_both(decoder: Any, pcm: bytes, open_search: str,
                 phone_search: str) -> HelperResult:
    from .pocketsphinx_engine import _clean, _spans, decode_search
    hyp = decode_search(decoder, open_search, pcm).hyp()
    words = _clean(hyp.hypstr) if hyp else ""
    phones = decode_search(decoder, phone_search, pcm)
    return words, _spans(phones) if phones.hyp() else []
