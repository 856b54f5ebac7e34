"""The model of a product search (:class:`ProductQuery`), what one message asks of a
product list (:class:`Request`), and how a refinement changes the last query.

Read from messages by :class:`nlp.constraints.ConstraintParser`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_PRICE", "REFINEMENTS", "ProductQuery", "Request", "follow_up", "refine"]

REFINEMENTS = ("cheaper", "pricier", "other_brand", "more")
MAX_PRICE = 10_000_000.0


@dataclass(frozen=True)
class ProductQuery:
    """Every constraint of a product search (all optional; empty means "anything").

    Attributes:
        types: product words ("蓝牙耳机", "phone case"), lower case; a product matches one.
        brands: brands as the customer named them; a product matches one.
        category: category key (``electronics``...).
        min_price: lowest price (inclusive).
        max_price: highest price (inclusive).
        in_stock: only products in stock.
        cheap: cheapest first.
        exclude_brands: brands to leave out (lower case).
    """

    types: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    category: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    in_stock: bool = False
    cheap: bool = False
    exclude_brands: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """Whether the query has no constraint at all."""
        return self == ProductQuery()

    def has_subject(self) -> bool:
        """Whether the query names what to look for (a type, a brand or a category)."""
        return bool(self.types or self.brands or self.category)

    def replace(self, **changes: Any) -> ProductQuery:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        """The query as compact JSON text (for a conversation slot)."""
        data = {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, (), False)}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: object) -> ProductQuery | None:
        """The query of :meth:`to_json`; ``None`` for anything else (a slot may hold junk)."""
        if not isinstance(text, str) or not text or len(text) > 5000:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                types=_strings(data.get("types")),
                brands=_strings(data.get("brands")),
                category=_string_or_none(data.get("category")),
                min_price=_price_or_none(data.get("min_price")),
                max_price=_price_or_none(data.get("max_price")),
                in_stock=data.get("in_stock") is True,
                cheap=data.get("cheap") is True,
                exclude_brands=_strings(data.get("exclude_brands")),
            )
        except (TypeError, ValueError):
            return None


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(v[:100] for v in value[:20])


def _string_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value[:100]


def _price_or_none(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a number")
    if not 0 <= value <= MAX_PRICE:
        raise ValueError("price out of range")
    return float(value)


@dataclass(frozen=True)
class Request:
    """What one message asks: its own constraints and how it refines the last list.

    Attributes:
        query: the constraints named in this message.
        refinements: kinds of :data:`REFINEMENTS` found, a change of list (cheaper, pricier,
            another brand) before "more".
        ordinal: the position named ("the second one": 2; "the last one": -1), or ``None``.
        pick: the message points at one product ("小米那个", "the Xiaomi one").
        same_price: the message keeps the last price range ("一样的价位", "same price range").
    """

    query: ProductQuery = field(default_factory=ProductQuery)
    refinements: tuple[str, ...] = ()
    ordinal: int | None = None
    pick: bool = False
    same_price: bool = False


def refine(
    previous: ProductQuery,
    kind: str,
    shown_prices: Iterable[float] = (),
    shown_brands: Iterable[str] = (),
) -> ProductQuery:
    """The last query changed by one refinement of :data:`REFINEMENTS`.

    * ``cheaper``: below the cheapest product shown (or below the old maximum);
    * ``pricier``: above the dearest product shown (or above the old minimum);
    * ``other_brand``: without the brands asked for (or, when none was, those shown);
    * ``more``: the same query (the caller leaves out what was shown).

    Raises:
        ValueError: for an unknown ``kind``.
    """
    prices = [float(p) for p in shown_prices]
    if kind == "cheaper":
        ceiling = min(prices) if prices else previous.max_price
        if ceiling is None:
            return previous.replace(cheap=True)
        return previous.replace(min_price=None, max_price=round(ceiling - 0.01, 2))
    if kind == "pricier":
        floor = max(prices) if prices else previous.min_price
        if floor is None:
            return previous.replace(cheap=False)
        return previous.replace(min_price=round(floor + 0.01, 2), max_price=None, cheap=False)
    if kind == "other_brand":
        # the brand asked for when there was one (the list may have shown others instead)
        named = previous.brands or tuple(shown_brands)
        leave_out = [b.lower() for b in (*previous.exclude_brands, *named)]
        return previous.replace(brands=(), exclude_brands=tuple(dict.fromkeys(leave_out)))
    if kind == "more":
        return previous
    raise ValueError(f"unknown refinement {kind!r}; expected one of {REFINEMENTS}")


def follow_up(previous: ProductQuery, request: Request) -> ProductQuery:
    """The last query with what this message adds ("有小米的吗" after earbuds: Xiaomi earbuds).

    A new product type or category starts afresh, except that it keeps the brand of a list
    that had no type ("李宁的" then "要卫衣": Li-Ning hoodies) and the price range when the
    message asks for the same one; a brand, price or stock constraint replaces the same kind
    of constraint of ``previous`` and keeps the others.
    """
    new = request.query
    if new.types or new.category:
        if not new.brands and previous.brands and not (previous.types or previous.category):
            new = new.replace(brands=previous.brands)
        if request.same_price and new.min_price is None and new.max_price is None:
            new = new.replace(min_price=previous.min_price, max_price=previous.max_price)
        return new
    merged = previous
    if new.brands:
        merged = merged.replace(brands=new.brands, exclude_brands=())
    if new.min_price is not None or new.max_price is not None:
        merged = merged.replace(min_price=new.min_price, max_price=new.max_price)
    if new.in_stock:
        merged = merged.replace(in_stock=True)
    if new.cheap:
        merged = merged.replace(cheap=True)
    return merged
