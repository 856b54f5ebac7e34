"""kefu's fixes to Rasa 3.6, installed explicitly in each Rasa process kefu starts.

:mod:`kefu.rasa_main` (the launcher of every Rasa process kefu starts) checks the Rasa
version and calls :func:`install` before Rasa reads ``endpoints.yml``.

The launcher also installs :mod:`kefu.rasa_faults` (faults are errors, never silence)
and closes the HTTP sessions kept here (:func:`close_sessions`) when the server stops.

**Speed.** Each of these replaces one Rasa function with one that gives the same results
for less CPU:

* **Action response check.** Rasa checks every action server response with
  ``jsonschema.validate(result, schema)``, which first re-validates the *schema* against
  the JSON-Schema meta-schema (``check_schema``): about 35 ms of CPU per custom action,
  before the check itself (under 0.5 ms). kefu runs two or three custom actions per
  message, so this alone cost more than everything else Rasa does for a message. Here
  the validator is built once from the same schema: the same checks, the same errors.
  Even built once, its walk of the schema costs about 1 ms per response, so a valid
  response is recognised by the schema compiled into plain Python checks
  (:mod:`kefu.rasa_schema`, a few microseconds); only a response that fails it goes
  through ``jsonschema``, which raises Rasa's error.
* **Events posted to a conversation.** ``POST /conversations/{id}/tracker/events`` (how
  the site stores agent replies and the messages of a handed-off conversation) checks
  its body with ``jsonschema.validate(events, EVENTS_SCHEMA)``, the same meta-schema
  check first: in the hand-off benchmark this was a third of Rasa's CPU, as much as
  handling the messages themselves. A valid body is recognised by the compiled events
  schema; any other goes to Rasa's own function, which answers Rasa's 400.
* **Event classes by name.** ``Event.resolve_by_type`` walks the whole tree of ``Event``
  subclasses for each event Rasa reads back (tracker store, action responses); the class
  found for a name is remembered.
* **HTTP sessions.** ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession``
  (and TCP connection) for every call to the action server and closes it after; here
  one session per endpoint and event loop is kept, its connections alive.
* **Start-up heap.** Once the model is loaded, the objects alive are frozen out of the
  garbage collector's full collections (:func:`kefu.heap.freeze_heap`).
* **Rule matching.** ``RulePolicy`` re-decodes every rule each time it tests it against
  a turn; :mod:`kefu.rasa_rules` decodes each rule once and filters the same way.
* **Dialogue states.** The policies' view of a conversation (its states, its applied
  events) is rebuilt from its first event several times a message;
  :mod:`kefu.rasa_states` continues from where the last call stopped.

**One call per message.** ``action_validate_slot_mappings`` (kefu's one action call after
each user message: it sets the reply language and the verified customer, then answers a
negative message with empathy) has its responses rendered after its own slot events are
applied (:mod:`kefu.rasa_validation`), so the empathy is in the language of the message it
answers; before, a second call (the slots' mapping action) set them first.

Nothing else changes; tests compare each with Rasa's own function.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from kefu.heap import freeze_heap

logger = logging.getLogger(__name__)

_installed = False
# the Rasa line these fixes were written for and tested with
SUPPORTED_RASA = "3.6."


class RasaSetupError(RuntimeError):
    """Rasa cannot run with kefu as installed or configured (one line, what to do)."""


def check_rasa_version(version: str | None = None) -> None:
    """Raise :class:`RasaSetupError` unless Rasa (or ``version``) is of the 3.6 line."""
    if version is None:
        import rasa

        version = str(rasa.__version__)
    if not version.startswith(SUPPORTED_RASA):
        raise RasaSetupError(
            f"kefu's Rasa fixes are written for Rasa {SUPPORTED_RASA}x, this is Rasa "
            f"{version}: install rasa==3.6.21 (pyproject.toml)"
        )


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    """A validator for Rasa's action server response schema, checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _compiled_check(schema: Any, what: str) -> Any:
    """The compiled yes/no check of ``schema`` (:mod:`kefu.rasa_schema`), or ``None`` when
    ``jsonschema`` would not judge it by Draft 2020-12 (the meaning compiled) or it uses a
    keyword the compiler does not handle; ``what`` names the checked data in the warning."""
    from jsonschema.validators import Draft202012Validator, validator_for

    from kefu.rasa_schema import UnsupportedSchema, compile_schema

    if validator_for(schema) is not Draft202012Validator:
        return None
    try:
        return compile_schema(schema)
    except UnsupportedSchema as exc:
        logger.warning("kefu: %s checked by jsonschema (%s)", what, exc)
        return None


@lru_cache(maxsize=1)
def _action_response_check() -> Any:
    """The compiled check of the action server response schema (see :func:`_compiled_check`)."""
    from rasa.core.actions.action import RemoteAction

    return _compiled_check(RemoteAction.action_response_format_spec(), "action responses")


def validate_action_result(result: dict[str, Any]) -> bool:
    """What ``RemoteAction._validate_action_result`` does, for a fraction of the CPU.

    A valid response passes the compiled check (:func:`_action_response_check`); any
    other goes through ``jsonschema`` with the validator built once, which raises.

    Raises:
        jsonschema.ValidationError: when the response does not match the schema (the
            same error, with the same hint appended, as Rasa's own check).
    """
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    check = _action_response_check()
    if check is not None and check(result):
        return True
    error = best_match(_action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


@lru_cache(maxsize=1)
def _events_check() -> Any:
    """The compiled check of Rasa's events schema, a list of events (see
    :func:`_compiled_check`)."""
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    return _compiled_check(EVENTS_SCHEMA, "posted events")


def _checking_events_first(original: Any) -> Any:
    """Rasa's ``validate_events_in_request_body``, skipped for a body the compiled check
    finds valid (the HTTP API's events endpoints call it for every request)."""

    def validate_events_in_request_body(request: Any) -> None:
        body = request.json
        events = body if isinstance(body, list) else [body]
        check = _events_check()
        if check is not None and check(events):
            return
        original(request)  # Rasa's own check: raises its 400 with jsonschema's message

    validate_events_in_request_body.__wrapped__ = original  # type: ignore[attr-defined]
    return validate_events_in_request_body


_event_types: dict[str, type] = {}


def resolve_event_type(type_name: str, default: type | None = None) -> type | None:
    """What ``Event.resolve_by_type`` does, remembering the class found for each name.

    Rasa walks the whole tree of ``Event`` subclasses for every event it reads (about 0.1
    ms each, dozens per message); the class of a name does not change once found.
    """
    cls = _event_types.get(type_name)
    if cls is None:
        cls = _resolve_event_type(type_name, default)
        if cls is not None and cls is not default:
            _event_types[type_name] = cls
    return cls


def _resolve_event_type(type_name: str, default: type | None) -> type | None:
    # Rasa's own lookup, as it was before install()
    return _original_resolve_by_type(type_name, default)


_original_resolve_by_type: Any = None

# below the action server's keep-alive (Sanic: 5 s), so the client never reuses a
# connection the server is closing
KEEPALIVE_SECONDS = 4.0


_open_sessions: list[Any] = []


async def close_sessions() -> int:
    """Close the kept HTTP sessions (at server stop); how many were open."""
    closed = 0
    while _open_sessions:
        session = _open_sessions.pop()
        if not session.closed:
            await session.close()
            closed += 1
    return closed


class _KeptSession:
    """What ``EndpointConfig.session()`` returns after :func:`install`.

    ``async with endpoint.session() as session`` gets one ``aiohttp.ClientSession`` per
    endpoint and event loop, kept open between requests (its connections stay alive),
    instead of a new session, a new TCP connection and a teardown for every action call.
    Same headers, authentication and timeout as Rasa's.
    """

    def __init__(self, endpoint: Any) -> None:
        self.endpoint = endpoint

    async def __aenter__(self) -> Any:
        import asyncio

        import aiohttp
        from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

        loop = asyncio.get_running_loop()
        kept = getattr(self.endpoint, "_kefu_session", None)
        if kept is not None and kept[0] is loop and not kept[1].closed:
            return kept[1]
        basic = self.endpoint.basic_auth
        session = aiohttp.ClientSession(
            headers=self.endpoint.headers,
            auth=aiohttp.BasicAuth(basic["username"], basic["password"]) if basic else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        )
        self.endpoint._kefu_session = (loop, session)
        _open_sessions.append(session)
        return session

    async def __aexit__(self, *exc_info: object) -> bool:
        return False  # the session stays open for the next request


def _freezing(load_agent: Any) -> Any:
    """``load_agent_on_start`` followed by :func:`freeze_heap`."""

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        freeze_heap()
        return agent

    return load_agent_on_start


def install() -> bool:
    """Check the Rasa version, install the fixes (idempotent).

    Returns:
        ``True`` when this call installed them.

    Raises:
        RasaSetupError: another Rasa than 3.6.
    """
    global _installed, _original_resolve_by_type
    if _installed:
        return False
    check_rasa_version()
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = lambda self, result: validate_action_result(result)
    _original_resolve_by_type = Event.resolve_by_type
    Event.resolve_by_type = staticmethod(resolve_event_type)
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.session = lambda self: _KeptSession(self)
    from kefu import rasa_rules, rasa_states, rasa_validation

    rasa_rules.install()
    rasa_states.install()
    rasa_validation.install()
    import rasa.core.run
    import rasa.server

    rasa.server.validate_events_in_request_body = _checking_events_first(
        rasa.server.validate_events_in_request_body
    )

    rasa.core.run.load_agent_on_start = _freezing(rasa.core.run.load_agent_on_start)
    _installed = True
    logger.debug("kefu: Rasa fixes installed")
    return True


def installed() -> bool:
    """Whether :func:`install` ran in this process."""
    return _installed


__all__ = [
    "RasaSetupError",
    "check_rasa_version",
    "close_sessions",
    "install",
    "installed",
    "validate_action_result",
]
