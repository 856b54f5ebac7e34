"""kefu.rasa_patches: the same checks and results as Rasa's own code, done once."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as rasa_events
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from kefu import rasa_patches

RESPONSES = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "language", "value": "en"}],
        "responses": [{"text": "hi"}],
    },
    {"events": [{"event": "action", "name": "action_listen"}, {"event": "session_started"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},
    {"events": "not a list"},
    {"responses": [1, 2]},
    [],
]


@pytest.fixture(scope="module", autouse=True)
def installed():
    rasa_patches.install()
    assert rasa_patches.installed()
    assert rasa_patches.install() is False  # idempotent


@pytest.mark.parametrize("response", RESPONSES)
def test_action_responses_are_judged_as_rasa_judges_them(response):
    spec = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, spec)
        expected = None
    except jsonschema.ValidationError as exc:
        expected = exc.message
    action = RemoteAction("action_x", None)
    if expected is None:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as caught:
            action._validate_action_result(response)
        assert caught.value.message.startswith(expected)
        assert "Failed to validate Action server response" in caught.value.message


POSTED_EVENTS = [
    [{"event": "user", "text": "还没到", "metadata": {"kefu_id": "m1"}}],
    {"event": "bot", "text": "hi", "metadata": {"agent": {"id": 1, "name": "Li"}}},
    [{"event": "slot", "name": "language", "value": "en"}, {"event": "action", "name": "x"}],
    [{"event": "pause"}, {"event": "resume"}, {"event": "session_started"}],
    [],
    [{"event": "no_such_event"}],
    [{"event": "slot"}],
    [{"event": "user", "text": 5}],
    {"event": 5},
    [1, "two", None],
    {},
    [{}],
    [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": 5}}}],
    "events",
    None,
]


class _Request:
    def __init__(self, body):
        self.json = body


def _outcome(check, body):
    import rasa.server

    try:
        check(_Request(body))
    except rasa.server.ErrorResponse as exc:
        return exc.status, exc.error_info["message"]
    return None


@pytest.mark.parametrize("body", POSTED_EVENTS)
def test_posted_events_are_judged_as_rasa_judges_them(body):
    import rasa.server

    patched = rasa.server.validate_events_in_request_body
    assert patched.__module__ == "kefu.rasa_patches"
    assert rasa_patches._events_check() is not None  # the fast path is in use
    assert _outcome(patched, body) == _outcome(patched.__wrapped__, body)


def test_posted_events_that_fail_get_rasa_s_400():
    import rasa.server

    outcome = _outcome(rasa.server.validate_events_in_request_body, [{"event": "slot"}])
    assert outcome is not None and outcome[0] == 400
    assert outcome[1].startswith("Failed to validate the events format.")


def test_event_types_resolve_to_the_same_classes():
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "session_started"} <= names
    for name in names:
        expected = next(cls for cls in all_subclasses(Event) if cls.type_name == name)
        assert Event.resolve_by_type(name) is expected
        assert Event.resolve_by_type(name) is expected  # from the cache
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", rasa_events.UserUttered) is (
        rasa_events.UserUttered
    )
    assert Event.resolve_by_type("topic") is None
    parsed = rasa_events.deserialise_events(
        [{"event": "slot", "name": "language", "value": "zh"}, {"event": "session_started"}]
    )
    assert [type(e) for e in parsed] == [rasa_events.SlotSet, rasa_events.SessionStarted]


def test_endpoint_sessions_are_kept_per_event_loop():
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", headers={"X-Kefu": "1"})

    async def twice():
        async with endpoint.session() as first:
            pass
        async with endpoint.session() as second:
            pass
        assert not first.closed
        assert first.headers["X-Kefu"] == "1"
        await first.close()
        async with endpoint.session() as third:  # a closed session is replaced
            assert not third.closed
        await third.close()
        return first, second, third

    first, second, third = asyncio.run(twice())
    assert first is second and third is not first

    async def once():
        async with endpoint.session() as session:
            await session.close()
            return session

    assert asyncio.run(once()) is not third  # another event loop, another session


def test_the_heap_is_frozen_once_the_agent_is_loaded():
    import gc

    import rasa.core.run

    assert rasa.core.run.load_agent_on_start.__module__ == "kefu.rasa_patches"

    async def load_agent(*args, **kwargs):
        return ("agent", args, kwargs)

    gc.unfreeze()
    try:
        loaded = asyncio.run(rasa_patches._freezing(load_agent)("model", app=None))
        assert loaded == ("agent", ("model",), {"app": None})
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
