"""Never silent by accident: every customer message gets at least one reply.

NLU examples (``bot/data/nlu/*.yml``) and the user turns of the test stories
(``bot/tests/*.yml``) are replayed through the real Rasa server (REST channel, action
server, demo shop), each in a fresh conversation and in the middle of a form:

* a visitor whose order form waits for the order number;
* a verified customer whose return form waits for the item.

The NLU examples are a deterministic sample (``SAMPLE_PER_INTENT`` per intent and
language, all of them with ``KEFU_NEVER_SILENT_ALL=1``); every story turn is replayed.
The only silence the design allows is after a hand-off to an agent (the conversation is
paused), which a single message in a new conversation cannot reach.
"""

from __future__ import annotations

import os
import random
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from tests.support.servers import RasaServer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PER_INTENT = 4


def _nlu_examples() -> list[tuple[str, str, str]]:
    """``(language, intent, text)`` of the NLU data: a fixed sample, or all of them."""
    from rasa.shared.nlu.training_data.loading import load_data

    chosen = []
    for lang in ("zh", "en"):
        by_intent: dict[str, list[str]] = defaultdict(list)
        for message in load_data(
            str(ROOT / "bot" / "data" / "nlu" / f"{lang}.yml")
        ).intent_examples:
            by_intent[message.get("intent")].append(message.get("text"))
        for intent, texts in sorted(by_intent.items()):
            if os.environ.get("KEFU_NEVER_SILENT_ALL") != "1":
                texts = random.Random(f"{lang}-{intent}").sample(
                    texts, min(SAMPLE_PER_INTENT, len(texts))
                )
            chosen += [(lang, intent, t) for t in texts]
    return chosen


def _story_turns() -> list[str]:
    import re

    turns = []
    for path in sorted((ROOT / "bot" / "tests").glob("test_*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            for step in story["steps"]:
                if "user" in step:
                    # "[KF10012375](order_id)" is written as the customer typed it
                    turns.append(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", step["user"]))
    return sorted(set(turns))


def _has_reply(replies: list[dict]) -> bool:
    return any(
        r.get("text") or r.get("buttons") or r.get("image") or r.get("custom") for r in replies
    )


@pytest.fixture(scope="module")
def contexts(shop_cases, bot_env):
    """Ways into the middle of a form: ``name -> (opening messages, metadata)``."""
    from kefu.identity import issue_token

    case = shop_cases["delivered_multi"]
    token = issue_token(case.customer_id, 3600, secret=bot_env["KEFU_TOKEN_SECRET"].encode())
    return {
        "fresh": ([], None),
        "order_number_asked": (["我的订单到哪了"], None),
        "return_item_asked": (
            [f"I want to return something from order {case.order_id}"],
            {"customer_token": token},
        ),
    }


def _replay(rasa_server: RasaServer, contexts: dict, texts: list[str]) -> list[str]:
    """Messages that got no reply, as ``context: text``."""
    silent = []
    for i, text in enumerate(texts):
        # fresh for every message, and one of the mid-form contexts in turn
        names = ["fresh", ("order_number_asked", "return_item_asked")[i % 2]]
        for name in names:
            opening, metadata = contexts[name]
            sender = f"silent-{uuid.uuid4().hex[:10]}"
            for first in opening:
                assert _has_reply(rasa_server.send(sender, first, metadata)), first
            if not _has_reply(rasa_server.send(sender, text, metadata)):
                silent.append(f"{name}: {text}")
    return silent


def test_every_nlu_example_gets_a_reply(rasa_server: RasaServer, contexts):
    examples = _nlu_examples()
    assert len(examples) >= 2 * 20 * min(SAMPLE_PER_INTENT, 4)
    silent = _replay(rasa_server, contexts, [t for _, _, t in examples])
    assert not silent, f"{len(silent)} messages without a reply:\n" + "\n".join(silent[:40])


def test_every_story_turn_gets_a_reply(rasa_server: RasaServer, contexts):
    turns = _story_turns()
    assert len(turns) >= 80
    silent = _replay(rasa_server, contexts, turns)
    assert not silent, f"{len(silent)} messages without a reply:\n" + "\n".join(silent[:40])
