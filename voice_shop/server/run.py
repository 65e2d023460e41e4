"""``voice-shop serve``: one long-running process, the models loaded once, a Wyoming server
for Home Assistant and the household page in one event loop; SIGTERM or SIGINT stop it
cleanly (clients disconnected, executors drained, the database closed)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

from wyoming.server import AsyncEventHandler, AsyncTcpServer

from ..config import AppSettings
from .errors import cannot_listen
from .http import _http_tasks, check_settings
from .services import Services
from .wyoming_handler import RefusingHandler, ShopEventHandler, describe_info

log = logging.getLogger(__name__)

MAX_CLIENTS = 64
"""Open Wyoming connections at once; more are refused with an ``error`` event (a home has a
handful of satellites and Home Assistant's few connections)."""
STOP_GRACE_S = 5.0


class _Clients:
    """The open connections, so their number stays bounded, in all and per address (one
    client holding connections open cannot lock the others out)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.info = describe_info(services)
        self.per_address = services.settings.server.max_connections_per_address
        self.open: set[_TrackedHandler] = set()

    def factory(self, reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> AsyncEventHandler:
        handler = _TrackedHandler(self, reader, writer)
        from_there = sum(1 for h in self.open if h.host == handler.host)
        if len(self.open) >= MAX_CLIENTS or from_there >= self.per_address:
            log.warning("refusing a client from %s: %d connections open, %d from there",
                        handler.host, len(self.open), from_there)
            return RefusingHandler(reader, writer)
        self.open.add(handler)
        return handler


class _TrackedHandler(ShopEventHandler):
    def __init__(self, clients: _Clients, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        super().__init__(clients.services, clients.info, reader, writer)
        self._clients = clients

    async def disconnect(self) -> None:
        self._clients.open.discard(self)


async def serve(settings: AppSettings, stop: asyncio.Event,
                on_ready: Callable[[], None] | None = None) -> None:
    """Check the settings, load, serve until ``stop`` is set, then shut down in order."""
    check_settings(settings)
    services = Services(settings)
    try:
        await services.start()
        await _serve_loaded(settings, services, stop, on_ready)
    finally:
        await asyncio.to_thread(services.close)
        log.info("stopped")


async def _serve_loaded(settings: AppSettings, services: Services, stop: asyncio.Event,
                        on_ready: Callable[[], None] | None) -> None:
    host, port = settings.server.host, settings.server.wyoming_port
    wyoming = AsyncTcpServer(host, port)
    try:
        await wyoming.start(_Clients(services).factory)
    except OSError as exc:
        raise cannot_listen(host, port, "Wyoming", exc.strerror or "") from exc
    log.info("Wyoming server on tcp://%s:%d (asr, handle, tts)", host, port)
    others = [asyncio.create_task(c) for c in _http_tasks(settings, stop)]
    if on_ready is not None:
        on_ready()
    try:
        await _until_stopped(stop, others)
    finally:
        log.info("stopping")
        await wyoming.stop()
        await _finish(others)


async def _until_stopped(stop: asyncio.Event, others: list[asyncio.Task[None]]) -> None:
    """Wait for ``stop``; a background task that fails (the page could not bind) stops the
    whole server with its error instead of leaving half of it running."""
    stopping = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[Any]] = {stopping, *others}
    try:
        while stopping in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                failure = task.exception()
                if failure is not None:
                    raise failure
    finally:
        stopping.cancel()


async def _finish(tasks: list[asyncio.Task[None]]) -> None:
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.debug("background task ended with %r", task.exception())


def run_server(settings: AppSettings) -> None:
    """The blocking entry point: SIGTERM and SIGINT set the stop event."""
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _stop_on_signal, stop, sig)
        await serve(settings, stop)

    asyncio.run(main())


def _stop_on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("%s received", sig.name)
    stop.set()
