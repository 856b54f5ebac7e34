"""Customers holding mixed Chinese/English conversations with kefu (Locust).

Two kinds of customer, each waiting for every reply like a person (2 to 5 s between
messages): ``SiteCustomer`` talks through the site's chat API (``/chat/message`` with
the session cookie, as the widget does), ``RestCustomer`` through the Rasa REST channel.
Each conversation: greeting, order lookup, recommendations, FAQ, a complaint, CSAT.

Run it with ``make loadtest`` (its own virtualenv; bounded users and time; loopback
only). Every message sent is logged to ``KEFU_LOADTEST_LOG`` (JSON lines: conversation,
text, replies) for :mod:`loadtest.check`, which counts them in the tracker store.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

SCRIPTS = {
    "zh": ["你好", "我的订单到哪了", "推荐几款耳机", "怎么退货", "快递太慢了，我很不满意", "5"],
    "en": [
        "hello",
        "where is my order",
        "recommend some headphones",
        "how do I return an item",
        "this delivery is far too slow, I am unhappy",
        "5",
    ],
    "mixed": [
        "hi 你好",
        "我的order到哪了",
        "有没有 bluetooth 耳机",
        "return policy 是什么",
        "客服太差了 terrible",
        "4",
    ],
}
LOG_PATH = os.environ.get("KEFU_LOADTEST_LOG", "loadtest-messages.jsonl")
_log_lock = threading.Lock()


@events.test_start.add_listener
def _loopback_only(environment, **_kwargs) -> None:
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get(
        "KEFU_LOADTEST_ANY_HOST"
    ):
        raise SystemExit(f"kefu load test: {host} is not loopback (set KEFU_LOADTEST_ANY_HOST=1)")


def _log(conversation: str, text: str, replies: int, ok: bool) -> None:
    line = json.dumps({"conversation": conversation, "text": text, "replies": replies, "ok": ok})
    with _log_lock, open(LOG_PATH, "a", encoding="utf-8") as out:
        out.write(line + "\n")


class _Customer(HttpUser):
    abstract = True
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.language = random.choice(list(SCRIPTS))
        self.step = 0
        self.conversation = f"load-{uuid.uuid4().hex[:16]}"

    @task
    def next_message(self) -> None:
        script = SCRIPTS[self.language]
        text = script[self.step % len(script)]
        self.step += 1
        replies = self.send(text)
        _log(self.conversation, text, replies if replies is not None else 0, replies is not None)

    def send(self, text: str) -> int | None:
        raise NotImplementedError


class RestCustomer(_Customer):
    """Through the Rasa REST channel (host: the Rasa server, e.g. http://127.0.0.1:5005)."""

    def send(self, text: str) -> int | None:
        payload = {"sender": self.conversation, "message": text}
        with self.client.post(
            "/webhooks/rest/webhook", json=payload, name="rest", catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return None
            return len(resp.json() or [])


class SiteCustomer(_Customer):
    """Through the site's chat API with its session cookie (host: the site, e.g. :8000).

    Set ``KEFU_LOADTEST_SITE`` to the site's URL to use it beside the REST customers.
    """

    host = os.environ.get("KEFU_LOADTEST_SITE", "")
    weight = 1 if os.environ.get("KEFU_LOADTEST_SITE") else 0

    def on_start(self) -> None:
        super().on_start()
        self.client.get("/", name="page")  # the session cookie
        self.conversation = ""  # the site names it; the checker reads it from the cookie

    def send(self, text: str) -> int | None:
        with self.client.post(
            "/chat/message", json={"message": text}, name="site", catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return None
            if not self.conversation:
                self.conversation = "site:" + (self.client.cookies.get("kefu_session") or "")
            return len(resp.json().get("messages") or [])
