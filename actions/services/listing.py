"""Product lists of a conversation: what the customer asks, in words, and what to offer
when nothing matches.

The constraints come from :mod:`nlp.constraints` (the message text) plus the entities Rasa
found (buttons such as ``/product_search{"category":"books"}`` carry no text); the
wording of a query ("100元以内的蓝牙耳机", "phone case under ¥100") comes from the
``query`` labels of ``actions/texts/{zh,en}.yml``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from actions.common import entity_values, latest_text
from actions.services import catalog, texts
from kefu.shop import queries as shop
from nlp.constraints import ConstraintParser, ProductQuery, Request, Vocabulary

# one product question ranks at most this many candidates
CANDIDATES = 30


@lru_cache(maxsize=1)
def _price_parser() -> ConstraintParser:
    return ConstraintParser(Vocabulary())


def parse_price(text: str) -> tuple[float | None, float | None]:
    """``(min, max)`` price of a message, read without the shop's vocabulary."""
    query = _price_parser().parse((text or "")[:500]).query
    return query.min_price, query.max_price


def read_request(tracker: Any) -> Request:
    """What the latest message asks of a product list (text and entities together)."""
    text = latest_text(tracker)
    request = catalog.parser().parse(text) if not text.startswith("/") else Request()
    query = request.query
    changes: dict[str, Any] = {}
    if not query.category and not query.types:  # "dog food" is no "food" category
        keys = set(catalog.parser().vocabulary.categories.values())
        found = [c for c in entity_values(tracker, "category") if not keys or c in keys]
        if found:
            changes["category"] = found[0]
    if not query.types:
        words = [w.lower() for w in entity_values(tracker, "product")]
        if words:
            changes["types"] = tuple(words)
    types = " ".join(changes.get("types", query.types))
    # a brand inside a product type is no brand ("thermos cup" is not by Thermos)
    brands = [b for b in entity_values(tracker, "brand") if b.lower() not in types]
    if not query.brands and not query.exclude_brands and brands:
        changes["brands"] = tuple(brands)
    if changes:
        request = Request(query.replace(**changes), *_rest(request))
    return request


def _rest(request: Request) -> tuple[tuple[str, ...], int | None, bool]:
    return request.refinements, request.ordinal, request.pick


def _amount(value: float) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def describe(query: ProductQuery, lang: str) -> str:
    """The query in the customer's words ("100元以内的蓝牙耳机", "phone case under ¥100")."""
    words = texts.labels(lang).get("query", {})
    if query.types:
        subject = query.types[0]
    elif query.category:
        subject = texts.label(lang, "categories", query.category, query.category)
    else:
        subject = words.get("product", "")
    if query.brands:
        subject = words.get("brand_subject", "{brand} {subject}").format(
            brand=query.brands[0], subject=subject
        )
    elif query.exclude_brands:
        subject = words.get("other_brands", "{subject}").format(subject=subject)
    low, high = query.min_price, query.max_price
    if low is not None and high is not None:
        price = words.get("price_range", "").format(min=_amount(low), max=_amount(high))
    elif high is not None:
        price = words.get("price_max", "").format(max=_amount(high))
    elif low is not None:
        price = words.get("price_min", "").format(min=_amount(low))
    else:
        price = ""
    stock = words.get("in_stock", "") if query.in_stock else ""
    template = words.get("whole", "{stock}{price}{subject}")
    return " ".join(template.format(stock=stock, price=price, subject=subject).split())


@dataclass(frozen=True)
class Alternative:
    """The nearest honest alternative when nothing matches a query.

    Attributes:
        response: domain response that says so (``utter_no_match_cheapest``...).
        products: what to show instead.
        values: values of the response (``name``, ``price``, ``dropped``).
    """

    response: str
    products: list[shop.ProductView]
    values: dict[str, Any]


def nearest(query: ProductQuery, lang: str, money: Callable[[Any, str], str]) -> Alternative | None:
    """Relax one constraint of ``query`` (price, then stock, brand, product type) and say
    which; ``None`` when even that finds nothing."""
    low, high = query.min_price, query.max_price
    if low is not None or high is not None:
        found = shop.find_products(
            query.replace(min_price=None, max_price=None, cheap=False), limit=CANDIDATES
        )
        if found:
            if high is not None and all(p.price > high for p in found):
                pick, response = min(found, key=lambda p: p.price), "utter_no_match_cheapest"
            elif low is not None and all(p.price < low for p in found):
                pick, response = max(found, key=lambda p: p.price), "utter_no_match_dearest"
            else:
                middle = ((low or 0.0) + (high if high is not None else low or 0.0)) / 2
                pick = min(found, key=lambda p: abs(float(p.price) - middle))
                response = "utter_no_match_nearest"
            return Alternative(
                response, [pick], {"name": pick.name(lang), "price": money(pick.price, lang)}
            )
    relaxations = (
        ("in_stock", query.in_stock, {"in_stock": False}),
        ("brand", bool(query.brands), {"brands": ()}),
        ("type", bool(query.types) and bool(query.category), {"types": ()}),
    )
    for dropped, applies, change in relaxations:
        if applies:
            found = shop.find_products(query.replace(**change), limit=5)
            if found:
                label = texts.label(lang, "relaxed", dropped, dropped)
                return Alternative("utter_no_match_relaxed", found, {"dropped": label})
    return None


# an empty product question whose classifier ranked "out of scope" this high is one
OUT_OF_SCOPE_SHARE = 0.35


def looks_out_of_scope(tracker: Any) -> bool:
    """Whether the intent ranking of the latest message gives "out of scope"
    :data:`OUT_OF_SCOPE_SHARE` or more."""
    for r in (tracker.latest_message or {}).get("intent_ranking") or []:
        if not isinstance(r, dict):
            continue
        if r.get("name") == "out_of_scope":
            score = r.get("confidence")
            return isinstance(score, int | float) and score >= OUT_OF_SCOPE_SHARE
    return False


def names_products(tracker: Any) -> bool:
    """Whether the latest message names a product type or category the shop sells (a brand
    alone does not: "is Apple stock a good buy?")."""
    query = read_request(tracker).query
    return bool(query.types or query.category)


# an "out of scope" message naming a product type is a product question when the
# classifier gave a product intent this much ("推荐几个 phone case"; not "book me a flight")
PRODUCT_SHARE = 0.2


def product_score(tracker: Any) -> float:
    """The highest confidence of ``recommend`` or ``product_search`` for the latest message."""
    scores = [
        float(r.get("confidence") or 0.0)
        for r in (tracker.latest_message or {}).get("intent_ranking") or []
        if isinstance(r, dict) and r.get("name") in ("recommend", "product_search")
    ]
    return max(scores, default=0.0)


def product_mode(tracker: Any) -> str:
    """``recommend`` when the classifier ranks it above ``product_search``, else ``search``."""
    for r in (tracker.latest_message or {}).get("intent_ranking") or []:
        name = r.get("name") if isinstance(r, dict) else None
        if name in ("recommend", "product_search"):
            return "recommend" if name == "recommend" else "search"
    return "search"
