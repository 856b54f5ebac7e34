"""Session actions: who the customer is, which language to answer in, empathy first.

* ``action_session_start`` verifies the token of the message that opened the session.
* ``action_validate_slot_mappings`` runs once after each user message (Rasa calls it after
  extracting the slots; ``language`` and ``customer_id`` have custom mappings without an
  action, so this is the one call that fills them): it sets the reply language from the
  message and re-verifies the token of *this* message; when the message is negative it
  answers with empathy before anything else, and offers a human after two negative turns
  in a row. The empathy comes out in the language of this message: kefu's Rasa renders
  this action's responses with its own slot events applied (:mod:`kefu.rasa_validation`).
* ``action_greet`` greets a verified customer by name.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    HANDOFF,
    LANGUAGE_SLOT,
    PENDING_SLOT,
    is_negative,
    language,
    latest_intent,
    latest_text,
    message_language,
    negative_streak,
)
from actions.services import identity, texts
from actions.services.runtime import shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

CUSTOMER_SLOT = "customer_id"
# slots kept from one session to the next: only the language; identity is re-proven
CARRIED_SLOTS = (LANGUAGE_SLOT,)


@shop_action
class ActionSessionStart(Action):
    """Start a session: verify the token of the opening message, keep only the language."""

    def name(self) -> str:
        """Action name."""
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Start the session and set ``customer_id`` from a verified token only."""
        events = self._opening(tracker)
        customer_id = identity.session_customer(tracker)
        events.append(SlotSet(CUSTOMER_SLOT, customer_id))
        if customer_id and tracker.get_slot(LANGUAGE_SLOT) is None:
            customer = shop.get_customer(customer_id)
            if customer is not None:
                events.append(SlotSet(LANGUAGE_SLOT, texts.language_of(customer.language)))
        events.append(ActionExecuted("action_listen"))
        return events

    @staticmethod
    def _opening(tracker: Tracker) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        for slot in CARRIED_SLOTS:
            value = tracker.get_slot(slot)
            if value is not None:
                events.append(SlotSet(slot, value))
        metadata = tracker.get_slot(identity.SESSION_METADATA_SLOT)
        if metadata is not None:
            events.append(SlotSet(identity.SESSION_METADATA_SLOT, metadata))
        return events

    def on_shop_unavailable(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """The session starts anyway, anonymously (identity needs the shop); no reply yet:
        the first action that needs the shop apologises."""
        return [
            *self._opening(tracker),
            SlotSet(CUSTOMER_SLOT, None),
            ActionExecuted("action_listen"),
        ]


def context_events(tracker: Tracker) -> list[EventType]:
    """Slot events for the reply language and the verified customer of the latest message
    (only for the slots that change)."""
    events: list[EventType] = []
    current = language(tracker)
    lang = message_language(latest_text(tracker), current)
    if lang != tracker.get_slot(LANGUAGE_SLOT):
        events.append(SlotSet(LANGUAGE_SLOT, lang))
    customer_id = identity.verified_customer(tracker)
    if customer_id != tracker.get_slot(CUSTOMER_SLOT):
        events.append(SlotSet(CUSTOMER_SLOT, customer_id))
    return events


@shop_action
class ActionReactToTone(Action):
    """Per-message context, then empathy first: runs once after each user message.

    Rasa runs ``action_validate_slot_mappings`` after extracting the slots of every user
    message and sends what it says before the policies pick the next action, so the
    empathy line comes first, in the language this action sets.
    """

    def name(self) -> str:
        """Action name (Rasa's hook after slot extraction)."""
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Set the language and the verified customer; acknowledge a negative message and
        offer a human after two negative turns in a row."""
        context = context_events(tracker)
        if tracker.is_paused() or not is_negative(tracker.latest_message or {}):
            return context
        dispatcher.utter_message(response="utter_empathy")
        intent = latest_intent(tracker)
        already_offered = tracker.get_slot(PENDING_SLOT) == HANDOFF
        if (
            negative_streak(tracker) >= 2
            and not already_offered
            and intent not in ("human_handoff", "affirm", "deny")
        ):
            dispatcher.utter_message(response="utter_offer_handoff")
            return [SlotSet(PENDING_SLOT, HANDOFF), *context]
        return context


@shop_action
class ActionGreet(Action):
    """Greet the customer, by name when the latest message proves who they are."""

    def name(self) -> str:
        """Action name."""
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send ``utter_greet_customer`` or ``utter_greet``."""
        customer_id = identity.verified_customer(tracker)
        customer = None
        if customer_id:
            try:
                customer = shop.get_customer(customer_id)
            except shop.ShopUnavailable:
                logger.warning("shop database unavailable: greeting anonymously")
        if customer is not None:
            dispatcher.utter_message(response="utter_greet_customer", name=customer.name)
        else:
            dispatcher.utter_message(response="utter_greet")
        return []
