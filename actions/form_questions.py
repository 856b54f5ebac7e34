"""The order form's questions: the ask-actions that offer buttons (recent orders, the
order's lines, the return reasons) instead of a bare question."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import form_values
from actions.common import language, latest_text
from actions.forms import accessible_order, open_lines
from actions.services import identity, texts
from actions.services.runtime import shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)


def order_buttons(orders: list[shop.OrderInfo], lang: str, items: bool = True) -> list[dict]:
    """One button per order (number, first item or date, status)."""
    buttons = []
    for order in orders:
        first = order.lines[0].name(lang) if order.lines and items else ""
        if not items:
            first = order.ordered_at.strftime("%Y-%m-%d") if order.ordered_at else ""
        title = texts.template(lang, "order_button").format(
            order_id=order.id,
            first_item=first,
            status=texts.label(lang, "order_statuses", order.status),
        )
        buttons.append({"title": title, "payload": f'/inform{{"order_id":"{order.id}"}}'})
    return buttons


@shop_action
class ActionAskOrderId(Action):
    """Ask for the order number, with the customer's latest orders as buttons."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send ``utter_ask_order_id``; buttons with the recent orders for a verified
        customer only (a visitor is told where to find the number)."""
        lang = language(tracker)
        customer_id = identity.verified_customer(tracker)
        contact = tracker.get_slot("order_contact")
        if (
            customer_id is None
            and not contact
            and form_values.says(latest_text(tracker), "forgot_order_id")
        ):
            dispatcher.utter_message(response="utter_find_order_visitor")
            return []
        try:
            if customer_id:
                orders = shop.recent_orders(customer_id, 5)
                if orders:
                    dispatcher.utter_message(
                        response="utter_ask_order_id_customer", buttons=order_buttons(orders, lang)
                    )
                    return []
            # a visitor's email or phone alone proves nothing: anyone may know it, so it
            # never lists that customer's orders (the number + the contact open one order)
        except shop.ShopUnavailable:
            logger.warning("shop database unavailable: asking for the number without buttons")
        dispatcher.utter_message(response="utter_ask_order_id")
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
            for ln in open_lines(order)
        ]
        dispatcher.utter_message(response="utter_ask_return_item", buttons=buttons)
        return []


@shop_action
class ActionAskReturnReason(Action):
    """Ask why, with the short list of reasons as buttons (either language's words work)."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_return_reason"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send ``utter_ask_return_reason`` with one button per reason."""
        lang = language(tracker)
        buttons = [
            {
                "title": form_values.reason_label(code, lang),
                "payload": f'/inform{{"return_reason":"{code}"}}',
            }
            for code in form_values.reason_codes()
        ]
        dispatcher.utter_message(response="utter_ask_return_reason", buttons=buttons)
        return []
