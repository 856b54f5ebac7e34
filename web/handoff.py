"""The site's side of a hand-off: customer messages while an agent has the chat, agent
replies, resolving, going back to the bot. Each pushes what changed through the sockets.

The tracker stays the source of truth for the transcript (agent replies are appended to it
through Rasa's HTTP API); the queue lives in the shop database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Sanic

from kefu.settings import get_settings
from kefu.shop import queries as shop
from kefu.shop.queries import queue
from kefu.shop.queries.staff import StaffInfo
from kefu.support import queue as support_queue
from kefu.support import texts as support_texts
from web import realtime
from web.chat import ChatError
from web.layout import run_sync
from web.transcript import ID_KEY, messages, parse_id, understood

logger = logging.getLogger(__name__)
stage_logger = logging.getLogger("web.stages")  # KEFU_STAGE_LOG=1: the hot paths' stages
STAGE_LOG = get_settings().stage_log
RESOLVED_ACTION = "action_ask_csat_after_agent"
MAX_CARDS = 10
# the bot's turn ends listening: rules match the next message only after this event
LISTEN = {"event": "action", "name": "action_listen"}


def _url(app: Sanic) -> str:
    return app.ctx.config.database_url


async def handoff_state(
    app: Sanic, conversation_id: str, lang: str, ticket: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """What the widget shows about the conversation's hand-off, or ``None`` (with the bot).

    ``ticket``: the conversation's unresolved ticket as just read or changed (not read again).
    """
    if ticket is None:
        status = await run_sync(support_queue.current, conversation_id, url=_url(app))
        if status is None:
            return None
        ticket = await run_sync(queue.get_ticket, status.ticket_id, url=_url(app))
    else:
        status = await run_sync(support_queue.status_of, ticket, url=_url(app))
    agent = ((ticket or {}).get("assignee") or {}).get("name")
    return {
        **status.public(),
        "agent": {"name": agent} if agent and status.status == "open" else None,
        "text": support_texts.queue_status(status, lang, agent),
    }


def _ms(*stamps: float) -> list[float]:
    """Milliseconds between consecutive ``perf_counter`` stamps."""
    return [(b - a) * 1000 for a, b in zip(stamps, stamps[1:], strict=False)]


def _last_user_index(events: list[dict[str, Any]]) -> int:
    for n in range(len(events) - 1, -1, -1):
        if isinstance(events[n], dict) and events[n].get("event") == "user":
            return n
    return -1


async def customer_message(
    app: Sanic, conversation_id: str, text: str, metadata: dict[str, Any], lang: str
) -> dict[str, Any]:
    """Send a customer message; the ``/chat/message`` answer.

    While the conversation is handed off the bot stays silent (Rasa stores the message of
    a paused conversation): the message goes to the agents at once and the customer is
    told it reached the queue. Otherwise the bot's replies come back with their ids, and a
    hand-off the bot just made is announced to the agents.
    """
    url = _url(app)
    before = await run_sync(queue.unresolved_ticket, conversation_id, url=url)
    if before is not None and app.ctx.config.rasa_token:
        return await _to_agent(app, before, text, metadata, lang)
    await app.ctx.outbox.drain(conversation_id)  # the tracker has every earlier message
    replies = await app.ctx.rasa.send(conversation_id, text, metadata)
    after = None
    if before is None and app.ctx.config.rasa_token:
        # a hand-off the bot just made reaches the agents before anything else is read
        after = await run_sync(queue.unresolved_ticket, conversation_id, url=url)
        if after is not None:
            await realtime.to_agents(app, "ticket", after)
    events = await app.ctx.rasa.events(conversation_id)
    app.ctx.outbox.saw(conversation_id, events)
    own = _last_user_index(events)
    if before is not None:  # no HTTP API token: no ids, the REST channel only
        ticket = await run_sync(queue.customer_wrote, conversation_id, url=url) or before
        await realtime.to_agents(app, "ticket", ticket)
        state = await handoff_state(app, conversation_id, lang) or {"status": ticket["status"]}
        state["notice"] = support_texts.text(lang, "received")
        return {"messages": [], "handoff": state, "id": None}
    if not events:  # no HTTP API token: the REST channel's replies, without ids
        return {"messages": replies}
    out = [m for m in messages(conversation_id, events, after=(own, 999))]
    answer: dict[str, Any] = {"messages": out, "id": f"{conversation_id}:{own}"}
    if after is not None:
        answer["handoff"] = await handoff_state(app, conversation_id, lang, after)
        await realtime.to_widget(app, conversation_id, "handoff", answer["handoff"])
    return answer


async def _to_agent(
    app: Sanic, ticket: dict[str, Any], text: str, metadata: dict[str, Any], lang: str
) -> dict[str, Any]:
    """A customer message while the conversation is handed off: stored in the outbox,
    pushed to the agents watching the ticket, then (in the background) sent to Rasa, which
    stores it in the paused tracker; what the bot understood follows as ``understood``."""
    conv = ticket["conversation_id"]
    event = {"event": "user", "text": text, "metadata": metadata, "timestamp": time.time()}
    t1 = time.perf_counter()
    item = await app.ctx.outbox.submit(conv, "user", event)
    t2 = time.perf_counter()
    for message in messages(conv, [item.event], for_agent=True):
        await realtime.to_agents(
            app, "message", {"ticket_id": ticket["ticket_id"], **message}, ticket["ticket_id"]
        )
    if STAGE_LOG:
        stage_logger.info("customer journal=%.2f push=%.2f", *_ms(t1, t2, time.perf_counter()))
    url = _url(app)
    changed = await run_sync(queue.customer_wrote, conv, url=url)
    await realtime.to_agents(app, "ticket", changed or ticket)
    state = (await handoff_state(app, conv, lang, changed) if changed else None) or {
        "status": ticket["status"]
    }
    state["notice"] = support_texts.text(lang, "received")
    return {"messages": [], "handoff": state, "id": item.message_id}


def understood_pusher(app: Sanic) -> Callable[[str, list[Any], list[Any]], Awaitable[None]]:
    """The outbox's callback: what the bot understood of customer messages, to the agents."""

    async def push(conv: str, events: list[Any], items: list[Any]) -> None:
        ticket = await run_sync(queue.unresolved_ticket, conv, url=_url(app))
        if ticket is None:
            return
        wanted = {i.message_id for i in items}
        found: dict[str, dict[str, Any]] = {}
        for event in reversed(events):  # the messages are at the end: no full transcript
            metadata = event.get("metadata") if isinstance(event, dict) else None
            message_id = metadata.get(ID_KEY) if isinstance(metadata, dict) else None
            if not isinstance(message_id, str) or message_id not in wanted:
                continue
            if event.get("event") == "user" and event.get("text"):
                found[message_id] = understood(event)
                if len(found) == len(wanted):
                    break
        for item in items:
            if item.message_id in found:
                await realtime.to_agents(
                    app,
                    "understood",
                    {
                        "ticket_id": ticket["ticket_id"],
                        "id": item.message_id,
                        **found[item.message_id],
                    },
                    ticket["ticket_id"],
                )

    return push


async def agent_reply(
    app: Sanic,
    ticket_id: int,
    staff: StaffInfo,
    text: str = "",
    products: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    """Store an agent's reply (text or product cards) in the outbox and push it at once;
    the outbox appends it to the tracker right after.

    When the agent has the conversation already (the usual case) the ticket is only read
    before the push; the bookkeeping (first reply time, unread count) follows the push and
    is skipped when nothing changes. Otherwise the reply claims the ticket first, in one
    conditional update, as a claim does.

    Returns:
        The message as the widget got it, or ``None`` when the ticket is resolved, missing
        or another agent has it.
    """
    if not app.ctx.config.rasa_token:
        raise ChatError("the site has no token for Rasa's HTTP API", 503, "no_api")
    url = _url(app)
    t0 = time.perf_counter()
    owned = await run_sync(queue.get_ticket, ticket_id, wake=False, url=url)
    mine = (
        owned is not None
        and owned["status"] == "open"
        and (owned.get("assignee") or {}).get("id") == staff.id
    )
    if not mine:
        owned = await run_sync(queue.get_ticket, ticket_id, url=url)  # wakes a snoozed one
        if owned is None or owned["status"] == "resolved":
            return None
        owned = await run_sync(queue.agent_replied, ticket_id, staff.id, url=url)
        if owned is None:
            return None
    assert owned is not None
    t1 = time.perf_counter()
    conv = owned["conversation_id"]
    event: dict[str, Any] = {
        "event": "bot",
        "text": text or None,
        "data": {"custom": {"products": products}} if products else {},
        "metadata": {"agent": {"id": staff.id, "name": staff.name}},
        "timestamp": time.time(),
    }
    item = await app.ctx.outbox.submit(conv, "bot", event)
    t2 = time.perf_counter()
    sent = messages(conv, [item.event])
    for message in sent:
        await realtime.to_widget(app, conv, "message", message)
    if STAGE_LOG:
        stage_logger.info(
            "agent db=%.2f journal=%.2f push=%.2f", *_ms(t0, t1, t2, time.perf_counter())
        )
    for message in messages(conv, [item.event], for_agent=True):
        await realtime.to_agents(app, "message", {"ticket_id": ticket_id, **message}, ticket_id)
    if mine and (owned["first_reply_at"] is None or owned["unread"]):
        after = await run_sync(queue.agent_replied, ticket_id, staff.id, url=url)
        if after is None:  # transferred or resolved while this reply went out
            logger.info("ticket %s changed hands during a reply", ticket_id)
        owned = after or owned
    await realtime.to_agents(app, "ticket", owned)
    return sent[0] if sent else {"id": item.message_id}


async def product_cards(app: Sanic, product_ids: list[str], lang: str) -> list[dict[str, Any]]:
    """Cards of the products (same shape as the bot's), in the customer's language."""
    found = await run_sync(shop.products_by_ids, product_ids[:MAX_CARDS], url=_url(app))
    cards = []
    for p in (found[i] for i in product_ids[:MAX_CARDS] if i in found):
        cards.append(
            {
                "id": p.id,
                "name": p.name(lang),
                "price": float(p.price),
                "image": p.image,
                "url": p.url,
                "reason": "",
            }
        )
    return cards


async def back_to_bot(
    app: Sanic, ticket: dict[str, Any], staff: StaffInfo | None, lang: str = "zh"
) -> dict[str, Any] | None:
    """Resolve the ticket and resume the bot (slots kept).

    After an agent (``staff``), the bot asks for a 1-5 score of the agent's help; when the
    customer went back on their own (``staff`` is ``None``), the bot says it is back.

    Returns:
        The resolved ticket, or ``None`` when it was resolved already.
    """
    url = _url(app)
    resolved = await run_sync(
        queue.resolve, ticket["ticket_id"], staff.id if staff else None, url=url
    )
    if resolved is None:
        return None
    conv = ticket["conversation_id"]
    await app.ctx.outbox.drain(conv)  # the agent's last replies first
    try:
        resume: list[dict[str, Any]] = [{"event": "resume"}]
        if staff is None:
            resume.append({"event": "bot", "text": support_texts.text(lang, "back_to_bot")})
        start = len(await app.ctx.rasa.events(conv))
        if staff is None:
            resume.append(LISTEN)
        await app.ctx.rasa.append(conv, resume)
        if staff is not None:
            await app.ctx.rasa.execute(conv, RESOLVED_ACTION)
            await app.ctx.rasa.append(conv, [LISTEN])
        events = await app.ctx.rasa.events(conv)
        app.ctx.outbox.saw(conv, events)
        new = messages(conv, events, after=(start - 1, 999))
    except ChatError:
        # the bot could not take the conversation back: it stays with the agents
        logger.exception("could not resume the bot in %s", conv)
        await run_sync(queue.reopen, ticket["ticket_id"], ticket["status"], url=url)
        raise
    await realtime.to_widget(app, conv, "handoff", {"status": "resolved"})
    for message in new:
        await realtime.to_widget(app, conv, "message", message)
    await realtime.to_agents(app, "ticket", resolved)
    return resolved


def check_after(conversation_id: str, after: str | None) -> tuple[int, int] | None:
    """The position of ``after`` (``None`` when absent); :class:`BadMessageId` if foreign."""
    return parse_id(conversation_id, after) if after else None
