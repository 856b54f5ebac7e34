"""Messages the classifier put outside the shop: the "here is what I can do" answer, unless
the message names something the shop sells ("推荐几个 phone case" is a product question) or
refers to the last product list."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.products import answer_products, refers_to_last_list
from actions.services.listing import PRODUCT_SHARE, names_products, product_mode, product_score
from actions.services.runtime import shop_action


@shop_action
class ActionHandleOutOfScope(Action):
    """Outside the shop: say what the bot can do; a message that names something the shop
    sells ("推荐几个 phone case") is a product question all the same."""

    def name(self) -> str:
        """Action name."""
        return "action_handle_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Answer products, or the "here is what I can do" message."""
        if refers_to_last_list(tracker) or (
            names_products(tracker) and product_score(tracker) >= PRODUCT_SHARE
        ):
            return answer_products(dispatcher, tracker, product_mode(tracker))
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
