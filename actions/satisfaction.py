"""Satisfaction: after a resolved request (by the bot or an agent), ask for a 1-5 score and
store it (with the agent who resolved the hand-off, when there was one)."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import PENDING_SLOT, entity_values, language, latest_intent, latest_text
from actions.services import identity, texts
from actions.services.runtime import effect_key, shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)


@shop_action
class ActionWrapUp(Action):
    """Thanks and goodbyes: after a resolved request, ask for a 1-5 satisfaction score."""

    def name(self) -> str:
        """Action name."""
        return "action_wrap_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask for the score once per resolved conversation, otherwise say goodbye."""
        intent = latest_intent(tracker)
        if tracker.get_slot("resolved") and not tracker.get_slot("csat_requested"):
            dispatcher.utter_message(response="utter_ask_csat")
            return [SlotSet("csat_requested", True)]
        dispatcher.utter_message(
            response="utter_goodbye" if intent == "goodbye" else "utter_youre_welcome"
        )
        return []


def parse_score(text: str, entities: list[str], lang: str) -> int | None:
    """A 1-5 score from an entity, a digit or words like "五星"/"excellent"."""
    for value in entities:
        if value.strip().isdigit() and 1 <= int(value) <= 5:
            return int(value)
    text = (text or "")[:200]
    digits = re.findall(r"(?<!\d)([1-5])(?!\d)", text)
    if digits:
        return int(digits[0])
    low = text.lower()
    parse = texts.labels(lang).get("parse", {})
    words = [
        (word.lower(), int(score))
        for score, items in (parse.get("csat") or {}).items()
        for word in items
    ]
    for word, score in sorted(words, key=lambda ws: -len(ws[0])):
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low):
            return score
    for word, score in (parse.get("numerals") or {}).items():
        if re.search(rf"(?<![a-z]){re.escape(str(word).lower())}(?![a-z])", low):
            return int(score)
    return None


@shop_action
class ActionStoreCsat(Action):
    """Store the satisfaction score (csat table, with the conversation id)."""

    def name(self) -> str:
        """Action name."""
        return "action_store_csat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Parse and store the score, or ask again with the buttons."""
        lang = language(tracker)
        score = parse_score(latest_text(tracker), entity_values(tracker, "csat_score"), lang)
        if score is None:
            dispatcher.utter_message(response="utter_ask_csat")
            return [SlotSet("csat_requested", True)]
        try:
            shop.store_csat(
                tracker.sender_id,
                identity.verified_customer(tracker),
                lang,
                score,
                key=effect_key(tracker, "store_csat"),
            )
        except shop.ShopUnavailable:
            logger.exception("could not store the satisfaction score")
            dispatcher.utter_message(response="utter_shop_unavailable")
            return []
        dispatcher.utter_message(response="utter_csat_thanks", score=score)
        return [SlotSet("csat_requested", True), SlotSet("resolved", False)]


@shop_action
class ActionAskCsatAfterAgent(Action):
    """Run by the site when an agent resolves a hand-off: back with the bot, ask for a score."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_csat_after_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Ask for the 1-5 score of the agent's help (stored with the agent)."""
        dispatcher.utter_message(response="utter_ask_csat_after_agent")
        return [SlotSet("csat_requested", True), SlotSet(PENDING_SLOT, None)]
