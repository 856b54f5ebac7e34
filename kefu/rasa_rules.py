"""RulePolicy's rule matching with each rule decoded once.

For every prediction, Rasa 3.6's ``RulePolicy._get_possible_keys`` tests each memorised
rule against each state of the conversation (``_is_rule_applicable``), and each test
re-reads the rule: a reversed copy of its decoded states, and every list value turned
into a tuple again. With kefu's rules that is ~90 rules x every past turn x two or
three lookups per prediction, the largest single cost of RulePolicy.

:func:`possible_keys` gives the same set, built by the same filtering passes in the same
order (so even ties between rules of equal length resolve as Rasa's would), from rules
decoded once into :class:`_Rule`: per turn, whether it has a previous action, and its
conditions split into "must equal" and "must not be set".
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

# Rasa's own, kept for the tests that compare with it
RASA_GET_POSSIBLE_KEYS = RulePolicy.__dict__["_get_possible_keys"]

# decoded rules by key; keys come from trained models, so this stays small
_MAX_RULES = 20_000
_decoded: dict[str, tuple[_Turn, ...]] = {}


class _Turn:
    """One state of a rule (newest first in :func:`_decode`), ready for matching."""

    __slots__ = ("conditions", "has_previous_action")

    def __init__(self, state: dict[str, Any]) -> None:
        self.has_previous_action = bool(state.get(PREVIOUS_ACTION))
        conditions = []
        for state_type, sub_state in state.items():
            checks = []
            for key, value in sub_state.items():
                if isinstance(value, list):
                    # json dumps and loads tuples as lists (as in Rasa's own matcher)
                    value = tuple(value)
                must_be_unset = value == SHOULD_NOT_BE_SET
                must_equal = bool(value) and not must_be_unset
                if must_equal or must_be_unset:
                    checks.append((key, value, must_equal))
            if checks:
                conditions.append((state_type, tuple(checks)))
        self.conditions = tuple(conditions)

    def matches(self, conversation_state: dict[str, Any]) -> bool:
        """``RulePolicy._does_rule_match_state`` for this rule state."""
        for state_type, checks in self.conditions:
            sub_state = conversation_state.get(state_type, {})
            for key, value, must_equal in checks:
                current = sub_state.get(key)
                if must_equal:
                    if current != value:
                        return False
                elif current and current != SHOULD_NOT_BE_SET:
                    return False
        return True


def _decode(rule_key: str) -> tuple[_Turn, ...]:
    turns = _decoded.get(rule_key)
    if turns is None:
        if len(_decoded) >= _MAX_RULES:
            _decoded.clear()
        turns = tuple(_Turn(state) for state in reversed(json.loads(rule_key)))
        _decoded[rule_key] = turns
    return turns


def _applicable(turn: _Turn, conversation_state: dict, current_has_previous_action: bool) -> bool:
    if not turn.has_previous_action and not current_has_previous_action:
        return True
    if not turn.has_previous_action or not current_has_previous_action:
        return False
    return turn.matches(conversation_state)


def is_rule_applicable(rule_key: str, turn_index: int, conversation_state: dict) -> bool:
    """``RulePolicy._is_rule_applicable``, with the rule decoded once."""
    turns = _decode(rule_key)
    if turn_index >= len(turns):
        return True
    current = bool(conversation_state.get(PREVIOUS_ACTION))
    return _applicable(turns[turn_index], conversation_state, current)


def possible_keys(lookup: dict[str, Any], states: list[dict[str, Any]]) -> set[str]:
    """``RulePolicy._get_possible_keys``: the rules of ``lookup`` that fit ``states``.

    The same passes as Rasa's (one per state, newest first, each building a new set from
    the previous one in its order), with :func:`is_rule_applicable` inlined: a rule
    shorter than the turn index passes without a call.
    """
    keys = set(lookup.keys())
    decoded = {key: _decode(key) for key in keys}
    for i, state in enumerate(reversed(states)):
        current = bool(state.get(PREVIOUS_ACTION))
        keys = set(
            [
                key
                for key in keys
                if i >= len(decoded[key]) or _applicable(decoded[key][i], state, current)
            ]
        )
    return keys


def install() -> None:
    """Make ``RulePolicy`` match rules through :func:`possible_keys`."""
    RulePolicy._get_possible_keys = lambda self, lookup, states: possible_keys(lookup, states)


__all__ = ["RASA_GET_POSSIBLE_KEYS", "install", "is_rule_applicable", "possible_keys"]
