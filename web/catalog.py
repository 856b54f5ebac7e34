"""Read-only queries of the shop database that the site's pages need."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.shop.db import get_engine
from kefu.shop.models import Customer, Order, Product

PER_PAGE = 24
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class ProductView:
    """A product as a page shows it."""

    id: str
    name: str
    category: str
    brand: str
    price: Decimal
    stock: int
    description: str
    image: str
    url: str


@dataclass(frozen=True)
class DemoAccount:
    """A demo customer listed on the login page."""

    id: str
    name: str
    email: str
    language: str
    orders: int


def _view(product: Product, lang: str) -> ProductView:
    return ProductView(
        id=product.id,
        name=product.name_en if lang == "en" else product.name_zh,
        category=product.category,
        brand=product.brand,
        price=Decimal(product.price),
        stock=product.stock,
        description=product.description_en if lang == "en" else product.description_zh,
        image=product.image or "",
        url=product.url or f"/products/{product.id}",
    )


def categories(url: str) -> list[tuple[str, int]]:
    """``(category, product count)`` pairs, by category name."""
    stmt = select(Product.category, func.count()).group_by(Product.category)
    with get_engine(url).connect() as conn:
        return sorted((str(c), int(n)) for c, n in conn.execute(stmt))


def list_products(
    url: str,
    lang: str,
    *,
    category: str | None = None,
    query: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[list[ProductView], int]:
    """One page of products (filtered by category and a name search) and the total."""
    conditions = []
    if category:
        conditions.append(Product.category == category)
    if query:
        needle = query.strip().lower()[:MAX_QUERY_CHARS]
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(
            func.lower(Product.name_zh).like(pattern, escape="\\")
            | func.lower(Product.name_en).like(pattern, escape="\\")
            | func.lower(Product.brand).like(pattern, escape="\\")
        )
    engine = get_engine(url)

    with Session(engine, future=True) as session:
        total = session.execute(select(func.count(Product.id)).where(*conditions)).scalar_one()
        rows = (
            session.execute(
                select(Product)
                .where(*conditions)
                .order_by(Product.id)
                .offset((max(page, 1) - 1) * per_page)
                .limit(per_page)
            )
            .scalars()
            .all()
        )
        return [_view(p, lang) for p in rows], int(total)


def get_product(url: str, product_id: str, lang: str) -> ProductView | None:
    """The product ``product_id``, or ``None``."""

    with Session(get_engine(url), future=True) as session:
        product = session.get(Product, product_id)
        return _view(product, lang) if product is not None else None


def demo_accounts(url: str, per_language: int = 3) -> list[DemoAccount]:
    """A few demo customers of each language who have orders, for the login page."""
    accounts: list[DemoAccount] = []
    with get_engine(url).connect() as conn:
        for language in ("zh", "en"):
            stmt = (
                select(Customer.id, Customer.name, Customer.email, func.count(Order.id))
                .join(Order, Order.customer_id == Customer.id)
                .where(Customer.language == language)
                .group_by(Customer.id, Customer.name, Customer.email)
                .order_by(Customer.id)
                .limit(per_language)
            )
            for cid, name, email, n in conn.execute(stmt):
                accounts.append(DemoAccount(cid, name, email, language, int(n)))
    return accounts


def customer_by_email(url: str, email: str) -> tuple[str, str, str] | None:
    """``(id, name, language)`` of the customer with this email (case-insensitive)."""
    email = email.strip().lower()
    if not email or len(email) > 320:
        return None
    stmt = select(Customer.id, Customer.name, Customer.language).where(
        func.lower(Customer.email) == email
    )
    with get_engine(url).connect() as conn:
        row = conn.execute(stmt).first()
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


def customer_name(url: str, customer_id: str) -> str | None:
    """The name of customer ``customer_id``, or ``None`` when unknown."""
    with get_engine(url).connect() as conn:
        row = conn.execute(select(Customer.name).where(Customer.id == customer_id)).first()
    return str(row[0]) if row else None
