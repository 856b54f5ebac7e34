"""kefu.rasa_rules: the same rules found, in the same set order, as RulePolicy's own."""

from __future__ import annotations

import json
import random
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import SHOULD_NOT_BE_SET

from kefu import rasa_rules

ORIGINAL = rasa_rules.RASA_GET_POSSIBLE_KEYS

ACTIONS = ["action_listen", "utter_greet", "action_order_status", "order_form", ""]
INTENTS = ["greet", "order_status", "goodbye", "nlu_fallback", ""]


def _state(rng: random.Random, conversation: bool) -> dict[str, Any]:
    state: dict[str, Any] = {}
    if rng.random() < 0.85:
        state["prev_action"] = {"action_name": rng.choice(ACTIONS)}
    if rng.random() < 0.7:
        user: dict[str, Any] = {"intent": rng.choice(INTENTS)}
        if rng.random() < 0.4:
            user["entities"] = rng.choice([["item"], ["item", "brand"], []])
            if conversation:
                user["entities"] = tuple(user["entities"])
        state["user"] = user
    if rng.random() < 0.5:
        state["slots"] = {
            name: rng.choice([(1.0,), (0.0,), SHOULD_NOT_BE_SET])
            if conversation
            else rng.choice([[1.0], [0.0], SHOULD_NOT_BE_SET])
            for name in rng.sample(["language", "order_id", "customer"], rng.randint(1, 2))
        }
    if rng.random() < 0.4:
        state["active_loop"] = {"name": rng.choice(["order_form", SHOULD_NOT_BE_SET, ""])}
    return state


def test_rasas_own_matcher_is_the_one_compared_with():
    assert ORIGINAL.__module__ == "rasa.core.policies.rule_policy"


def test_possible_keys_equal_rasas_own_over_random_rules_and_conversations():
    rng = random.Random(17)
    policy = RulePolicy.__new__(RulePolicy)  # the matcher uses no trained state
    found = 0
    for _ in range(300):
        lookup = {
            json.dumps([_state(rng, False) for _ in range(rng.randint(1, 4))]): "utter_x"
            for _ in range(rng.randint(1, 40))
        }
        states = [_state(rng, True) for _ in range(rng.randint(1, 6))]
        expected = ORIGINAL(policy, lookup, states)
        got = rasa_rules.possible_keys(lookup, states)
        assert got == expected
        assert list(got) == list(expected)  # same set order: ties resolve alike
        found += len(got)
    assert found > 100  # rules do match, so the comparison is not between empty sets


def test_install_routes_rule_policy_through_it():
    rasa_rules.install()
    policy = RulePolicy.__new__(RulePolicy)
    rule = json.dumps([{"prev_action": {"action_name": "action_listen"}}])
    state = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    assert policy._get_possible_keys({rule: "utter_greet"}, state) == {rule}
    assert policy._get_possible_keys({rule: "utter_greet"}, [{}]) == set()
