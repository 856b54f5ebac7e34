"""kefu.lockstore.AtomicRedisLockStore: tickets issued and released atomically in Redis."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from kefu.lockstore import AtomicRedisLockStore

pytestmark = pytest.mark.integration
redis = pytest.importorskip("redis")
DB = 9


@pytest.fixture
def store() -> AtomicRedisLockStore:
    try:
        redis.Redis(port=6379, db=DB, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"no Redis server at 127.0.0.1:6379: {exc}")
    config = EndpointConfig(url="127.0.0.1", port=6379, db=DB, key_prefix="kefutest", type="x")
    return AtomicRedisLockStore(endpoint_config=config)


def _hammer(issue, threads: int = 8, each: int = 40) -> list[int]:
    numbers: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(each):
            n = issue()
            with lock:
                numbers.append(n)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return numbers


def test_concurrent_tickets_are_unique_and_none_is_lost(store):
    cid = uuid.uuid4().hex
    numbers = _hammer(lambda: store.issue_ticket(cid, 60))
    assert sorted(numbers) == list(range(1, len(numbers) + 1))  # no number twice, no gap
    lock = store.get_lock(cid)
    assert [t.number for t in lock.tickets] == sorted(numbers)  # every ticket kept
    for n in numbers:
        store.cleanup(cid, n)
    assert store.get_lock(cid) is None
    assert not store.red.exists(*store._keys(cid))  # nothing left behind


def test_rasa_redis_lock_store_races_where_this_one_does_not(store):
    """The race this store fixes (rasa#9213), shown on Rasa's own store."""
    rasa_store = RedisLockStore(host="127.0.0.1", port=6379, db=DB, key_prefix="rasatest")
    cid = uuid.uuid4().hex
    numbers = _hammer(lambda: rasa_store.issue_ticket(cid, 60))
    kept = rasa_store.get_lock(cid)
    rasa_store.delete_lock(cid)
    # duplicated numbers or tickets overwritten by a concurrent write-back
    assert len(set(numbers)) < len(numbers) or len(kept.tickets) < len(numbers)


def test_tickets_are_served_in_order_and_expire(store):
    cid = uuid.uuid4().hex
    first, second = store.issue_ticket(cid, 60), store.issue_ticket(cid, 60)
    lock = store.get_lock(cid)
    assert lock.is_locked(second) and not lock.is_locked(first)
    store.cleanup(cid, first)
    assert not store.get_lock(cid).is_locked(second)
    short = store.issue_ticket(cid, 0.05)
    assert short == second + 1
    import time

    time.sleep(0.2)
    assert [t.number for t in store.get_lock(cid).tickets] == [second]  # expired one gone
    store.cleanup(cid, second)
    assert store.get_lock(cid) is None


def test_messages_take_turns_through_the_lock(store):
    cid = uuid.uuid4().hex
    order: list[str] = []

    async def handle(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        async with store.lock(cid, 60):
            order.append(f"{name} in")
            await asyncio.sleep(0.1)
            order.append(f"{name} out")

    async def main() -> None:
        await asyncio.gather(handle("a", 0), handle("b", 0.01), handle("c", 0.02))

    asyncio.run(main())
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert store.get_lock(cid) is None


def test_redis_down_refuses_the_ticket():
    config = EndpointConfig(url="127.0.0.1", port=1, db=DB, type="x")  # nobody listens
    store = AtomicRedisLockStore(endpoint_config=config)
    with pytest.raises(LockError):
        store.issue_ticket("c", 60)


def test_rasa_creates_it_from_the_endpoints_module_path(store):
    from rasa.core.lock_store import LockStore

    config = EndpointConfig(
        url="127.0.0.1", port=6379, db=DB, type="kefu.lockstore.AtomicRedisLockStore"
    )
    assert isinstance(LockStore.create(config), AtomicRedisLockStore)
