"""Who may use the household page: a signed session cookie, the household password, CSRF.

Why a cookie even without a password: the page is bound to localhost by default, and any web
site the household visits could otherwise make the browser POST to it (change the cart,
approve an order). Every form carries a token derived from the session, which another site
cannot read, and the cookie is ``SameSite=Strict`` as a second wall.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "voice_shop_session"
SESSION_MAX_AGE_S = 30 * 24 * 3600


@dataclass(frozen=True)
class Session:
    sid: str
    """Random; names the session in the cookie and derives its CSRF token."""
    is_authenticated: bool
    """The household password was given in this session (always False without one)."""


class Sessions:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def new(self, is_authenticated: bool = False) -> Session:
        return Session(secrets.token_urlsafe(18), is_authenticated)

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    def dump(self, session: Session) -> str:
        body = f"{session.sid}.{int(session.is_authenticated)}.{int(time.time())}"
        return f"{body}.{self._sign(body)}"

    def load(self, cookie: str | None) -> Session | None:
        """The session a cookie names, or None when it is missing, forged or too old."""
        if not cookie or cookie.count(".") != 3:
            return None
        body, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        sid, flag, issued = body.split(".")
        if not issued.isdigit() or time.time() - int(issued) > SESSION_MAX_AGE_S:
            return None
        return Session(sid, flag == "1")

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf:{session.sid}")

    def is_valid_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))


def same_secret(given: str | None, expected: str) -> bool:
    """A password or token comparison that takes the same time whatever matched."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
