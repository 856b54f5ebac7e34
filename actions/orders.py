"""Order actions: status, cancellation (confirmed first), returns and refunds.

``action_submit_order_form`` runs when ``order_form`` is complete and answers the goal
the customer asked for. Access is checked again here, from the token of the latest
message or the email/phone the visitor gave: a slot alone never opens an order.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import form_values
from actions.common import CANCEL_PREFIX, PENDING_SLOT, RETURN_PREFIX, language, latest_intent
from actions.forms import (
    FAILURES_SLOT,
    MAX_FAILURES,
    NOTE_SLOT,
    accessible_order,
    chosen_line,
    lookup_locked,
)
from actions.services import identity, texts
from actions.services.runtime import effect_key, shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

GOALS = ("status", "cancel", "return", "refund")


def money(amount: Decimal | float, lang: str) -> str:
    """``¥12.50``-style amount in the wording of ``lang``."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return texts.template(lang, "money").format(amount=value)


def items_text(order: shop.OrderInfo, lang: str) -> str:
    """The order's lines as one short line of text."""
    template = texts.template(lang, "order_line")
    sep = "，" if lang == "zh" else ", "
    return sep.join(template.format(name=ln.name(lang), quantity=ln.quantity) for ln in order.lines)


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""


def answer_status(dispatcher: CollectingDispatcher, order: shop.OrderInfo, lang: str) -> None:
    """Tell the status of ``order``: carrier, tracking number and dates from the database."""
    values = {
        "order_id": order.id,
        "items": items_text(order, lang),
        "total": money(order.total, lang),
        "ordered_date": _date(order.ordered_at),
        "carrier": texts.label(lang, "carriers", order.carrier or "", order.carrier or ""),
        "tracking_number": order.tracking_number or "",
        "expected_date": _date(order.expected_delivery),
        "delivered_date": _date(order.delivered_at),
    }
    dispatcher.utter_message(response=f"utter_order_{order.status}", **values)


def ask_cancel(
    dispatcher: CollectingDispatcher, order: shop.OrderInfo, lang: str
) -> list[EventType]:
    """Ask to confirm the cancellation of a paid order, or say why it cannot be cancelled."""
    if order.status in shop.CANCELLABLE:
        dispatcher.utter_message(
            response="utter_confirm_cancel", order_id=order.id, total=money(order.total, lang)
        )
        return [SlotSet(PENDING_SLOT, f"{CANCEL_PREFIX}{order.id}")]
    dispatcher.utter_message(
        response=f"utter_cannot_cancel_{order.status}",
        order_id=order.id,
        status=texts.label(lang, "order_statuses", order.status),
    )
    return []


def perform_cancel(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str
) -> list[EventType]:
    """Cancel ``order_id`` after the customer confirmed; access is checked again."""
    lang = language(tracker)
    try:
        refund = shop.cancel_order(
            order_id,
            identity.verified_customer(tracker),
            tracker.get_slot("order_contact"),
            key=effect_key(tracker, "cancel_order"),
        )
    except shop.ShopRefusal as refusal:
        if refusal.reason == "not_cancellable":
            status = refusal.values.get("status", "")
            dispatcher.utter_message(
                response=f"utter_cannot_cancel_{status}",
                order_id=order_id,
                status=texts.label(lang, "order_statuses", status),
            )
        else:
            dispatcher.utter_message(response="utter_order_not_verified")
        return [SlotSet(PENDING_SLOT, None)]
    dispatcher.utter_message(
        response="utter_cancel_done", order_id=order_id, amount=money(refund.amount, lang)
    )
    return [SlotSet(PENDING_SLOT, None), SlotSet("resolved", True)]


def return_summary(
    tracker: Tracker, order: shop.OrderInfo, lang: str
) -> tuple[shop.LineInfo, str] | None:
    """The line and the reason text (label plus the customer's words) the form collected."""
    line = chosen_line(order, tracker.get_slot("return_item"))
    code = tracker.get_slot("return_reason")
    if line is None or not code:
        return None
    reason = form_values.reason_label(str(code), lang)
    note = tracker.get_slot(NOTE_SLOT)
    if note and str(note).strip().lower() != reason.lower():
        reason = texts.template(lang, "reason_with_note").format(reason=reason, note=note)
    return line, reason[: shop.MAX_RETURN_REASON_CHARS]


def ask_return(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: shop.OrderInfo, lang: str
) -> list[EventType]:
    """Repeat the return (order, item, reason, refund) and ask to confirm it; or refuse."""
    refusal = shop.return_refusal(order)
    if refusal is not None:
        reason, values = refusal
        dispatcher.utter_message(
            response=f"utter_return_refused_{reason}", order_id=order.id, **values
        )
        return []
    summary = return_summary(tracker, order, lang)
    if summary is None:
        dispatcher.utter_message(response="utter_return_incomplete")
        return []
    line, reason = summary
    dispatcher.utter_message(
        response="utter_confirm_return",
        order_id=order.id,
        item=texts.template(lang, "order_line").format(
            name=line.name(lang), quantity=line.quantity
        ),
        reason=reason,
        amount=money(line.unit_price * line.quantity, lang),
    )
    return [SlotSet(PENDING_SLOT, f"{RETURN_PREFIX}{order.id}")]


def perform_return(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str
) -> list[EventType]:
    """Create the return the customer confirmed; access is checked again."""
    lang = language(tracker)
    done: list[EventType] = [
        SlotSet(PENDING_SLOT, None),
        SlotSet("return_item", None),
        SlotSet("return_reason", None),
        SlotSet(NOTE_SLOT, None),
    ]
    order = accessible_order(tracker, order_id)
    if order is None:
        dispatcher.utter_message(response="utter_order_not_verified")
        return done
    summary = return_summary(tracker, order, lang)
    if summary is None:
        dispatcher.utter_message(response="utter_return_incomplete")
        return done
    line, reason = summary
    try:
        return_id = shop.create_return(
            order.id,
            line.id,
            reason,
            identity.verified_customer(tracker),
            tracker.get_slot("order_contact"),
            key=effect_key(tracker, "create_return"),
        )
    except shop.ShopRefusal as exc:
        dispatcher.utter_message(
            response=f"utter_return_refused_{exc.reason}", order_id=order.id, **exc.values
        )
        return done
    dispatcher.utter_message(
        response="utter_return_created",
        return_id=return_id,
        order_id=order.id,
        item=line.name(lang),
        reason=reason,
        amount=money(line.unit_price * line.quantity, lang),
    )
    return done + [SlotSet("resolved", True)]


def answer_refund(dispatcher: CollectingDispatcher, order: shop.OrderInfo, lang: str) -> None:
    """Tell the refunds of ``order`` (amount, status, date)."""
    refunds = shop.refunds_for(order.id)
    if not refunds:
        dispatcher.utter_message(
            response="utter_no_refund",
            order_id=order.id,
            status=texts.label(lang, "order_statuses", order.status),
        )
        return
    template = texts.template(lang, "refund_line")
    lines = "\n".join(
        template.format(
            amount=money(r.amount, lang),
            status=texts.label(lang, "refund_statuses", r.status),
            date=_date(r.completed_at or r.created_at),
        )
        for r in refunds
    )
    dispatcher.utter_message(response="utter_refund_status", order_id=order.id, refunds=lines)


def _confirms(tracker: Tracker, prefix: str, order: shop.OrderInfo, intent: str) -> bool:
    """Whether the customer answered "cancel order X?" with the request itself ("嗯 取消吧",
    "yes cancel it", "确认退货") rather than with a plain yes."""
    return (
        tracker.get_slot(PENDING_SLOT) == f"{prefix}{order.id}" and latest_intent(tracker) == intent
    )


@shop_action
class ActionSubmitOrderForm(Action):
    """Answer the goal of a completed ``order_form`` (status, cancel, return or refund)."""

    def name(self) -> str:
        """Action name."""
        return "action_submit_order_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Check access again, then answer (a return and a cancellation are confirmed first)."""
        lang = language(tracker)
        goal = tracker.get_slot("order_goal")
        goal = goal if goal in GOALS else "status"
        # a return keeps its item and reason until the customer confirms it
        events: list[EventType] = (
            []
            if goal == "return"
            else [SlotSet("return_item", None), SlotSet("return_reason", None)]
        )
        try:
            if identity.verified_customer(tracker) is None and lookup_locked(tracker):
                dispatcher.utter_message(response="utter_lookup_locked")
                return events + [SlotSet("order_id", None), SlotSet("order_contact", None)]
            order = accessible_order(tracker)
            if order is None:
                failures = tracker.get_slot(FAILURES_SLOT) or 0
                if failures < MAX_FAILURES:
                    dispatcher.utter_message(response="utter_order_not_verified")
                return events + [SlotSet("order_id", None)]
            if goal == "status":
                answer_status(dispatcher, order, lang)
                events.append(SlotSet("resolved", True))
            elif goal == "cancel" and _confirms(tracker, CANCEL_PREFIX, order, "cancel_order"):
                events += perform_cancel(dispatcher, tracker, order.id)
            elif goal == "cancel":
                events += ask_cancel(dispatcher, order, lang)
            elif goal == "return" and _confirms(tracker, RETURN_PREFIX, order, "return_request"):
                events += perform_return(dispatcher, tracker, order.id)
            elif goal == "return":
                events += ask_return(dispatcher, tracker, order, lang)
            else:
                answer_refund(dispatcher, order, lang)
                events.append(SlotSet("resolved", True))
        except shop.ShopUnavailable:
            logger.exception("shop database unavailable")
            dispatcher.utter_message(response="utter_shop_unavailable")
        return events
