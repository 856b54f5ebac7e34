"""What the order form does with messages that fill none of its slots.

The rules in ``bot/data/rules_forms.yml`` send each such message to one of these actions:

* ``action_form_restate``: the request again ("我的订单到哪了", "取消订单"), a detail that
  is not what was asked, or a message not understood; says what the form is doing now,
  and the form asks again. "I don't know my order number" gets a way to find it (recent
  orders for a verified customer, the order's email or phone for a visitor); a question
  about the return policy asked as a return request is answered.
* ``action_form_deny``: "sorry, wrong number" forgets the latest value (the form asks for
  it again); "算了", "never mind" leave the form (``ActiveLoop(None)``) with a
  confirmation.
* ``action_form_left``: the customer asks something else; the form was stopped by
  ``action_deactivate_loop`` and this confirms it before the new request is handled.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, latest_intent, latest_text
from actions.form_questions import order_buttons
from actions.form_values import forgot_order_id, says
from actions.forms import NOTE_SLOT
from actions.services import faq, identity
from actions.services.runtime import shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

GOALS = ("status", "cancel", "return", "refund")
ORDER_INTENTS = ("order_status", "cancel_order", "return_request", "refund_status")
# form slots a correction may take back
FORM_SLOTS = ("return_reason", "return_item", "order_contact", "order_id")
POLICY_TOPIC = "return_policy"


def _goal(tracker: Tracker) -> str:
    goal = tracker.get_slot("order_goal")
    return goal if goal in GOALS else "status"


def _reset() -> list[EventType]:
    return [SlotSet("return_item", None), SlotSet("return_reason", None), SlotSet(NOTE_SLOT, None)]


def help_find_order(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """A way to find a forgotten order number.

    A verified customer picks from their recent orders (inside the form its question
    brings the buttons; outside they come with this answer); a visitor is asked for the
    email or phone of the order.
    """
    customer_id = identity.verified_customer(tracker)
    if customer_id is None:
        dispatcher.utter_message(response="utter_find_order_visitor")
        return []
    try:
        orders = [] if tracker.active_loop_name else shop.recent_orders(customer_id, 5)
    except shop.ShopUnavailable:
        orders = []
    buttons = order_buttons(orders, language(tracker)) if orders else []
    dispatcher.utter_message(response="utter_find_order_customer", buttons=buttons)
    return []


@shop_action
class ActionFormRestate(Action):
    """The request again, or an answer that is not the one asked for: say where we are."""

    def name(self) -> str:
        """Action name."""
        return "action_form_restate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Help find the order, answer a return-policy question, or say what the form does."""
        intent = latest_intent(tracker) or ""
        text = latest_text(tracker)
        if forgot_order_id(text) and not tracker.get_slot("order_id"):
            return help_find_order(dispatcher, tracker)
        if intent == "return_request":
            try:
                answer = faq.entry_answer(POLICY_TOPIC, language(tracker), text)
            except faq.FaqError:
                logger.exception("FAQ data broken")
                answer = None
            if answer:
                dispatcher.utter_message(text=answer)
                return []
        if intent in ORDER_INTENTS:
            dispatcher.utter_message(response=f"utter_form_restate_{_goal(tracker)}")
        elif intent == "nlu_fallback":
            dispatcher.utter_message(response="utter_form_not_understood")
        else:
            dispatcher.utter_message(response="utter_form_need_value")
        return []


def _latest_value(tracker: Tracker) -> str | None:
    """The form slot filled last that still holds a value."""
    for event in reversed(tracker.events or []):
        if (
            event.get("event") == "slot"
            and event.get("name") in FORM_SLOTS
            and event.get("value") is not None
            and tracker.get_slot(event["name"]) is not None
        ):
            return str(event["name"])
    return None


@shop_action
class ActionFormDeny(Action):
    """ "No" while the form waits: a correction ("sorry, wrong number", "不对") forgets the
    latest value; anything else ("算了", "never mind", "不退了") leaves the form."""

    def name(self) -> str:
        """Action name."""
        return "action_form_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Clear the latest form value (the form asks again), or deactivate the form."""
        text = latest_text(tracker)
        if forgot_order_id(text) and not tracker.get_slot("order_id"):
            return help_find_order(dispatcher, tracker)
        latest = _latest_value(tracker)
        if latest is not None and says(text, "corrections"):
            dispatcher.utter_message(response="utter_form_correct")
            events: list[EventType] = [SlotSet(latest, None)]
            if latest == "order_id":
                events += [SlotSet("return_item", None), SlotSet("return_reason", None)]
            if latest == "return_reason":
                events.append(SlotSet(NOTE_SLOT, None))
            return events
        dispatcher.utter_message(response=f"utter_form_left_{_goal(tracker)}")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset()]


@shop_action
class ActionFormLeft(Action):
    """Confirm that the form was stopped (the next rule step handles the new request)."""

    def name(self) -> str:
        """Action name."""
        return "action_form_left"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Say the order request is put aside; forget its unfinished item and reason."""
        dispatcher.utter_message(response="utter_form_paused")
        return _reset()


def correction_followup(tracker: Tracker) -> list[EventType] | None:
    """A corrected order number after an order answer ("不对，是 KF10000124", "sorry, wrong
    number, it's KF..."): run the same request again for the new number.

    Returns:
        The events that restart ``order_form`` (the ``order_id`` slot already holds the new
        number), or ``None`` when the message is no such correction.
    """
    from rasa_sdk.events import FollowupAction

    goal = tracker.get_slot("order_goal")
    new_ids = [
        e.get("value")
        for e in (tracker.latest_message or {}).get("entities") or []
        if isinstance(e, dict) and e.get("entity") == "order_id"
    ]
    if goal not in GOALS or not new_ids or tracker.active_loop_name:
        return None
    if latest_intent(tracker) != "deny" and not says(latest_text(tracker), "corrections"):
        return None
    return [SlotSet("pending_confirmation", None), *_reset(), FollowupAction("order_form")]
