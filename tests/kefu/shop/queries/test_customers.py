"""Customer profiles and contacts."""

from __future__ import annotations

import pytest

from kefu.shop import queries as shop


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Linda.Liu@Example.com ", "linda.liu@example.com"),
        ("+86 138-1234-5678", "8613812345678"),
        ("not an email@", None),
        ("12", None),
        ("", None),
        (None, None),
        ("x" * 1000 + "@a.com", None),
    ],
)
def test_normalize_contact(value, expected):
    assert shop.normalize_contact(value) == expected


def test_customer_by_email_ignores_case(small_shop_url):
    account = shop.demo_accounts(url=small_shop_url)[0]
    found = shop.customer_by_email(f"  {account.email.upper()} ", url=small_shop_url)
    assert found == shop.get_customer(account.id, url=small_shop_url)
    assert found.id == account.id and found.name == account.name
    assert shop.customer_by_email("nobody@example.com", url=small_shop_url) is None
    assert shop.customer_by_email("", url=small_shop_url) is None


def test_demo_accounts_have_orders_in_each_language(small_shop_url):
    accounts = shop.demo_accounts(2, url=small_shop_url)
    assert sorted(a.language for a in accounts) == ["en", "en", "zh", "zh"]
    assert all(a.orders > 0 for a in accounts)


def test_unknown_or_hostile_customer_ids_are_none(small_shop_url):
    for value in ("C99999", "", "x" * 65, None, 12):
        assert shop.get_customer(value, url=small_shop_url) is None
