"""The one clock: stored times are UTC and shop dates follow KEFU_SHOP_TZ, whatever the host TZ."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone

import pytest

from kefu import clock
from kefu.shop import queries as shop
from kefu.shop.queries.orders import OrderInfo


@contextmanager
def host_tz(name: str) -> Iterator[None]:
    """Run the block as if the host's time zone were ``name`` (``TZ`` + ``time.tzset``)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_utcnow_is_naive_utc_on_any_host():
    for name in ("Asia/Shanghai", "America/Los_Angeles", "UTC"):
        with host_tz(name):
            now = clock.utcnow()
            real = datetime.now(timezone.utc).replace(tzinfo=None)
            assert now.tzinfo is None and now.microsecond == 0
            assert abs((real - now).total_seconds()) < 5, name


def test_epoch_round_trip_ignores_the_host_zone():
    stored = datetime(2026, 3, 1, 23, 30)
    with host_tz("Asia/Shanghai"):
        epoch = clock.to_epoch(stored)
        assert epoch == datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc).timestamp()
        assert clock.from_epoch(epoch) == stored


def test_shop_dates_follow_the_shop_zone(monkeypatch):
    stored = datetime(2026, 3, 1, 20, 0)  # 20:00 UTC is already 2 March in Shanghai
    assert clock.local_date(stored, "UTC") == date(2026, 3, 1)
    assert clock.local_date(stored, "Asia/Shanghai") == date(2026, 3, 2)
    monkeypatch.setenv("KEFU_SHOP_TZ", "Asia/Shanghai")
    assert clock.local_date(stored) == date(2026, 3, 2)
    monkeypatch.setenv("KEFU_SHOP_TZ", "Mars/Olympus")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        clock.today_in()


def _delivered(at: datetime) -> OrderInfo:
    return OrderInfo(
        id="KF10000001",
        customer_id="C1",
        status="delivered",
        ordered_at=at,
        shipped_at=at,
        delivered_at=at,
        expected_delivery=None,
        carrier=None,
        tracking_number=None,
        total=0,  # type: ignore[arg-type]
    )


def test_the_return_window_does_not_move_with_the_host_zone(monkeypatch):
    """Delivered 30 days ago at 20:00 UTC: in a Shanghai shop that is the next day."""
    monkeypatch.setenv("KEFU_RETURN_WINDOW_DAYS", "30")
    monkeypatch.setenv("KEFU_SHOP_TZ", "Asia/Shanghai")
    order = _delivered(datetime(2026, 3, 1, 20, 0))  # 2 March in Shanghai
    answers = {}
    for host in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
        with host_tz(host):
            answers[host] = (
                shop.return_refusal(order, today=date(2026, 4, 1)),
                shop.return_refusal(order, today=date(2026, 4, 2)),
                clock.today_in("Asia/Shanghai"),
            )
    assert answers["UTC"] == answers["Asia/Shanghai"] == answers["America/Los_Angeles"]
    open_, closed, _ = answers["UTC"]
    assert open_ is None  # deadline 1 April (2 March + 30 days) in the shop's calendar
    assert closed == ("window_closed", {"deadline": "2026-04-01", "days": 30})


def test_today_is_the_shops_today_not_the_hosts():
    with host_tz("Pacific/Kiritimati"):  # UTC+14: the host is a day ahead of UTC mostly
        assert clock.today_in("UTC") == datetime.now(timezone.utc).date()


def test_a_ticket_written_on_a_utc8_host_matches_rasas_clock(tmp_path):
    """Analytics match tickets to Rasa's epoch timestamps: the stored time must be UTC."""
    from analytics.conversations import _epoch
    from kefu.shop.db import init_db, session_scope
    from kefu.shop.models import Ticket

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    init_db(url)
    with host_tz("Asia/Shanghai"):
        rasa_now = time.time()  # what Rasa stamps on the conversation's events
        shop.create_ticket("conv-tz", None, "zh", "help", [], url=url)
        with session_scope(url) as s:
            stored = s.query(Ticket).filter_by(conversation_id="conv-tz").one().created_at
        assert abs(_epoch(stored) - rasa_now) < 5  # not 8 hours off


def test_conversation_days_are_shop_days_whatever_the_host(monkeypatch):
    from analytics.trackers import Conversation

    first = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc).timestamp()
    conversation = Conversation("someone", first_ts=first)
    with host_tz("America/Los_Angeles"):
        assert conversation.day == date(2026, 3, 1)  # UTC by default
        monkeypatch.setenv("KEFU_SHOP_TZ", "Asia/Shanghai")
        assert conversation.day == date(2026, 3, 2)
