"""Revocable site sessions with idle and absolute timeouts (#16: staff sessions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from kefu.shop import init_db
from kefu.shop import queries as shop

IDLE, ABSOLUTE = 30 * 60, 12 * 3600
T0 = datetime(2026, 3, 2, 8, 0)


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    init_db(url)
    return url


def _renew(url: str, minutes: float) -> bool:
    return shop.renew_site_session(
        "s1", IDLE, ABSOLUTE, now=T0 + timedelta(minutes=minutes), url=url
    )


def test_a_session_in_use_stays_and_an_idle_one_expires(tmp_path):
    url = _db(tmp_path)
    shop.open_site_session("s1", None, IDLE, now=T0, url=url)
    for minutes in (10, 35, 60, 89):  # each request within 30 minutes of the previous one
        assert _renew(url, minutes), minutes
    assert not _renew(url, 89 + 31)  # 31 minutes without a request
    assert not _renew(url, 89 + 60)  # and it stays expired


def test_no_session_outlives_its_absolute_timeout(tmp_path):
    url = _db(tmp_path)
    shop.open_site_session("s1", None, IDLE, now=T0, url=url)
    minute = 0
    while minute < 12 * 60 - 20:
        minute += 20
        assert _renew(url, minute), minute
    assert not _renew(url, 12 * 60 + 1)  # in use all day, still over after 12 hours


def test_a_closed_or_unknown_session_is_not_renewed(tmp_path):
    url = _db(tmp_path)
    shop.open_site_session("s1", None, IDLE, now=T0, url=url)
    shop.close_site_session("s1", url=url)
    assert not _renew(url, 1)
    for sid in ("", "x" * 65, "never-opened"):
        assert not shop.renew_site_session(sid, IDLE, ABSOLUTE, now=T0, url=url)
