"""kefu.rasa_schema: the compiled check says yes exactly when jsonschema does."""

from __future__ import annotations

import copy
import random
from datetime import datetime
from typing import Any

import jsonschema
import pytest
from jsonschema.validators import Draft202012Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as ev

from kefu.rasa_schema import UnsupportedSchema, compile_schema

SPEC = RemoteAction.action_response_format_spec()

EVENTS = [
    ev.UserUttered(
        "hi 你好",
        {"name": "greet", "confidence": 0.9},
        [{"entity": "item", "value": "tea", "start": 0, "end": 3, "confidence": 1.0}],
        parse_data={
            "intent_ranking": [{"name": "greet", "confidence": 0.9}],
            "response_selector": {"all_retrieval_intents": ["faq"]},
        },
        input_channel="kefu",
        message_id="m1",
    ),
    ev.BotUttered("hello", {"buttons": [{"title": "a", "payload": "/a"}]}, {"k": 1}),
    ev.SlotSet("language", "en"),
    ev.SlotSet("cart", [1, {"a": None}]),
    ev.ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
    ev.ActiveLoop("order_form"),
    ev.ActiveLoop(None),
    ev.SessionStarted(),
    ev.Restarted(),
    ev.AllSlotsReset(),
    ev.FollowupAction("action_x"),
    ev.ConversationPaused(),
    ev.ConversationResumed(),
    ev.UserUtteranceReverted(),
    ev.ActionReverted(),
    ev.ActionExecutionRejected("action_x"),
    ev.LoopInterrupted(True),
    ev.EntitiesAdded([{"entity": "brand", "value": "Acme"}]),
    ev.ReminderScheduled("remind", datetime(2026, 1, 1)),
    ev.ReminderCancelled(name="r"),
    ev.AgentUttered("agent text"),
]
EVENT_DICTS = [e.as_dict() for e in EVENTS]


def _jsonschema_says(instance: Any) -> bool:
    return Draft202012Validator(SPEC).is_valid(instance)


def _mutations(value: Any, rng: random.Random) -> Any:
    """``value`` with one random part replaced by a value of another JSON type."""
    replacements = [None, True, 0, 1.0, 2.5, "x", "user", [], {}, [1], {"event": "bot"}]
    value = copy.deepcopy(value)
    parent: Any = None
    key: Any = None
    node = value
    for _ in range(rng.randint(0, 6)):
        if isinstance(node, dict) and node:
            parent, key = node, rng.choice(sorted(node))
        elif isinstance(node, list) and node:
            parent, key = node, rng.randrange(len(node))
        else:
            break
        node = parent[key]
    choice = rng.random()
    if parent is None:
        return rng.choice(replacements)
    if choice < 0.15 and isinstance(parent, dict):
        del parent[key]
    elif choice < 0.3 and isinstance(parent, dict):
        parent[rng.choice(["text", "name", "value", "entities", "timestamp", "zz"])] = rng.choice(
            replacements
        )
    else:
        parent[key] = rng.choice(replacements)
    return value


def test_the_real_schema_compiles():
    assert compile_schema(SPEC)({"events": EVENT_DICTS, "responses": [{"text": "hi"}]})


@pytest.mark.parametrize("event", EVENT_DICTS, ids=[d["event"] for d in EVENT_DICTS])
def test_every_rasa_event_is_judged_as_jsonschema_judges_it(event):
    check = compile_schema(SPEC)
    response = {"events": [event]}
    assert check(response) is _jsonschema_says(response)


def test_thousands_of_mutated_responses_are_judged_as_jsonschema_judges_them():
    check = compile_schema(SPEC)
    rng = random.Random(17)
    base = {"events": EVENT_DICTS, "responses": [{"text": "hi"}]}
    verdicts = {True: 0, False: 0}
    for _ in range(3000):
        instance = _mutations(base, rng)
        for _ in range(rng.randint(0, 2)):
            instance = _mutations(instance, rng)
        expected = _jsonschema_says(instance)
        assert check(instance) is expected, instance
        verdicts[expected] += 1
    # the fuzz reaches both answers often enough to mean something
    assert verdicts[True] > 300 and verdicts[False] > 300


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "additionalProperties": False},
        {"items": [{"type": "string"}]},
        {"const": 1},
        {"type": "date"},
        {"anyOf": [{"type": "string"}]},
    ],
)
def test_keywords_it_does_not_compile_are_refused(schema):
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"type": "integer"}, 1.0),
        ({"type": "integer"}, True),
        ({"type": "number"}, False),
        ({"const": "a"}, "a"),
        ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1),
        ({"patternProperties": {"[\\w/]": {"type": "object"}}}, {"a": 1, "!": 1}),
        ({"required": ["a"]}, []),
    ],
)
def test_edge_cases_match_jsonschema(schema, instance):
    expected = Draft202012Validator(schema).is_valid(instance)
    assert compile_schema(schema)(instance) is expected
    if not expected:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(instance, schema)
