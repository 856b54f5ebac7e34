"""Support actions: FAQ, complaints, hand-off to a human, fallback, yes/no, satisfaction.

A pending question the bot asked (cancel this order? talk to a human?) is kept in the
``pending_confirmation`` slot; ``action_handle_affirm`` and ``action_handle_deny`` act on
it, so one rule per answer covers every question.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    CANCEL_PREFIX,
    HANDOFF,
    PENDING_SLOT,
    RETURN_PREFIX,
    entity_values,
    fallback_streak,
    is_negative,
    language,
    latest_intent,
    latest_text,
    transcript,
)
from actions.form_turns import correction_followup
from actions.orders import perform_cancel, perform_return
from actions.services import announce, faq, identity, texts
from actions.services.runtime import shop_action
from kefu.shop import queries as shop
from kefu.shop.queries import queue
from kefu.support import queue as support_queue
from kefu.support import texts as support_texts

logger = logging.getLogger(__name__)

RETURN_RESET = [
    SlotSet("return_item", None),
    SlotSet("return_reason", None),
    SlotSet("return_note", None),
]

FAQ_INTENTS = ("shipping_info", "payment_methods", "account_help")
# the quick replies offered after the second message the bot did not understand
MENU_INTENTS = ("order_status", "product_search", "return_request", "human_handoff")
EXCLUDED_FROM_BUTTONS = (
    "nlu_fallback",
    "out_of_scope",
    "inform",
    "affirm",
    "deny",
    "csat_score",
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
)


@shop_action
class ActionAnswerFaq(Action):
    """Answer shipping, payment and account questions from ``data/faq/<language>.yml``."""

    def name(self) -> str:
        """Action name."""
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send the FAQ answer of the latest intent, refined by the message's keywords."""
        lang = language(tracker)
        intent = latest_intent(tracker)
        try:
            text = faq.answer(intent or "", lang, latest_text(tracker))
        except faq.FaqError:
            logger.exception("FAQ data broken")
            text = None
        if not text:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(text=text)
        return [SlotSet("resolved", True)]


def offer_handoff(dispatcher: CollectingDispatcher) -> list[EventType]:
    """Ask whether the customer wants a human agent."""
    dispatcher.utter_message(response="utter_offer_handoff")
    return [SlotSet(PENDING_SLOT, HANDOFF)]


@shop_action
class ActionHandleComplaint(Action):
    """After the empathy line (sent on every negative message), ask what went wrong."""

    def name(self) -> str:
        """Action name."""
        return "action_handle_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask for details, unless a hand-off was just offered."""
        if tracker.get_slot(PENDING_SLOT) == HANDOFF:
            return []
        dispatcher.utter_message(response="utter_complaint_details")
        return []


@shop_action
class ActionOfferHandoff(Action):
    """Offer a human agent (the customer asked for one)."""

    def name(self) -> str:
        """Action name."""
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send ``utter_offer_handoff`` and remember the question."""
        return offer_handoff(dispatcher)


def escalation_reason(tracker: Tracker) -> str:
    """Why the bot offered a human: ``asked``, ``fallbacks`` or ``negative_sentiment``.

    Read from the customer message that led to the offer (the last one before the
    ``pending_confirmation=handoff`` slot was set).
    """
    events = list(tracker.events or [])
    offered = next(
        (
            i
            for i in range(len(events) - 1, -1, -1)
            if events[i].get("event") == "slot"
            and events[i].get("name") == PENDING_SLOT
            and events[i].get("value") == HANDOFF
        ),
        len(events),
    )
    for event in reversed(events[:offered]):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "human_handoff":
            return "asked"
        if intent == "nlu_fallback":
            return "fallbacks"
        return "negative_sentiment" if is_negative(event.get("parse_data") or {}) else "asked"
    return "asked"


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Queue the conversation for an agent (one ticket), say where the customer stands, pause."""
    lang = language(tracker)
    reason = next(
        (
            (e.get("text") or "")[:200]
            for e in reversed(tracker.events or [])
            if e.get("event") == "user"
            and ((e.get("parse_data") or {}).get("intent") or {}).get("name")
            in ("complaint", "human_handoff", "nlu_fallback")
        ),
        "",
    )
    try:
        status = support_queue.hand_off(
            tracker.sender_id,
            identity.verified_customer(tracker),
            lang,
            reason,
            transcript(tracker),
            escalation_reason(tracker),
            on_commit=announce.ticket,  # the consoles need not wait for the rest of the turn
        )
        assignee = None
        if status.status != "pending":
            ticket = queue.get_ticket(status.ticket_id)
            assignee = ((ticket or {}).get("assignee") or {}).get("name")
        queue_status = support_texts.queue_status(status, lang, assignee)
    except shop.ShopUnavailable:
        logger.exception("could not write the hand-off ticket")
        dispatcher.utter_message(response="utter_shop_unavailable")
        return [SlotSet(PENDING_SLOT, None)]
    dispatcher.utter_message(
        response="utter_handoff_done",
        ticket_id=status.ticket_id,
        queue_status=queue_status,
        position=status.position,
        expected_wait_s=status.expected_wait_s,
    )
    return [
        SlotSet(PENDING_SLOT, None),
        SlotSet("ticket_id", str(status.ticket_id)),
        ConversationPaused(),
    ]


@shop_action
class ActionHandleAffirm(Action):
    """ "Yes": confirm whatever the bot asked (cancel an order, hand off to a human)."""

    def name(self) -> str:
        """Action name."""
        return "action_handle_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Act on the pending question, or ask what the customer needs."""
        pending = tracker.get_slot(PENDING_SLOT) or ""
        if pending == HANDOFF:
            return hand_off(dispatcher, tracker)
        if pending.startswith(CANCEL_PREFIX):
            return perform_cancel(dispatcher, tracker, pending[len(CANCEL_PREFIX) :])
        if pending.startswith(RETURN_PREFIX):
            return perform_return(dispatcher, tracker, pending[len(RETURN_PREFIX) :])
        dispatcher.utter_message(response="utter_how_can_help")
        return []


@shop_action
class ActionHandleDeny(Action):
    """ "No": drop the pending question and say what happens instead."""

    def name(self) -> str:
        """Action name."""
        return "action_handle_deny"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Keep the order / stay with the bot, or ask what the customer needs."""
        restart = correction_followup(tracker)
        if restart is not None:
            return restart
        pending = tracker.get_slot(PENDING_SLOT) or ""
        if pending == HANDOFF:
            dispatcher.utter_message(response="utter_handoff_declined")
        elif pending.startswith(CANCEL_PREFIX):
            dispatcher.utter_message(
                response="utter_cancel_kept", order_id=pending[len(CANCEL_PREFIX) :]
            )
        elif pending.startswith(RETURN_PREFIX):
            dispatcher.utter_message(
                response="utter_return_not_filed", order_id=pending[len(RETURN_PREFIX) :]
            )
            return [SlotSet(PENDING_SLOT, None), *RETURN_RESET]
        else:
            dispatcher.utter_message(response="utter_how_can_help")
        return [SlotSet(PENDING_SLOT, None)] if pending else []


@shop_action
class ActionHandleFallback(Action):
    """Not understood: ask to rephrase, then offer the likely intents, then a human."""

    def name(self) -> str:
        """Action name."""
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Escalate with each message in a row the bot did not understand."""
        from actions.products import answer_products, refers_to_last_list
        from actions.services.listing import looks_out_of_scope, names_products, product_mode

        if refers_to_last_list(tracker):  # "more expensive", "换个牌子" after a product list
            return answer_products(dispatcher, tracker, "search")
        if names_products(tracker):  # "那平板呢": a product the shop sells
            return answer_products(dispatcher, tracker, product_mode(tracker))
        restart = correction_followup(tracker)
        if restart is not None:
            return restart
        if looks_out_of_scope(tracker):  # "讲个笑话" not quite understood, but not the shop's
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        streak = fallback_streak(tracker)
        if streak <= 1:
            dispatcher.utter_message(response="utter_rephrase")
            return []
        if streak == 2:
            lang = language(tracker)
            ranking = (tracker.latest_message or {}).get("intent_ranking") or []
            names = [
                r.get("name")
                for r in ranking
                if isinstance(r, dict) and r.get("name") not in EXCLUDED_FROM_BUTTONS
            ]
            chosen = list(dict.fromkeys([n for n in names if n][:3] + list(MENU_INTENTS)))[:4]
            buttons = [
                {"title": texts.label(lang, "intents", n), "payload": f"/{n}"} for n in chosen
            ]
            dispatcher.utter_message(response="utter_fallback_options", buttons=buttons)
            return []
        return offer_handoff(dispatcher)


@shop_action
class ActionHandleInform(Action):
    """Details given out of the blue: an order number, a product, or nothing usable."""

    def name(self) -> str:
        """Action name."""
        return "action_handle_inform"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Offer what can be done with the order, search the product, or ask."""
        restart = correction_followup(tracker)
        if restart is not None:
            return restart
        order_ids = [shop.normalize_order_id(v) for v in entity_values(tracker, "order_id")]
        order_ids = [o for o in order_ids if o]
        if order_ids:
            order_id = order_ids[-1]
            lang = language(tracker)
            buttons = [
                {
                    "title": texts.label(lang, "intents", intent),
                    "payload": f'/{intent}{{"order_id":"{order_id}"}}',
                }
                for intent in ("order_status", "cancel_order", "return_request", "refund_status")
            ]
            dispatcher.utter_message(
                response="utter_order_what_to_do", order_id=order_id, buttons=buttons
            )
            return []
        from actions.products import answer_products, refers_to_last_list

        if refers_to_last_list(tracker) or any(
            entity_values(tracker, e) for e in ("product", "brand", "category", "price")
        ):  # "第二个", "cheaper" after a product list; a product named out of the blue
            return answer_products(dispatcher, tracker, "search")
        dispatcher.utter_message(response="utter_how_can_help")
        return []
