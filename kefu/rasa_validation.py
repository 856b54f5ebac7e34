"""``action_validate_slot_mappings``'s responses rendered with its own slot events applied.

After each user message Rasa 3.6 runs ``action_extract_slots``: it fills the slots from
their mappings and, when the domain has custom mappings, calls the custom action
``action_validate_slot_mappings`` with a tracker holding the slot candidates
(``ActionExtractSlots._execute_validation_action``). The responses that action asks for
(``utter_empathy``...) are rendered with that tracker, before its own ``SlotSet`` events
are applied.

kefu's ``language`` and ``customer_id`` slots have custom mappings without an action:
``action_validate_slot_mappings`` sets them itself (one call to the action server per
message instead of two: a mapping action, then the validation). Its empathy line must
come out in the language of *this* message, so here the validation action's responses
are rendered with its ``SlotSet`` values (the tracker is left as given: the live tracker
gets the events from Rasa afterwards, as before). Every
other custom action, and everything else about the call, is Rasa's own.

:func:`run_custom_action` is Rasa's ``ActionExtractSlots._run_custom_action`` with one
change: the validation action runs as :class:`SlotsFirstRemoteAction`.
``tests/kefu/test_rasa_validation.py`` compares the two.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from aiohttp import ClientResponseError
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.events import BotUttered, SlotSet, deserialise_events
from rasa.shared.exceptions import RasaException

logger = logging.getLogger("rasa.core.actions.action")

RASA_RUN_CUSTOM_ACTION = ActionExtractSlots.__dict__["_run_custom_action"]


class SlotsFirstRemoteAction(RemoteAction):
    """A remote action whose responses are rendered after its ``SlotSet`` events.

    The tracker's slots take the new values while the responses are rendered (copies of
    the slot objects) and get their own objects back after: the tracker is left as given.
    """

    _slot_events: list[SlotSet]

    def _validate_action_result(self, result: dict[str, Any]) -> None:
        super()._validate_action_result(result)
        self._slot_events = [
            e for e in deserialise_events(result.get("events") or []) if isinstance(e, SlotSet)
        ]

    async def _utter_responses(
        self,
        responses: list[dict[str, Any]],
        output_channel: Any,
        nlg: Any,
        tracker: Any,
    ) -> list[BotUttered]:
        changed = [e for e in getattr(self, "_slot_events", []) if e.key in tracker.slots]
        if not responses or not changed:
            return await RemoteAction._utter_responses(responses, output_channel, nlg, tracker)
        saved = {e.key: tracker.slots[e.key] for e in changed}
        try:
            for event in changed:
                slot = copy.copy(tracker.slots[event.key])
                slot.value = event.value
                tracker.slots[event.key] = slot
            return await RemoteAction._utter_responses(responses, output_channel, nlg, tracker)
        finally:
            tracker.slots.update(saved)


async def run_custom_action(
    self: ActionExtractSlots,
    custom_action: str,
    output_channel: Any,
    nlg: Any,
    tracker: Any,
    domain: Any,
) -> list[Any]:
    """Rasa's ``_run_custom_action``; the validation action renders after its slots."""
    if custom_action != ACTION_VALIDATE_SLOT_MAPPINGS:
        return await RASA_RUN_CUSTOM_ACTION(
            self, custom_action, output_channel, nlg, tracker, domain
        )
    slot_events: list[Any] = []
    remote_action = SlotsFirstRemoteAction(custom_action, self._action_endpoint)
    disallowed_types = set()

    try:
        custom_events = await remote_action.run(output_channel, nlg, tracker, domain)
        for event in custom_events:
            if isinstance(event, SlotSet):
                slot_events.append(event)
            elif isinstance(event, BotUttered):
                slot_events.append(event)
            else:
                disallowed_types.add(event.type_name)
    except (RasaException, ClientResponseError) as e:
        logger.warning(
            f"Failed to execute custom action '{custom_action}' "
            f"as a result of error '{str(e)}'. The default action "
            f"'{self.name()}' failed to fill slots with custom "
            f"mappings."
        )

    for type_name in disallowed_types:
        logger.info(
            f"Running custom action '{custom_action}' has resulted "
            f"in an event of type '{type_name}'. This is "
            f"disallowed and the tracker will not be "
            f"updated with this event."
        )

    return slot_events


def install() -> None:
    """Replace ``ActionExtractSlots._run_custom_action`` (idempotent)."""
    ActionExtractSlots._run_custom_action = run_custom_action


__all__ = ["RASA_RUN_CUSTOM_ACTION", "SlotsFirstRemoteAction", "install", "run_custom_action"]
