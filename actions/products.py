"""Product actions: search the catalogue and suggest products, shown as product cards.

"Recommend X" and "find X" lead to the same candidates: the catalogue filtered by every
constraint the customer gave (:mod:`nlp.constraints`), ordered by the recommender for a
verified customer and by popularity for a visitor. The last list and its query stay in the
slots ``last_query`` (JSON), ``shown_products`` (the ids of the last list) and
``seen_products`` (every id shown for that query), so that the next turns refine it:
cheaper, more expensive, another brand, more, "the second one", "the Xiaomi one".

Cards go out as a custom payload ``{"products": [{"id", "name", "price", "image", "url",
"reason"}]}`` for the widget; text-only channels (``rasa shell``) get the same list as
text instead.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language
from actions.orders import money
from actions.services import identity, listing, recommender, texts
from actions.services.listing import looks_out_of_scope
from actions.services.runtime import shop_action
from kefu.shop import queries as shop
from nlp.constraints import ProductQuery, Request, follow_up, refine

logger = logging.getLogger(__name__)

TEXT_ONLY_CHANNELS = ("cmdline",)
MAX_RESULTS = 5
MAX_SEEN = 100
LAST_QUERY_SLOT = "last_query"
SHOWN_SLOT = "shown_products"
SEEN_SLOT = "seen_products"
# intro of a list per refinement, and the reply when a refinement finds nothing new
REFINED_INTRO = {
    "cheaper": "utter_products_cheaper",
    "pricier": "utter_products_pricier",
    "other_brand": "utter_products_other_brand",
    "more": "utter_products_more",
}
REFINED_NONE = {
    "cheaper": "utter_no_cheaper",
    "pricier": "utter_no_pricier",
    "other_brand": "utter_no_other_brand",
    "more": "utter_no_more",
}


def parse_price(
    text: str, price_entities: list[str], lang: str
) -> tuple[float | None, float | None]:
    """A ``(min, max)`` price range from the message (either may be ``None``).

    Read by :mod:`nlp.constraints` (the message first, then the ``price`` entities).
    """
    low, high = listing.parse_price(text)
    if low is None and high is None and price_entities:
        low, high = listing.parse_price(" ".join(price_entities))
    return low, high


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
        lines = "\n".join(
            template.format(index=i, name=p.name(lang), price=money(p.price, lang))
            + (f" ({reason})" if reason else "")
            for i, (p, reason) in enumerate(products, start=1)
        )
        dispatcher.utter_message(response=response, count=len(products), **values)
        dispatcher.utter_message(text=lines)
        return
    cards = [recommender.card(p, lang, reason) for p, reason in products]
    dispatcher.utter_message(
        response=response, count=len(products), json_message={"products": cards}, **values
    )


def _ids(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)][:MAX_SEEN]


def _details(dispatcher: CollectingDispatcher, tracker: Tracker, product: shop.ProductView) -> None:
    lang = language(tracker)
    send_products(
        dispatcher,
        tracker,
        [(product, "")],
        "utter_product_details",
        name=product.name(lang),
        brand=product.brand,
        price=money(product.price, lang),
        stock=texts.label(lang, "stock", "in" if product.stock > 0 else "out"),
        description=product.description(lang),
    )


class ProductReply:
    """One product answer: read the request, find the list, say it; returns slot events."""

    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker, mode: str) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.mode = mode  # "search" or "recommend"
        self.lang = language(tracker)
        self.previous = ProductQuery.from_json(tracker.get_slot(LAST_QUERY_SLOT))
        self.shown = _ids(tracker.get_slot(SHOWN_SLOT))
        self.seen = _ids(tracker.get_slot(SEEN_SLOT))

    def answer(self, request: Request) -> list[EventType]:
        """Answer ``request`` (a pick from the last list, a refinement or a new query)."""
        if self.shown and (request.ordinal is not None or (request.pick and request.query.brands)):
            picked = self._pick(request)
            if picked is not None:
                return picked
        if request.refinements:
            return self._refine(request)
        query = request.query
        if self.previous is not None:
            narrows = query.min_price is not None or query.max_price is not None
            if query.has_subject() or narrows or query.cheap or query.in_stock:
                query = follow_up(self.previous, request)  # "最便宜的是哪个" on the last list
        if query.is_empty() and self.mode == "search" and looks_out_of_scope(self.tracker):
            self.dispatcher.utter_message(response="utter_out_of_scope")
            return []
        return self._new(query)

    def _pick(self, request: Request) -> list[EventType] | None:
        products = shop.products_by_ids(self.shown)
        listed = [products[i] for i in self.shown if i in products]
        if request.ordinal is not None:
            index = request.ordinal - 1 if request.ordinal > 0 else len(listed) + request.ordinal
            if 0 <= index < len(listed):
                _details(self.dispatcher, self.tracker, listed[index])
            else:
                self.dispatcher.utter_message(response="utter_no_such_item", count=len(listed))
            return []
        wanted = {b.casefold() for b in request.query.brands}
        matching = [p for p in listed if p.brand.casefold() in wanted]
        if len(matching) == 1:
            _details(self.dispatcher, self.tracker, matching[0])
            return []
        if matching:
            send_products(
                self.dispatcher,
                self.tracker,
                [(p, "") for p in matching],
                "utter_products_of_brand",
                brand=matching[0].brand,
            )
            return [SlotSet(SHOWN_SLOT, [p.id for p in matching])]
        return None  # not in the last list: search that brand

    def _refine(self, request: Request) -> list[EventType]:
        kind = request.refinements[0]
        if self.previous is None:
            if not request.query.has_subject():
                self.dispatcher.utter_message(response="utter_refine_without_list")
                return []
            return self._new(refine(request.query, kind))
        base = follow_up(self.previous, request)
        if kind == "other_brand":
            # "那看看别的牌子的电饭煲" after "耐克的电饭煲": other brands than the one asked for
            named = base.brands or self.previous.brands
            left_out = (*base.exclude_brands, *request.query.exclude_brands)
            base = base.replace(brands=named, exclude_brands=tuple(dict.fromkeys(left_out)))
        products = shop.products_by_ids(self.shown)
        shown = [products[i] for i in self.shown if i in products]
        query = refine(base, kind, [float(p.price) for p in shown], [p.brand for p in shown])
        exclude = self.seen if kind == "more" else []
        found = shop.find_products(query, exclude_ids=exclude, limit=listing.CANDIDATES)
        if not found and kind == "cheaper" and len(shown) > 1:
            # nothing below the cheapest shown: the cheaper ones below the middle of the list
            middle = sorted(float(p.price) for p in shown)[len(shown) // 2]
            query = base.replace(min_price=None, max_price=round(middle - 0.01, 2), cheap=True)
            found = shop.find_products(query, limit=listing.CANDIDATES)
            if found:
                return self._show(query, found, "utter_products_cheaper_of_list", [])
        if not found and kind == "more" and (base.min_price, base.max_price) != (None, None):
            # every one in the price range was shown: say so, and show the others
            query = base.replace(min_price=None, max_price=None)
            found = shop.find_products(query, exclude_ids=self.seen, limit=listing.CANDIDATES)
            if found:
                return self._show(query, found, "utter_more_without_price", self.seen)
        if not found:
            values: dict[str, Any] = {"wanted": listing.describe(base, self.lang)}
            if shown and kind == "cheaper":
                cheapest = min(shown, key=lambda p: p.price)
                values.update(name=cheapest.name(self.lang), price=money(cheapest.price, self.lang))
            self.dispatcher.utter_message(response=REFINED_NONE[kind], **values)
            return []
        seen = self.seen if kind == "more" else []
        return self._show(query, found, REFINED_INTRO[kind], seen)

    def _new(self, query: ProductQuery) -> list[EventType]:
        if query.is_empty() and self.mode == "search":
            self.dispatcher.utter_message(response="utter_ask_product")
            return []
        customer = self._customer()
        if self.mode == "recommend" and query.replace(category=None).is_empty():
            return self._suggest(query.category, customer)
        found = shop.find_products(query, limit=listing.CANDIDATES)
        if not found:
            return self._no_match(query)
        intro = "utter_products_found"
        if self.mode == "recommend":
            intro = "utter_recommend_personal" if customer else "utter_recommend_popular"
        return self._show(query, found, intro, [])

    def _customer(self) -> shop.CustomerInfo | None:
        customer_id = identity.verified_customer(self.tracker)
        return shop.get_customer(customer_id) if customer_id else None

    def _show(
        self,
        query: ProductQuery,
        candidates: list[shop.ProductView],
        intro: str,
        seen: list[str],
    ) -> list[EventType]:
        customer = self._customer()
        reason = ""
        if self.mode == "recommend" and not query.cheap:
            reason = texts.label(self.lang, "reasons", "bestseller", "")
        if query.cheap:  # cheapest first: the cheapest few, in price order
            candidates = sorted(candidates, key=lambda p: p.price)[:MAX_RESULTS]
        ranked = recommender.rank(
            customer.id if customer else None,
            candidates,
            self.lang,
            n=MAX_RESULTS,
            city=customer.city if customer else None,
            fallback_reason=reason,
        )
        if query.cheap:
            ranked = sorted(ranked, key=lambda s: s.product.price)
        send_products(
            self.dispatcher,
            self.tracker,
            [(s.product, s.reason) for s in ranked],
            intro,
            name=customer.name if customer else "",
            category=texts.label(self.lang, "categories", query.category or "", ""),
            wanted=listing.describe(query, self.lang),
        )
        ids = [s.product.id for s in ranked]
        return self._remember(query, ids, seen + ids)

    def _suggest(self, category: str | None, customer: shop.CustomerInfo | None) -> list[EventType]:
        suggestions, _source = recommender.suggest(
            customer.id if customer else None,
            self.lang,
            n=MAX_RESULTS,
            category=category,
            city=customer.city if customer else None,
            fallback_reason=texts.label(self.lang, "reasons", "bestseller", ""),
        )
        if not suggestions:
            self.dispatcher.utter_message(response="utter_no_products", wanted="")
            return []
        send_products(
            self.dispatcher,
            self.tracker,
            [(s.product, s.reason) for s in suggestions],
            "utter_recommend_personal" if customer else "utter_recommend_popular",
            name=customer.name if customer else "",
            category=texts.label(self.lang, "categories", category, "") if category else "",
        )
        ids = [s.product.id for s in suggestions]
        return self._remember(ProductQuery(category=category), ids, ids)

    def _no_match(self, query: ProductQuery) -> list[EventType]:
        wanted = listing.describe(query, self.lang)
        alternative = listing.nearest(query, self.lang, money)
        if alternative is None:
            self.dispatcher.utter_message(response="utter_no_products", wanted=wanted)
            return [SlotSet(LAST_QUERY_SLOT, query.to_json()), SlotSet(SHOWN_SLOT, [])]
        send_products(
            self.dispatcher,
            self.tracker,
            [(p, "") for p in alternative.products],
            alternative.response,
            wanted=wanted,
            **alternative.values,
        )
        ids = [p.id for p in alternative.products]
        return self._remember(query, ids, ids)

    @staticmethod
    def _remember(query: ProductQuery, shown: list[str], seen: list[str]) -> list[EventType]:
        return [
            SlotSet(LAST_QUERY_SLOT, query.to_json()),
            SlotSet(SHOWN_SLOT, shown),
            SlotSet(SEEN_SLOT, list(dict.fromkeys(seen))[-MAX_SEEN:]),
            SlotSet("resolved", True),
        ]


def answer_products(
    dispatcher: CollectingDispatcher, tracker: Tracker, mode: str
) -> list[EventType]:
    """Answer the latest message about products (``mode``: ``search`` or ``recommend``)."""
    try:
        return ProductReply(dispatcher, tracker, mode).answer(listing.read_request(tracker))
    except shop.ShopUnavailable:
        logger.exception("shop database unavailable")
        dispatcher.utter_message(response="utter_shop_unavailable")
        return []


def refers_to_last_list(tracker: Tracker) -> bool:
    """Whether the latest message refines or picks from the last product list shown."""
    if not _ids(tracker.get_slot(SHOWN_SLOT)) and not tracker.get_slot(LAST_QUERY_SLOT):
        return False
    request = listing.read_request(tracker)
    return bool(request.refinements or request.ordinal is not None or request.pick)


@shop_action
class ActionSearchProducts(Action):
    """Search by product words, brand, category and price range, in either language."""

    def name(self) -> str:
        """Action name."""
        return "action_search_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send matching products as cards, refine the last list, or ask what to look for."""
        return answer_products(dispatcher, tracker, "search")


@shop_action
class ActionRecommend(Action):
    """Suggestions within every constraint: personal for a verified customer, popular for
    a visitor."""

    def name(self) -> str:
        """Action name."""
        return "action_recommend"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Send suggestions with their reasons."""
        return answer_products(dispatcher, tracker, "recommend")
