"""Build a Rasa SQL tracker store with known conversations, through Rasa's own
``SQLTrackerStore`` (the schema and event encoding the bot writes)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
DAY2 = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc).timestamp()


def _user(text: str, intent: str, ts: float, sentiment: str | None = None):
    from rasa.shared.core.events import UserUttered

    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    if sentiment:
        parse["sentiment"] = {"label": sentiment, "confidence": 0.8}
    return UserUttered(text, intent=parse["intent"], parse_data=parse, timestamp=ts)


def _action(name: str, ts: float):
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name, timestamp=ts)


def _bot(text: str, ts: float, utter_action: str | None = None):
    from rasa.shared.core.events import BotUttered

    metadata = {"utter_action": utter_action} if utter_action else {}
    return BotUttered(text, metadata=metadata, timestamp=ts)


def form_conversations() -> dict[str, list]:
    """Conversations in and out of the order form. Known answers:

    * form-1: "阿巴阿巴" (nlu_fallback) and "那个蓝色的" (the form could not use it) got
      fallbacks inside the form; "我的订单到哪了" outside it got no reply at all;
    * form-2: "hello?" after the hand-off pause gets no reply by design (not counted),
      "anyone?" before the pause got none (counted).
    """
    from rasa.shared.core.events import ActiveLoop, ConversationPaused, SessionStarted

    def start(ts):
        return [
            _action("action_session_start", ts),
            SessionStarted(timestamp=ts),
            _action("action_listen", ts),
        ]

    return {
        "form-1": [
            *start(DAY1),
            _user("我要退货", "return_request", DAY1 + 1),
            _action("order_form", DAY1 + 2),
            ActiveLoop("order_form", timestamp=DAY1 + 2),
            _bot("请告诉我您的订单号", DAY1 + 2, "utter_ask_order_id"),
            _action("action_listen", DAY1 + 2),
            _user("阿巴阿巴", "nlu_fallback", DAY1 + 3),
            _action("action_form_restate", DAY1 + 4),
            _bot("抱歉，这句我没太明白。", DAY1 + 4, "utter_form_not_understood"),
            _action("action_listen", DAY1 + 4),
            _user("那个蓝色的", "inform", DAY1 + 5),
            _action("order_form", DAY1 + 6),
            _bot("没有找到", DAY1 + 6, "utter_return_item_unknown"),
            _action("action_listen", DAY1 + 6),
            _user("算了", "deny", DAY1 + 7),
            _action("action_form_deny", DAY1 + 8),
            ActiveLoop(None, timestamp=DAY1 + 8),
            _bot("好的，不退了", DAY1 + 8, "utter_form_left_return"),
            _action("action_listen", DAY1 + 8),
            _user("我的订单到哪了", "order_status", DAY1 + 9),
            _action("action_listen", DAY1 + 10),
        ],
        "form-2": [
            *start(DAY1 + 100),
            _user("anyone?", "greet", DAY1 + 101),
            _action("action_listen", DAY1 + 102),
            _user("human please", "human_handoff", DAY1 + 103),
            _action("action_offer_handoff", DAY1 + 104),
            _bot("Transferring you", DAY1 + 104),
            ConversationPaused(timestamp=DAY1 + 104),
            _action("action_listen", DAY1 + 104),
            _user("hello?", "greet", DAY1 + 105),
        ],
    }


def conversations() -> dict[str, list]:
    """Sender id -> events. Known answers:

    * 5 conversations (zh-1 has two sessions; "empty" has no user message and is ignored);
    * hand-offs: en-2 (action) and zh-2 (ticket in the shop database) -> containment 3/5;
    * 9 user messages, 3 not understood (2 nlu_fallback, 1 answered by
      action_default_fallback) -> fallback rate 1/3;
    * languages: zh-1 (both sessions), zh-2 zh; en-1, en-2 en (from the slot for en-2).
    """
    from rasa.shared.core.events import SessionStarted, SlotSet

    def start(ts):
        return [
            _action("action_session_start", ts),
            SessionStarted(timestamp=ts),
            _action("action_listen", ts),
        ]

    return {
        "zh-1": [
            *start(DAY1),
            SlotSet("language", "zh", timestamp=DAY1 + 1),
            _user("你好", "greet", DAY1 + 2, "positive"),
            _action("utter_greet", DAY1 + 3),
            _bot("您好！", DAY1 + 3),
            _action("action_listen", DAY1 + 3),
            _user("阿巴阿巴", "nlu_fallback", DAY1 + 4, "negative"),
            _action("action_listen", DAY1 + 5),
            *start(DAY2),
            _user("我的订单到哪了", "order_status", DAY2 + 2, "negative"),
            _action("action_order_status", DAY2 + 3),
            _action("action_listen", DAY2 + 3),
        ],
        "zh-2": [
            *start(DAY1 + 100),
            _user("退货怎么办", "return_policy", DAY1 + 102, "negative"),
            _action("utter_return_policy", DAY1 + 103),
            _action("action_listen", DAY1 + 103),
            _user("阿巴阿巴", "nlu_fallback", DAY1 + 104, "negative"),
            _action("action_listen", DAY1 + 105),
        ],
        "en-1": [
            *start(DAY1 + 200),
            _user("hello", "greet", DAY1 + 202, "positive"),
            _action("utter_greet", DAY1 + 203),
            _action("action_listen", DAY1 + 203),
            _user("blorp the zorp", "chitchat", DAY1 + 204, "neutral"),
            _action("action_default_fallback", DAY1 + 205),
            _action("action_listen", DAY1 + 205),
        ],
        "en-2": [
            *start(DAY2 + 300),
            SlotSet("language", "en", timestamp=DAY2 + 301),
            _user("where is my order", "order_status", DAY2 + 302, "negative"),
            _action("action_order_status", DAY2 + 303),
            _action("action_listen", DAY2 + 303),
            _user("human please", "handoff", DAY2 + 304, "negative"),
            _action("action_handoff", DAY2 + 305),
            _action("action_listen", DAY2 + 305),
        ],
        "empty": [*start(DAY2 + 400)],
    }


def build_tracker_store(url_or_path: str, convs: dict[str, list] | None = None) -> str:
    """Write the :func:`conversations` (or ``convs``) into a SQL tracker store; return its URL.

    Args:
        url_or_path: a SQLite file path, or a PostgreSQL URL.
        convs: sender id -> events, instead of :func:`conversations`.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.engine.url import make_url

    domain = Domain.from_dict({"slots": {"language": {"type": "any", "mappings": []}}})
    if "://" in url_or_path:
        parsed = make_url(url_or_path)
        store = SQLTrackerStore(
            domain,
            dialect="postgresql",
            host=parsed.host,
            port=parsed.port,
            db=parsed.database,
            username=parsed.username,
            password=parsed.password,
        )
        url = url_or_path
    else:
        store = SQLTrackerStore(domain, dialect="sqlite", db=url_or_path)
        url = f"sqlite:///{url_or_path}"
    for sender, events in (convs if convs is not None else conversations()).items():
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    return url
