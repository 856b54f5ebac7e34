"""Customers holding mixed Chinese/English conversations with kefu (Locust).

Two kinds of customer, each waiting for every reply like a person (2 to 4.5 s between
messages: under the 5 s keep-alive of kefu's Sanic servers, whose closing of an idle
connection just as the client reuses it would fail the request before the site sees
it). ``SiteCustomer`` talks through the site's chat API (``/chat/message`` with the
session cookie and an ``Origin`` header, as the widget does), ``RestCustomer`` through
kefu's Rasa REST channel (``/webhooks/kefu/webhook`` with ``X-Kefu-Channel-Secret``,
carrying a signed customer token as the site does for a signed-in customer). Each
conversation: greeting, order lookup, recommendations, FAQ, a complaint, CSAT; then the
customer starts a new conversation.

Run it through ``python -m loadtest.run`` or ``make loadtest`` (Locust's own virtualenv;
bounded users and time; loopback only). The environment:

* ``KEFU_LOADTEST_SITE``: the site's URL (site customers; empty: none);
* ``KEFU_LOADTEST_RASA``: the Rasa server's URL (REST customers; empty: none);
* ``KEFU_LOADTEST_CHANNEL_SECRET``: the channel secret (``KEFU_CHANNEL_SECRET``);
* ``KEFU_LOADTEST_TOKENS``: signed customer tokens, comma-separated (optional);
* ``KEFU_LOADTEST_LOG``: where every message goes (JSON lines: ``sent`` before the
  request, then ``done`` with the reply count or the error), for :mod:`loadtest.check`;
* ``KEFU_LOADTEST_SECONDS``: after this many seconds no customer sends another message;
  when every reply in flight has arrived, Locust quits. Locust's own ``-t`` (set longer,
  as a safety) would stop customers between a request and its logged answer.
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import gevent
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
SITE = os.environ.get("KEFU_LOADTEST_SITE", "").rstrip("/")
RASA = os.environ.get("KEFU_LOADTEST_RASA", "").rstrip("/")
SECRET = os.environ.get("KEFU_LOADTEST_CHANNEL_SECRET", "")
TOKENS = [t for t in os.environ.get("KEFU_LOADTEST_TOKENS", "").split(",") if t]
SECONDS = float(os.environ.get("KEFU_LOADTEST_SECONDS") or 0)
COOKIE = "kefu_session"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_log_lock = threading.Lock()
_state = {"closing": False, "in_flight": 0}


@events.test_start.add_listener
def _loopback_only(environment: Any, **_kwargs: Any) -> None:
    for url in (SITE, RASA, environment.host or ""):
        host = urlsplit(url).hostname
        if url and host not in LOOPBACK and not os.environ.get("KEFU_LOADTEST_ANY_HOST"):
            raise SystemExit(
                f"kefu load test: {host} is not loopback (set KEFU_LOADTEST_ANY_HOST=1)"
            )
    if SECONDS:
        gevent.spawn(_close_after, environment, SECONDS)


def _close_after(environment: Any, seconds: float) -> None:
    """No new message after ``seconds``; quit once every answer in flight has arrived."""
    gevent.sleep(seconds)
    _state["closing"] = True
    while _state["in_flight"]:
        gevent.sleep(0.2)
    environment.runner.quit()


def _log(**row: Any) -> None:
    with _log_lock, open(LOG_PATH, "a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


class _Customer(HttpUser):
    abstract = True
    wait_time = between(2, 4.5)

    def on_start(self) -> None:
        self.new_conversation()

    def new_conversation(self) -> None:
        self.language = random.choice(list(SCRIPTS))
        self.step = 0

    @task
    def next_message(self) -> None:
        if _state["closing"]:
            return
        script = SCRIPTS[self.language]
        if self.step == len(script):
            self.new_conversation()
        text = script[self.step]
        self.step += 1
        message = uuid.uuid4().hex
        _log(event="sent", id=message, door=self.door, conversation=self.conversation, text=text)
        _state["in_flight"] += 1
        try:
            replies, error = self.send(text)
        except Exception as exc:  # noqa: BLE001 - logged as an error, never left open
            replies, error = None, f"{type(exc).__name__}: {exc}"
        finally:
            _state["in_flight"] -= 1
        _log(
            event="done",
            id=message,
            conversation=self.conversation,
            replies=replies,
            error=error,
        )

    door = ""
    conversation = ""

    def send(self, text: str) -> tuple[int | None, str | None]:
        raise NotImplementedError


class RestCustomer(_Customer):
    """Through kefu's Rasa channel, as the site calls it (a signed-in customer's token)."""

    host = RASA
    weight = 1 if RASA else 0
    door = "rest"

    def new_conversation(self) -> None:
        super().new_conversation()
        self.conversation = f"load-{uuid.uuid4().hex[:16]}"
        self.token = random.choice(TOKENS) if TOKENS else None

    def send(self, text: str) -> tuple[int | None, str | None]:
        payload: dict[str, Any] = {"sender": self.conversation, "message": text}
        if self.token:
            payload["metadata"] = {"customer_token": self.token}
        with self.client.post(
            "/webhooks/kefu/webhook",
            json=payload,
            headers={"X-Kefu-Channel-Secret": SECRET},
            name="rest /webhooks/kefu/webhook",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return None, f"HTTP {resp.status_code}"
            return len(resp.json() or []), None


def conversation_of(cookie: str) -> str:
    """The conversation (Rasa sender id) named in the site's session cookie: signed, not
    encrypted (``web.session.encode``: base64 JSON, a dot, the MAC). Known before the first
    message, so that a first message that fails is counted too."""
    body = cookie.split(".", 1)[0]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return ""
    return str(data.get("conversation_id") or "") if isinstance(data, dict) else ""


class SiteCustomer(_Customer):
    """Through the site's chat API with its session cookie, as the widget does."""

    host = SITE
    weight = 1 if SITE else 0
    door = "site"

    def new_conversation(self) -> None:
        super().new_conversation()
        self.client.cookies.clear()  # a new visitor: a new session and conversation
        self.client.get("/", name="site /")  # the session cookie
        self.conversation = conversation_of(self.client.cookies.get(COOKIE) or "")

    def send(self, text: str) -> tuple[int | None, str | None]:
        with self.client.post(
            "/chat/message",
            json={"message": text},
            headers={"Origin": SITE},
            name="site /chat/message",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return None, f"HTTP {resp.status_code}"
            answer = resp.json()
            own = str(answer.get("id") or "")
            if own:
                self.conversation = own.rsplit(":", 1)[0]
            return len(answer.get("messages") or []), None
