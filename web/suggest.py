"""A suggested reply for the agent: the customer's last message run through the bot's own
NLU and FAQ content, as a draft in the customer's language.

The intent is the one the bot understood (stored in the tracker with the message); when
the bot fell back (or stored none), the Rasa server's ``/model/parse`` is asked again
and its best non-fallback intent is used when confident enough. The draft is, in order:
the FAQ answer of that intent (refined by the message's keywords), the intent's
suggestion in ``data/support/<lang>.yml`` (``suggest_<intent>``), or a FAQ entry whose
keywords the message contains. The agent inserts it and edits it before sending.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from sanic import Sanic

from actions.services import faq
from kefu.support import texts as support_texts
from nlp.language import detect_language

logger = logging.getLogger(__name__)
FALLBACK = "nlu_fallback"
ANSWERS = frozenset({"affirm", "deny"})  # replies to the bot, not what the customer wants
MIN_CONFIDENCE = 0.3  # an intent the re-parse ranks lower is no basis for a draft
MAX_PARSE_CHARS = 2000


def last_customer_message(transcript: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest customer message worth a draft: with text, not a button payload such as
    ``/affirm``, not a yes or no to the bot's question (the message before it is)."""
    for message in reversed(transcript):
        text = message.get("text") or ""
        if message.get("sender") != "user" or not text.strip() or text.startswith("/"):
            continue
        if message.get("intent") not in ANSWERS:
            return message
    return None


async def parse(app: Sanic, text: str) -> dict[str, Any] | None:
    """The Rasa server's ``/model/parse`` of ``text``, or ``None`` when it cannot answer."""
    rasa = app.ctx.rasa
    if not rasa.token:
        return None
    try:
        async with rasa.session.post(
            f"{rasa.base_url}/model/parse",
            params={"token": rasa.token},
            json={"text": text[:MAX_PARSE_CHARS]},
        ) as resp:
            if resp.status != 200:
                logger.warning("Rasa answered %s to /model/parse", resp.status)
                return None
            found = await resp.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        logger.warning("no /model/parse for a suggested reply: %s", exc)
        return None
    return found if isinstance(found, dict) else None


def _best_intent(parsed: dict[str, Any]) -> tuple[str | None, float | None]:
    ranking = parsed.get("intent_ranking") or [parsed.get("intent") or {}]
    for item in ranking:
        if not isinstance(item, dict):
            continue
        name, confidence = item.get("name"), item.get("confidence")
        if isinstance(name, str) and name != FALLBACK and isinstance(confidence, int | float):
            return (name, float(confidence)) if confidence >= MIN_CONFIDENCE else (None, None)
    return None, None


def draft(intent: str | None, text: str, lang: str) -> tuple[str, str] | None:
    """``(draft, source)`` for a message of ``intent`` in ``lang``; ``None`` when no content
    fits. ``source`` is ``faq`` or ``intent``."""
    topics = faq.topics(lang)
    if intent in topics:
        answer = faq.answer(intent, lang, text)
        if answer:
            return answer, "faq"
    if intent:
        try:
            return support_texts.text(lang, f"suggest_{intent}"), "intent"
        except KeyError:
            pass
    for topic in topics:
        answer = faq.entry_answer(topic, lang, text)
        if answer:
            return answer, "faq"
    return None


async def suggested_reply(
    app: Sanic, ticket: dict[str, Any], transcript: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The draft for the ticket's last customer message, or ``None`` (nothing to suggest)."""
    message = last_customer_message(transcript)
    if message is None:
        return None
    text = str(message["text"])
    lang = detect_language(text, default="en" if ticket.get("lang") == "en" else "zh")
    intent, confidence, source_nlu = message.get("intent"), message.get("confidence"), "tracker"
    if not intent or intent == FALLBACK:
        parsed = await parse(app, text)
        intent, confidence = _best_intent(parsed) if parsed else (None, None)
        source_nlu = "model/parse"
    found = draft(intent, text, lang)
    if found is None:
        return None
    return {
        "text": found[0],
        "source": found[1],
        "lang": lang,
        "intent": intent,
        "confidence": confidence,
        "nlu": source_nlu,
        "message_id": message.get("id"),
    }
