"""A shop's webhook for tests: a real HTTP server in a thread that misbehaves on purpose.

It records each order once by its ``Idempotency-Key`` (as a real shop should), and keeps every
request it received, so a test can tell "arrived twice" from "recorded twice".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "whsec_" + base64.b64encode(b"the shop and the household share this").decode()
"""The secret the tests configure on both sides."""


def verify(secret: str, headers: Any, body: bytes) -> bool:
    """What docs/webhooks.md tells a shop to write, written from the spec, not our code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", sig)
               for sig in headers["webhook-signature"].split())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ShopServer:
    """Modes, one per request in order (then ``ok``): ``ok``; ``500``/``503``/``408``/``429``/
    ``400``/``422``: that status, nothing recorded; ``slow``: records the order, then answers
    after ``slow_s`` (longer than the client waits); ``hold``: records the order, then answers
    only when ``release`` is set; ``drip``: records the order, then sends its answer one byte
    every ``slow_s``. A request whose signature does not verify with ``SECRET`` is answered
    401 and counted in ``forged``."""

    def __init__(self, port: int | None = None, slow_s: float = 1.5) -> None:
        self.port = port or free_port()
        self.slow_s = slow_s
        self.modes: list[str] = []
        self.keys_seen: list[str] = []
        self.forged = 0
        self.recorded: dict[str, dict[str, Any]] = {}
        self.received = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/orders"

    def start(self) -> ShopServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def orders_recorded(self) -> Counter[int]:
        """Order id -> how many times the shop recorded it (must be 1 each)."""
        return Counter(p["order_id"] for p in self.recorded.values())

    def take(self, key: str, payload: dict[str, Any]) -> str:
        """One request arrived: remember it, pick its mode, record the order if the mode
        processes it and the key is new."""
        with self._lock:
            self.keys_seen.append(key)
            mode = self.modes.pop(0) if self.modes else "ok"
            if mode in ("ok", "slow", "hold", "drip") and key not in self.recorded:
                self.recorded[key] = payload
        self.received.set()
        return mode


def _handler(shop: ShopServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not verify(SECRET, self.headers, body):
                shop.forged += 1
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            mode = shop.take(self.headers.get("Idempotency-Key", ""), json.loads(body))
            if mode == "drip":
                self.drip()
                return
            if mode == "slow":
                time.sleep(shop.slow_s)
            elif mode == "hold":
                shop.release.wait(30)
            status = int(mode) if mode.isdigit() else 200
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def drip(self) -> None:
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            try:
                for byte in answer:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(shop.slow_s)
            except OSError:
                pass  # the client gave up, as it should

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
