"""Shop writes under concurrency and retries: one refund, one return, one effect per request.

Two workers racing are made to race for real: a SQLAlchemy hook holds each thread just
before its write until both have read the order, which is exactly the window a
check-then-act write leaves open. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from kefu.clock import today_in
from kefu.shop import migrate
from kefu.shop import queries as shop
from kefu.shop.db import get_engine, session_scope
from kefu.shop.demo import build_demo
from kefu.shop.models import ActionEffect, Csat, Order, Refund, ReturnRequest, Ticket
from kefu.shop.queries.effects import EffectKey

TINY = {"customers": 40, "order_lines": 400, "reviews": 20}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A tiny demo shop of its own, on SQLite and then on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    build_demo(url, seed=3, reference_date=today_in(), progress=False, **TINY)
    return url


@contextmanager
def both_read_before_either_writes(url: str, statement: str) -> Iterator[threading.Barrier]:
    """Hold each thread before its first ``statement`` until two threads got there."""
    barrier = threading.Barrier(2, timeout=10)
    waited = threading.local()

    def hold(conn, cursor, sql, params, context, executemany):  # noqa: ANN001 - hook
        if sql.lstrip().upper().startswith(statement) and not getattr(waited, "done", False):
            waited.done = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield barrier
    finally:
        event.remove(engine, "before_cursor_execute", hold)


def _race(fn, *argsets) -> list[object]:
    results: list[object] = [None] * len(argsets)

    def call(i: int, args: tuple) -> None:
        try:
            results[i] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i, a)) for i, a in enumerate(argsets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _paid_orders(url: str, n: int) -> list[tuple[str, str]]:
    with session_scope(url) as s:
        rows = s.execute(
            select(Order.id, Order.customer_id).where(Order.status == "paid").limit(n)
        ).all()
    assert len(rows) == n, "the tiny demo shop has too few paid orders"
    return [(r[0], r[1]) for r in rows]


def _refunds(url: str, order_id: str) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).where(Refund.order_id == order_id))


def test_two_workers_cancelling_one_order_refund_it_once(shop_url):
    for order_id, customer_id in _paid_orders(shop_url, 2):
        with both_read_before_either_writes(shop_url, "UPDATE ORDERS"):
            results = _race(
                lambda o, c: shop.cancel_order(o, c, None, url=shop_url),
                (order_id, customer_id),
                (order_id, customer_id),
            )
        refunds = [r for r in results if isinstance(r, shop.RefundInfo)]
        refusals = [r for r in results if isinstance(r, shop.ShopRefusal)]
        assert len(refunds) == 1 and len(refusals) == 1, results
        assert refusals[0].reason == "not_cancellable"
        assert refusals[0].values["status"] == "cancelled"
        assert _refunds(shop_url, order_id) == 1


def _returnable(url: str) -> tuple[str, str, int]:
    with session_scope(url) as s:
        orders = s.execute(
            select(Order.id, Order.customer_id)
            .where(Order.status == "delivered")
            .order_by(Order.delivered_at.desc())
        ).all()
    for order_id, customer_id in orders:
        info = shop.get_order_for_customer(order_id, customer_id, url=url)
        if shop.return_refusal(info) is None:
            line = next(ln for ln in info.lines if ln.id not in info.returned_line_ids)
            return order_id, customer_id, line.id
    raise AssertionError("no returnable order in the tiny demo shop")


def test_two_workers_returning_one_line_create_one_return(shop_url):
    order_id, customer_id, line_id = _returnable(shop_url)
    with both_read_before_either_writes(shop_url, "INSERT INTO RETURNS"):
        results = _race(
            lambda why: shop.create_return(order_id, line_id, why, customer_id, None, url=shop_url),
            ("too small",),
            ("wrong colour",),
        )
    created = [r for r in results if isinstance(r, int)]
    refusals = [r for r in results if isinstance(r, shop.ShopRefusal)]
    assert len(created) == 1 and len(refusals) == 1, results
    assert refusals[0].reason == "already_returned"
    with session_scope(shop_url) as s:
        count = s.scalar(select(func.count()).where(ReturnRequest.order_line_id == line_id))
    assert count == 1


def test_a_repeated_cancel_request_changes_nothing_and_answers_the_same(shop_url):
    (order_id, customer_id), (other_id, _) = _paid_orders(shop_url, 2)
    key = EffectKey("conv-1", "msg-1", "cancel_order")
    first = shop.cancel_order(order_id, customer_id, None, key=key, url=shop_url)
    again = shop.cancel_order(order_id, customer_id, None, key=key, url=shop_url)
    assert again == first
    assert _refunds(shop_url, order_id) == 1
    # a new request (another message) is told the truth: already cancelled
    with pytest.raises(shop.ShopRefusal) as exc:
        shop.cancel_order(
            order_id,
            customer_id,
            None,
            key=EffectKey("conv-1", "msg-2", "cancel_order"),
            url=shop_url,
        )
    assert exc.value.values["status"] == "cancelled"
    # a retry racing the first call still cancels once
    key2 = EffectKey("conv-2", "msg-9", "cancel_order")
    with session_scope(shop_url) as s:
        owner = s.get(Order, other_id).customer_id
    with both_read_before_either_writes(shop_url, "UPDATE ORDERS"):
        results = _race(
            lambda: shop.cancel_order(other_id, owner, None, key=key2, url=shop_url), (), ()
        )
    assert all(isinstance(r, shop.RefundInfo) for r in results), results
    assert results[0] == results[1]
    assert _refunds(shop_url, other_id) == 1


def test_a_repeated_return_ticket_or_score_is_written_once(shop_url):
    order_id, customer_id, line_id = _returnable(shop_url)
    key = EffectKey("conv-3", "msg-1", "create_return")
    first = shop.create_return(
        order_id, line_id, "broken", customer_id, None, key=key, url=shop_url
    )
    assert (
        shop.create_return(order_id, line_id, "broken", customer_id, None, key=key, url=shop_url)
        == first
    )
    tkey = EffectKey("conv-3", "msg-2", "create_ticket")
    ticket = shop.create_ticket("conv-3", customer_id, "zh", "help", [], key=tkey, url=shop_url)
    assert (
        shop.create_ticket("conv-3", customer_id, "zh", "help", [], key=tkey, url=shop_url)
        == ticket
    )
    ckey = EffectKey("conv-3", "msg-3", "store_csat")
    score = shop.store_csat("conv-3", customer_id, "zh", 5, key=ckey, url=shop_url)
    assert shop.store_csat("conv-3", customer_id, "zh", 4, key=ckey, url=shop_url) == score
    with session_scope(shop_url) as s:
        assert s.scalar(select(func.count()).where(ReturnRequest.order_line_id == line_id)) == 1
        assert s.scalar(select(func.count()).where(Ticket.conversation_id == "conv-3")) == 1
        assert s.scalar(select(func.count()).where(Csat.conversation_id == "conv-3")) == 1
        assert s.scalar(select(func.count()).select_from(ActionEffect)) == 3
    # without a key (no message id) each call is its own request
    shop.store_csat("conv-3", customer_id, "zh", 3, url=shop_url)
    with session_scope(shop_url) as s:
        assert s.scalar(select(func.count()).where(Csat.conversation_id == "conv-3")) == 2


def test_a_refused_request_records_nothing(shop_url):
    order_id, customer_id = _paid_orders(shop_url, 1)[0]
    key = EffectKey("conv-4", "msg-1", "cancel_order")
    with pytest.raises(shop.ShopRefusal):
        shop.cancel_order(order_id, "C-nobody", None, key=key, url=shop_url)
    with session_scope(shop_url) as s:
        assert s.scalar(select(func.count()).select_from(ActionEffect)) == 0
    assert shop.cancel_order(order_id, customer_id, None, key=key, url=shop_url).amount > 0


def test_the_unique_indexes_refuse_to_migrate_over_duplicates(tmp_path):
    url = f"sqlite:///{tmp_path / 'dup.db'}"
    build_demo(url, seed=3, reference_date=today_in(), progress=False, **TINY)
    engine = get_engine(url)
    migrate.downgrade(engine, "0001")
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT order_id, order_line_id FROM returns ORDER BY id LIMIT 1")
        ).one()
        conn.execute(
            text(
                "INSERT INTO returns (order_id, order_line_id, reason, status, created_at) "
                "VALUES (:o, :l, 'twice', 'requested', '2026-01-01 00:00:00')"
            ),
            {"o": row[0], "l": row[1]},
        )
    with pytest.raises(
        Exception, match=r"duplicate rows found in returns .*uq_return_line.*kefu db upgrade"
    ):
        migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0001"
    with engine.connect() as conn:
        assert "action_effects" not in {
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        }
