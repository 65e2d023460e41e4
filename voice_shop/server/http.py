"""The household web page and the order outbox in ``serve``'s event loop."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Coroutine
from typing import Any

from ..config import AppSettings
from ..errors import ConfigError
from ..shop.signing import WebhookKey

log = logging.getLogger(__name__)


def check_settings(settings: AppSettings) -> None:
    """Refuse a setup that would expose the household, before a model is loaded or a port
    opened: the page on the network without a password, orders unsigned, a bad secret."""
    server = settings.server
    if server.http_port != 0 and server.password is None and not _is_loopback(server.host):
        raise ConfigError(f"the household page on {server.host} needs a password: set "
                          "[web] password in the config file, or serve on 127.0.0.1",
                          code="config")
    if server.webhook_url and not server.webhook_secret:
        raise ConfigError("[shop] webhook_url needs [shop] webhook_secret (whsec_...), so the "
                          "shop can tell the household's orders from forged ones (see "
                          "docs/webhooks.md)", code="config")
    if server.webhook_secret:
        WebhookKey.from_secret(server.webhook_secret)
    if server.idle_timeout_s <= 0 or server.max_connections_per_address < 1:
        raise ConfigError("[server] idle_timeout_s and max_connections_per_address must be "
                          "positive", code="config")


def _http_tasks(settings: AppSettings, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
    """The coroutines ``serve`` runs beside the Wyoming server until ``stop`` is set: the
    household page (unless ``--http-port 0``) and, when a webhook is configured, the
    outbox's delivery of placed orders to the shop."""
    check_settings(settings)
    tasks: list[Coroutine[Any, Any, None]] = []
    server = settings.server
    if server.webhook_url:
        from ..shop.outbox import OutboxDeliverer
        try:
            deliverer = OutboxDeliverer(settings.db_path, server.webhook_url,
                                        WebhookKey.from_secret(str(server.webhook_secret)))
        except ValueError as exc:
            raise ConfigError(f"[shop] webhook_url: {exc}", code="config") from exc
        tasks.append(deliverer.run(stop))
        log.info("placed orders are delivered to %s", server.webhook_url)
    else:
        log.info("no [shop] webhook_url: placed orders stay in the local database")
    if server.http_port == 0:
        log.info("household page off (--http-port 0)")
        return tasks
    from ..web import create_app
    # The recogniser follows catalog uploads by itself: each Wyoming request checks the
    # catalog's version, so the upload needs no hook.
    app = create_app(settings.db_path, password=server.password,
                     webhook_secret=server.webhook_secret, listen_host=server.host,
                     allowed_hosts=server.allowed_hosts)
    tasks.append(_run_uvicorn(app, server.host, server.http_port, stop))
    return tasks


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
