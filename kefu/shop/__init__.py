"""The shop database: models, session helper, demo generator, importer and exporter."""

from kefu.shop.db import get_engine, init_db, session_scope
from kefu.shop.models import (
    Base,
    Csat,
    Customer,
    Order,
    OrderLine,
    Product,
    Refund,
    ReturnRequest,
    Review,
    Ticket,
)

__all__ = [
    "Base",
    "Csat",
    "Customer",
    "Order",
    "OrderLine",
    "Product",
    "Refund",
    "ReturnRequest",
    "Review",
    "Ticket",
    "get_engine",
    "init_db",
    "session_scope",
]
