"""The household web page and the shop's status API (Starlette, server-side templates).

Every request reads the database afresh through its own connection, so whatever was said to
the device shows on the next refresh. Changes go through the same ``Shop`` methods the dialog
and the CLI use, with the same rules (quantity limits, stock, who may approve an order).
"""

from __future__ import annotations

import inspect
import json
import logging
import secrets
import tempfile
import time
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from ..errors import VoiceShopError
from ..money import format_cents
from ..replies import written_options
from ..shop.db import connect
from ..shop.engine import Shop
from ..shop.models import SHOP_REPORTED_STATUSES, OrderStatus, Role
from ..shop.signing import WebhookKey
from .auth import COOKIE, SESSION_MAX_AGE_S, Session, Sessions, same_secret
from .guards import MAX_UPLOAD_BYTES, EdgeGuard, allowed_host_names
from .guesses import (
    PASSWORD_OVERALL,
    PASSWORD_PER_CLIENT,
    PIN_LIMIT,
    GuessLimit,
    forgive,
    take_guess,
)
from .spending import weekly_spending

log = logging.getLogger(__name__)

T = TypeVar("T")
CatalogHook = Callable[[], Any]
"""Called (no arguments) after a catalog upload was imported, e.g. to rebuild the speech
models for the new catalog; it may be a coroutine function."""

TURNS_SHOWN = 20
ORDERS_SHOWN = 20
SEEN_REPORTS_KEPT = 10_000
"""Status reports' ``webhook-id``s remembered, so a captured report is not replayed."""
_SECRET_KEY = "web.session_secret"
_TEMPLATES = Path(__file__).parent / "templates"
_ERROR_STATUS = {"wrong_pin": 403, "not_adult": 403, "pin_locked": 429, "no_such_order": 404,
                 "not_pending": 409, "not_sent": 409, "order_closed": 409,
                 "stale_status": 409, "bad_upload": 400}


def _when(unix_s: float) -> str:
    """"5 Dec 2026, 23:46", in the household's time zone."""
    local = datetime.fromtimestamp(unix_s).astimezone()
    return f"{local.day} {local:%b %Y, %H:%M}"


def _options(options: dict[str, str]) -> str:
    """"medium, oat milk": a line's options as the replies say them."""
    return ", ".join(written_options(options))


def _session_secret(db_path: Path) -> bytes:
    """Kept in the database, so a restart of ``serve`` does not log the household out."""
    conn = connect(db_path)
    try:
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                     (_SECRET_KEY, secrets.token_hex(32)))
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_SECRET_KEY,)).fetchone()
        return bytes.fromhex(row["value"])
    finally:
        conn.close()


class HouseholdApp:
    """The routes, and what they share: the database path, sessions, settings."""

    def __init__(self, db_path: Path, password: str | None, shop_key: WebhookKey | None,
                 catalog_hook: CatalogHook | None) -> None:
        Shop.open(db_path).close()  # exists, is a voice-shop database, migrated
        self.db_path = db_path
        self.password = password or None
        self.shop_key = shop_key
        self.catalog_hook = catalog_hook
        self.sessions = Sessions(_session_secret(db_path), self.password)
        self.with_conn(self.sessions.revoke_other_passwords)
        self.templates = Jinja2Templates(directory=str(_TEMPLATES))
        self.templates.env.filters.update(money=format_cents, when=_when, options=_options)
        self.flashes: dict[str, str] = {}
        self.seen_reports: dict[str, None] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/cart/{line_id:int}", self.change_line, methods=["POST"]),
            Route("/orders/{order_id:int}/approve", self.approve, methods=["POST"]),
            Route("/catalog", self.upload_catalog, methods=["POST"]),
            Route("/api/orders/{order_id:int}/status", self.report_status, methods=["POST"]),
            Route("/healthz", self.health, methods=["GET"]),
        ]

    # ---- plumbing -------------------------------------------------------------------------
    def with_conn(self, action: Callable[[Any], T]) -> T:
        """Run ``action`` on a connection of its own (called in a worker thread)."""
        conn = connect(self.db_path)
        try:
            return action(conn)
        finally:
            conn.close()

    async def db_call(self, action: Callable[[Any], T]) -> T:
        return await run_in_threadpool(self.with_conn, action)

    async def shop_call(self, action: Callable[[Shop], T]) -> T:
        return await self.db_call(lambda conn: action(Shop(conn, self.db_path)))

    async def session_of(self, request: Request) -> Session | None:
        token = request.cookies.get(COOKIE)
        return await self.db_call(lambda conn: self.sessions.load(conn, token, time.time()))

    async def new_session(self, is_authenticated: bool = False) -> Session:
        return await self.db_call(
            lambda conn: self.sessions.new(conn, time.time(), is_authenticated))

    async def take_guess(self, key: str, limit: GuessLimit) -> bool:
        return await self.db_call(lambda conn: take_guess(conn, key, limit, time.time()))

    async def forgive(self, key: str) -> None:
        await self.db_call(lambda conn: forgive(conn, key))

    def may_enter(self, session: Session | None) -> bool:
        return session is not None and (self.password is None or session.is_authenticated)

    def with_cookie(self, response: Response, session: Session) -> Response:
        response.set_cookie(COOKIE, session.token, max_age=SESSION_MAX_AGE_S,
                            httponly=True, samesite="strict")
        return response

    async def checked_form(self, request: Request) -> tuple[Session, Any] | Response:
        """The session and form of a POST from the page; a response instead when the
        session is missing or not logged in, or the form's CSRF token does not match."""
        session = await self.session_of(request)
        if not self.may_enter(session) or session is None:
            return RedirectResponse("/login", status_code=303)
        form = await request.form(max_files=1, max_fields=20)
        token = form.get("csrf")
        if not self.sessions.is_valid_csrf(session, token if isinstance(token, str) else None):
            return PlainTextResponse("the form has expired; reload the page", status_code=403)
        return session, form

    def done(self, session: Session, message: str, anchor: str) -> Response:
        """Post/redirect/get: the next page view shows ``message`` once."""
        if len(self.flashes) > 1000:
            self.flashes.clear()
        self.flashes[session.sid] = message
        return RedirectResponse(f"/#{anchor}", status_code=303)

    # ---- the page -------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        session = await self.session_of(request)
        if session is None and self.password is None:
            session = await self.new_session()
        if not self.may_enter(session) or session is None:
            return RedirectResponse("/login", status_code=303)
        notice = self.flashes.pop(session.sid, None)
        return self.with_cookie(await self.page(request, session, notice=notice), session)

    async def page(self, request: Request, session: Session, *, notice: str | None = None,
                   error: str | None = None, status_code: int = 200) -> Response:
        data = await self.shop_call(_page_data)
        context = {**data, "csrf": self.sessions.csrf_token(session), "notice": notice,
                   "error": error, "has_password": self.password is not None}
        return self.templates.TemplateResponse(request, "index.html", context,
                                               status_code=status_code)

    async def failed(self, request: Request, session: Session, exc: VoiceShopError) -> Response:
        return await self.page(request, session, error=exc.message,
                               status_code=_ERROR_STATUS.get(exc.code, 400))

    # ---- login ----------------------------------------------------------------------------
    async def login_form(self, request: Request, error: str | None = None,
                         status_code: int = 200) -> Response:
        session = await self.session_of(request)
        if self.password is None or (session is not None and session.is_authenticated):
            return RedirectResponse("/", status_code=303)
        session = session or await self.new_session()
        context = {"csrf": self.sessions.csrf_token(session), "error": error}
        response = self.templates.TemplateResponse(request, "login.html", context,
                                                   status_code=status_code)
        return self.with_cookie(response, session)

    async def login(self, request: Request) -> Response:
        session = await self.session_of(request)
        form = await request.form(max_files=0, max_fields=5)
        if self.password is None:
            return RedirectResponse("/", status_code=303)
        if session is None or not self.sessions.is_valid_csrf(session, _text(form, "csrf")):
            return await self.login_form(request, "The form expired; try again.", 403)
        client = f"password:{request.client.host if request.client else '?'}"
        if not (await self.take_guess(client, PASSWORD_PER_CLIENT)
                and await self.take_guess("password:*", PASSWORD_OVERALL)):
            log.warning("web: password guessing from %s paused", client)
            return await self.login_form(request, "Too many wrong passwords; try again in "
                                         "a few minutes.", 429)
        if not same_secret(_text(form, "password"), self.password):
            log.warning("web: a wrong household password was given")
            return await self.login_form(request, "That is not the household password.", 401)
        await self.forgive(client)
        await self.db_call(lambda conn: self.sessions.revoke(conn, session))
        response = RedirectResponse("/", status_code=303)
        return self.with_cookie(response, await self.new_session(is_authenticated=True))

    async def logout(self, request: Request) -> Response:
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        session = checked[0]
        await self.db_call(lambda conn: self.sessions.revoke(conn, session))
        response = RedirectResponse("/login" if self.password else "/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    # ---- changes from the page ------------------------------------------------------------
    async def change_line(self, request: Request) -> Response:
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        line_id = int(request.path_params["line_id"])
        try:
            if _text(form, "action") == "remove":
                await self.shop_call(lambda shop: shop.remove_line(line_id, "household page"))
                return self.done(session, "Removed from the cart.", "cart")
            quantity = _number(_text(form, "quantity"), "quantity")
            await self.shop_call(
                lambda shop: shop.set_line_quantity(line_id, quantity, "household page"))
        except VoiceShopError as exc:
            return await self.failed(request, session, exc)
        return self.done(session, "Cart updated.", "cart")

    async def approve(self, request: Request) -> Response:
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        order_id = int(request.path_params["order_id"])
        adult, pin = _text(form, "by") or "", _text(form, "pin") or None
        if not await self.take_guess(f"pin:{adult}", PIN_LIMIT):
            return await self.failed(request, session, VoiceShopError(
                f"too many wrong PINs for {adult}; try again in a few minutes",
                code="pin_locked"))
        try:
            order = await self.shop_call(
                lambda shop: shop.approve_order(order_id, adult, pin=pin))
        except VoiceShopError as exc:
            return await self.failed(request, session, exc)
        await self.forgive(f"pin:{adult}")
        log.info("web: order %d approved by %s", order.id, adult)
        return self.done(session, f"Order {order.id} approved by {adult}.", "orders")

    async def upload_catalog(self, request: Request) -> Response:
        checked = await self.checked_form(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        upload = form.get("catalog")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self.failed(request, session,
                                     VoiceShopError("choose a CSV file to upload"))
        try:
            _check_file_name(upload.filename)
            report = await self.import_upload(upload)
        except VoiceShopError as exc:
            return await self.failed(request, session, exc)
        await self.run_catalog_hook()
        return self.done(session, f"Catalog imported: {report.added} new, {report.updated} "
                                  f"updated, {report.total} products in all.", "catalog")

    async def import_upload(self, upload: UploadFile) -> Any:
        """Copy the upload to a file and import it in one transaction (the importer's rules:
        every bad line reported, nothing imported unless all of it is good)."""
        name = upload.filename or "catalog.csv"
        with tempfile.TemporaryDirectory(prefix="voice-shop-upload-") as folder:
            path = Path(folder) / "catalog.csv"  # never a name the client chose
            size = 0
            with path.open("wb") as out:
                while chunk := await upload.read(1 << 16):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        raise VoiceShopError("the file is larger than 50 MB", code="too_large")
                    _check_no_control_characters(chunk)
                    out.write(chunk)
            try:
                return await self.shop_call(lambda shop: shop.import_catalog(path))
            except VoiceShopError as exc:
                exc.message = exc.message.replace(str(path), name)
                raise

    async def run_catalog_hook(self) -> None:
        if self.catalog_hook is None:
            return
        try:
            if inspect.iscoroutinefunction(self.catalog_hook):
                await self.catalog_hook()
            else:
                await run_in_threadpool(self.catalog_hook)
        except Exception:
            log.exception("web: the catalog was imported but the catalog hook failed")

    # ---- the shop's API -------------------------------------------------------------------
    async def report_status(self, request: Request) -> Response:
        """``POST /api/orders/{id}/status`` with ``{"status": ...}`` from the shop, signed
        with the shop's secret (Standard Webhooks, see ``docs/webhooks.md``)."""
        if self.shop_key is None:
            return _api_error(503, "no_secret", "no [shop] webhook_secret is configured")
        body = await request.body()
        if not self.is_fresh_report(request, body):
            return _api_error(401, "unauthorized", "a valid webhook signature is required")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _api_error(415, "bad_content_type", "send application/json")
        status = _reported_status(body)
        if status is None:
            allowed = ", ".join(sorted(SHOP_REPORTED_STATUSES))
            return _api_error(400, "bad_status", f"status must be one of {allowed}")
        order_id = int(request.path_params["order_id"])
        try:
            order = await self.shop_call(lambda shop: shop.report_status(order_id, status))
        except VoiceShopError as exc:
            return _api_error(_ERROR_STATUS.get(exc.code, 400), exc.code, exc.message)
        log.info("web: the shop reports order %d %s", order.id, order.status)
        return JSONResponse({"order_id": order.id, "status": str(order.status)})

    def is_fresh_report(self, request: Request, body: bytes) -> bool:
        """Signed with the shop's key, recent, and not seen before (a replay)."""
        assert self.shop_key is not None
        if not self.shop_key.is_signed(request.headers, body, time.time()):
            return False
        msg_id = request.headers["webhook-id"]
        if msg_id in self.seen_reports:
            return False
        if len(self.seen_reports) >= SEEN_REPORTS_KEPT:
            del self.seen_reports[next(iter(self.seen_reports))]
        self.seen_reports[msg_id] = None
        return True

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def _page_data(shop: Shop) -> dict[str, Any]:
    """Everything the page shows, read in one go."""
    orders = shop.orders(ORDERS_SHOWN)
    profiles = shop.profiles()
    return {
        "cart": shop.cart(),
        "pending": [o for o in orders if o.status is OrderStatus.PENDING_APPROVAL],
        "orders": [(o, shop.delivery_state(o.id)) for o in orders],
        "profiles": profiles, "voices": shop.voice_counts(),
        "adults": [p for p in profiles if p.role is Role.ADULT],
        "turns": shop.recent_turns(TURNS_SHOWN),
        "product_count": shop.conn.execute("SELECT COUNT(*) FROM products").fetchone()[0],
        "spending": weekly_spending(shop.conn, date.today()),
    }


def _text(form: Any, key: str) -> str | None:
    value = form.get(key)
    return value if isinstance(value, str) else None


def _number(text: str | None, what: str) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise VoiceShopError(f"the {what} must be a whole number", code="bad_number") from None


def _check_file_name(name: str) -> None:
    """A file name, not a path: no ``/``, ``\\``, ``.``/``..`` or control characters."""
    if name in (".", "..") or any(c in name for c in "/\\") or _has_control(name):
        raise VoiceShopError("the file name must be a plain name like catalog.csv",
                             code="bad_upload")


def _check_no_control_characters(chunk: bytes) -> None:
    """A catalog is text: a NUL or another control character (but tab and line ends) in it
    would end up in a product name."""
    text = chunk.decode("utf-8", errors="ignore")
    if _has_control(text.replace("\t", "").replace("\r", "").replace("\n", "")):
        raise VoiceShopError("the file contains control characters (such as NUL); a catalog "
                             "is plain text", code="bad_upload")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def _reported_status(body: bytes) -> OrderStatus | None:
    try:
        data = json.loads(body)
        status = OrderStatus(data["status"])
    except (ValueError, KeyError, TypeError):
        return None
    return status if status in SHOP_REPORTED_STATUSES else None


def _api_error(status_code: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status_code)


def create_app(db_path: Path, *, password: str | None = None,
               catalog_hook: CatalogHook | None = None, webhook_secret: str | None = None,
               listen_host: str = "127.0.0.1", allowed_hosts: tuple[str, ...] = ()
               ) -> Starlette:
    """The household page and the status API over the database at ``db_path``.

    ``password``: the household password the page asks for (None: no login, for a page bound
    to localhost). ``webhook_secret``: the ``whsec_`` secret the shop signs status reports
    with (None: the status API refuses every report). ``listen_host`` and ``allowed_hosts``:
    the host names the page answers to, besides the loopback names. ``catalog_hook``: called
    after a successful catalog upload."""
    key = WebhookKey.from_secret(webhook_secret) if webhook_secret else None
    household = HouseholdApp(db_path, password, key, catalog_hook)
    hosts = allowed_host_names(listen_host, allowed_hosts)
    return Starlette(routes=household.routes(), middleware=[Middleware(EdgeGuard, hosts=hosts)])
