"""What the household page checks before a request reaches a route.

- ``Host``: only the page's own names, so a web site that re-points its DNS name at this
  device (DNS rebinding) is refused instead of getting a session;
- ``Origin``: a state-changing request from a page of another origin is refused;
- the body: a declared ``Content-Length`` over the route's cap is refused before anything is
  read, and the bytes actually received are counted (a chunked body has no length).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY_BYTES = 64 * 1024
"""Any form of the page but the catalog upload, and a status report, fits in this."""
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_PATH = "/catalog"
MACHINE_PATHS = ("/api/",)
"""Called by the shop, not a browser: signed instead of checked for ``Origin``."""


def host_name(host: str) -> str:
    """``Host`` without its port, lower case: ``[::1]:8080`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def allowed_host_names(listen_host: str, extra: Iterable[str]) -> frozenset[str]:
    """The loopback names, the address ``serve`` listens on (unless it is every address),
    and the configured names."""
    names = {*LOOPBACK_NAMES, *(host_name(h) for h in extra)}
    try:
        if not ipaddress.ip_address(listen_host).is_unspecified:
            names.add(listen_host.lower())
    except ValueError:
        names.add(host_name(listen_host))
    return frozenset(n for n in names if n)


@dataclass(frozen=True)
class EdgeGuard:
    """ASGI middleware in front of the page (see the module docstring)."""

    app: ASGIApp
    hosts: frozenset[str]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _counted(receive, _body_cap(scope["path"])), send)

    def refusal(self, scope: Scope) -> PlainTextResponse | None:
        headers = Headers(scope=scope)
        if host_name(headers.get("host", "")) not in self.hosts:
            return PlainTextResponse("unknown host name: add it to [web] allowed_hosts",
                                     status_code=421)
        if scope["method"] not in SAFE_METHODS and not self.is_same_origin(scope, headers):
            return PlainTextResponse("cross-origin request refused", status_code=403)
        declared = headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > _body_cap(scope["path"]):
            return PlainTextResponse("request body too large", status_code=413)
        return None

    def is_same_origin(self, scope: Scope, headers: Headers) -> bool:
        """A browser names the page that sent a request in ``Origin`` (or, for older ones,
        ``Referer``); it must be one of ours. The shop's API is signed instead."""
        if scope["path"].startswith(MACHINE_PATHS):
            return True
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        sender = headers.get("origin") or headers.get("referer")
        if sender is None:
            return True  # not a browser; the form's CSRF token still has to match
        parts = urlsplit(sender)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.hosts


def _body_cap(path: str) -> int:
    return MAX_UPLOAD_BYTES if path == UPLOAD_PATH else MAX_BODY_BYTES


def _counted(receive: Receive, cap: int) -> Receive:
    """``receive`` that stops a body at ``cap`` bytes, whatever its header said."""
    seen = 0

    async def counting() -> Message:
        nonlocal seen
        message: Any = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise HTTPException(413, "request body too large")
        return dict(message)

    return counting
