"""voice-shop: an offline voice shopping assistant."""

__version__ = "0.1.0"
