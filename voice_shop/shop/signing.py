"""Standard Webhooks signatures: every order sent to the shop and every status report from it.

A message is signed as ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the
secret shared with the shop (``whsec_<base64 key>``); the headers are ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``. ``docs/webhooks.md`` shows the
shop's side.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigError

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24
"""A shorter key is refused: it could be guessed."""
TOLERANCE_S = 300.0
"""A signed message older or newer than this (clock skew, replay) is refused."""


@dataclass(frozen=True)
class WebhookKey:
    """The key bytes of a ``whsec_`` secret."""

    key: bytes

    @classmethod
    def from_secret(cls, secret: str) -> WebhookKey:
        """The key of ``whsec_<base64>``; a clear ``ConfigError`` for anything else."""
        encoded = secret.removeprefix(SECRET_PREFIX)
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not secret.startswith(SECRET_PREFIX) or len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"[shop] webhook_secret must be {SECRET_PREFIX}<base64 of at "
                              f"least {MIN_KEY_BYTES} random bytes>", code="config")
        return cls(key)

    def signature(self, msg_id: str, timestamp: int, body: bytes) -> str:
        signed = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()

    def headers(self, body: bytes, timestamp: int, msg_id: str | None = None) -> dict[str, str]:
        """The three headers that sign ``body``."""
        msg_id = msg_id or "msg_" + secrets.token_urlsafe(16)
        return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
                "webhook-signature": self.signature(msg_id, timestamp, body)}

    def is_signed(self, headers: Mapping[str, str], body: bytes, now: float) -> bool:
        """True when ``headers`` carry a valid, recent signature of ``body``."""
        msg_id = headers.get("webhook-id") or ""
        stamp = headers.get("webhook-timestamp") or ""
        if not msg_id or not stamp.isdigit() or abs(now - int(stamp)) > TOLERANCE_S:
            return False
        expected = self.signature(msg_id, int(stamp), body)
        given = (headers.get("webhook-signature") or "").split()
        return any(hmac.compare_digest(s.encode(), expected.encode()) for s in given)


def new_secret() -> str:
    """A fresh ``whsec_`` secret for the config file and the shop."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
