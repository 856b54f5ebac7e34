"""The order form: which order (and, for visitors, proof of it), then item and reason.

``order_form`` serves four goals, set by the intent that started it (slot ``order_goal``):
``status``, ``cancel``, ``return`` and ``refund``. A verified customer only names the
order (buttons list their latest orders) and only their own orders are accepted; an
anonymous visitor must also give the email or phone on the order. A return also asks
which item and why, but only once the order is known to be returnable: the refusal and
its reason come from ``action_submit_order_form``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language
from actions.services import identity, texts
from actions.services.runtime import shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

FORM = "order_form"
MAX_FAILURES = 3
FAILURES_SLOT = "lookup_failures"


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


def _match_line(order: shop.OrderInfo, value: str) -> shop.LineInfo | None:
    lines = [ln for ln in order.lines if ln.id not in order.returned_line_ids]
    if not lines:
        return None
    text = value.strip()
    if len(lines) == 1 and not text:
        return lines[0]
    for ln in lines:
        if text.upper() == ln.product_id.upper() or text == str(ln.id):
            return ln
    # the customer may answer in either language, whatever the reply language is
    ordinals = {
        word: index
        for language in texts.LANGUAGES
        for word, index in (texts.labels(language).get("parse", {}).get("ordinals") or {}).items()
    }
    for word, index in sorted(ordinals.items(), key=lambda kv: -len(kv[0])):
        if word.lower() in text.lower():
            return lines[index - 1] if 0 < index <= len(lines) else lines[-1]
    digits = re.fullmatch(r"\D{0,3}(\d{1,2})\D{0,3}", text)
    if digits and 0 < int(digits.group(1)) <= len(lines):
        return lines[int(digits.group(1)) - 1]
    low = text.lower()
    for ln in lines:
        for name in (ln.name_zh, ln.name_en):
            words = [w for w in re.split(r"\s+", name.lower()) if len(w) > 1]
            if name.lower() in low or any(w in low for w in words[1:]):
                return ln
    return None


def _item_slots(tracker: Tracker, order: shop.OrderInfo | None) -> dict[str, Any]:
    """Reset item and reason for a new order; pick the item when only one can be returned."""
    slots: dict[str, Any] = {"return_item": None, "return_reason": None}
    if order is not None and tracker.get_slot("order_goal") == "return":
        lines = [ln for ln in order.lines if ln.id not in order.returned_line_ids]
        if len(lines) == 1:
            slots["return_item"] = str(lines[0].id)
    return slots


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

    def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept a well-formed order number; for a customer, only one of their orders."""
        value = slot_value[-1] if isinstance(slot_value, list) and slot_value else slot_value
        order_id = shop.normalize_order_id(value)
        if order_id is None:
            dispatcher.utter_message(response="utter_order_id_invalid")
            return {"order_id": None}
        customer_id = identity.verified_customer(tracker)
        if customer_id is None and lookup_locked(tracker):
            dispatcher.utter_message(response="utter_lookup_locked")
            return {"order_id": None, "order_contact": None}
        if customer_id is None:
            contact = tracker.get_slot("order_contact")
            if contact and shop.get_order_for_contact(order_id, contact) is None:
                return self._contact_failure(dispatcher, tracker, order_id)
            order = shop.get_order_for_contact(order_id, contact) if contact else None
            return {"order_id": order_id, **_item_slots(tracker, order)}
        order = shop.get_order_for_customer(order_id, customer_id)
        if order is None:
            dispatcher.utter_message(response="utter_order_not_in_account", order_id=order_id)
            return {"order_id": None, FAILURES_SLOT: _failures(tracker) + 1}
        return {"order_id": order_id, **_item_slots(tracker, order)}

    def validate_order_contact(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept the email or phone only when it is the one on the order."""
        value = slot_value[-1] if isinstance(slot_value, list) and slot_value else slot_value
        contact = shop.normalize_contact(value)
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
            return self._contact_failure(dispatcher, tracker, order_id)
        return {"order_contact": contact, **_item_slots(tracker, order)}

    def _contact_failure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str
    ) -> dict[str, Any]:
        failures = _failures(tracker) + 1
        try:
            shop.record_lookup_failure(identity.client_keys(tracker))
        except shop.ShopUnavailable:
            logger.warning("shop database unavailable: a failed lookup was not recorded")
        if failures >= MAX_FAILURES:
            dispatcher.utter_message(response="utter_lookup_locked")
        else:
            dispatcher.utter_message(response="utter_contact_mismatch", order_id=order_id)
        return {"order_contact": None, "order_id": None, FAILURES_SLOT: failures}

    def validate_return_item(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Map a product id, a position ("2", "第二个") or a name to a line of the order."""
        order = accessible_order(tracker)
        if order is None:
            return {"return_item": None}
        value = slot_value[-1] if isinstance(slot_value, list) and slot_value else slot_value
        line = _match_line(order, str(value or "")[:200])
        if line is None:
            dispatcher.utter_message(response="utter_return_item_unknown")
            return {"return_item": None}
        return {"return_item": str(line.id)}

    def validate_return_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Accept a non-empty reason of at most 500 characters."""
        value = slot_value[-1] if isinstance(slot_value, list) and slot_value else slot_value
        reason = str(value or "").strip()
        if not reason or reason.startswith("/"):
            return {"return_reason": None}
        return {"return_reason": reason[: shop.MAX_RETURN_REASON_CHARS]}


@shop_action
class ActionAskOrderId(Action):
    """Ask for the order number; a verified customer gets their latest orders as buttons."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send ``utter_ask_order_id`` (with order buttons for a verified customer)."""
        customer_id = identity.verified_customer(tracker)
        orders = shop.recent_orders(customer_id, 5) if customer_id else []
        if not orders:
            dispatcher.utter_message(response="utter_ask_order_id")
            return []
        lang = language(tracker)
        buttons = []
        for order in orders:
            first = order.lines[0].name(lang) if order.lines else ""
            title = texts.template(lang, "order_button").format(
                order_id=order.id,
                first_item=first,
                status=texts.label(lang, "order_statuses", order.status),
            )
            buttons.append({"title": title, "payload": f'/inform{{"order_id":"{order.id}"}}'})
        dispatcher.utter_message(response="utter_ask_order_id_customer", buttons=buttons)
        return []


@shop_action
class ActionAskReturnItem(Action):
    """Ask which item to return, with one button per returnable line."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_return_item"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send ``utter_ask_return_item`` with the order's lines as buttons."""
        order = accessible_order(tracker)
        if order is None:
            dispatcher.utter_message(response="utter_ask_return_item")
            return [SlotSet("order_id", None)]
        lang = language(tracker)
        buttons = [
            {
                "title": texts.template(lang, "order_line").format(
                    name=ln.name(lang), quantity=ln.quantity
                ),
                "payload": f'/inform{{"product":"{ln.product_id}"}}',
            }
            for ln in order.lines
            if ln.id not in order.returned_line_ids
        ]
        dispatcher.utter_message(response="utter_ask_return_item", buttons=buttons)
        return []
