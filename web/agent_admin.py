"""What admins manage from the console (``/agent/api/...``): canned replies, staff
accounts and the opening hours. Agents may read the canned replies and the hours; every
change is for admins only (403 for agents, 401 for everyone else)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from kefu.shop import queries as shop
from kefu.shop.queries import desk
from kefu.shop.queries import staff as staff_rows
from kefu.support.hours import hours_spec, parse_hours
from kefu.support.staff import StaffExists, add_account
from web import realtime
from web.agent_http import data, error, guard, me, url
from web.layout import run_sync
from web.staff_auth import refuse

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]
MAX_HOURS_CHARS = 500


def admin_only(handler: Handler) -> Handler:
    """Answer 403 to agents before ``handler`` runs."""

    @wraps(handler)
    async def checked(request: Request, *args: object, **kwargs: object) -> HTTPResponse:
        refused = refuse(request, admin=True)
        return refused if refused is not None else await handler(request, *args, **kwargs)

    return checked


def hours_view(request_url: str) -> dict[str, object]:
    """The hours in force, whether an admin set them, and whether agents answer now."""
    spec, tz = hours_spec(url=request_url)
    stored = desk.desk_settings(url=request_url)
    hours = parse_hours(spec, tz)
    return {
        "opening_hours": spec,
        "support_tz": tz,
        "custom": "opening_hours" in stored or "support_tz" in stored,
        "open_now": hours.is_open(),
    }


def blueprint() -> Blueprint:
    """The admin routes of the console API."""
    bp = Blueprint("agent_admin", url_prefix="/agent/api")

    @bp.middleware("request")
    async def _staff_only(request: Request) -> HTTPResponse | None:
        return guard(request)

    @bp.get("/canned")
    async def canned(request: Request) -> HTTPResponse:
        return json(await run_sync(shop.canned_replies, url=url(request)))

    @bp.post("/canned")
    @admin_only
    async def canned_save(request: Request) -> HTTPResponse:
        body = data(request)
        try:
            row = await run_sync(
                shop.save_canned_reply,
                body.get("shortcut"),
                body.get("text_zh"),
                body.get("text_en"),
                me(request).id,
                url=url(request),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            return error(str(exc), 400, "bad_body")
        return json(row)

    @bp.delete("/canned")
    @admin_only
    async def canned_delete(request: Request) -> HTTPResponse:
        shortcut = data(request).get("shortcut")
        if not isinstance(shortcut, str):
            return error('send {"shortcut": "..."}', 400, "bad_body")
        found = await run_sync(shop.delete_canned_reply, shortcut, url=url(request))
        return json({"deleted": found}, status=200 if found else 404)

    @bp.get("/staff")
    @admin_only
    async def staff_list(request: Request) -> HTTPResponse:
        rows = await run_sync(staff_rows.list_staff, url=url(request))
        return json([r.public() for r in rows])

    @bp.post("/staff")
    @admin_only
    async def staff_add(request: Request) -> HTTPResponse:
        body = data(request)
        try:
            info = await run_sync(
                add_account,
                str(body.get("email") or ""),
                str(body.get("name") or ""),
                str(body.get("role") or "agent"),
                str(body.get("password") or ""),
                url=url(request),
            )
        except StaffExists as exc:
            return error(str(exc), 409, "exists")
        except ValueError as exc:
            return error(str(exc), 400, "bad_body")
        return json(info.public(), status=201)

    @bp.post("/staff/disable")
    @admin_only
    async def staff_disable(request: Request) -> HTTPResponse:
        email = data(request).get("email")
        if not isinstance(email, str) or not email.strip():
            return error('send {"email": "..."}', 400, "bad_body")
        if email.strip().lower() == me(request).email.lower():
            return error("you cannot disable your own account", 400, "self")
        info = await run_sync(staff_rows.disable_staff, email, url=url(request))
        if info is None:
            return error("no such account", 404, "not_found")
        return json(info.public())

    @bp.get("/hours")
    async def hours(request: Request) -> HTTPResponse:
        return json(await run_sync(hours_view, url(request)))

    @bp.post("/hours")
    @admin_only
    async def hours_save(request: Request) -> HTTPResponse:
        body = data(request)
        spec, tz = body.get("opening_hours"), body.get("support_tz")
        if body.get("reset") is True:
            values: dict[str, str | None] = {"opening_hours": None, "support_tz": None}
        elif not isinstance(spec, str) or not isinstance(tz, str) or not tz.strip():
            return error('send {"opening_hours": "...", "support_tz": "..."}', 400, "bad_body")
        elif len(spec) > MAX_HOURS_CHARS:
            return error(f"at most {MAX_HOURS_CHARS} characters", 400, "bad_body")
        else:
            try:
                parse_hours(spec, tz.strip())
            except ValueError as exc:
                return error(str(exc), 400, "bad_hours")
            values = {"opening_hours": spec.strip(), "support_tz": tz.strip()}
        await run_sync(desk.save_desk_settings, values, me(request).id, url=url(request))
        view = await run_sync(hours_view, url(request))
        await realtime.to_agents(request.app, "hours", view)
        return json(view)

    return bp
