"""bot/endpoints.yml against real stores: PostgreSQL tracker store, Redis lock store."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from kefu.bot import rasa_env
from kefu.lockstore import AtomicRedisLockStore

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = str(ROOT / "bot" / "endpoints.yml")
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _endpoint(name: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    for key, value in env.items():
        if key.startswith("KEFU_"):
            monkeypatch.setenv(key, value)
    return read_endpoint_config(ENDPOINTS, name)


def _domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def test_tracker_store_on_postgresql(postgres_url, monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KEFU_TRACKER_URL", postgres_url)
    config = _endpoint("tracker_store", rasa_env(), monkeypatch)
    domain = _domain()
    store = TrackerStore.create(config, domain)
    assert isinstance(store, SQLTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("我的订单到哪了", {"name": "order_status", "confidence": 0.9}),
            SlotSet("language", "zh"),
        ],
        domain.slots,
    )
    asyncio.run(store.save(tracker))
    store.engine.dispose()
    # a new store (a restarted server) reads the same conversation back
    fresh = TrackerStore.create(config, domain)
    restored = asyncio.run(fresh.retrieve(sender))
    assert restored is not None
    assert restored.get_slot("language") == "zh"
    assert restored.latest_message.text == "我的订单到哪了"
    fresh.engine.dispose()


def _redis_reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def test_lock_store_is_redis_when_configured(monkeypatch, tmp_path):
    if not _redis_reachable(REDIS_URL):
        pytest.skip(f"no Redis server reachable at {REDIS_URL}")
    import redis

    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KEFU_REDIS_URL", REDIS_URL)
    store = LockStore.create(_endpoint("lock_store", rasa_env(), monkeypatch))
    # kefu's own Redis store: Rasa's RedisLockStore issues tickets non-atomically (rasa#9213)
    assert isinstance(store, AtomicRedisLockStore)
    conversation = f"lock-{uuid.uuid4().hex[:8]}"
    ticket = store.issue_ticket(conversation, lock_lifetime=30)
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.keys(f"kefu*{conversation}*")]
    assert keys, "the lock was not written to Redis"
    store.finish_serving(conversation, ticket)
    following = store.issue_ticket(conversation, lock_lifetime=30)
    assert store.get_or_create_lock(conversation).is_locked(following) is False  # served at once
    store.delete_lock(conversation)
    assert not client.keys(f"kefu*{conversation}*")


def test_lock_store_is_in_memory_without_redis(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("KEFU_REDIS_URL", raising=False)
    store = LockStore.create(_endpoint("lock_store", rasa_env(), monkeypatch))
    assert isinstance(store, InMemoryLockStore)


def test_malformed_redis_url_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("KEFU_REDIS_URL", "http://not-redis")
    with pytest.raises(ValueError, match="KEFU_REDIS_URL"):
        rasa_env()
