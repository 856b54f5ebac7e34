"""Request helpers shared by the console's JSON blueprints (:mod:`web.agent_api`,
:mod:`web.agent_admin`): error answers, the JSON body, the signed-in staff member."""

from __future__ import annotations

from typing import Any

from sanic import Request
from sanic.response import HTTPResponse, json

from kefu.shop.queries.staff import StaffInfo
from web.staff_auth import current_staff, refuse


def error(message: str, status: int, code: str) -> HTTPResponse:
    """A JSON error answer: ``{"error": message, "code": code}``."""
    return json({"error": message, "code": code}, status=status)


def body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or ``None`` (not JSON, bad JSON, not an object)."""
    if (request.content_type or "").split(";")[0].strip() != "application/json":
        return None
    try:
        found = request.json
    except Exception:  # noqa: BLE001 - Sanic raises on bad JSON
        return None
    return found if isinstance(found, dict) else None


def data(request: Request) -> dict[str, Any]:
    """The JSON body (the middleware refused requests without one)."""
    return body(request) or {}


def me(request: Request) -> StaffInfo:
    """The signed-in staff member (the middleware refused everyone else)."""
    staff = current_staff(request)
    assert staff is not None
    return staff


def as_int(value: object) -> int | None:
    """``value`` when it is a JSON integer (not a boolean), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def url(request: Request) -> str:
    """The shop database of the site."""
    return str(request.app.ctx.config.database_url)


MAX_TICKET_ID = 2**63 - 1  # the databases' largest integer key; past it no ticket exists


def guard(request: Request, admin: bool = False) -> HTTPResponse | None:
    """The middleware of a console blueprint: staff only (``admin``: admins only), and
    unsafe requests must carry a JSON object (a cross-site form cannot send one)."""
    refused = refuse(request, admin=admin)
    if refused is not None:
        return refused
    ticket_id = request.match_info.get("ticket_id")
    if isinstance(ticket_id, int) and not 1 <= ticket_id <= MAX_TICKET_ID:
        return error("no such conversation", 404, "not_found")  # SQLite would overflow
    if request.method in ("POST", "PUT", "DELETE") and body(request) is None:
        return error("send a JSON object", 415, "bad_type")
    return None
