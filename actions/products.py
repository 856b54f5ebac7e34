"""Product actions: search the catalogue and suggest products, shown as product cards.

Cards go out as a custom payload ``{"products": [{"id", "name", "price", "image", "url",
"reason"}]}`` for the widget; text-only channels (``rasa shell``) get the same list as
text instead.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, language, latest_text
from actions.orders import money
from actions.services import identity, recommender, texts
from actions.services.runtime import shop_action
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

TEXT_ONLY_CHANNELS = ("cmdline",)
MAX_RESULTS = 5
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(k|千|w|万)?", re.IGNORECASE)
_CURRENCY = re.compile(r"[¥$￥元块]|rmb|yuan|dollar|bucks|price|价|钱|预算", re.IGNORECASE)


def parse_price(
    text: str, price_entities: list[str], lang: str
) -> tuple[float | None, float | None]:
    """A ``(min, max)`` price range from the message (either may be ``None``).

    Only read when the message talks about money (a ``price`` entity, a currency sign or
    word); one number is a maximum unless a word like "over"/"以上" makes it a minimum.
    """
    text = (text or "")[:500]
    if not price_entities and not _CURRENCY.search(text):
        return None, None
    scope = " ".join(price_entities) if price_entities else text
    scope = re.sub(r"KF\d+", " ", scope, flags=re.IGNORECASE)
    numbers = []
    for value, unit in _NUMBER.findall(scope):
        amount = float(value)
        if unit and unit.lower() in ("k", "千"):
            amount *= 1000
        elif unit and unit.lower() in ("w", "万"):
            amount *= 10000
        numbers.append(amount)
    numbers = [n for n in numbers if 0 < n < 10_000_000]
    if not numbers:
        return None, None
    if len(numbers) >= 2:
        low, high = sorted(numbers[:2])
        return low, high
    words = texts.labels(lang).get("parse", {})
    low_text = text.lower()
    if any(w.lower() in low_text for w in words.get("price_min", [])):
        return numbers[0], None
    return None, numbers[0]


def send_products(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    products: list[tuple[shop.ProductView, str]],
    response: str,
    **values: Any,
) -> None:
    """Send ``response`` with product cards (or a text list on text-only channels)."""
    lang = language(tracker)
    if tracker.get_latest_input_channel() in TEXT_ONLY_CHANNELS:
        template = texts.template(lang, "list_item")
        listing = "\n".join(
            template.format(index=i, name=p.name(lang), price=money(p.price, lang))
            + (f" ({reason})" if reason else "")
            for i, (p, reason) in enumerate(products, start=1)
        )
        dispatcher.utter_message(response=response, count=len(products), **values)
        dispatcher.utter_message(text=listing)
        return
    cards = [recommender.card(p, lang, reason) for p, reason in products]
    dispatcher.utter_message(
        response=response, count=len(products), json_message={"products": cards}, **values
    )


def _category(tracker: Tracker) -> str | None:
    """The category the customer named, else the category of the product they named."""
    values = entity_values(tracker, "category")
    try:
        known = set(shop.categories()) if values else set()
        for value in values:
            if value in known:
                return value
        terms = entity_values(tracker, "product")
        if terms:  # "推荐几款蓝牙耳机": suggest within the earbuds' category
            found = Counter(p.category for p in shop.search_products(terms=terms, limit=20))
            if found:
                return found.most_common(1)[0][0]
    except shop.ShopUnavailable:
        return None
    return None


@shop_action
class ActionSearchProducts(Action):
    """Search by product words, brand, category and price range, in either language."""

    def name(self) -> str:
        """Action name."""
        return "action_search_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send matching products as cards, or ask what the customer is looking for."""
        lang = language(tracker)
        terms = entity_values(tracker, "product")
        brands = entity_values(tracker, "brand")
        try:
            category = _category(tracker)
            low, high = parse_price(latest_text(tracker), entity_values(tracker, "price"), lang)
            if not (terms or brands or category or low or high):
                dispatcher.utter_message(response="utter_ask_product")
                return []
            found = shop.search_products(
                terms=terms,
                brands=brands,
                category=category,
                min_price=low,
                max_price=high,
                limit=MAX_RESULTS,
            )
        except shop.ShopUnavailable:
            logger.exception("shop database unavailable")
            dispatcher.utter_message(response="utter_shop_unavailable")
            return []
        if not found:
            dispatcher.utter_message(response="utter_no_products")
            return []
        send_products(dispatcher, tracker, [(p, "") for p in found], "utter_products_found")
        return [SlotSet("resolved", True)]


@shop_action
class ActionRecommend(Action):
    """Personal suggestions for a verified customer, popular ones for a visitor."""

    def name(self) -> str:
        """Action name."""
        return "action_recommend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send suggestions with their reasons, in the category the customer named."""
        lang = language(tracker)
        try:
            customer_id = identity.verified_customer(tracker)
            customer = shop.get_customer(customer_id) if customer_id else None
            category = _category(tracker)
            suggestions, _source = recommender.suggest(
                customer_id if customer else None,
                lang,
                n=MAX_RESULTS,
                category=category,
                city=customer.city if customer else None,
                fallback_reason=texts.label(lang, "reasons", "bestseller", ""),
            )
        except shop.ShopUnavailable:
            logger.exception("shop database unavailable")
            dispatcher.utter_message(response="utter_shop_unavailable")
            return []
        if not suggestions:
            dispatcher.utter_message(response="utter_no_products")
            return []
        response = "utter_recommend_personal" if customer else "utter_recommend_popular"
        category_name = texts.label(lang, "categories", category, "") if category else ""
        send_products(
            dispatcher,
            tracker,
            [(s.product, s.reason) for s in suggestions],
            response,
            name=customer.name if customer else "",
            category=category_name,
        )
        return [SlotSet("resolved", True)]
