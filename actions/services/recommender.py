"""Product suggestions for the bot: the shop's recommender from :mod:`recsys`.

:func:`kefu.recommender.load_shop_recommender` loads (and caches) the trained recommender;
when it cannot be loaded or fails, the bot falls back to the best sellers and says so in
the returned ``source`` field instead of failing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kefu.settings import get_settings
from kefu.shop import queries as shop

logger = logging.getLogger(__name__)

RETRY_SECONDS = 60.0
_lock = threading.Lock()
_failures: dict[str, float] = {}


@dataclass(frozen=True)
class Suggestion:
    """A product to show, with the reason in the customer's language."""

    product: shop.ProductView
    score: float
    reason: str


def _recommender() -> Any | None:
    """The shop's recommender (recsys caches and reloads it), or ``None`` after a failure.

    A failure is remembered for :data:`RETRY_SECONDS` so that a broken recommender does not
    slow every request down.
    """
    url = get_settings().database_url
    with _lock:
        failed_at = _failures.get(url)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_SECONDS:
            return None
        try:
            from kefu.recommender import load_shop_recommender

            rec = load_shop_recommender(url)
        except Exception as exc:  # noqa: BLE001 - any recsys failure means "fall back"
            logger.warning("recommender unavailable (%s): using best sellers", exc)
            _failures[url] = time.monotonic()
            return None
        _failures.pop(url, None)
        return rec


def reset_cache() -> None:
    """Forget remembered failures (after the shop data or the model changed)."""
    with _lock:
        _failures.clear()


def _reason_text(reason: Any, language: str) -> str:
    if reason is None:
        return ""
    if hasattr(reason, "text"):
        try:
            return str(reason.text(language))
        except Exception:  # noqa: BLE001
            return ""
    return str(reason)


def suggest(
    customer_id: str | None,
    language: str,
    *,
    n: int = 5,
    category: str | None = None,
    city: str | None = None,
    fallback_reason: str = "",
) -> tuple[list[Suggestion], str]:
    """Suggestions for a customer (personal) or a visitor (``customer_id=None``: cold start).

    Args:
        customer_id: verified customer id, or ``None`` for an anonymous visitor.
        language: ``"zh"`` or ``"en"``: the language of the reasons.
        n: number of suggestions (1-10).
        category: only this category key, when given.
        city: the customer's city (context for the recommender).
        fallback_reason: reason shown for best-seller fallbacks.

    Returns:
        The suggestions and their source: ``"recsys"`` or ``"bestsellers"``.
    """
    n = max(1, min(int(n), 10))
    rec = _recommender()
    if rec is not None:
        try:
            context = {"language": language}
            if city:
                context["city"] = city
            recs = rec.recommend(
                customer_id, n=n, exclude_seen=True, category=category, context=context
            )
            products = shop.products_by_ids([r.item_id for r in recs])
            out = [
                Suggestion(products[r.item_id], float(r.score), _reason_text(r.reason, language))
                for r in recs
                if r.item_id in products
            ]
            if out:
                return out, "recsys"
        except shop.ShopUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            logger.warning("recommender failed (%s): using best sellers", exc)
    best = shop.search_products(category=category, limit=n)
    return [Suggestion(p, 0.0, fallback_reason) for p in best], "bestsellers"


def rank(
    customer_id: str | None,
    candidates: list[shop.ProductView],
    language: str,
    *,
    n: int = 5,
    city: str | None = None,
    fallback_reason: str = "",
) -> list[Suggestion]:
    """The best ``n`` of ``candidates`` (a filtered catalogue, most popular first).

    A verified customer gets the recommender's personal order over exactly these
    candidates, with its reasons (products it cannot rank follow in the given order); a
    visitor, or any failure of the recommender, keeps the given order with
    ``fallback_reason``.
    """
    n = max(1, min(int(n), 10))
    plain = [Suggestion(p, 0.0, fallback_reason) for p in candidates]
    if not customer_id or not candidates:
        return plain[:n]
    rec = _recommender()
    if rec is None:
        return plain[:n]
    try:
        context = {"language": language, **({"city": city} if city else {})}
        recs = rec.recommend(
            customer_id,
            n=len(candidates),
            exclude_seen=False,
            context=context,
            items=[p.id for p in candidates],
        )
    except Exception as exc:  # noqa: BLE001 - the filtered list still answers
        logger.warning("recommender failed (%s): keeping the popularity order", exc)
        return plain[:n]
    by_id = {p.id: p for p in candidates}
    ranked = [
        Suggestion(by_id[r.item_id], float(r.score), _reason_text(r.reason, language))
        for r in recs
        if r.item_id in by_id
    ]
    done = {s.product.id for s in ranked}
    return (ranked + [s for s in plain if s.product.id not in done])[:n]


def card(product: shop.ProductView, language: str, reason: str = "") -> dict[str, Any]:
    """A product card of the custom payload the widget renders."""
    price = product.price if isinstance(product.price, Decimal) else Decimal(str(product.price))
    return {
        "id": product.id,
        "name": product.name(language),
        "price": float(price),
        "image": product.image,
        "url": product.url,
        "reason": reason,
    }
