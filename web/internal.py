"""Internal doors for kefu's own servers, not for browsers: ``/internal/...``.

``POST /internal/tickets/{id}/announce``: the action server says it has just written a
hand-off ticket (:mod:`actions.services.announce`). The site reads the ticket itself and
pushes it to every agent console as ``ticket``, the payload the consoles get after the
bot's turn (:func:`web.handoff.customer_message`), so the consoles need not wait for the
rest of the turn. With several sites the push goes through the Redis socket manager: one
announce to any site reaches every console. A console that gets the same ticket twice
reloads its lists from the API, one row per ticket.

The request must carry the shared secret (``X-Kefu-Announce-Secret``, setting
``KEFU_ANNOUNCE_SECRET``), compared in constant time: 401 without it, with a wrong one,
or when the site has none configured. The answer never holds the ticket: 204, or 404
when there is no such ticket.
"""

from __future__ import annotations

import hmac

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from kefu.shop.queries import queue
from web import realtime
from web.layout import run_sync

PREFIX = "/internal/"
HEADER = "x-kefu-announce-secret"


def authorized(given: str | None, expected: str) -> bool:
    """Whether ``given`` is the announce secret (never when none is configured)."""
    if not expected:
        return False
    return hmac.compare_digest((given or "").encode("utf-8", "replace"), expected.encode())


def blueprint() -> Blueprint:
    """The internal routes."""
    bp = Blueprint("internal")

    @bp.post("/internal/tickets/<ticket_id:int>/announce")
    async def announce(request: Request, ticket_id: int) -> HTTPResponse:
        config = request.app.ctx.config
        if not authorized(request.headers.get(HEADER), config.announce_secret):
            return json({"error": "not allowed", "code": "unauthorized"}, status=401)
        ticket = None
        if 0 < ticket_id < 2**63:
            ticket = await run_sync(
                queue.get_ticket, ticket_id, wake=False, url=config.database_url
            )
        if ticket is None:
            return json({"error": "not found", "code": "not_found"}, status=404)
        await realtime.to_agents(request.app, "ticket", ticket)
        return empty(status=204)

    return bp
