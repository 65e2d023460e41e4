"""How ``serve`` says it could not listen, the same for the Wyoming port and the page's."""

from __future__ import annotations

from ..errors import ServerError


def cannot_listen(host: str, port: int, what: str, reason: str = "") -> ServerError:
    """The error, with what to do about it."""
    return ServerError(f"cannot listen on {host}:{port} for {what}{': ' + reason if reason else ''}"
                       " (is another serve running? choose another port in the config "
                       "file or with the flag)", code="cannot_listen")
