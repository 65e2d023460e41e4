"""A real ``voice-shop serve`` on loopback, started as the household starts it (the CLI, a
config file), and a bare HTTP client that can send what a browser would not (any ``Host``)."""

from __future__ import annotations

import http.client
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from voice_shop.shop.engine import Shop
from voice_shop.shop.models import OrderStatus, Role

from ..outbox_server import free_port

RUN_CLI = "import sys; from voice_shop.cli import main; sys.argv[0] = 'voice-shop'; main()"
START_TIMEOUT_S = 120.0


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def cookie(self) -> str | None:
        match = re.search(r"voice_shop_session=([^;]*)", self.headers.get("set-cookie", ""))
        return match.group(1) if match and match.group(1) else None

    @property
    def csrf(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert match, f"no CSRF token in the page: {self.status} {self.text[:200]}"
        return match.group(1)


@dataclass
class Serve:
    """``voice-shop serve --config <file>`` in a child process; its log kept line by line.
    ``config`` is the file's text, with ``{wyoming}`` and ``{http}`` for the free ports."""

    db: Path
    config: str
    wyoming_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    log: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None

    def start(self, marker: str = "Uvicorn running") -> Serve:
        path = self.db.with_name(f"{self.db.stem}-{uuid.uuid4().hex[:6]}.toml")
        path.write_text(self.config.replace("{wyoming}", str(self.wyoming_port))
                        .replace("{http}", str(self.http_port)))
        self.log = []
        self.process = subprocess.Popen(
            [sys.executable, "-c", RUN_CLI, "serve", "--config", str(path), "--db",
             str(self.db)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read_log, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not any(marker in line for line in self.log):
            assert self.process.poll() is None, "serve exited:\n" + "".join(self.log)
            assert time.monotonic() < deadline, "serve did not start:\n" + "".join(self.log)
            time.sleep(0.05)
        return self

    def _read_log(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    def request(self, method: str, path: str, *, host: str | None = None,
                cookie: str | None = None, body: bytes | None = None,
                headers: dict[str, str] | None = None, source: str = "127.0.0.1") -> Answer:
        """One HTTP request with exactly the ``Host`` and headers given, from the loopback
        address ``source`` (Linux routes all of 127.0.0.0/8 to this machine)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30,
                                          source_address=(source, 0))
        try:
            sent = {"Host": host or self.host, **(headers or {})}
            if cookie:
                sent["Cookie"] = f"voice_shop_session={cookie}"
            conn.request(method, path, body, sent)
            response = conn.getresponse()
            return Answer(response.status, response.headers,
                          response.read().decode(errors="replace"))
        finally:
            conn.close()

    def post_form(self, path: str, fields: dict[str, str], *, cookie: str | None,
                  host: str | None = None, origin: str | None = None,
                  source: str = "127.0.0.1") -> Answer:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin is not None:
            headers["Origin"] = origin
        return self.request("POST", path, host=host, cookie=cookie,
                            body=urlencode(fields).encode(), headers=headers, source=source)

    def login(self, password: str, source: str = "127.0.0.1") -> Answer:
        """The login form, then the password; a right one answers 303 with a new cookie."""
        form = self.request("GET", "/login", source=source)
        return self.post_form("/login", {"csrf": form.csrf, "password": password},
                              cookie=form.cookie, source=source)

    def session(self, host: str | None = None) -> tuple[str, str]:
        """A new browser's session cookie and CSRF token (no password)."""
        page = self.request("GET", "/", host=host)
        assert page.status == 200 and page.cookie, (page.status, page.text[:200])
        return page.cookie, page.csrf


def household_db(demo_db: Path, name: str) -> Path:
    """A copy of the demo shop beside it (sharing its compiled speech models) with a
    household: mum (PIN 2468), dad, kid; a line in the cart and kid's order waiting."""
    target = demo_db.with_name(f"{name}-{uuid.uuid4().hex[:6]}.db")
    with sqlite3.connect(demo_db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    shop = Shop.open(target)
    try:
        shop.add_profile("mum", Role.ADULT)
        shop.set_pin("mum", "2468")
        shop.add_profile("dad", Role.ADULT)
        shop.add_profile("kid", Role.CHILD)
        shop.add_to_cart("P101", 1)
        shop.checkout("kid", OrderStatus.PENDING_APPROVAL)
        shop.add_to_cart("P103", 2)
    finally:
        shop.close()
    return target
