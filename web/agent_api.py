"""The agent console's JSON API (``/agent/api/...``): staff sessions only.

Anonymous requests get 401, customers too (a customer session is not a staff session);
admin-only routes give agents 403. Unsafe requests must be JSON (a cross-site form cannot
send it) and come from the site itself (the CSRF check of :mod:`web.app`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from analytics.scores import warm_scores
from kefu.shop import queries as shop
from kefu.shop.queries import queue
from kefu.shop.queries import staff as staff_rows
from kefu.support import texts as support_texts
from nlp.text import DEFAULT_LANGUAGE
from web import handoff, realtime
from web.agent_http import as_int as _int
from web.agent_http import data as _data
from web.agent_http import error as _error
from web.agent_http import guard, url
from web.agent_http import me as _me
from web.chat import ChatError
from web.console_overview import live_overview
from web.customer_panel import customer_panel, proof_attempts
from web.layout import run_sync
from web.suggest import suggested_reply
from web.transcript import messages

MAX_TEXT = 4000


async def _joined(request: Request, ticket: dict[str, Any]) -> None:
    """Tell the customer's widget which agent has the conversation now."""
    conv, lang = ticket["conversation_id"], ticket["lang"]
    state = await handoff.handoff_state(request.app, conv, lang)
    agent = (ticket.get("assignee") or {}).get("name")
    if state is None or not agent:
        return
    state["joined"] = {"name": agent, "text": support_texts.text(lang, "joined", agent=agent)}
    await realtime.to_widget(request.app, conv, "handoff", state)


def blueprint() -> Blueprint:
    """The console API routes."""
    bp = Blueprint("agent_api", url_prefix="/agent/api")

    @bp.middleware("request")
    async def _staff_only(request: Request) -> HTTPResponse | None:
        return guard(request)

    async def ticket_or_404(request: Request, ticket_id: int) -> dict[str, Any] | None:
        return await run_sync(queue.get_ticket, ticket_id, url=url(request))

    def changed(ticket: dict[str, Any] | None) -> HTTPResponse:
        if ticket is None:
            return _error("the conversation is not in a state that allows this", 409, "conflict")
        return json(ticket)

    @bp.get("/me")
    async def me(request: Request) -> HTTPResponse:
        # the console opened: score the customers now, before a panel needs them
        warm_scores(url(request))
        return json(_me(request).public())

    @bp.post("/duty")
    async def duty(request: Request) -> HTTPResponse:
        on = _data(request).get("on_duty")
        if not isinstance(on, bool):
            return _error('send {"on_duty": true|false}', 400, "bad_body")
        info = await run_sync(staff_rows.set_on_duty, _me(request).id, on, url=url(request))
        await realtime.to_agents(request.app, "overview", await live_overview(request.app))
        return json(info.public() if info else None)

    @bp.get("/conversations")
    async def conversations(request: Request) -> HTTPResponse:
        view = request.args.get("view", "pending")
        try:
            rows = await run_sync(
                queue.list_tickets,
                view,
                _me(request).id,
                (request.args.get("q") or "")[:100],
                url=url(request),
            )
        except ValueError as exc:
            return _error(str(exc), 400, "bad_view")
        return json(rows)

    @bp.get("/conversations/<ticket_id:int>")
    async def conversation(request: Request, ticket_id: int) -> HTTPResponse:
        ticket = await ticket_or_404(request, ticket_id)
        if ticket is None:
            return _error("no such conversation", 404, "not_found")
        try:
            events = await request.app.ctx.outbox.read(ticket["conversation_id"])
        except ChatError as exc:
            return _error(str(exc), exc.status, exc.code)
        transcript = messages(ticket["conversation_id"], events, for_agent=True)
        trail = [
            {"id": m["id"], **m["sentiment"]}
            for m in transcript
            if m["sender"] == "user" and m.get("sentiment")
        ]
        notes = await run_sync(shop.notes_for, ticket_id, url=url(request))
        panel = await run_sync(
            customer_panel,
            ticket["customer"].get("id"),
            ticket["lang"],
            url(request),
            proof_attempts(events),
        )
        if _me(request).id == (ticket.get("assignee") or {}).get("id"):
            await run_sync(queue.mark_read, ticket_id, url=url(request))
        suggestion = await suggested_reply(request.app, ticket, transcript)
        return json(
            {
                **ticket,
                "messages": transcript,
                "notes": notes,
                "sentiment_trail": trail,
                "customer_panel": panel,
                "suggested_reply": suggestion,
            }
        )

    async def _push(request: Request, ticket: dict[str, Any] | None) -> HTTPResponse:
        if ticket is not None:
            await realtime.to_agents(request.app, "ticket", ticket)
        return changed(ticket)

    async def _to_agent(
        request: Request, change: Callable[[int], Awaitable[dict[str, Any] | None]]
    ) -> HTTPResponse:
        """Claim, assign or transfer: push the ticket, tell the customer who joined."""
        ticket = await change(_me(request).id)
        if ticket is not None and ticket["status"] == "open":
            await _joined(request, ticket)
        return await _push(request, ticket)

    @bp.post("/conversations/<ticket_id:int>/claim")
    async def claim(request: Request, ticket_id: int) -> HTTPResponse:
        return await _to_agent(
            request, lambda me: run_sync(queue.claim, ticket_id, me, url=url(request))
        )

    @bp.post("/conversations/<ticket_id:int>/assign")
    async def assign(request: Request, ticket_id: int) -> HTTPResponse:
        target = _int(_data(request).get("staff_id"))
        if target is None:
            return _error('send {"staff_id": N}', 400, "bad_body")
        return await _to_agent(
            request, lambda _me: run_sync(queue.assign, ticket_id, target, url=url(request))
        )

    @bp.post("/conversations/<ticket_id:int>/transfer")
    async def transfer(request: Request, ticket_id: int) -> HTTPResponse:
        target = _int(_data(request).get("staff_id"))
        if target is None:
            return _error('send {"staff_id": N}', 400, "bad_body")
        return await _to_agent(
            request,
            lambda me: run_sync(queue.transfer, ticket_id, me, target, url=url(request)),
        )

    @bp.post("/conversations/<ticket_id:int>/snooze")
    async def snooze(request: Request, ticket_id: int) -> HTTPResponse:
        raw = _data(request).get("until")
        try:
            until = datetime.fromisoformat(raw) if isinstance(raw, str) else None
            if until is None:
                raise ValueError("missing")
            if until.tzinfo is not None:
                until = until.astimezone().replace(tzinfo=None)
            ticket = await run_sync(queue.snooze, ticket_id, until, url=url(request))
        except ValueError:
            return _error('send {"until": "<ISO time in the future>"}', 400, "bad_body")
        return await _push(request, ticket)

    @bp.post("/conversations/<ticket_id:int>/resolve")
    async def resolve(request: Request, ticket_id: int) -> HTTPResponse:
        ticket = await ticket_or_404(request, ticket_id)
        if ticket is None:
            return _error("no such conversation", 404, "not_found")
        try:
            done = await handoff.back_to_bot(request.app, ticket, _me(request), ticket["lang"])
        except ChatError as exc:
            return _error(str(exc), exc.status, exc.code)
        return changed(done)

    async def _reply(
        request: Request, ticket_id: int, text: str, cards: list | None
    ) -> HTTPResponse:
        try:
            sent = await handoff.agent_reply(request.app, ticket_id, _me(request), text, cards)
        except ChatError as exc:
            return _error(str(exc), exc.status, exc.code)
        if sent is not None:
            return json(sent)
        ticket = await ticket_or_404(request, ticket_id)
        if ticket is None or ticket["status"] == "resolved":
            return _error("the conversation is not waiting for an agent", 409, "conflict")
        return _error("another agent has this conversation", 409, "conflict")

    @bp.post("/conversations/<ticket_id:int>/messages")
    async def reply(request: Request, ticket_id: int) -> HTTPResponse:
        text = _data(request).get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _error(f"a message has 1 to {MAX_TEXT} characters", 400, "bad_body")
        return await _reply(request, ticket_id, text.strip(), None)

    @bp.post("/conversations/<ticket_id:int>/products")
    async def products(request: Request, ticket_id: int) -> HTTPResponse:
        ids = _data(request).get("product_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return _error('send {"product_ids": ["..."]}', 400, "bad_body")
        ticket = await ticket_or_404(request, ticket_id)
        lang = ticket["lang"] if ticket else DEFAULT_LANGUAGE
        cards = await handoff.product_cards(request.app, ids, lang)
        if not cards:
            return _error("none of these products exist", 400, "bad_body")
        return await _reply(request, ticket_id, "", cards)

    @bp.post("/conversations/<ticket_id:int>/notes")
    async def note(request: Request, ticket_id: int) -> HTTPResponse:
        text = _data(request).get("text")
        try:
            added = await run_sync(
                shop.add_note, ticket_id, _me(request).id, text, url=url(request)
            )
        except ValueError as exc:
            return _error(str(exc), 400, "bad_body")
        except LookupError:
            return _error("no such conversation", 404, "not_found")
        await realtime.to_agents(request.app, "note", added, ticket_id)
        return json(added)

    @bp.post("/conversations/<ticket_id:int>/typing")
    async def typing(request: Request, ticket_id: int) -> HTTPResponse:
        state = bool(_data(request).get("typing"))
        await realtime.agent_is_typing(request.app, ticket_id, _me(request).name, state)
        return json({"ok": True})

    @bp.post("/conversations/<ticket_id:int>/orders/<order_id:str>/<what:str>")
    async def order_action(
        request: Request, ticket_id: int, order_id: str, what: str
    ) -> HTTPResponse:
        ticket = await ticket_or_404(request, ticket_id)
        if ticket is None or not ticket["customer"].get("id"):
            return _error("only a verified customer's orders", 403, "forbidden")
        customer = ticket["customer"]["id"]
        body = _data(request)
        try:
            if what == "cancel":
                refund = await run_sync(
                    shop.cancel_order, order_id, customer, None, url=url(request)
                )
                result: dict[str, Any] = {"refund": str(refund.amount)}
            elif what == "return":
                line = _int(body.get("line_id"))
                reason = body.get("reason") or "agent"
                if line is None:
                    return _error('send {"line_id": N, "reason": "..."}', 400, "bad_body")
                result = {
                    "return_id": await run_sync(
                        shop.create_return,
                        order_id,
                        line,
                        str(reason),
                        customer,
                        None,
                        url=url(request),
                    )
                }
            else:
                return _error("unknown order action", 404, "not_found")
        except shop.ShopRefusal as refusal:
            return _error(refusal.reason, 409, refusal.reason)
        text = f"[{what}] order {order_id}: {result}"
        await run_sync(shop.add_note, ticket_id, _me(request).id, text, url=url(request))
        return json({"order_id": order_id, "action": what, **result})

    @bp.get("/overview")
    async def overview(request: Request) -> HTTPResponse:
        return json(await live_overview(request.app))

    return bp
