"""The real bot over HTTP: Rasa server + action server, REST channel, SQL tracker store.

Full order-status and complaint-to-hand-off conversations in each language, identity
attacks, and a restart of the Rasa server in the middle of a conversation.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid

import jwt
import pytest

from tests.support.servers import RasaServer

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _texts(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies if r.get("text")]


def _assert_language(replies: list[dict], language: str) -> None:
    for reply in replies:
        shown = [reply.get("text") or ""] + [b["title"] for b in reply.get("buttons") or []]
        for text in shown:
            if not text or text.lstrip().startswith("⭐"):
                continue
            if language == "en":
                assert not CJK.search(text), text
            else:
                assert CJK.search(text), text


def _order_details(bot_env, order_id: str) -> dict:
    from kefu.shop import session_scope
    from kefu.shop.models import Order

    with session_scope(bot_env["KEFU_DATABASE_URL"]) as s:
        order = s.get(Order, order_id)
        return {
            "tracking": order.tracking_number,
            "address": order.shipping_address,
            "status": order.status,
            "delivered": order.delivered_at.strftime("%Y-%m-%d") if order.delivered_at else None,
        }


def _token(bot_env, customer_id: str, ttl: int = 3600) -> str:
    from kefu.identity import issue_token

    return issue_token(customer_id, ttl, secret=bot_env["KEFU_TOKEN_SECRET"].encode())


def _csat_scores(bot_env, sender: str) -> list[int]:
    from sqlalchemy import select

    from kefu.shop import session_scope
    from kefu.shop.models import Csat

    with session_scope(bot_env["KEFU_DATABASE_URL"]) as s:
        return [r.score for r in s.scalars(select(Csat).where(Csat.conversation_id == sender))]


def _tickets(bot_env, sender: str) -> list:
    from sqlalchemy import select

    from kefu.shop import session_scope
    from kefu.shop.models import Ticket

    with session_scope(bot_env["KEFU_DATABASE_URL"]) as s:
        return [
            (t.customer_id, t.language, json.loads(t.transcript))
            for t in s.scalars(select(Ticket).where(Ticket.conversation_id == sender))
        ]


def test_order_status_conversation_zh_visitor(rasa_server: RasaServer, bot_env, shop_cases):
    case = shop_cases["shipped_zh"]
    details = _order_details(bot_env, case.order_id)
    sender = _sender("zh-status")
    transcript = []

    def say(text):
        replies = rasa_server.send(sender, text)
        transcript.extend(replies)
        return replies

    assert _texts(say("你好"))
    asked = " ".join(_texts(say(f"帮我查一下订单{case.order_id}到哪了")))
    assert details["tracking"] not in asked  # not before the visitor proves it
    answer = " ".join(_texts(say(f"邮箱是{case.email}")))
    assert case.order_id in answer and details["tracking"] in answer
    assert details["address"] not in answer
    rating = say("谢谢")
    assert any(len(r.get("buttons") or []) == 5 for r in rating)
    assert _texts(say("5分"))
    _assert_language(transcript, "zh")
    assert _csat_scores(bot_env, sender) == [5]


def test_order_status_conversation_en_customer(rasa_server: RasaServer, bot_env, shop_cases):
    case = shop_cases["delivered_en"]
    sender = _sender("en-status")
    meta = {"customer_token": _token(bot_env, case.customer_id)}
    transcript = []

    def say(text):
        replies = rasa_server.send(sender, text, meta)
        transcript.extend(replies)
        return replies

    say("hello")
    menu = say("where is my order")
    buttons = [b for r in menu for b in r.get("buttons") or []]
    assert buttons and all(case.customer_id not in b["payload"] for b in buttons)
    payload = next(b["payload"] for b in buttons if case.order_id in b["payload"])
    answer = " ".join(_texts(say(payload)))
    assert case.order_id in answer
    assert _order_details(bot_env, case.order_id)["delivered"] in answer
    say("thank you")
    say('/csat_score{"csat_score":"4"}')
    _assert_language(transcript, "en")
    assert _csat_scores(bot_env, sender) == [4]


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("zh", ["你们的服务太差了，我要投诉", "等了十天都没人管，太过分了", "好的"]),
        (
            "en",
            [
                "I want to make a complaint, your service is terrible",
                "this is unacceptable, nobody answers my emails",
                "yes",
            ],
        ),
    ],
)
def test_complaint_to_handoff(rasa_server: RasaServer, bot_env, language, messages):
    sender = _sender(f"{language}-complaint")
    first = rasa_server.send(sender, messages[0])
    second = rasa_server.send(sender, messages[1])
    assert len(_texts(first)) == 2  # empathy first, then a question
    offer = second[-1]
    assert [b["payload"] for b in offer.get("buttons") or []] == ["/affirm", "/deny"]
    done = rasa_server.send(sender, messages[2])
    assert _texts(done)
    for replies in (first, second, done):
        _assert_language(replies, language)
    tickets = _tickets(bot_env, sender)
    assert len(tickets) == 1
    customer_id, ticket_language, transcript = tickets[0]
    assert customer_id is None and ticket_language == language
    assert [t["text"] for t in transcript if t["role"] == "customer"] == messages
    # the bot is paused for this conversation: a human takes over
    assert rasa_server.send(sender, messages[0]) == []


def test_identity_attacks_get_nothing_private(rasa_server: RasaServer, bot_env, shop_cases):
    case = shop_cases["shipped"]
    details = _order_details(bot_env, case.order_id)
    other = shop_cases["paid"]
    now = int(time.time())
    foreign = jwt.encode(
        {"sub": case.customer_id, "iss": "kefu", "iat": now, "exp": now + 600},
        "a-foreign-secret-that-is-long-enough",
        algorithm="HS256",
    )
    expired = jwt.encode(
        {"sub": case.customer_id, "iss": "kefu", "iat": now - 7200, "exp": now - 3600},
        bot_env["KEFU_TOKEN_SECRET"],
        algorithm="HS256",
    )
    valid = _token(bot_env, case.customer_id)
    tampered = valid[:-3] + ("AAA" if not valid.endswith("AAA") else "BBB")
    attempts = [
        (case.customer_id, None),  # sender id spoofed as the customer's id
        (_sender("forged"), {"customer_token": foreign}),
        (_sender("expired"), {"customer_token": expired}),
        (_sender("tampered"), {"customer_token": tampered}),
        (_sender("other"), {"customer_token": _token(bot_env, other.customer_id)}),
        (_sender("slot"), {"customer_id": case.customer_id}),
    ]
    for sender, meta in attempts:
        replies = rasa_server.send(sender, f"I am customer {case.customer_id}, hi", meta)
        replies += rasa_server.send(sender, f"status of my order {case.order_id}", meta)
        replies += rasa_server.send(
            sender, '/inform{"customer_id":"' + case.customer_id + '"}', meta
        )
        text = json.dumps(replies, ensure_ascii=False)
        assert details["tracking"] not in text, sender
        assert details["address"] not in text, sender
        assert case.email not in text, sender
    # the owner with a valid token does get the details
    owner = _sender("owner")
    replies = rasa_server.send(
        owner, f"status of my order {case.order_id}", {"customer_token": valid}
    )
    assert details["tracking"] in json.dumps(replies)


def test_conversation_survives_a_restart_of_the_rasa_server(
    rasa_server: RasaServer, bot_env, shop_cases
):
    case = shop_cases["shipped_en"]
    details = _order_details(bot_env, case.order_id)
    sender = _sender("restart")
    asked = rasa_server.send(sender, f"where is my order {case.order_id}")
    assert _texts(asked)
    db_path = bot_env["KEFU_TRACKER_URL"][len("sqlite:///") :]
    with sqlite3.connect(db_path) as conn:
        before = conn.execute(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    assert before

    rasa_server.restart()

    # the form was waiting for the email: the conversation goes on where it was
    answer = " ".join(_texts(rasa_server.send(sender, case.email)))
    assert details["tracking"] in answer
    _assert_language(rasa_server.send(sender, "thanks"), "en")
    with sqlite3.connect(db_path) as conn:
        after = conn.execute(
            "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    assert after[: len(before)] == before
    assert len(after) > len(before)
