"""Who may use the household page: server-side sessions, the household password, CSRF.

Why a session even without a password: any web site the household visits could otherwise
make the browser POST to the page (change the cart, approve an order). Every form carries a
token derived from the session, which another site cannot read, and the cookie is
``SameSite=Strict`` as a second wall. The cookie holds only a random token; the session is a
row in the database, so logging out, or starting ``serve`` with another password, ends it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass

from ..shop.db import transaction

COOKIE = "voice_shop_session"
SESSION_MAX_AGE_S = 30 * 24 * 3600
MAX_ANONYMOUS_SESSIONS = 1000
"""Sessions not logged in (a visit to the login form makes one) kept at most; the oldest go."""


@dataclass(frozen=True)
class Session:
    token: str
    """Random; the cookie's value. Only its hash is stored."""
    is_authenticated: bool
    """The household password was given in this session (always False without one)."""

    @property
    def sid(self) -> str:
        return _hash(self.token)


class Sessions:
    """Creates, finds and revokes sessions; signs CSRF tokens with one secret."""

    def __init__(self, secret: bytes, password: str | None) -> None:
        self._secret = secret
        self.password_tag = self._sign(f"password:{password}") if password else ""
        """Which password a session was opened under: another one revokes it."""

    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    def revoke_other_passwords(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM web_sessions WHERE password_tag IS NOT ?",
                     (self.password_tag,))

    def new(self, conn: sqlite3.Connection, now: float,
            is_authenticated: bool = False) -> Session:
        """A new session; expired ones and the oldest anonymous ones beyond the cap go."""
        session = Session(secrets.token_urlsafe(32), is_authenticated)
        with transaction(conn):
            conn.execute("DELETE FROM web_sessions WHERE created_at < ?",
                         (now - SESSION_MAX_AGE_S,))
            conn.execute("DELETE FROM web_sessions WHERE is_authenticated = 0 AND token_hash "
                         "IN (SELECT token_hash FROM web_sessions WHERE is_authenticated = 0 "
                         "ORDER BY created_at DESC LIMIT -1 OFFSET ?)",
                         (MAX_ANONYMOUS_SESSIONS - 1,))
            conn.execute("INSERT INTO web_sessions (token_hash, is_authenticated, "
                         "password_tag, created_at) VALUES (?, ?, ?, ?)",
                         (session.sid, int(is_authenticated), self.password_tag, now))
        return session

    def load(self, conn: sqlite3.Connection, token: str | None, now: float) -> Session | None:
        """The live session a cookie names; None when it is missing, unknown, revoked or
        too old."""
        if not token:
            return None
        row = conn.execute("SELECT is_authenticated FROM web_sessions WHERE token_hash = ? "
                           "AND password_tag IS ? AND created_at >= ?",
                           (_hash(token), self.password_tag, now - SESSION_MAX_AGE_S)).fetchone()
        return Session(token, bool(row["is_authenticated"])) if row else None

    def revoke(self, conn: sqlite3.Connection, session: Session) -> None:
        conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (session.sid,))

    def csrf_token(self, session: Session) -> str:
        return self._sign(f"csrf:{session.sid}")

    def is_valid_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    """A password comparison that takes the same time whatever matched."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
