"""Real-time push: python-socketio on the site (``/socket.io``), namespaces ``/widget`` and ``/agent``.

``/widget``: the server reads the session cookie when the socket connects (a signed-in
customer's only while not signed out) and joins it to the room of that session's
conversation (``conv:<id>``) only; nothing the client sends can
name another room. Events out: ``message``, ``typing``, ``handoff``; in: ``typing``
``{typing}`` and ``catch_up`` ``{after}`` (the server re-sends what came after, in order).

``/agent``: staff sessions only (checked against the database, like every staff request);
joined to ``agents``; ``watch`` ``{ticket_id}`` joins ``ticket:<id>``; ``typing``
``{ticket_id, typing}`` reaches the customer. Several site processes share rooms through
Redis (``KEFU_REDIS_URL``; long-polling then needs sticky sessions).
"""

from __future__ import annotations

import logging
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio
from sanic import Sanic

from kefu.shop.queries import ShopUnavailable, queue, site_session_active
from web import session as web_session
from web.chat import ChatError
from web.layout import run_sync
from web.staff_auth import staff_of
from web.transcript import BadMessageId, messages, parse_id

logger = logging.getLogger(__name__)

WIDGET, AGENT = "/widget", "/agent"


def conversation_room(conversation_id: str) -> str:
    """The room of a conversation's widget sockets."""
    return f"conv:{conversation_id}"


def ticket_room(ticket_id: int) -> str:
    """The room of the agents watching a ticket."""
    return f"ticket:{ticket_id}"


def _session(environ: dict[str, Any], key: bytes) -> web_session.Session | None:
    try:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE") or "")
    except CookieError:
        return None
    morsel = cookie.get(web_session.COOKIE_NAME)
    return web_session.decode(morsel.value if morsel else None, key)


async def _still_signed_in(current: web_session.Session, url: str) -> bool:
    """Whether a customer's session has not been signed out (as every page checks)."""
    try:
        return bool(await run_sync(site_session_active, current.sid, url=url))
    except ShopUnavailable:
        return False


def create_server(redis_url: str = "") -> socketio.AsyncServer:
    """The socket.io server (same-origin only; Redis-backed rooms when ``redis_url``)."""
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    return socketio.AsyncServer(
        async_mode="sanic",
        client_manager=manager,
        cors_allowed_origins=None,  # the site's own origin only
        max_http_buffer_size=64 * 1024,
        ping_interval=10,
        ping_timeout=10,
    )


def attach(app: Sanic, key: bytes, redis_url: str = "") -> socketio.AsyncServer:
    """Mount the socket server on ``app`` at ``/socket.io`` and register the handlers."""
    sio = create_server(redis_url)
    sio.attach(app, socketio_path="socket.io")
    app.ctx.sio = sio
    url = app.ctx.config.database_url

    @sio.on("connect", namespace=WIDGET)
    async def widget_connect(sid: str, environ: dict[str, Any], _auth: Any = None) -> bool:
        current = _session(environ, key)
        if current is None:
            return False  # no signed session cookie: nothing to join
        if current.customer_id is not None and not await _still_signed_in(current, url):
            return False  # a copy of a cookie signed out since: not the customer's chat
        await sio.save_session(sid, {"conv": current.conversation_id}, namespace=WIDGET)
        await sio.enter_room(sid, conversation_room(current.conversation_id), namespace=WIDGET)
        return True

    @sio.on("catch_up", namespace=WIDGET)
    async def widget_catch_up(sid: str, data: Any) -> None:
        conv = (await sio.get_session(sid, namespace=WIDGET))["conv"]
        after = data.get("after") if isinstance(data, dict) else None
        try:
            position = parse_id(conv, after) if after else None
            events = await app.ctx.outbox.read(conv)
        except (BadMessageId, ChatError) as exc:
            await sio.emit("error", {"error": str(exc)}, to=sid, namespace=WIDGET)
            return
        for message in messages(conv, events, after=position):
            await sio.emit("message", message, to=sid, namespace=WIDGET)

    @sio.on("typing", namespace=WIDGET)
    async def widget_typing(sid: str, data: Any) -> None:
        conv = (await sio.get_session(sid, namespace=WIDGET))["conv"]
        ticket = await run_sync(queue.unresolved_ticket, conv, url=url)
        if ticket is not None:
            typing = bool(data.get("typing")) if isinstance(data, dict) else False
            payload = {"ticket_id": ticket["ticket_id"], "who": "customer", "typing": typing}
            await sio.emit(
                "typing", payload, room=ticket_room(ticket["ticket_id"]), namespace=AGENT
            )

    @sio.on("connect", namespace=AGENT)
    async def agent_connect(sid: str, environ: dict[str, Any], _auth: Any = None) -> bool:
        staff = await run_sync(staff_of, _session(environ, key), url)
        if staff is None:
            return False
        await sio.save_session(sid, {"staff_id": staff.id, "name": staff.name}, namespace=AGENT)
        await sio.enter_room(sid, "agents", namespace=AGENT)
        return True

    @sio.on("watch", namespace=AGENT)
    async def agent_watch(sid: str, data: Any) -> None:
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        if isinstance(ticket_id, int) and not isinstance(ticket_id, bool):
            await sio.enter_room(sid, ticket_room(ticket_id), namespace=AGENT)

    @sio.on("unwatch", namespace=AGENT)
    async def agent_unwatch(sid: str, data: Any) -> None:
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        if isinstance(ticket_id, int) and not isinstance(ticket_id, bool):
            await sio.leave_room(sid, ticket_room(ticket_id), namespace=AGENT)

    @sio.on("typing", namespace=AGENT)
    async def agent_typing(sid: str, data: Any) -> None:
        me = await sio.get_session(sid, namespace=AGENT)
        ticket_id = data.get("ticket_id") if isinstance(data, dict) else None
        if isinstance(ticket_id, int) and not isinstance(ticket_id, bool):
            await agent_is_typing(app, ticket_id, me["name"], bool(data.get("typing")))

    return sio


async def agent_is_typing(app: Sanic, ticket_id: int, name: str, typing: bool) -> None:
    """Show (or hide) the agent's typing indicator in the ticket's widget."""
    url = app.ctx.config.database_url
    ticket = await run_sync(queue.get_ticket, ticket_id, wake=False, url=url)
    if ticket is not None and ticket["status"] != "resolved":
        await app.ctx.sio.emit(
            "typing",
            {"who": "agent", "name": name, "typing": typing},
            room=conversation_room(ticket["conversation_id"]),
            namespace=WIDGET,
        )


async def to_widget(app: Sanic, conversation_id: str, event: str, data: Any) -> None:
    """Push ``event`` to every widget of the conversation."""
    await app.ctx.sio.emit(event, data, room=conversation_room(conversation_id), namespace=WIDGET)


async def to_agents(app: Sanic, event: str, data: Any, ticket_id: int | None = None) -> None:
    """Push ``event`` to every agent (``ticket_id``: to the agents watching that ticket)."""
    room = ticket_room(ticket_id) if ticket_id is not None else "agents"
    await app.ctx.sio.emit(event, data, room=room, namespace=AGENT)
