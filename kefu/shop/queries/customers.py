"""Customer profiles: who a customer is, and whether a contact (email, phone) is theirs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import func, select

from kefu.shop.db import session_scope
from kefu.shop.models import LANGUAGES, Customer, Order
from kefu.shop.queries.common import guarded, memoized

MAX_EMAIL_CHARS = 320
MAX_ID_CHARS = 64


@dataclass(frozen=True)
class CustomerInfo:
    """A customer, as far as the bot and the site need to know."""

    id: str
    name: str
    language: str
    city: str


@dataclass(frozen=True)
class DemoAccount:
    """A demo customer listed on the site's login page."""

    id: str
    name: str
    email: str
    language: str
    orders: int


def normalize_contact(value: object) -> str | None:
    """An email in lower case, or a phone number as its digits; ``None`` for anything else."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EMAIL_CHARS:
        return None
    text = value.strip()
    if "@" in text:
        email = text.lower()
        return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else None
    digits = re.sub(r"\D", "", text)
    return digits if 6 <= len(digits) <= 20 else None


def _national_numbers(digits: str) -> set[tuple[int, int]]:
    """The complete phone numbers ``digits`` can be read as (with or without its country
    code; China when none), as ``(country code, national number)``; empty when none."""
    found: set[tuple[int, int]] = set()
    for text, region in ((f"+{digits}", None), (digits, "CN")):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        code, national = number.country_code, number.national_number
        if phonenumbers.is_valid_number(number) and code is not None and national is not None:
            found.add((code, national))
    return found


def _phone_matches(given: str, stored: str | None) -> bool:
    """Whether ``given`` is the whole of the ``stored`` phone number.

    "+86 138...", "0086 138..." and "138..." name the same phone; a part of the number (a
    suffix) never matches: it would let anyone who knows a few digits open the orders.
    """
    stored_digits = re.sub(r"\D", "", stored or "")
    if not stored_digits or not given:
        return False
    if given == stored_digits:
        return True
    given = given[2:] if given.startswith("00") else given
    return bool(_national_numbers(given) & _national_numbers(stored_digits))


def contact_matches(contact: object, customer: Customer) -> bool:
    """Whether ``contact`` (an email or a phone number, any format) is ``customer``'s."""
    given = normalize_contact(contact)
    if given is None:
        return False
    if "@" in given:
        return given == (customer.email or "").strip().lower()
    return _phone_matches(given, customer.phone)


def _info(customer: Customer) -> CustomerInfo:
    return CustomerInfo(customer.id, customer.name, customer.language, customer.city)


@memoized
@guarded
def get_customer(customer_id: str, *, url: str | None = None) -> CustomerInfo | None:
    """The customer ``customer_id``, or ``None``."""
    if not isinstance(customer_id, str) or not customer_id or len(customer_id) > MAX_ID_CHARS:
        return None
    with session_scope(url) as s:
        customer = s.get(Customer, customer_id)
        return _info(customer) if customer else None


@guarded
def customer_by_email(email: str, *, url: str | None = None) -> CustomerInfo | None:
    """The customer with this email (case-insensitive), or ``None``."""
    email = email.strip().lower() if isinstance(email, str) else ""
    if not email or len(email) > MAX_EMAIL_CHARS:
        return None
    with session_scope(url) as s:
        customer = s.scalars(select(Customer).where(func.lower(Customer.email) == email)).first()
        return _info(customer) if customer else None


@guarded
def demo_accounts(per_language: int = 3, *, url: str | None = None) -> list[DemoAccount]:
    """A few customers of each language who have orders, by id, for the login page."""
    accounts: list[DemoAccount] = []
    with session_scope(url) as s:
        for language in LANGUAGES:
            stmt = (
                select(Customer.id, Customer.name, Customer.email, func.count(Order.id))
                .join(Order, Order.customer_id == Customer.id)
                .where(Customer.language == language)
                .group_by(Customer.id, Customer.name, Customer.email)
                .order_by(Customer.id)
                .limit(per_language)
            )
            for cid, name, email, n in s.execute(stmt):
                accounts.append(DemoAccount(cid, name, email, language, int(n)))
    return accounts
