"""The signed session cookie: round trip, tampering, expiry, shape checks."""

from __future__ import annotations

import time

from web.session import Session, decode, encode, new_conversation_id

KEY = b"k" * 32


def test_round_trip_keeps_every_field():
    session = Session(customer_id="C00042", staff=True, lang="en")
    assert decode(encode(session, KEY), KEY) == session


def test_tampered_or_foreign_cookies_are_rejected():
    value = encode(Session(customer_id="C00001"), KEY)
    body, mac = value.split(".")
    forged = encode(Session(customer_id="C00002"), KEY).split(".")[0]
    assert decode(f"{forged}.{mac}", KEY) is None
    assert decode(value, b"x" * 32) is None
    for junk in ("", ".", "abc", "a.b.c", "é.é", "x" * 5000, None, 42, body):
        assert decode(junk, KEY) is None


def test_expired_session_is_rejected():
    old = Session(issued_at=int(time.time()) - 30 * 24 * 3600)
    assert decode(encode(old, KEY), KEY) is None


def test_wrong_shape_is_rejected():
    import base64
    import hashlib
    import hmac
    import json

    def sign(data: dict) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
        mac = hmac.new(KEY, body.encode(), hashlib.sha256).digest()
        return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    good = {
        "conversation_id": new_conversation_id(),
        "customer_id": None,
        "staff": False,
        "lang": "zh",
        "issued_at": int(time.time()),
        "sid": "0" * 32,
    }
    assert decode(sign(good), KEY) is not None
    for change in (
        {"conversation_id": "../other"},
        {"customer_id": "<script>"},
        {"staff": "yes"},
        {"lang": "fr"},
        {"issued_at": "now"},
        {"sid": "not-hex"},
        {"extra": 1},
    ):
        assert decode(sign({**good, **change}), KEY) is None, change


def test_conversation_changes_when_a_signed_in_customer_changes():
    visitor = Session()
    alice = visitor.with_customer("C00001", lang="en")
    assert alice.conversation_id != visitor.conversation_id  # a new chat at sign-in (#16)
    assert alice.sid != visitor.sid
    assert alice.lang == "en"
    bob = alice.with_customer("C00002")
    assert bob.conversation_id != alice.conversation_id
    signed_out = alice.with_customer(None)
    assert signed_out.conversation_id != alice.conversation_id
    assert signed_out.customer_id is None
    assert alice.restarted().conversation_id != alice.conversation_id
