"""The household web page and the order outbox in ``serve``'s event loop.

Both are written on another branch (``voice_shop.web`` and ``voice_shop.shop.outbox``);
``_http_tasks`` is the one place that starts them, so wiring them in is one function.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from ..config import AppSettings

log = logging.getLogger(__name__)


def _http_tasks(settings: AppSettings, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
    """The coroutines ``serve`` runs beside the Wyoming server until ``stop`` is set.

    MERGE POINT (issue 11, the web page and outbox branch): when that branch is merged, add
    the outbox's delivery loop here (``voice_shop.shop.outbox``, delivering to
    ``settings.server.webhook_url``, stopping when ``stop`` is set). The web page is
    already started below whenever ``voice_shop.web.create_app`` can be imported.
    """
    port = settings.server.http_port
    if port == 0:
        log.info("household page off (--http-port 0)")
        return []
    try:
        from ..web import create_app  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        log.info("household page not installed in this build; nothing listens on port %d",
                 port)
        return []
    return [_run_uvicorn(create_app(settings), settings.server.host, port, stop)]


async def _run_uvicorn(app: Any, host: str, port: int, stop: asyncio.Event) -> None:
    """Uvicorn in this loop until ``stop`` is set. Under a signal uvicorn stops first and
    passes the signal on to ``serve``'s handler as it exits; when it cannot bind it exits
    the interpreter, which is turned into a clear error here instead."""
    import uvicorn

    from .errors import cannot_listen
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None))

    async def exit_on_stop() -> None:
        await stop.wait()
        server.should_exit = True

    watcher = asyncio.create_task(exit_on_stop())
    try:
        await server.serve()
    except SystemExit as exc:
        raise cannot_listen(host, port, "the household page") from exc
    finally:
        watcher.cancel()
    log.info("household page stopped")
