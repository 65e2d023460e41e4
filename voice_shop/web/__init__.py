"""The household web page: cart, orders and approvals, profiles, catalog upload, the latest
conversation turns, and the status API the shop reports back through.

``voice-shop serve`` mounts ``create_app(db_path, password=..., catalog_hook=...)``.
"""

from .app import create_app

__all__ = ["create_app"]
