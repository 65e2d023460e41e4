"""The household web page: cart, orders and approvals, profiles, catalog upload, the latest
conversation turns, and the status API the shop reports back through.

``voice-shop serve`` mounts ``create_app(db_path, password=..., webhook_secret=...,
listen_host=..., allowed_hosts=...)``; ``docs/security.md`` says what it accepts.
"""

from .app import create_app

__all__ = ["create_app"]
