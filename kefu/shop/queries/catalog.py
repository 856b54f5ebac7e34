"""Products: one view of a product and one meaning of product search.

A search word matches a product when its Chinese name, English name or brand contains the
word, ignoring case; the word is taken literally (``%`` and ``_`` are not wildcards). The
bot's search (:func:`search_products`) and the site's listing (:func:`list_products`) both
use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from kefu.shop.db import session_scope
from kefu.shop.models import OrderLine, Product
from kefu.shop.queries.common import MAX_NEEDLE_CHARS, contains, guarded, needle, starts_with
from nlp.constraints import ProductQuery

PER_PAGE = 24
MAX_QUERY_CHARS = MAX_NEEDLE_CHARS
MAX_RESULTS = 20
# candidates of one product question, ranked afterwards (personal ranking)
MAX_CANDIDATES = 50


@dataclass(frozen=True)
class ProductView:
    """A product of the catalogue, in both languages."""

    id: str
    name_zh: str
    name_en: str
    category: str
    brand: str
    price: Decimal
    stock: int
    description_zh: str
    description_en: str
    image: str
    url: str

    def name(self, language: str) -> str:
        """The product name in ``language``."""
        return self.name_zh if language == "zh" else self.name_en

    def description(self, language: str) -> str:
        """The product description in ``language``."""
        return self.description_zh if language == "zh" else self.description_en


def product_view(product: Product) -> ProductView:
    """The view of a product row."""
    return ProductView(
        id=product.id,
        name_zh=product.name_zh,
        name_en=product.name_en,
        category=product.category,
        brand=product.brand,
        price=Decimal(product.price),
        stock=product.stock,
        description_zh=product.description_zh or "",
        description_en=product.description_en or "",
        image=product.image or "",
        url=product.url or f"/products/{product.id}",
    )


def matches_word(word: str) -> ColumnElement[bool]:
    """A product's Chinese name, English name or brand contains ``word`` (any case)."""
    return or_(
        contains(Product.name_zh, word),
        contains(Product.name_en, word),
        contains(Product.brand, word),
    )


def matches_brand(brand: str) -> ColumnElement[bool]:
    """A product is of ``brand``: its brand is it, or a name starts with it and a space."""
    return or_(
        func.lower(Product.brand) == needle(brand),
        starts_with(Product.name_zh, f"{needle(brand)} "),
        starts_with(Product.name_en, f"{needle(brand)} "),
    )


def _words(values: list[str] | None) -> list[str]:
    return [needle(v) for v in values or [] if needle(v)]


@guarded
def search_products(
    *,
    terms: list[str] | None = None,
    brands: list[str] | None = None,
    category: str | None = None,
    min_price: float | None = None,
    max_price: float | None = None,
    in_stock: bool = False,
    exclude_brands: list[str] | None = None,
    exclude_ids: list[str] | None = None,
    cheapest_first: bool = False,
    limit: int = 5,
    url: str | None = None,
) -> list[ProductView]:
    """Products matching every given filter, in stock first, then by sales (or by price).

    Args:
        terms: product words (any language); a product matches when one matches it.
        brands: brand names (any language); matched on the brand and the name prefix.
        category: category key (``electronics``...).
        min_price: lowest price.
        max_price: highest price.
        in_stock: only products in stock.
        exclude_brands: brands to leave out (matched as ``brands`` are).
        exclude_ids: product ids to leave out (at most 200 are used).
        cheapest_first: order by price instead of sales.
        limit: at most this many products (1-20).
        url: database URL (default: the configured shop database).
    """
    return _select_products(
        terms=terms,
        brands=brands,
        category=category,
        min_price=min_price,
        max_price=max_price,
        in_stock=in_stock,
        exclude_brands=exclude_brands,
        exclude_ids=exclude_ids,
        cheapest_first=cheapest_first,
        limit=max(1, min(int(limit), MAX_RESULTS)),
        url=url,
    )


def _select_products(
    *,
    terms: list[str] | None,
    brands: list[str] | None,
    category: str | None,
    min_price: float | None,
    max_price: float | None,
    in_stock: bool,
    exclude_brands: list[str] | None,
    exclude_ids: list[str] | None,
    cheapest_first: bool,
    limit: int,
    url: str | None,
) -> list[ProductView]:
    limit = max(1, min(int(limit), MAX_CANDIDATES))
    # units sold, counted per candidate product through the product_id index (a GROUP BY
    # over every order line cost 3-7 ms per search on the demo shop, growing with sales)
    sales = (
        select(func.count(OrderLine.id))
        .where(OrderLine.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    query = select(Product)
    words, brand_words = _words(terms), _words(brands)
    if words:
        query = query.where(or_(*[matches_word(w) for w in words]))
    if brand_words:
        query = query.where(or_(*[matches_brand(b) for b in brand_words]))
    if category:
        query = query.where(Product.category == category)
    if min_price is not None:
        query = query.where(Product.price >= min_price)
    if max_price is not None:
        query = query.where(Product.price <= max_price)
    if in_stock:
        query = query.where(Product.stock > 0)
    left_out = _words(exclude_brands)
    if left_out:
        query = query.where(~or_(*[matches_brand(b) for b in left_out]))
    ids = [i for i in exclude_ids or [] if isinstance(i, str)][:200]
    if ids:
        query = query.where(Product.id.not_in(ids))
    rank = (Product.price.asc(), sales.desc()) if cheapest_first else (sales.desc(),)
    query = query.order_by((Product.stock > 0).desc(), *rank, Product.id).limit(limit)
    with session_scope(url) as s:
        return [product_view(p) for p in s.scalars(query).all()]


@guarded
def find_products(
    query: ProductQuery,
    *,
    exclude_ids: list[str] | None = None,
    limit: int = 5,
    url: str | None = None,
) -> list[ProductView]:
    """Products matching every constraint of ``query`` (:func:`search_products`'s order),
    at most ``limit`` (1-50): the candidates of a product question.

    Raises:
        ShopUnavailable: the shop database cannot be read.
    """
    return _select_products(
        terms=list(query.types),
        brands=list(query.brands),
        category=query.category,
        min_price=query.min_price,
        max_price=query.max_price,
        in_stock=query.in_stock,
        exclude_brands=list(query.exclude_brands),
        exclude_ids=exclude_ids,
        cheapest_first=query.cheap,
        limit=limit,
        url=url,
    )


@guarded
def list_products(
    *,
    category: str | None = None,
    query: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    url: str | None = None,
) -> tuple[list[ProductView], int]:
    """One page of products by id (filtered by category and a search word) and the total."""
    conditions = []
    if category:
        conditions.append(Product.category == category)
    if needle(query):
        conditions.append(matches_word(query or ""))
    with session_scope(url) as s:
        total = s.execute(select(func.count(Product.id)).where(*conditions)).scalar_one()
        rows = s.scalars(
            select(Product)
            .where(*conditions)
            .order_by(Product.id)
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        ).all()
        return [product_view(p) for p in rows], int(total)


@guarded
def get_product(product_id: str, *, url: str | None = None) -> ProductView | None:
    """The product ``product_id``, or ``None``."""
    if not isinstance(product_id, str) or not product_id or len(product_id) > 64:
        return None
    with session_scope(url) as s:
        product = s.get(Product, product_id)
        return product_view(product) if product is not None else None


@guarded
def products_by_ids(ids: list[str], *, url: str | None = None) -> dict[str, ProductView]:
    """Products by id (missing ids are left out)."""
    ids = [i for i in ids if isinstance(i, str)][:100]
    if not ids:
        return {}
    with session_scope(url) as s:
        rows = s.scalars(select(Product).where(Product.id.in_(ids))).all()
        return {p.id: product_view(p) for p in rows}


@guarded
def categories(*, url: str | None = None) -> list[str]:
    """Category keys present in the catalogue, sorted."""
    with session_scope(url) as s:
        return sorted(s.scalars(select(Product.category).distinct()).all())


@guarded
def category_counts(*, url: str | None = None) -> list[tuple[str, int]]:
    """``(category, product count)`` pairs, by category key."""
    stmt = select(Product.category, func.count()).group_by(Product.category)
    with session_scope(url) as s:
        return sorted((str(c), int(n)) for c, n in s.execute(stmt))
