"""How every action runs: off the event loop, with one read cache, polite on outages.

The action server has one event loop, and the shop is read with synchronous SQLAlchemy.
:func:`shop_action` (a class decorator, applied to every action of this package) makes
each action call:

* run in a bounded pool of worker threads, so that a slow query never stops the loop
  (``/health`` and other customers' calls keep being answered);
* read the shop through one :func:`kefu.shop.queries.common.read_cache`: the token's
  customer, the order and its lines are queried once per call, however often rasa_sdk
  asks (``required_slots`` runs three times per validation);
* answer ``utter_shop_unavailable`` ("I can't reach the order system right now") when
  the shop database is unreachable, dropping the events and replies prepared so far, so
  that nothing partial is written or said. A form validator stays silent and ends the
  form: the form's submit action then gives the one apology.

:func:`effect_key` names the request a side effect answers (conversation, Rasa's message
id, action), for :func:`kefu.shop.queries.effects.once`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from rasa_sdk import FormValidationAction
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.exc import SQLAlchemyError

from kefu.shop.db import DatabaseError
from kefu.shop.queries.common import read_cache
from kefu.shop.queries.effects import EffectKey

logger = logging.getLogger(__name__)

WORKERS = 8  # action calls running at once; the shop engines pool 5 + 10 connections
SHOP_UNAVAILABLE = "utter_shop_unavailable"
GUARDED = "__kefu_shop_action__"

A = TypeVar("A", bound=type)
RunFn = Callable[..., Awaitable[list[EventType]]]

_IN_ACTION: contextvars.ContextVar[bool] = contextvars.ContextVar("kefu_in_action", default=False)
_pool: ThreadPoolExecutor | None = None
_worker = threading.local()  # each worker thread's own event loop, kept between calls


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kefu-action")
    return _pool


def message_id(tracker: Any) -> str | None:
    """Rasa's id of the latest user message of ``tracker`` (``None`` when unknown)."""
    for event in reversed(getattr(tracker, "events", None) or []):
        if isinstance(event, Mapping) and event.get("event") == "user":
            value = event.get("message_id")
            if isinstance(value, str) and value:
                return value
            break
    latest = getattr(tracker, "latest_message", None) or {}
    value = latest.get("message_id") if isinstance(latest, Mapping) else None
    return value if isinstance(value, str) and value else None


def effect_key(tracker: Any, action: str) -> EffectKey | None:
    """The idempotency key of a side effect of ``action`` for the latest message."""
    return EffectKey.of(getattr(tracker, "sender_id", None), message_id(tracker), action)


def _outage_events(action: Any, dispatcher: Any, tracker: Any) -> list[EventType]:
    """What an action answers when the shop database is unavailable."""
    hook = getattr(action, "on_shop_unavailable", None)
    if hook is not None:
        return list(hook(dispatcher, tracker))
    if isinstance(action, FormValidationAction):
        return [SlotSet("requested_slot", None)]  # end the form: its submit apologises
    dispatcher.utter_message(response=SHOP_UNAVAILABLE)
    return []


async def _guarded_run(run: RunFn, action: Any, dispatcher: Any, tracker: Any, domain: Any):
    sent = len(dispatcher.messages)
    try:
        with read_cache():
            return await run(action, dispatcher, tracker, domain)
    except (DatabaseError, SQLAlchemyError) as exc:
        logger.error(
            "%s: the shop database is unavailable (%s: %s); answered that politely",
            action.name(),
            exc.__class__.__name__,
            exc,
        )
        del dispatcher.messages[sent:]  # nothing partial: drop what this call prepared
        return _outage_events(action, dispatcher, tracker)


def _worker_loop() -> asyncio.AbstractEventLoop:
    """This worker thread's event loop, made on its first call (``asyncio.run`` made and
    closed one per call: a selector and a socket pair each time, 0.15 ms of CPU)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_worker, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _worker.loop = loop
    return loop


def _run_in_worker(run: RunFn, action: Any, dispatcher: Any, tracker: Any, domain: Any):
    _IN_ACTION.set(True)
    loop = _worker_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(_guarded_run(run, action, dispatcher, tracker, domain))
    finally:
        asyncio.set_event_loop(None)


def shop_action(cls: A) -> A:
    """Class decorator: run the action off the event loop, polite on shop outages."""
    run: RunFn = cls.run  # type: ignore[attr-defined]
    if getattr(run, GUARDED, False):
        return cls

    @functools.wraps(run)
    async def guarded_run(self: Any, dispatcher: Any, tracker: Any, domain: Any):
        if _IN_ACTION.get():  # an action calling another: already in a worker
            return await _guarded_run(run, self, dispatcher, tracker, domain)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(
            _executor(), context.run, _run_in_worker, run, self, dispatcher, tracker, domain
        )

    setattr(guarded_run, GUARDED, True)
    cls.run = guarded_run  # type: ignore[attr-defined]
    return cls


def is_shop_action(action: Any) -> bool:
    """Whether ``action``'s ``run`` goes through :func:`shop_action`."""
    return bool(getattr(type(action).run, GUARDED, False))
