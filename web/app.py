"""The Sanic application: session cookie, security headers, error pages, routes."""

from __future__ import annotations

import itertools
import json as _json
import logging
import math
from pathlib import Path
from urllib.parse import urlsplit

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, json

from kefu.shop import queries as shop
from web import (
    agent_admin,
    agent_api,
    agent_pages,
    api,
    handoff,
    internal,
    pages,
    realtime,
    session,
    staff,
)
from web.chat import RasaClient
from web.config import WebConfig
from web.credentials import session_key, staff_password
from web.i18n import preferred_language, texts
from web.layout import message_page, page, run_sync
from web.outbox import Outbox
from web.staff_auth import staff_of
from web.throttle import RateLimit, Throttle

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.json"
MAX_REQUEST_BYTES = 64 * 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SOCKET_PREFIX = "/socket.io/"
_app_numbers = itertools.count(1)


NO_STORE_PREFIXES = ("/chat/", "/agent", "/staff", "/analytics")


def _is_json_path(request: Request) -> bool:
    return request.path.startswith(
        ("/chat/", "/healthz", "/openapi.json", "/agent/api/", internal.PREFIX)
    )


def _cross_site(request: Request) -> bool:
    """Whether an unsafe request may come from another site (CSRF defence).

    Browsers send ``Origin`` (and ``Sec-Fetch-Site``) with every POST; a request with
    neither cannot be told apart from a forged one, so it is refused too.
    """
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == "null" or urlsplit(origin).netloc != request.host
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is None and request.path.startswith(SOCKET_PREFIX):
        # engine.io's polling POSTs carry packets for a session id that only a same-origin
        # handshake can read; non-browser socket clients send neither header
        return False
    return fetch_site not in ("same-origin", "none")


def _bad_static_path(path: str) -> bool:
    """A static path that names a directory or holds a NUL (Sanic answers 500 to those)."""
    return path.startswith("/static") and (
        path.endswith("/") or "\x00" in path or "%00" in path.lower()
    )


async def _active(session_value: session.Session, database_url: str) -> bool:
    """Whether a signed-in session has not been revoked (anonymous ones always are)."""
    if session_value.customer_id is None:
        return True
    try:
        return await run_sync(shop.site_session_active, session_value.sid, url=database_url)
    except shop.ShopUnavailable:
        logger.warning("shop database unavailable: signed-in session not trusted")
        return False


def _prepare_staff(config: WebConfig) -> None:
    """Bring the schema up to date and create the first admin (blocking)."""
    from kefu.shop.db import upgrade_db
    from kefu.support.staff import ensure_first_admin

    upgrade_db(config.database_url)
    ensure_first_admin(staff_password(config.var_dir), url=config.database_url)


def create_app(config: WebConfig | None = None) -> Sanic:
    """The site, configured by ``config`` (default: from the environment)."""
    config = config or WebConfig.from_env()
    app = Sanic(f"kefu_web_{next(_app_numbers)}")
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.REQUEST_TIMEOUT = 30
    app.config.RESPONSE_TIMEOUT = math.ceil(config.rasa_timeout + 15)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    if config.proxies_count:
        app.config.PROXIES_COUNT = config.proxies_count  # X-Forwarded-For/-Proto trusted
    app.ctx.config = config
    app.ctx.rasa = RasaClient(
        config.rasa_url, config.rasa_token, config.rasa_timeout, config.channel_secret
    )
    app.ctx.login_throttle = Throttle()
    app.ctx.staff_throttle = Throttle(max_failures=5)
    app.ctx.chat_limit_session = RateLimit(config.chat_rate)
    app.ctx.chat_limit_ip = RateLimit(config.chat_rate * 4)
    # OWASP ASVS: 5 failures per 5 minutes per address, 10 per 15 minutes per account
    app.ctx.account_throttle = Throttle(max_failures=10, window=900.0)
    app.ctx.device_throttle = Throttle(max_failures=10, window=900.0)  # web/staff_device.py
    key = session_key()
    app.ctx.session_key = key
    realtime.attach(app, key, config.redis_url)
    app.ctx.outbox = Outbox(
        app.ctx.rasa, config.var_dir / "outbox", understood=handoff.understood_pusher(app)
    )

    async def _open(app: Sanic, _loop: object) -> None:
        await app.ctx.rasa.start()
        await app.ctx.outbox.start()
        try:
            await run_sync(_prepare_staff, config)
        except Exception:  # noqa: BLE001 - the shop pages still work; staff sign-in will not
            logger.exception("could not prepare the staff accounts")

    async def _close(app: Sanic, _loop: object) -> None:
        await app.ctx.outbox.close()
        await app.ctx.rasa.close()

    app.register_listener(_open, "before_server_start")
    app.register_listener(_close, "after_server_stop")

    @app.middleware("request")
    async def _load_session(request: Request) -> HTTPResponse | None:
        if _bad_static_path(request.path):
            return json({"error": "not found", "code": "not_found"}, status=404)
        if request.path.startswith(SOCKET_PREFIX):
            # the socket's connect handler reads the cookie itself (web.realtime); every
            # long-poll would otherwise check the session and staff account in the database
            if request.method in UNSAFE_METHODS and _cross_site(request):
                return json(
                    {"error": "cross-site request refused", "code": "forbidden"}, status=403
                )
            return None
        if request.path.startswith(internal.PREFIX):
            return None  # kefu's own servers: no cookie, no browser; the secret (web.internal)
        raw = request.cookies.get(session.COOKIE_NAME)
        current = session.decode(raw, key)
        if current is not None and not await _active(current, config.database_url):
            current = None  # signed out (or expired) on the server: a fresh visitor
        request.ctx.session_cookie = raw if current is not None else None
        if current is None:
            accept = request.headers.get("accept-language")
            current = session.Session(lang=preferred_language(accept))
        request.ctx.session = current
        request.ctx.staff = None
        if current.staff:
            request.ctx.staff = await run_sync(staff_of, current, config.database_url)
            if request.ctx.staff is None:  # disabled, signed out elsewhere, or forged
                request.ctx.session = current.with_staff(False)
        if request.method in UNSAFE_METHODS and _cross_site(request):
            return json({"error": "cross-site request refused", "code": "forbidden"}, status=403)
        return None

    @app.middleware("response")
    async def _finish(request: Request, response: HTTPResponse) -> None:
        current = getattr(request.ctx, "session", None)
        if current is not None:
            value = session.encode(current, key)
            if value != getattr(request.ctx, "session_cookie", None):
                response.cookies[session.COOKIE_NAME] = value
                cookie = response.cookies[session.COOKIE_NAME]
                cookie["httponly"] = True
                cookie["samesite"] = "Lax"
                cookie["path"] = "/"
                cookie["max-age"] = session.MAX_AGE
                if config.secure_cookies or request.scheme == "https":
                    cookie["secure"] = True
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(NO_STORE_PREFIXES):
            headers.setdefault("Cache-Control", "no-store")

    @app.get("/healthz")
    async def healthz(_request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/openapi.json")
    async def openapi(_request: Request) -> HTTPResponse:
        return json(_json.loads(OPENAPI_PATH.read_text(encoding="utf-8")))

    app.blueprint(pages.blueprint())
    app.blueprint(api.blueprint())
    app.blueprint(staff.blueprint())
    app.blueprint(agent_api.blueprint())
    app.blueprint(agent_admin.blueprint())
    app.blueprint(agent_pages.blueprint())
    app.blueprint(internal.blueprint())
    app.static("/static", str(STATIC_DIR), name="static")

    async def _error(request: Request, exception: Exception) -> HTTPResponse:
        status = exception.status_code if isinstance(exception, SanicException) else 500
        if status >= 500 and not request.path.startswith(SOCKET_PREFIX):
            # (a long-poll the client gave up on is cancelled: not an error of the site)
            logger.exception("error on %s %s", request.method, request.path, exc_info=exception)
        if status == 404:
            code, text = "not_found", "not found"
        elif status == 413:
            code, text = "too_large", "the request is too large"
        elif status < 500:
            code, text = "bad_request", str(exception) or "bad request"
        else:
            code, text = "server_error", "internal error"
        if _is_json_path(request) or not hasattr(request.ctx, "session"):
            return json({"error": text, "code": code}, status=status)
        t = texts(request.ctx.session.lang)
        heading = t["not_found"] if status == 404 else t["error"]
        return await page(request, heading, message_page(request, heading, text), status)

    app.error_handler.add(Exception, _error)
    return app
