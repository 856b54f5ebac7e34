"""What reaches the browser from the bot: whitelisted fields, safe URLs, no metadata."""

from __future__ import annotations

import pytest

from web.chat import clean_bot_message, events_to_messages, safe_url


@pytest.mark.parametrize(
    "url, ok",
    [
        ("/products/P0001", True),
        ("https://shop.example/p/1", True),
        ("http://127.0.0.1:8000/static/img/food.svg", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("/\\evil.example", False),
        ("vbscript:x", False),
        (" /products/1", False),
        ("https://", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_bot_message_keeps_only_known_fields():
    message = {
        "recipient_id": "web-1",
        "text": "<b>hi</b>",
        "buttons": [
            {"title": "查订单", "payload": "/check_order"},
            {"title": "no payload"},
            "junk",
        ],
        "custom": {
            "products": [
                {
                    "id": "P0001",
                    "name": "Kettle",
                    "price": 99.9,
                    "image": "/static/img/kitchen.svg",
                    "url": "javascript:alert(1)",
                    "reason": "popular",
                    "secret": "x",
                },
                {"price": 1},
                "junk",
            ],
            "other": 1,
        },
        "image": "data:image/png;base64,AAAA",
        "metadata": {"customer_token": "t"},
    }
    cleaned = clean_bot_message(message)
    assert cleaned == {
        "text": "<b>hi</b>",
        "buttons": [{"title": "查订单", "payload": "/check_order"}],
        "products": [
            {
                "id": "P0001",
                "name": "Kettle",
                "price": "99.90",
                "image": "/static/img/kitchen.svg",
                "reason": "popular",
            }
        ],
    }
    assert clean_bot_message({"text": ""}) is None
    assert clean_bot_message("text") is None
    assert clean_bot_message({"text": "x" * 10_000})["text"] == "x" * 4000


def test_history_shows_button_titles_and_never_metadata():
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": "你好", "metadata": {"customer_token": "secret"}},
        {
            "event": "bot",
            "text": "要做什么？",
            "data": {"buttons": [{"title": "查订单", "payload": "/order_status"}]},
        },
        {"event": "user", "text": "/order_status", "metadata": {"customer_token": "secret"}},
        {"event": "bot", "text": "好的", "data": {"custom": {"products": [{"name": "A"}]}}},
        {"event": "bot", "text": "one\n\ntwo", "data": {"image": "/static/img/food.svg"}},
        {"event": "bot", "text": None, "data": {}},
        {"event": "user", "text": ""},
        "junk",
    ]
    messages = events_to_messages(events)
    assert messages == [
        {"sender": "user", "text": "你好"},
        {
            "sender": "bot",
            "text": "要做什么？",
            "buttons": [{"title": "查订单", "payload": "/order_status"}],
        },
        {"sender": "user", "text": "查订单"},
        # as the REST channel sent them: text, then cards; paragraphs, then the image
        {"sender": "bot", "text": "好的"},
        {"sender": "bot", "products": [{"name": "A"}]},
        {"sender": "bot", "text": "one"},
        {"sender": "bot", "text": "two"},
        {"sender": "bot", "image": "/static/img/food.svg"},
    ]
    assert "secret" not in repr(messages)
    assert events_to_messages(None) == [] and events_to_messages({"a": 1}) == []
