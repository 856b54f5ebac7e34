"""Tokens at rest: no customer token in the tracker store, and a minted token dies fast."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import jwt
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from kefu.identity import ALGORITHM, ISSUER, issue_token, verify_token
from kefu.trackers import KefuTrackerStore, without_secrets
from web.api import TOKEN_TTL

SECRET = b"kefu-test-secret-0123456789"
DOMAIN = Domain.from_dict({"intents": ["greet"]})  # session_started_metadata: a default slot


def test_without_secrets_drops_the_token_at_any_depth():
    event = {
        "event": "user",
        "text": "hi",
        "metadata": {"language": "en", "customer_token": "T"},
        "value": [{"customer_token": "T", "keep": 1}],
    }
    clean = without_secrets(event)
    assert "customer_token" not in repr(clean)
    assert clean["metadata"] == {"language": "en"} and clean["value"] == [{"keep": 1}]
    assert event["metadata"]["customer_token"] == "T"  # the tracker in memory keeps it


def test_no_token_in_the_tracker_database_after_a_signed_in_conversation(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = KefuTrackerStore(domain=DOMAIN, host=url)
    tokens = [issue_token("C00001", TOKEN_TTL, SECRET) for _ in range(3)]
    tracker = asyncio.run(store.get_or_create_tracker("conv-1"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("session_started_metadata", {"customer_token": tokens[0]}))
    tracker.update(ActionExecuted("action_listen"))
    for token in tokens:
        metadata = {"language": "en", "customer_token": token}
        tracker.update(UserUttered("where is my order", {"name": "greet"}, metadata=metadata))
        tracker.update(ActionExecuted("action_listen"))
        asyncio.run(store.save(tracker))
    # a store that did not hand the tracker out counts the stored events (the other path)
    other = KefuTrackerStore(domain=DOMAIN, host=url, cache_size=0)
    tracker.update(UserUttered("thanks", metadata={"customer_token": tokens[0]}))
    asyncio.run(other.save(tracker))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        data = [row[0] for row in conn.execute(sa.text("SELECT data FROM events"))]
    engine.dispose()
    assert len(data) >= 9
    dump = "\n".join(data)
    assert "customer_token" not in dump
    assert not any(token in dump for token in tokens)
    assert '"where is my order"' in dump  # the conversation itself is stored


def test_a_minted_token_is_short_lived():
    assert TOKEN_TTL <= 60
    token = issue_token("C00001", TOKEN_TTL, SECRET)
    assert verify_token(token, SECRET) == "C00001"
    claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM], issuer=ISSUER)
    assert claims["exp"] - claims["iat"] <= 60


def test_an_old_token_built_an_hour_ago_no_longer_works():
    now = int(time.time())
    claims = {"sub": "C00001", "iss": ISSUER, "iat": now - 120, "exp": now - 120 + TOKEN_TTL}
    assert verify_token(jwt.encode(claims, SECRET, algorithm=ALGORITHM), SECRET) is None
