"""The order form: which order (and, for visitors, proof of it), then item and reason.

``order_form`` serves four goals, set by the intent that started it (slot ``order_goal``):
``status``, ``cancel``, ``return`` and ``refund``. A verified customer only names the
order (buttons list their latest orders) and only their own orders are accepted; an
anonymous visitor must also give the email or phone on the order. A return also asks
which item and why, but only once the order is known to be returnable: the refusal and
its reason come from ``action_submit_order_form``.

The item and the reason are read from the customer's own words (``extract_*`` methods,
:mod:`actions.form_values`) as well as from the buttons. A message that fills nothing
makes the form reject, so the rules in ``bot/data/rules_forms.yml`` answer it (side
questions, restated requests, corrections, giving up) and come back to the form.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import form_values
from actions.common import HANDOFF, PENDING_SLOT, latest_intent, latest_text
from actions.services import identity, texts
from actions.services.runtime import shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

FORM = "order_form"
MAX_FAILURES = 3
FAILURES_SLOT = "lookup_failures"
NOTE_SLOT = "return_note"
LINE_PREFIX = "line:"
NOTE_CHARS = 120
# messages that may be an answer in the customer's own words (not another request)
FREE_TEXT_INTENTS = frozenset(
    {"inform", "nlu_fallback", "out_of_scope", "product_search", "recommend", "csat_score"}
)
# at the reason step a complaint ("it broke after two days") is a reason, too
REASON_INTENTS = FREE_TEXT_INTENTS | {"complaint", "return_request"}


def _failures(tracker: Tracker) -> int:
    value = tracker.get_slot(FAILURES_SLOT)
    return int(value) if isinstance(value, int | float) else 0


def lookup_locked(tracker: Tracker) -> bool:
    """Whether a visitor may no longer prove access with a contact: three failures in this
    conversation, or too many for the browser session or address (kept in the shop
    database, so a restart of the chat does not reset them). Fails closed."""
    if _failures(tracker) >= MAX_FAILURES:
        return True
    try:
        return shop.lookup_locked(identity.client_keys(tracker))
    except shop.ShopUnavailable:
        logger.warning("shop database unavailable: order lookups refused")
        return True


def _single(value: Any) -> Any:
    return value[-1] if isinstance(value, list) and value else value


def accessible_order(tracker: Tracker, order_id: str | None = None) -> shop.OrderInfo | None:
    """The order of the form, if the latest message's sender may see it."""
    order_id = order_id or tracker.get_slot("order_id")
    if not order_id:
        return None
    return shop.get_order(
        order_id,
        customer_id=identity.verified_customer(tracker),
        contact=tracker.get_slot("order_contact"),
    )


def open_lines(order: shop.OrderInfo) -> list[shop.LineInfo]:
    """Lines of ``order`` that have no return yet."""
    return [ln for ln in order.lines if ln.id not in order.returned_line_ids]


def chosen_line(order: shop.OrderInfo, value: object) -> shop.LineInfo | None:
    """The line a ``return_item`` slot value (``line:<id>``) names."""
    text = str(value or "")
    line_id = text[len(LINE_PREFIX) :] if text.startswith(LINE_PREFIX) else text
    return next((ln for ln in order.lines if str(ln.id) == line_id), None)


def _item_slots(tracker: Tracker, order: shop.OrderInfo | None) -> dict[str, Any]:
    """Reset item and reason for a new order; pick the item when only one can be returned."""
    slots: dict[str, Any] = {"return_item": None, "return_reason": None, NOTE_SLOT: None}
    if order is not None and tracker.get_slot("order_goal") == "return":
        lines = open_lines(order)
        if len(lines) == 1:
            slots["return_item"] = f"{LINE_PREFIX}{lines[0].id}"
    return slots


def _fresh(tracker: Tracker) -> bool:
    """Whether the form runs right after a customer message (not after an interruption)."""
    for event in reversed(tracker.events or []):
        # the form's own run is logged before it calls the validation action
        if event.get("event") == "action" and event.get("name") != FORM:
            return event.get("name") == "action_listen"
        if event.get("event") == "user":
            return True
    return False


@shop_action
class ValidateOrderForm(FormValidationAction):
    """Validate the slots of ``order_form`` and decide which ones are still needed."""

    def name(self) -> str:
        """Action name."""
        return "validate_order_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """``order_id``; ``order_contact`` for visitors; item and reason for a returnable order."""
        if identity.verified_customer(tracker) is None and lookup_locked(tracker):
            return []
        slots = ["order_id"]
        if identity.verified_customer(tracker) is None:
            slots.append("order_contact")
        if tracker.get_slot("order_goal") == "return" and tracker.get_slot("order_id"):
            try:
                order = accessible_order(tracker)
            except shop.ShopUnavailable:
                return []
            if order is not None and shop.return_refusal(order) is None:
                slots += ["return_item", "return_reason"]
        return slots

    async def extract_return_item(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The line the customer's words name ("the shoes", "第二个", a brand); when the
        item was asked and the words name none, the text itself (validation says so)."""
        if not _fresh(tracker):
            return {}
        asked = tracker.get_slot("requested_slot") == "return_item"
        if tracker.get_slot("return_item") and not asked:
            return {}
        text = latest_text(tracker)
        if not text or text.startswith("/"):
            return {}
        try:
            order = accessible_order(tracker)
        except shop.ShopUnavailable:
            return {}
        if order is None:
            return {}
        line = form_values.match_line(open_lines(order), text)
        if line is not None:
            return {"return_item": f"{LINE_PREFIX}{line.id}"}
        if asked and latest_intent(tracker) in FREE_TEXT_INTENTS:
            return {"return_item": text}
        return {}

    async def extract_return_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A reason named in the customer's words ("太小了", "it arrived broken")."""
        if not _fresh(tracker) or tracker.get_slot("return_reason"):
            return {}
        text = latest_text(tracker)
        if not text or text.startswith("/"):
            return {}
        asked = tracker.get_slot("requested_slot") == "return_reason"
        code = form_values.match_reason(text)
        if code is not None:
            # the customer's words are kept as a note only when they answer the question
            return {"return_reason": text if asked else code}
        if form_values.is_question(text):
            return {}  # "who pays for return shipping?": answered by the rules, then back here
        if asked and latest_intent(tracker) in REASON_INTENTS:
            return {"return_reason": text}
        return {}

    def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept a well-formed order number; for a customer, only one of their orders."""
        order_id = shop.normalize_order_id(_single(slot_value))
        if order_id is None:
            dispatcher.utter_message(response="utter_order_id_invalid")
            return {"order_id": None}
        customer_id = identity.verified_customer(tracker)
        if customer_id is None and lookup_locked(tracker):
            dispatcher.utter_message(response="utter_lookup_locked")
            return {"order_id": None, "order_contact": None}
        if customer_id is None:
            contact = tracker.get_slot("order_contact")
            given_now = "order_contact" in tracker.slots_to_validate()
            if contact and not given_now and shop.get_order_for_contact(order_id, contact) is None:
                # the contact was proven wrong or right before: this number is the suspect
                return self._failure(dispatcher, tracker, order_id, "order_id")
            order = shop.get_order_for_contact(order_id, contact) if contact else None
            return {"order_id": order_id, **_item_slots(tracker, order)}
        order = shop.get_order_for_customer(order_id, customer_id)
        if order is None:
            dispatcher.utter_message(response="utter_order_not_in_account", order_id=order_id)
            return self._count(dispatcher, tracker, {"order_id": None})
        return {"order_id": order_id, **_item_slots(tracker, order)}

    def validate_order_contact(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept the email or phone only when it is the one on the order."""
        contact = shop.normalize_contact(_single(slot_value))
        if contact is None:
            dispatcher.utter_message(response="utter_contact_invalid")
            return {"order_contact": None}
        if lookup_locked(tracker):
            dispatcher.utter_message(response="utter_lookup_locked")
            return {"order_contact": None, "order_id": None}
        order_id = tracker.get_slot("order_id")
        if not order_id:
            return {"order_contact": contact}
        order = shop.get_order_for_contact(order_id, contact)
        if order is None:
            return self._failure(dispatcher, tracker, order_id, "order_contact")
        return {"order_contact": contact, **_item_slots(tracker, order)}

    def _count(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: dict[str, Any]
    ) -> dict[str, Any]:
        failures = _failures(tracker) + 1
        try:
            shop.record_lookup_failure(identity.client_keys(tracker))
        except shop.ShopUnavailable:
            logger.warning("shop database unavailable: a failed lookup was not recorded")
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_lookup_locked")
            dispatcher.utter_message(response="utter_offer_handoff")
            return {**slots, FAILURES_SLOT: failures, PENDING_SLOT: HANDOFF}
        return {**slots, FAILURES_SLOT: failures}

    def _failure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str, wrong: str
    ) -> dict[str, Any]:
        """A contact check failed: forget only the value that is wrong, keep the other."""
        if _failures(tracker) + 1 < MAX_FAILURES:
            response = (
                "utter_contact_mismatch" if wrong == "order_contact" else "utter_order_mismatch"
            )
            dispatcher.utter_message(response=response, order_id=order_id)
        slots: dict[str, Any] = {wrong: None}
        if wrong == "order_contact":
            slots["order_id"] = order_id
        return self._count(dispatcher, tracker, slots)

    def validate_return_item(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Map a chosen line, a product id, a position or a name to a line of the order."""
        order = accessible_order(tracker)
        if order is None:
            return {"return_item": None}
        value = str(_single(slot_value) or "")[:200]
        line = chosen_line(order, value) if value.startswith(LINE_PREFIX) else None
        line = line or form_values.match_line(open_lines(order), value)
        if line is None or line.id in order.returned_line_ids:
            dispatcher.utter_message(response="utter_return_item_unknown")
            return {"return_item": None}
        return {"return_item": f"{LINE_PREFIX}{line.id}"}

    def validate_return_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept one of the listed reasons; the customer's own words are kept as a note."""
        value = str(_single(slot_value) or "").strip()[: shop.MAX_RETURN_REASON_CHARS]
        code = form_values.match_reason(value)
        labels = {form_values.reason_label(code or "", lang).lower() for lang in texts.LANGUAGES}
        own_words = value[:NOTE_CHARS] if value.lower() not in labels and value != code else None
        if code is None:
            dispatcher.utter_message(response="utter_return_reason_pick")
            return {"return_reason": None, NOTE_SLOT: own_words}
        note = own_words or tracker.get_slot(NOTE_SLOT)
        return {"return_reason": code, NOTE_SLOT: note}
