"""Faults in Rasa 3.6 made explicit: an error the customer sees, never silence.

Installed with :func:`install` by :mod:`kefu.rasa_main`, before Rasa starts. Each item
replaces one of Rasa's silent fallbacks:

* **Tracker store errors.** Rasa wraps every tracker store in ``FailSafeTrackerStore``
  (``rasa/core/tracker_store.py``): a read error becomes an empty tracker (the
  conversation starts over) and a save error a silent in-memory copy (rasa#3243). Here
  the store is used as it is: its errors fail the message.
* **A client that leaves does not cut a turn in half.** Sanic cancels a request's
  handler when its client disconnects (the site gave up waiting): Rasa's REST channel
  then stops the turn wherever it is, e.g. after an action's side effect and before the
  tracker is saved. Here the turn runs to its end in the background: once received, a
  message is handled and stored with its replies, as if the client had waited.
* **A message that fails answers 503.** Rasa's REST channel logs any error and answers
  200 with whatever was said so far. Here it answers ``503 {"code": "unavailable"}``:
  the client knows the message was not handled and can send it again.
* **Action server down, killed or too slow.** Rasa logs "the actions events are lost"
  and carries on as if the action had run (rasa#7630). Here the customer gets the
  domain's ``utter_action_unavailable`` (in their language), the turn ends, and the next
  message goes on with the same conversation. An action call waits at most
  ``KEFU_ACTION_TIMEOUT`` seconds.
* **A stale kept-alive connection is retried once.** Under a burst, a call can fail
  before its request reached the action server (``Can not write request body``,
  server disconnected): it is sent again once, within the same time bound. That is safe
  because every side effect is keyed by the message id below.
* **Idempotency key.** The action server receives Rasa's message id in
  ``tracker.latest_message.message_id`` (the same on a retry of the same call).
* **Shutdown.** The HTTP sessions kept by :mod:`kefu.rasa_patches` are closed when the
  server stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from nlp.text import DEFAULT_LANGUAGE

logger = logging.getLogger(__name__)

APOLOGY = "utter_action_unavailable"
UNAVAILABLE = {
    "error": "the message could not be handled (nothing was stored): send it again",
    "code": "unavailable",
}

_failure: ContextVar[BaseException | None] = ContextVar("kefu_rest_failure", default=None)
_installed = False
_detached: set[asyncio.Future[Any]] = set()  # turns whose client left, still running
_originals: dict[str, Any] = {}


def _tracker_store_as_is(store: Any, domain: Any) -> Any:
    """``Agent._create_tracker_store`` without the fail-safe wrapper."""
    from rasa.core.tracker_store import InMemoryTrackerStore

    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


def _rest_blueprint(self: Any, on_new_message: Callable[[Any], Awaitable[Any]]) -> Any:
    """Rasa's REST blueprint; a message whose handling raised answers 503."""
    from sanic import response

    async def guarded(message: Any) -> None:
        turn = asyncio.ensure_future(on_new_message(message))
        try:
            await asyncio.shield(turn)
        except asyncio.CancelledError:
            if not turn.done():  # the client left (the site timed out): finish the turn
                _finish_in_background(turn, message.sender_id)
            raise
        except Exception as exc:
            _failure.set(exc)  # seen by the response middleware of the same request
            raise

    bp = _originals["rest_blueprint"](self, guarded)

    @bp.middleware("request")
    async def _reset(_request: Any) -> None:
        _failure.set(None)

    @bp.middleware("response")
    async def _unavailable(_request: Any, _response: Any) -> Any:
        if _failure.get() is None:
            return None
        _failure.set(None)
        return response.json(UNAVAILABLE, status=503)

    return bp


def _finish_in_background(turn: asyncio.Future[Any], sender: str) -> None:
    """Keep ``turn`` running after its request was cancelled, and log how it ends."""
    logger.warning(
        "kefu: the client left before the answer in conversation %s: the turn runs to its "
        "end (stored with its replies), it is never cut in half",
        sender,
    )
    _detached.add(turn)

    def done(task: asyncio.Future[Any]) -> None:
        _detached.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("kefu: the turn of conversation %s failed: %r", sender, task.exception())

    turn.add_done_callback(done)


def _call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    """Rasa's action call body, with the message id in ``tracker.latest_message``."""
    body: dict[str, Any] = _originals["call_format"](self, tracker, domain)
    latest = body.get("tracker", {}).get("latest_message")
    message = tracker.latest_message
    if isinstance(latest, dict) and message is not None and message.message_id:
        latest.setdefault("message_id", message.message_id)
    return body


def _action_failed(exc: BaseException) -> bool:
    """Whether ``exc`` means the action call failed (not a rejection by a form)."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.shared.exceptions import RasaException

    if isinstance(exc, ActionExecutionRejection):
        return False
    return isinstance(exc, RasaException | asyncio.TimeoutError)


def _connection_dropped(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a connection that broke before an answer:
    a stale kept-alive connection, a disconnected or refused server."""
    import aiohttp

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, aiohttp.ClientOSError | aiohttp.ServerDisconnectedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _run_remote_action(
    self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Any]:
    """``RemoteAction.run`` bounded in time, sent again once when the connection broke;
    a failed call apologises instead."""
    from kefu.settings import get_settings

    loop = asyncio.get_running_loop()
    deadline = loop.time() + get_settings().action_timeout
    failure: BaseException | None = None
    for attempt in (1, 2):
        try:
            return list(
                await asyncio.wait_for(
                    _originals["remote_run"](self, output_channel, nlg, tracker, domain),
                    max(deadline - loop.time(), 0.001),
                )
            )
        except Exception as exc:
            if not _action_failed(exc):
                raise
            if attempt == 1 and _connection_dropped(exc) and loop.time() < deadline:
                logger.warning(
                    "kefu: action '%s' for conversation %s: the connection broke (%r); "
                    "sending the call again once",
                    self.name(),
                    tracker.sender_id,
                    exc.__cause__ or exc.__context__ or exc,
                )
                continue
            failure = exc
            break
    assert failure is not None
    logger.error(
        "kefu: action '%s' failed for conversation %s (%s): the customer is told "
        "to try again; nothing of the action is recorded",
        self.name(),
        tracker.sender_id,
        repr(failure.__context__ or failure.__cause__ or failure)[:300],
    )
    return await apology_events(output_channel, nlg, tracker)


async def apology_events(output_channel: Any, nlg: Any, tracker: Any) -> list[Any]:
    """The apology (``utter_action_unavailable``) and the end of the turn."""
    from rasa.core.actions.action import create_bot_utterance
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import FollowupAction

    events: list[Any] = []
    reply = await nlg.generate(APOLOGY, _with_language(tracker), output_channel.name())
    if reply:
        events.append(create_bot_utterance(reply))
    else:
        logger.error("kefu: the domain has no response %s for this conversation", APOLOGY)
    events.append(FollowupAction(ACTION_LISTEN_NAME))
    return events


def _with_language(tracker: Any) -> Any:
    """A copy of ``tracker`` with the ``language`` slot set to the language of the latest
    message (the action that sets it may be the one that failed), else ``tracker``."""
    import copy

    from rasa.shared.core.events import SlotSet

    from nlp.language import detect_language

    text = tracker.latest_message.text if tracker.latest_message else None
    if not text or "language" not in tracker.slots:
        return tracker
    language = detect_language(text, default=tracker.get_slot("language") or DEFAULT_LANGUAGE)
    if tracker.get_slot("language") == language:
        return tracker
    tracker = copy.deepcopy(tracker)
    tracker.update(SlotSet("language", language))
    return tracker


def install(close_sessions: Callable[[], Awaitable[Any]] | None = None) -> bool:
    """Install the fault handling (idempotent); ``True`` when this call installed it.

    Args:
        close_sessions: coroutine function closing kept HTTP sessions at server stop.
    """
    global _installed
    if _installed:
        return False
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.channels.rest import RestInput

    Agent._create_tracker_store = staticmethod(_tracker_store_as_is)
    _originals["rest_blueprint"] = RestInput.blueprint
    RestInput.blueprint = _rest_blueprint
    _originals["call_format"] = RemoteAction._action_call_format
    RemoteAction._action_call_format = _call_format
    _originals["remote_run"] = RemoteAction.run
    RemoteAction.run = _run_remote_action
    original_close = rasa.core.run.close_resources

    async def close_resources(app: Any, loop: Any) -> None:
        try:
            await original_close(app, loop)
        finally:
            if close_sessions is not None:
                await close_sessions()

    rasa.core.run.close_resources = close_resources
    _installed = True
    return True


def installed() -> bool:
    """Whether :func:`install` ran in this process."""
    return _installed


__all__ = ["APOLOGY", "UNAVAILABLE", "apology_events", "install", "installed"]
