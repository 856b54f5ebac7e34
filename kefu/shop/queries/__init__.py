"""The one place that reads and writes the shop database for the bot, the site, the recommender and analytics.

One module per area: ``catalog`` (products, search), ``orders`` (orders, cancellations,
returns, refunds), ``support`` (tickets, CSAT, notes, canned replies), ``customers``
(profiles), ``frames`` (bulk pandas frames for training and analytics). The hand-off
queue (``queue``) and staff accounts (``staff``) are used as modules:
``from kefu.shop.queries import queue``.

Shared: ``common`` (:class:`ShopUnavailable`, the one LIKE escape). The public names of
the area modules are re-exported here: ``from kefu.shop import queries as shop``.
"""

from kefu.shop.queries.catalog import (
    MAX_QUERY_CHARS,
    PER_PAGE,
    ProductView,
    categories,
    category_counts,
    find_products,
    get_product,
    list_products,
    products_by_ids,
    search_products,
)
from kefu.shop.queries.common import ShopUnavailable, escape_like
from kefu.shop.queries.customers import (
    CustomerInfo,
    DemoAccount,
    customer_by_email,
    demo_accounts,
    get_customer,
    normalize_contact,
)
from kefu.shop.queries.guards import (
    close_site_session,
    lookup_locked,
    open_site_session,
    record_lookup_failure,
    renew_site_session,
    site_session_active,
)
from kefu.shop.queries.orders import (
    CANCELLABLE,
    MAX_RETURN_REASON_CHARS,
    LineInfo,
    OrderInfo,
    RefundInfo,
    ShopRefusal,
    cancel_order,
    create_return,
    get_order,
    get_order_for_contact,
    get_order_for_customer,
    normalize_order_id,
    recent_orders,
    refunds_for,
    return_refusal,
    return_window_days,
)
from kefu.shop.queries.support import (
    add_note,
    canned_replies,
    create_ticket,
    delete_canned_reply,
    notes_for,
    open_ticket,
    save_canned_reply,
    store_csat,
)

__all__ = [
    "close_site_session",
    "lookup_locked",
    "open_site_session",
    "renew_site_session",
    "record_lookup_failure",
    "site_session_active",
    "CANCELLABLE",
    "MAX_QUERY_CHARS",
    "MAX_RETURN_REASON_CHARS",
    "PER_PAGE",
    "CustomerInfo",
    "DemoAccount",
    "LineInfo",
    "OrderInfo",
    "ProductView",
    "RefundInfo",
    "ShopRefusal",
    "ShopUnavailable",
    "add_note",
    "canned_replies",
    "delete_canned_reply",
    "notes_for",
    "open_ticket",
    "save_canned_reply",
    "cancel_order",
    "categories",
    "category_counts",
    "create_return",
    "create_ticket",
    "customer_by_email",
    "demo_accounts",
    "escape_like",
    "find_products",
    "get_customer",
    "get_order",
    "get_product",
    "get_order_for_contact",
    "get_order_for_customer",
    "list_products",
    "normalize_contact",
    "normalize_order_id",
    "products_by_ids",
    "recent_orders",
    "refunds_for",
    "return_refusal",
    "return_window_days",
    "search_products",
    "store_csat",
]
