"""The widget's JSON endpoints: ``/chat/message``, ``/chat/history``, ``/chat/restart``.

The conversation is always the one bound to the browser's session cookie; the request
body carries only the message text. The site adds the metadata itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import replace

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from kefu.identity import issue_token
from web import handoff
from web.chat import ChatError
from web.layout import run_sync, session_of
from web.transcript import BadMessageId, messages

logger = logging.getLogger(__name__)
TOKEN_TTL = 60  # a minute: minted for each message, checked while it is handled


def error(message: str, status: int, code: str) -> HTTPResponse:
    """A JSON error body: ``{"error": message, "code": code}``."""
    return json({"error": message, "code": code}, status=status)


def client_hash(key: bytes, kind: str, value: str) -> str:
    """A keyed hash of a client's session id or address (the bot never sees either)."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _client_address(request: Request) -> str:
    return request.remote_addr or request.ip or "?"


def _rate_limited(request: Request, sid: str) -> HTTPResponse | None:
    """429 with ``Retry-After`` when the session or the address sends too many messages."""
    ctx = request.app.ctx
    wait = max(
        ctx.chat_limit_session.hit(f"session:{sid}"),
        ctx.chat_limit_ip.hit(f"ip:{_client_address(request)}"),
    )
    if not wait:
        return None
    response = error("too many messages: wait a moment", 429, "rate_limited")
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response


def blueprint() -> Blueprint:
    """The chat API routes."""
    bp = Blueprint("chat_api", url_prefix="/chat")

    @bp.post("/message")
    async def message(request: Request) -> HTTPResponse:
        limited = _rate_limited(request, session_of(request).sid)
        if limited is not None:
            return limited
        if (request.content_type or "").split(";")[0].strip() != "application/json":
            return error('send the message as JSON: {"message": "..."}', 415, "bad_type")
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - Sanic raises InvalidUsage on bad JSON
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return error('the body must be a JSON object {"message": "..."}', 400, "bad_body")
        text = body["message"].strip()
        limit = request.app.ctx.config.max_message_chars
        if not text:
            return error("the message is empty", 400, "empty")
        if len(text) > limit:
            return error(f"the message is longer than {limit} characters", 400, "too_long")
        if "\x00" in text:
            return error("the message contains a NUL character", 400, "bad_body")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate such as "\ud800"
            return error("the message is not valid Unicode text", 400, "bad_body")
        session = session_of(request)
        key = request.app.ctx.session_key
        metadata: dict[str, object] = {
            "language": session.lang,
            "client": {
                "session": client_hash(key, "session", session.sid),
                "ip": client_hash(key, "ip", _client_address(request)),
            },
        }
        if session.customer_id:
            metadata["customer_token"] = issue_token(
                session.customer_id,
                TOKEN_TTL,
                session_id=session.sid,
                conversation_id=session.conversation_id,
            )
        if not session.chatted:
            request.ctx.session = session = replace(session, chatted=True)
        try:
            answer = await handoff.customer_message(
                request.app, session.conversation_id, text, metadata, session.lang
            )
        except ChatError as exc:
            return error(str(exc), exc.status, exc.code)
        return json(answer)

    @bp.get("/history")
    async def history(request: Request) -> HTTPResponse:
        session = session_of(request)
        conv = session.conversation_id
        try:
            after = handoff.check_after(conv, request.args.get("after"))
        except BadMessageId as exc:
            return error(str(exc), 400, "bad_id")
        if not session.chatted:  # never chatted: no tracker to read, no session to start
            return json({"messages": []})
        try:
            if not request.app.ctx.config.rasa_token:
                return json({"messages": await request.app.ctx.rasa.history(conv)})
            events = await request.app.ctx.outbox.read(conv)
        except ChatError as exc:
            return error(str(exc), exc.status, exc.code)
        state = await handoff.handoff_state(request.app, conv, session.lang)
        return json({"messages": messages(conv, events, after=after), "handoff": state})

    @bp.get("/handoff")
    async def handoff_status(request: Request) -> HTTPResponse:
        session = session_of(request)
        state = await handoff.handoff_state(request.app, session.conversation_id, session.lang)
        return json({"handoff": state})

    @bp.post("/handoff/end")
    async def handoff_end(request: Request) -> HTTPResponse:
        """The customer goes back to the bot (resolves their ticket, resumes the bot)."""
        from kefu.shop.queries import queue

        session = session_of(request)
        url = request.app.ctx.config.database_url
        ticket = await run_sync(queue.unresolved_ticket, session.conversation_id, url=url)
        if ticket is None:
            return json({"handoff": None})
        try:
            await handoff.back_to_bot(request.app, ticket, None, session.lang)
        except ChatError as exc:
            return error(str(exc), exc.status, exc.code)
        return json({"handoff": {"status": "resolved"}})

    @bp.post("/restart")
    async def restart(request: Request) -> HTTPResponse:
        request.ctx.session = session_of(request).restarted()
        return json({"messages": []})

    return bp
