"""The site's side of the chat: forward messages to Rasa and read a conversation back.

The browser never talks to Rasa. The site sends the Rasa REST channel only the message
text and the metadata it sets itself (the signed ``customer_token`` of the signed-in
customer and the UI language), under the conversation id bound to the browser's session.
History comes from the tracker through Rasa's HTTP API, which requires its auth token
and listens on loopback only. Every bot message is reduced to a whitelist of fields
(text, quick-reply buttons, product cards, image) before it reaches the browser.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from kefu.nginx import ROUTE_HEADER

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000
MAX_BUTTONS = 12
MAX_PRODUCTS = 20
MAX_FIELD_CHARS = 500
CHANNEL_SECRET_HEADER = "X-Kefu-Channel-Secret"


class ChatError(Exception):
    """The bot could not answer; ``status`` is the HTTP status the site returns."""

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def safe_url(value: object) -> str | None:
    """``value`` if it is an http(s) URL or a site path (``/...``), else ``None``."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return None
    if any(ch in value for ch in "\\\r\n\t\x00") or value.strip() != value:
        return None
    if value.startswith("/") and not value.startswith("//"):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _short(value: object, limit: int = MAX_FIELD_CHARS) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return value[:limit]


def _price(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return f"{value:.2f}"
    return _short(value, 32)


def clean_product(item: object) -> dict[str, str] | None:
    """A product card with only known, well-typed fields, or ``None`` when unusable."""
    if not isinstance(item, dict):
        return None
    name = _short(item.get("name"))
    if not name:
        return None
    card = {"name": name}
    for key in ("id", "reason"):
        value = _short(item.get(key))
        if value:
            card[key] = value
    price = _price(item.get("price"))
    if price:
        card["price"] = price
    for key in ("image", "url"):
        value = safe_url(item.get(key))
        if value:
            card[key] = value
    return card


def clean_bot_message(message: object) -> dict[str, Any] | None:
    """A bot message reduced to what the widget renders, or ``None`` when empty.

    Args:
        message: one element of the REST channel's reply, or the ``text`` + ``data`` of
            a tracker ``bot`` event merged into one dict.
    """
    if not isinstance(message, dict):
        return None
    out: dict[str, Any] = {}
    text = _short(message.get("text"), MAX_TEXT_CHARS)
    if text:
        out["text"] = text
    buttons = []
    for button in (message.get("buttons") or [])[:MAX_BUTTONS]:
        if isinstance(button, dict):
            title, payload = _short(button.get("title")), _short(button.get("payload"))
            if title and payload:
                buttons.append({"title": title, "payload": payload})
    if buttons:
        out["buttons"] = buttons
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("products"), list):
        products = [clean_product(p) for p in custom["products"][:MAX_PRODUCTS]]
        products = [p for p in products if p]
        if products:
            out["products"] = products
    image = safe_url(message.get("image"))
    if image:
        out["image"] = image
    return out or None


def _as_sent(utterance: dict[str, Any]) -> list[dict[str, Any]]:
    """A tracker's bot utterance split into the messages the REST channel sent for it.

    Mirrors ``OutputChannel.send_response``: text with its buttons (or each paragraph of
    a plain text) first, then the custom payload, then the image.
    """
    parts: list[dict[str, Any]] = []
    text = utterance.get("text") if isinstance(utterance.get("text"), str) else ""
    buttons = utterance.get("buttons") or utterance.get("quick_replies")
    if buttons:
        parts.append({"text": text, "buttons": buttons})
    elif text:
        parts.extend({"text": p} for p in text.strip().split("\n\n"))
    if utterance.get("custom"):
        parts.append({"custom": utterance["custom"]})
    if utterance.get("image"):
        parts.append({"image": utterance["image"]})
    return parts


def events_to_messages(events: object) -> list[dict[str, Any]]:
    """The visible conversation in a tracker's events, oldest first.

    User messages that are quick-reply payloads show the button's title, as they did
    when clicked. Metadata (which holds the customer token) is never returned.
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "user":
            text = _short(event.get("text"), MAX_TEXT_CHARS)
            if text:
                messages.append({"sender": "user", "text": titles.get(text, text)})
        elif kind == "bot":
            data: dict[str, Any] = event["data"] if isinstance(event.get("data"), dict) else {}
            for part in _as_sent({**data, "text": event.get("text")}):
                cleaned = clean_bot_message(part)
                if cleaned:
                    buttons = cleaned.get("buttons", [])
                    titles = {b["payload"]: b["title"] for b in buttons} or titles
                    messages.append({"sender": "bot", **cleaned})
        elif kind in ("restart", "session_started"):
            titles = {}
    return messages


def route_headers(conversation_id: str) -> dict[str, str]:
    """The header nginx's sticky doors hash (``kefu.nginx.STICKY``): every call about one
    conversation reaches the same Rasa replica, whose tracker cache then stays warm."""
    return {ROUTE_HEADER: conversation_id}


class RasaClient:
    """Talks to the Rasa server on behalf of the site (one aiohttp session per app)."""

    def __init__(
        self, base_url: str, token: str = "", timeout: float = 30.0, channel_secret: str = ""
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.channel_secret = channel_secret
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the HTTP connection pool (called when the site starts)."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout, connect=5)
        )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        return self._session

    async def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with self.session.request(method, url, **kwargs) as resp:
                body = await resp.read()
                if resp.status == 404:
                    return None
                if resp.status == 503:  # kefu's Rasa: the message was not handled
                    raise ChatError(
                        "the assistant could not handle the message: send it again",
                        503,
                        "unavailable",
                    )
                if resp.status >= 400:
                    logger.warning("Rasa answered %s to %s %s", resp.status, method, url)
                    raise ChatError("the assistant failed to answer", 502, "bot_error")
        except asyncio.TimeoutError as exc:
            raise ChatError(
                "the assistant is taking long: the message was received and its answer "
                "will be in the history (do not send it again)",
                504,
                "timeout",
            ) from exc
        except aiohttp.ClientError as exc:
            logger.warning("Rasa is unreachable at %s: %s", self.base_url, exc)
            raise ChatError("the assistant cannot be reached", 503, "unreachable") from exc
        try:
            return json.loads(body or b"null")
        except ValueError as exc:
            raise ChatError("the assistant sent an unreadable answer", 502, "bot_error") from exc

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send ``text`` in ``conversation_id``; the bot's cleaned replies."""
        payload = {"sender": conversation_id, "message": text, "metadata": metadata}
        headers = route_headers(conversation_id)
        if self.channel_secret:
            headers[CHANNEL_SECRET_HEADER] = self.channel_secret
        replies = await self._json(
            "POST", f"{self.base_url}/webhooks/kefu/webhook", json=payload, headers=headers
        )
        if not isinstance(replies, list):
            raise ChatError("the assistant sent an unreadable answer", 502, "bot_error")
        cleaned = (clean_bot_message(r) for r in replies)
        return [{"sender": "bot", **m} for m in cleaned if m]

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The visible messages of ``conversation_id`` since its last restart."""
        if not self.token:
            return []
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/tracker"
        params = {"include_events": "AFTER_RESTART", "token": self.token}
        tracker = await self._json("GET", url, params=params)
        if not isinstance(tracker, dict):
            return []
        return events_to_messages(tracker.get("events"))

    def _conversation_url(self, conversation_id: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{tail}"

    async def _tracker(self, conversation_id: str, include_events: str) -> dict[str, Any]:
        """The conversation's tracker state (HTTP API), with ``include_events``; ``{}`` when
        the answer is not one."""
        tracker = await self._json(
            "GET",
            self._conversation_url(conversation_id, "tracker"),
            params={"include_events": include_events, "token": self.token},
            headers=route_headers(conversation_id),
        )
        return tracker if isinstance(tracker, dict) else {}

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation (``include_events=ALL``); ids are their indexes."""
        if not self.token:
            return []
        events = (await self._tracker(conversation_id, "ALL")).get("events")
        return events if isinstance(events, list) else []

    async def append(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append ``events`` to the tracker (HTTP API).

        Rasa answers with the tracker's state only (``include_events=NONE``): serialising
        every event of the conversation for an answer nobody reads cost Rasa more than
        the append.
        """
        if not self.token:
            raise ChatError("the site has no token for Rasa's HTTP API", 503, "no_api")
        tracker = await self._json(
            "POST",
            self._conversation_url(conversation_id, "tracker/events"),
            params={"include_events": "NONE", "token": self.token},
            json=events,
            headers=route_headers(conversation_id),
        )
        if not isinstance(tracker, dict):
            raise ChatError("the assistant sent an unreadable answer", 502, "bot_error")

    async def latest_message(self, conversation_id: str) -> dict[str, Any] | None:
        """What the bot understood of the conversation's latest user message (its parse
        data, with ``text`` and ``metadata``), read without the events; ``None`` when
        there is none."""
        if not self.token:
            return None
        latest = (await self._tracker(conversation_id, "NONE")).get("latest_message")
        return latest if isinstance(latest, dict) and latest.get("text") else None

    async def execute(self, conversation_id: str, action: str) -> None:
        """Run the bot's ``action`` in the conversation now (its messages land in the tracker)."""
        if not self.token:
            raise ChatError("the site has no token for Rasa's HTTP API", 503, "no_api")
        await self._json(
            "POST",
            self._conversation_url(conversation_id, "execute"),
            params={"token": self.token, "include_events": "NONE"},
            json={"name": action},
            headers=route_headers(conversation_id),
        )
