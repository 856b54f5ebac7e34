"""1,000 generated bad customer tokens (#16): none proves anyone, none binds a conversation.

Kinds: ``alg: none``, expired, a wrong key or algorithm, tampered claims (the signature of
another token kept), another customer's valid token sent into the conversation a first
customer started, and the first customer's own token after they signed out. Each goes
into a real action call on the action server (the guard every private answer passes);
a sample also goes through the real Rasa server into a conversation the first customer
started. No reply may hold either customer's name, e-mail, phone or order numbers, and
the conversation's ``customer_id`` slot is never set to anyone. A good token in its own
conversation shows the same data first, so the checks can fail.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import jwt
import pytest
import requests

from kefu.identity import ALGORITHM, ISSUER, issue_token
from tests.channels.test_action_server import authorized

TOKENS = 1_000
THROUGH_RASA = 35
KINDS = (
    "alg_none",
    "expired",
    "wrong_key",
    "wrong_alg",
    "tampered",
    "other_conversation",
    "after_logout",
)
ACTIONS = (
    "action_validate_slot_mappings",
    "action_greet",
    "action_ask_order_id",
    "action_submit_order_form",
)


@dataclass
class Party:
    """A customer with a signed-in site session and the conversation they started."""

    customer_id: str
    session_id: str
    conversation_id: str
    private: list[str]


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(party: Party, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": party.customer_id,
        "iss": ISSUER,
        "iat": now,
        "exp": now + 600,
        "sid": party.session_id,
        "cid": party.conversation_id,
        **extra,
    }


def bad_token(kind: str, rng: random.Random, secret: bytes, a: Party, b: Party) -> str:
    """A token of ``kind`` sent into ``a``'s conversation (``b`` is another customer)."""
    victim = rng.choice([a, b])
    if kind == "alg_none":
        header = {"alg": rng.choice(["none", "None", "NONE", "nOnE"]), "typ": "JWT"}
        signature = rng.choice(["", _b64(b"x"), issue_token(a.customer_id).split(".")[2]])
        return f"{_b64(header)}.{_b64(_claims(victim))}.{signature}"
    if kind == "expired":
        ago = rng.randint(1, 10**7)
        claims = _claims(victim, exp=int(time.time()) - ago, iat=int(time.time()) - ago - 60)
        return jwt.encode(claims, secret, algorithm=ALGORITHM)
    if kind == "wrong_key":
        key = rng.choice([rng.randbytes(rng.randint(16, 64)), secret[:-1], secret + b"x", b""])
        return jwt.encode(_claims(victim), key or b"\x00" * 32, algorithm=ALGORITHM)
    if kind == "wrong_alg":
        return jwt.encode(_claims(victim), secret, algorithm=rng.choice(["HS384", "HS512"]))
    if kind == "tampered":
        good = jwt.encode(_claims(b), secret, algorithm=ALGORITHM)
        header, payload, signature = good.split(".")
        change = rng.choice(["sub", "cid", "sid", "exp", "drop_cid", "signature"])
        claims = _claims(b)
        if change == "signature":
            i = rng.randrange(len(signature))
            flipped = "A" if signature[i] != "A" else "B"
            return f"{header}.{payload}.{signature[:i]}{flipped}{signature[i + 1 :]}"
        if change == "drop_cid":
            del claims["cid"]
        elif change == "exp":
            claims["exp"] += rng.randint(1, 10**6)
        else:
            claims[change] = getattr(
                a, {"sub": "customer_id", "cid": "conversation_id"}.get(change, "session_id")
            )
        return f"{header}.{_b64(claims)}.{signature}"
    if kind == "other_conversation":  # b's own, valid token, in a's conversation
        return issue_token(
            b.customer_id,
            rng.randint(60, 3600),
            secret,
            session_id=b.session_id,
            conversation_id=b.conversation_id,
        )
    assert kind == "after_logout"  # a's own token, after a signed out (see the fixture)
    return issue_token(
        a.customer_id,
        rng.randint(60, 3600),
        secret,
        session_id=a.session_id + "-closed",
        conversation_id=a.conversation_id,
    )


def _private(bot_env: dict[str, str], case: Any) -> list[str]:
    """The name, e-mail, phone and latest order numbers of ``case``'s customer."""
    from kefu.shop import queries as shop

    url = bot_env["KEFU_DATABASE_URL"]
    customer = shop.get_customer(case.customer_id, url=url)
    orders = [o.id for o in shop.recent_orders(case.customer_id, 5, url=url)]
    assert customer is not None and orders
    return [customer.name, case.email, case.phone, *orders]


@pytest.fixture(scope="module")
def parties(bot_env, shop_cases) -> tuple[Party, Party]:
    """Customer A (signed in, then signed out of a second session) and customer B."""
    from kefu.shop import queries as shop

    url = bot_env["KEFU_DATABASE_URL"]
    cases = shop_cases["shipped_zh"], shop_cases["shipped_en"]
    assert cases[0].customer_id != cases[1].customer_id
    out = []
    for case in cases:
        cid = case.customer_id
        party = Party(cid, uuid.uuid4().hex, f"web-{uuid.uuid4().hex}", _private(bot_env, case))
        shop.open_site_session(party.session_id, cid, 3600, url=url)
        out.append(party)
    a = out[0]
    # a's signed-out session: opened, then closed (what /logout does)
    shop.open_site_session(a.session_id + "-closed", a.customer_id, 3600, url=url)
    shop.close_site_session(a.session_id + "-closed", url=url)
    assert not shop.site_session_active(a.session_id + "-closed", url=url)
    return out[0], out[1]


def _tracker(party: Party, token: str, order_id: str) -> dict[str, Any]:
    metadata = {"customer_token": token, "language": "en"}
    latest = {
        "text": f"where is my order {order_id}?",
        "intent": {"name": "order_status", "confidence": 0.99},
        "entities": [],
        "metadata": metadata,
    }
    return {
        "sender_id": party.conversation_id,
        "slots": {"order_id": order_id, "order_goal": "status", "language": "en"},
        "latest_message": latest,
        "events": [{"event": "user", "timestamp": time.time(), **latest}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


HTTP = requests.Session()  # one kept-alive connection for the thousand calls


def _run(server, action: str, tracker: dict[str, Any], domain: dict[str, Any]) -> dict:
    r = HTTP.post(
        authorized(server, "/webhook"),
        json={
            "next_action": action,
            "sender_id": tracker["sender_id"],
            "tracker": tracker,
            "domain": domain,
            "version": version("rasa"),
        },
        timeout=60,
    )
    assert r.status_code in (200, 400), (action, r.status_code, r.text[:300])
    return r.json()


def _bound_customer(body: dict[str, Any]) -> object:
    for event in body.get("events") or []:
        if event.get("event") == "slot" and event.get("name") == "customer_id":
            return event.get("value")
    return None


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    return Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain")).as_dict()


def test_a_good_token_shows_the_private_data_the_bad_ones_must_not(
    guarded_action_server, bot_env, parties, domain
):
    a, _ = parties
    secret = bot_env["KEFU_TOKEN_SECRET"].encode()
    token = issue_token(
        a.customer_id, 600, secret, session_id=a.session_id, conversation_id=a.conversation_id
    )
    tracker = _tracker(a, token, a.private[3])
    calls = [_run(guarded_action_server, x, tracker, domain) for x in ACTIONS]
    seen = json.dumps(calls, ensure_ascii=False)
    assert _bound_customer(_run(guarded_action_server, ACTIONS[0], tracker, domain)) == (
        a.customer_id
    )
    assert a.customer_id in seen and a.private[0] in seen and a.private[3] in seen


def test_a_thousand_bad_tokens_prove_nobody(guarded_action_server, bot_env, parties, domain):
    a, b = parties
    secret = bot_env["KEFU_TOKEN_SECRET"].encode()
    rng = random.Random(16)
    private = [*a.private, *b.private, a.customer_id, b.customer_id]
    kinds: dict[str, int] = {}
    for i in range(TOKENS):
        kind = KINDS[i % len(KINDS)]
        kinds[kind] = kinds.get(kind, 0) + 1
        token = bad_token(kind, rng, secret, a, b)
        order = rng.choice([a.private[3], b.private[3]])
        action = ACTIONS[i % len(ACTIONS)]
        body = _run(guarded_action_server, action, _tracker(a, token, order), domain)
        text = json.dumps(body, ensure_ascii=False)
        leaked = [p for p in private if p in text]
        assert not leaked, (kind, action, leaked, text[:300])
        assert _bound_customer(body) is None, (kind, action, body)
    print({"tokens": TOKENS, "kinds": kinds})


def test_bad_tokens_through_rasa_never_bind_the_first_customers_conversation(
    api_rasa_server, bot_env, parties
):
    a, b = parties
    secret = bot_env["KEFU_TOKEN_SECRET"].encode()
    good = issue_token(
        a.customer_id, 600, secret, session_id=a.session_id, conversation_id=a.conversation_id
    )
    first = json.dumps(api_rasa_server.send(a.conversation_id, "hello", {"customer_token": good}))
    assert _slot(api_rasa_server, a.conversation_id) == a.customer_id, first
    rng = random.Random(1616)
    private = [*a.private, *b.private]
    for i in range(THROUGH_RASA):
        kind = KINDS[i % len(KINDS)]
        token = bad_token(kind, rng, secret, a, b)
        text = rng.choice(["hello", "where is my order?", f"order {b.private[3]}", "我的订单"])
        replies = api_rasa_server.send(a.conversation_id, text, {"customer_token": token})
        shown = json.dumps(replies, ensure_ascii=False)
        leaked = [p for p in private if p in shown]
        assert not leaked, (kind, text, leaked, shown[:300])
        assert _slot(api_rasa_server, a.conversation_id) is None, (kind, text)


def _slot(server, conversation_id: str) -> object:
    r = requests.get(
        f"{server.url}/conversations/{conversation_id}/tracker",
        params={"token": server.token, "include_events": "NONE"},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()["slots"].get("customer_id")
