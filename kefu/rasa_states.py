"""A conversation's dialogue states, computed once per event instead of once per call.

Rasa's policies see a conversation as a list of states, one per action so far
(``Domain.states_for_tracker_history``). Rasa 3.6 rebuilds that list from the first
event on every call: it replays the whole conversation into a fresh tracker copy, and
every prediction asks for it two or three times (MemoizationPolicy once, RulePolicy
once or twice), several predictions a message. That was a fifth of a kefu Rasa
server's CPU.

:func:`states_for_tracker_history` keeps, per live tracker (and arguments), where the
last replay stopped: the replay copy, the states so far and the loop's two variables.
When the tracker's applied events still begin with the events replayed (the same
objects), it replays only the new ones; otherwise (a rewind, a restart) it starts
again from the first event, as Rasa does. The loop body is Rasa's own, line for line.
Callers get a fresh copy of the states each time (Rasa's featurizers edit the last
state in place), with the same sharing of sub-states between states as Rasa's list.
"""

from __future__ import annotations

import copy
import itertools
import operator
import weakref
from collections import OrderedDict
from typing import Any

from rasa.shared.core import constants
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

# live conversations remembered per process (a replay copy and states each)
MAX_TRACKERS = 256
RASA_STATES_FOR_TRACKER_HISTORY = Domain.__dict__["states_for_tracker_history"]
RASA_APPLIED_EVENTS = DialogueStateTracker.__dict__["applied_events"]
_IMMUTABLE = (str, int, float, bool, type(None))


class _Replay:
    """Where the replay of one tracker's events stopped (before the final state)."""

    __slots__ = (
        "tracker_ref", "domain", "rule_only_data", "events", "copy", "states",
        "last_ml_action_sub_state", "turn_was_hidden",
    )  # fmt: skip

    def __init__(self, tracker: Any, domain: Domain, rule_only_data: Any) -> None:
        self.tracker_ref = weakref.ref(tracker)
        self.domain = domain
        self.rule_only_data = copy.deepcopy(rule_only_data)
        self.events: list[Any] = []
        self.copy = tracker.init_copy()
        self.states: list[dict[str, Any]] = []
        self.last_ml_action_sub_state: Any = None
        self.turn_was_hidden = False


_replays: OrderedDict[tuple[int, int, bool, bool], _Replay] = OrderedDict()


def _step(
    domain: Domain,
    replay: Any,
    tr: Any,
    hide_rule_turn: bool,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: Any,
    states: list[dict[str, Any]],
) -> None:
    """The body of Rasa's loop in ``Domain.states_for_tracker_history`` for one prior
    tracker ``tr``; ``replay`` holds the loop's two variables."""
    if ignore_rule_only_turns:
        if not replay.turn_was_hidden:
            replay.last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if replay.last_ml_action_sub_state:
            state[constants.PREVIOUS_ACTION] = replay.last_ml_action_sub_state
    states.append(domain._clean_state(state))


class _Final:
    """The loop variables for the final step, so the kept replay is left as it was."""

    __slots__ = ("last_ml_action_sub_state", "turn_was_hidden")

    def __init__(self, replay: _Replay) -> None:
        self.last_ml_action_sub_state = replay.last_ml_action_sub_state
        self.turn_was_hidden = replay.turn_was_hidden


def _copy_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``states`` whose sub-states are shared between states exactly as in
    ``states`` (a sub-state of plain values is copied once; anything else deeply)."""
    memo: dict[int, Any] = {}
    out = []
    for state in states:
        new = {}
        for key, sub in state.items():
            copied = memo.get(id(sub))
            if copied is None:
                if type(sub) is dict and all(_plain(v) for v in sub.values()):
                    copied = dict(sub)
                else:
                    copied = copy.deepcopy(sub)
                memo[id(sub)] = copied
            new[key] = copied
        out.append(new)
    return out


def _plain(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(isinstance(v, _IMMUTABLE) for v in value)
    return isinstance(value, _IMMUTABLE)


def _replay_for(
    domain: Domain,
    tracker: Any,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: Any,
    applied: list[Any],
) -> _Replay:
    key = (id(tracker), id(domain), bool(omit_unset_slots), bool(ignore_rule_only_turns))
    replay = _replays.pop(key, None)
    if (
        replay is None
        or replay.tracker_ref() is not tracker
        or replay.domain is not domain
        or replay.rule_only_data != rule_only_data
        or len(replay.events) > len(applied)
        or not all(map(operator.is_, replay.events, applied))
    ):
        replay = _Replay(tracker, domain, rule_only_data)
    _replays[key] = replay
    while len(_replays) > MAX_TRACKERS:
        _replays.popitem(last=False)
    return replay


def states_for_tracker_history(
    domain: Domain,
    tracker: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``Domain.states_for_tracker_history``, replaying only the events it has not seen."""
    applied = tracker.applied_events()
    replay = _replay_for(
        domain, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data, applied
    )
    for event in applied[len(replay.events) :]:
        if isinstance(event, ActionExecuted):
            _step(
                domain, replay, replay.copy, event.hide_rule_turn, omit_unset_slots,
                ignore_rule_only_turns, rule_only_data, replay.states,
            )  # fmt: skip
        replay.copy.update(event)
        replay.events.append(event)
    # the final state, as Rasa's loop ends, on a shallow list: the kept states are read
    # (and may be shared by it), never changed
    states = list(replay.states)
    _step(
        domain, _Final(replay), replay.copy, False, omit_unset_slots,
        ignore_rule_only_turns, rule_only_data, states,
    )  # fmt: skip
    return _copy_states(states)


_applied: OrderedDict[int, tuple[Any, ...]] = OrderedDict()


def _loop_names(events: Any) -> set[str]:
    return {e.name for e in events if isinstance(e, ActiveLoop) and e.name}


def _apply(tracker: Any, events: Any, loop_names: set[str], applied: list[Any]) -> None:
    """The body of Rasa's loop in ``DialogueStateTracker.applied_events`` for ``events``,
    continuing ``applied`` in place."""
    for event in events:
        if isinstance(event, Restarted | SessionStarted):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def applied_events(tracker: Any) -> list[Any]:
    """``DialogueStateTracker.applied_events``, continued from the last call on the same
    tracker when events were only appended since.

    Rasa's own walks every event of the conversation on each call, and a prediction asks
    three or four times. Here the walk resumes after the events seen last time (Rasa's
    loop body, the same list state), unless the new events name a loop the earlier ones
    did not (Rasa decides each loop action knowing every loop of the conversation), the
    event list is another one or its first event changed (a bounded history): then it is
    Rasa's own walk from the start.
    """
    events = tracker.events
    n = len(events)
    key = id(tracker)
    entry = _applied.pop(key, None)
    applied: list[Any] | None = None
    if (
        entry is not None
        and entry[0]() is tracker
        and entry[1] is events
        and 0 < entry[2] <= n
        and entry[3] is events[0]
        and entry[4] is events[entry[2] - 1]
    ):
        new = list(itertools.islice(events, entry[2], n))
        names = entry[6]
        if _loop_names(new) <= names:
            applied = list(entry[5])
            _apply(tracker, new, names, applied)
    if applied is None:
        applied = RASA_APPLIED_EVENTS(tracker)
        names = _loop_names(events)
    _applied[key] = (
        weakref.ref(tracker), events, n, events[0] if n else None, events[-1] if n else None,
        list(applied), names,
    )  # fmt: skip
    while len(_applied) > MAX_TRACKERS:
        _applied.popitem(last=False)
    return applied


def install() -> None:
    """Make ``Domain.states_for_tracker_history`` replay only new events, and the
    applied events of a tracker computed once per change."""
    Domain.states_for_tracker_history = states_for_tracker_history
    DialogueStateTracker.applied_events = applied_events


def clear() -> None:
    """Forget every replay and applied-events list (tests)."""
    _replays.clear()
    _applied.clear()


__all__ = [
    "MAX_TRACKERS",
    "RASA_APPLIED_EVENTS",
    "RASA_STATES_FOR_TRACKER_HISTORY",
    "applied_events",
    "clear",
    "install",
    "states_for_tracker_history",
]
