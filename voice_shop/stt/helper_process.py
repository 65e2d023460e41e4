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
from collections import deque
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pocketsphinx_engine import Span

log = logging.getLogger(__name__)

OPEN, PHONES, ERROR = "open", "phones", "error"
"""The two answers of a job, in the order the helper sends them: the open pass's words
first, so a caller whose grammar reading they confirm need not wait for the phone loop."""
Answer = tuple[str, object]
"""(OPEN, words) or (PHONES, spans); (ERROR, why) when that decode failed."""

RESULT_TIMEOUT_S = 60.0


class OpenPassHelper:
    """One helper process. Answers arrive in the order the jobs were sent; an answer nobody
    wants any more (the speaker went on after a pause, or the open pass already agreed) is
    read later and thrown away, without waiting for it."""

    MAX_QUEUED = 2
    """More jobs than this unanswered: the caller decodes here instead."""

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
        self._queued: deque[tuple[int, str]] = deque()
        """(ticket, OPEN or PHONES) of the answers not read yet, oldest first."""
        self._dropped: set[tuple[int, str]] = set()
        self._is_ready = False
        self.is_alive = True
        self._finalizer = weakref.finalize(self, _stop, self._conn, self._process)

    def submit(self, pcm: bytes) -> int | None:
        """Start decoding ``pcm``; a ticket for :meth:`open_words` and :meth:`phones`, or
        None when the helper is still loading, too busy or gone (decode here then)."""
        with self._lock:
            if not self.is_alive or not self._is_started():
                return None
            self._read_dropped()
            if len({ticket for ticket, _ in self._queued}) >= self.MAX_QUEUED:
                return None
            try:
                self._conn.send_bytes(pcm)
            except (OSError, ValueError) as exc:
                self._fail(f"cannot send audio: {exc}")
                return None
            self._next_ticket += 1
            self._queued.extend([(self._next_ticket, OPEN), (self._next_ticket, PHONES)])
            return self._next_ticket

    def open_words(self, ticket: int) -> str | None:
        """The open pass's words of a submitted job, waiting for them; None when that
        failed (decode here instead)."""
        words = self._answer((ticket, OPEN))
        return words if isinstance(words, str) else None

    def phones(self, ticket: int) -> list[Span] | None:
        """The phone loop's spans of a submitted job, waiting for them; None when failed."""
        spans = self._answer((ticket, PHONES))
        return spans if isinstance(spans, list) else None

    def drop(self, ticket: int) -> None:
        """Forget what is left of a job; its answers are read (and thrown away) later."""
        with self._lock:
            self._dropped.update(key for key in self._queued if key[0] == ticket)
            self._read_dropped()

    def _answer(self, key: tuple[int, str]) -> object:
        with self._lock:
            if key not in self._queued or key in self._dropped:
                return None
            while self.is_alive:
                head = self._queued.popleft()
                self._dropped.discard(head)
                answer = self._read(RESULT_TIMEOUT_S)
                if head != key or answer is None:
                    continue
                kind, value = answer
                if kind == ERROR:
                    log.warning("the open-pass helper could not decode: %s", value)
                    return None
                return value
            return None

    def _read_dropped(self) -> None:
        """Throw away the answers of dropped jobs that have already arrived."""
        while (self.is_alive and self._queued and self._queued[0] in self._dropped
               and self._conn.poll(0)):
            self._dropped.discard(self._queued.popleft())
            self._read(0)

    def _read(self, timeout_s: float) -> Answer | None:
        try:
            if not self._conn.poll(timeout_s):
                self._fail("no answer in time")
                return None
            answer: Answer = self._conn.recv()
            return answer
        except (EOFError, OSError) as exc:
            self._fail(f"it stopped: {exc}")
            return None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def wait_started(self, timeout_s: float) -> bool:
        """Wait until the helper has loaded its decoder (or failed to)."""
        with self._lock:
            if self.is_alive and not self._is_ready:
                self._conn.poll(timeout_s)
            return self.is_alive and self._is_started()

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
    from .pocketsphinx_engine import _clean, _spans, decode_search
    while True:
        try:
            pcm = conn.recv_bytes()
        except (EOFError, OSError):
            return
        for kind, search in ((OPEN, open_search), (PHONES, phone_search)):
            if conn.poll(0):
                # A newer job waits: the speaker went on after this pause, so this one is
                # dropped on the other side. Answer it unheard and get on with that one.
                conn.send((ERROR, "superseded"))
                continue
            try:  # one bad job never ends the helper
                hyp = decode_search(decoder, search, pcm).hyp()
                answer: Answer = (kind, (_clean(hyp.hypstr) if hyp else "") if kind == OPEN
                                  else (_spans(decoder) if hyp else []))
            except Exception as exc:
                answer = (ERROR, f"{type(exc).__name__}: {exc}")
            conn.send(answer)
