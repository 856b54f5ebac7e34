"""kefu.rasa_states: the same dialogue states as Rasa's, replaying only new events."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from rasa.shared.core import events as ev
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from kefu import rasa_states

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
RULE_ONLY = {"rule_only_slots": ["order_contact"], "rule_only_loops": ["order_form"]}


def _random_event(rng: random.Random) -> ev.Event:
    intents = [i for i in DOMAIN.intents][:12]
    actions = ["action_listen", *DOMAIN.user_actions[:10], *DOMAIN.form_names]
    slots = [s for s in DOMAIN.slots if s.influence_conversation] or DOMAIN.slots
    roll = rng.random()
    if roll < 0.3:
        return ev.UserUttered(
            rng.choice(["hi", "where is my order", "退货"]),
            {"name": rng.choice(intents), "confidence": 0.9},
            rng.choice([[], [{"entity": e, "value": "x"} for e in DOMAIN.entities[:2]]]),
        )
    if roll < 0.65:
        return ev.ActionExecuted(rng.choice(actions), hide_rule_turn=rng.random() < 0.3)
    if roll < 0.8:
        slot = rng.choice(slots)
        return ev.SlotSet(slot.name, rng.choice([None, "en", "zh", True, 1.0, "A123"]))
    if roll < 0.88:
        return ev.ActiveLoop(rng.choice([*DOMAIN.form_names, None]))
    if roll < 0.92:
        return ev.FollowupAction(rng.choice(actions))
    if roll < 0.95:
        return ev.UserUtteranceReverted()
    if roll < 0.97:
        return ev.ActionReverted()
    return rng.choice([ev.Restarted(), ev.SessionStarted()])


def _sharing(states: list[dict[str, Any]]) -> list[list[int]]:
    """Which sub-states are the same object, as indices of first appearance."""
    first: dict[int, int] = {}
    return [[first.setdefault(id(sub), len(first)) for sub in state.values()] for state in states]


def test_states_equal_rasas_own_while_conversations_grow_and_rewind():
    rng = random.Random(17)
    rasa_states.clear()
    compared = 0
    for n in range(40):
        # every fourth keeps only its last 12 events (Rasa's max_event_history)
        tracker = DialogueStateTracker("s", DOMAIN.slots, 12 if n % 4 == 0 else None)
        for _ in range(rng.randint(5, 40)):
            for _ in range(rng.randint(1, 3)):
                tracker.update(_random_event(rng))
            expected_applied = rasa_states.RASA_APPLIED_EVENTS(tracker)
            for _ in range(2):  # computed, then remembered
                applied = rasa_states.applied_events(tracker)
                assert len(applied) == len(expected_applied)
                assert all(a is b for a, b in zip(applied, expected_applied, strict=True))
                applied.clear()  # a caller's list is its own
            for args in [(False, False, None), (True, True, RULE_ONLY), (False, True, None)]:
                expected = rasa_states.RASA_STATES_FOR_TRACKER_HISTORY(DOMAIN, tracker, *args)
                got = rasa_states.states_for_tracker_history(DOMAIN, tracker, *args)
                assert got == expected
                assert _sharing(got) == _sharing(expected)
                compared += len(expected)
                # what callers do to the last state (Rasa's featurizers) changes nothing kept
                if got and "user" in got[-1]:
                    got[-1]["user"].clear()
                again = rasa_states.states_for_tracker_history(DOMAIN, tracker, *args)
                assert again == expected
    assert compared > 2000


def test_install_routes_past_states_through_it():
    rasa_states.install()
    tracker = DialogueStateTracker("s", DOMAIN.slots)
    tracker.update(ev.ActionExecuted("action_listen"))
    tracker.update(ev.UserUttered("hi", {"name": "greet", "confidence": 1.0}))
    assert tracker.past_states(DOMAIN) == rasa_states.RASA_STATES_FOR_TRACKER_HISTORY(
        DOMAIN, tracker
    )
    assert len(rasa_states._replays) >= 1
