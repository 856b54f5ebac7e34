"""KefuTrackerStore: Rasa's SQL tracker store with a tracker cache and tuned SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import read_endpoint_config

from kefu.bot import rasa_env
from kefu.trackers import KefuTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "order_status"],
        "slots": {
            "language": {
                "type": "categorical",
                "values": ["zh", "en"],
                "influence_conversation": False,
                "mappings": [{"type": "custom"}],
            }
        },
    }
)


def run(coro):
    return asyncio.run(coro)


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def _store(url: str, **kwargs) -> KefuTrackerStore:
    return KefuTrackerStore(domain=DOMAIN, host=url, **kwargs)


def _turn(tracker, text: str, intent: str, language: str) -> None:
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}))
    tracker.update(SlotSet("language", language))
    tracker.update(ActionExecuted("utter_x"))
    tracker.update(ActionExecuted("action_listen"))


def _turn_elsewhere(url: str, sender: str) -> None:
    """Another server on the same database adds a turn "from the other server"."""
    other = _store(url)
    theirs = run(other.retrieve(sender))
    _turn(theirs, "from the other server", "order_status", "en")
    run(other.save(theirs))


def _rows(url: str, sender: str) -> list[str]:
    """Event types stored for ``sender`` from its latest session on, or all of them while it
    has one session (what a retrieve reads)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).all()
    engine.dispose()
    types = [r[0] for r in rows]
    starts = [i for i, t in enumerate(types) if t == "session_started"]
    return types[starts[-1] :] if len(starts) > 1 else types


def _from_session_start(events) -> list:
    """The events from the latest ``session_started`` on (what Rasa's own store reads)."""
    events = list(events)
    starts = [n for n, e in enumerate(events) if isinstance(e, SessionStarted)]
    return events[starts[-1] :] if starts else events


def _conversation(store: KefuTrackerStore, sender: str, as_rasa_starts_it: bool = False) -> None:
    """A conversation with one turn, saved; ``as_rasa_starts_it``: after the session start's
    bookkeeping (``session_started_metadata``, ``action_session_start``) as Rasa writes it."""
    tracker = run(store.get_or_create_tracker(sender, append_action_listen=not as_rasa_starts_it))
    if as_rasa_starts_it:
        tracker.update(SlotSet("session_started_metadata", {"channel": "kefu"}))
        tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    _turn(tracker, "你好", "greet", "zh")
    run(store.save(tracker))


def test_each_event_is_stored_once_and_a_restarted_store_reads_it(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "c1")
    for text in ("where is my order?", "and now?"):
        tracker = run(store.retrieve("c1"))
        _turn(tracker, text, "order_status", "en")
        run(store.save(tracker))
    # no duplicates: the rows are the events of the tracker, in order
    tracker = run(store.retrieve("c1"))
    assert _rows(url, "c1") == [e.type_name for e in tracker.events]
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-1] == "and now?"

    store.engine.dispose()
    restarted = _store(url)
    restored = run(restarted.retrieve("c1"))
    assert restored is not None and restored is not tracker
    assert restored.get_slot("language") == "en"
    assert restored.latest_message.text == "and now?"
    assert list(restored.events) == list(tracker.events)
    # the same table as Rasa's own store: either reads what the other wrote
    rasa_store = SQLTrackerStore(domain=DOMAIN, host=url)
    assert list(run(rasa_store.retrieve("c1")).events) == _from_session_start(tracker.events)
    rasa_tracker = run(rasa_store.retrieve("c1"))
    _turn(rasa_tracker, "written by rasa", "greet", "zh")
    run(rasa_store.save(rasa_tracker))
    assert run(restarted.retrieve("c1")).latest_message.text == "written by rasa"


def test_a_kept_tracker_is_handed_out_only_while_nobody_else_wrote(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "c2")
    first = run(store.retrieve("c2"))  # read from the database
    _turn(first, "again", "greet", "zh")
    run(store.save(first))
    assert run(store.retrieve("c2")) is first  # kept: no reload
    run(store.save(first))

    _turn_elsewhere(url, "c2")

    fresh = run(store.retrieve("c2"))
    assert fresh is not first
    assert fresh.latest_message.text == "from the other server"
    assert _rows(url, "c2") == [e.type_name for e in fresh.events]


def test_a_message_that_fails_before_its_save_leaves_nothing_behind(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "c3")
    saved = run(store.retrieve("c3"))
    run(store.save(saved))
    tracker = run(store.retrieve("c3"))
    _turn(tracker, "this one fails", "order_status", "en")  # ...and is never saved
    again = run(store.retrieve("c3"))
    assert again.latest_message.text == "你好"
    assert all(getattr(e, "text", None) != "this one fails" for e in again.events)
    # the failed tracker saved late still adds only what is not stored
    _turn(again, "next", "greet", "zh")
    run(store.save(again))
    assert _rows(url, "c3") == [e.type_name for e in run(store.retrieve("c3")).events]


def test_after_a_new_session_only_that_session_comes_back(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "c4")
    tracker = run(store.retrieve("c4"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    _turn(tracker, "new session", "greet", "en")
    run(store.save(tracker))
    rasa_view = run(SQLTrackerStore(domain=DOMAIN, host=url).retrieve("c4"))
    ours = run(store.retrieve("c4"))
    assert list(ours.events) == list(rasa_view.events)
    assert isinstance(ours.events[0], SessionStarted)


def test_cache_off_and_bounded(tmp_path):
    url = _url(tmp_path)
    off = _store(url, cache_size=0)
    _conversation(off, "a")
    first = run(off.retrieve("a"))
    run(off.save(first))
    assert run(off.retrieve("a")) is not first
    small = _store(url, cache_size=1)
    for sender in ("b", "c"):
        _conversation(small, sender)
        tracker = run(small.retrieve(sender))
        run(small.save(tracker))
    assert list(small._kept) == ["c"]


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = _store(_url(tmp_path))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_bot_endpoints_create_this_store(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KEFU_TRACKER_URL", _url(tmp_path))
    for key, value in rasa_env().items():
        if key.startswith("KEFU_"):
            monkeypatch.setenv(key, value)
    config = read_endpoint_config(str(ROOT / "bot" / "endpoints.yml"), "tracker_store")
    store = TrackerStore.create(config, DOMAIN)
    assert isinstance(store, KefuTrackerStore)
    assert store.engine.url.database == str(tmp_path / "tracker.db")
    action = read_endpoint_config(str(ROOT / "bot" / "endpoints.yml"), "action_endpoint")
    assert action.kwargs.get("enable_selective_domain") is True


@pytest.mark.parametrize("sender", ["x"])
def test_unknown_conversation_is_none(tmp_path, sender):
    assert run(_store(_url(tmp_path)).retrieve(sender)) is None


def test_a_new_domain_rebuilds_the_kept_trackers(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "d")
    tracker = run(store.retrieve("d"))
    run(store.save(tracker))
    assert run(store.retrieve("d")) is tracker
    run(store.save(tracker))
    bigger = Domain.from_dict(
        {**DOMAIN.as_dict(), "slots": {**DOMAIN.as_dict()["slots"], "vip": {
            "type": "bool", "influence_conversation": False, "mappings": [{"type": "custom"}]}}}
    )  # fmt: skip
    store.domain = bigger  # what Rasa does when it loads another model
    fresh = run(store.retrieve("d"))
    assert fresh is not tracker
    assert "vip" in fresh.slots and "vip" not in tracker.slots
    assert [e.type_name for e in fresh.events] == _rows(url, "d")


def test_retrieves_never_saved_are_not_remembered_without_bound(tmp_path):
    from kefu.trackers import MIN_HANDED_OUT

    url = _url(tmp_path)
    store = _store(url, cache_size=1)
    for i in range(MIN_HANDED_OUT + 5):
        _conversation(store, f"s{i}")
        run(store.retrieve(f"s{i}"))  # e.g. a message that fails before its save
    assert len(store._out) == MIN_HANDED_OUT
    assert f"s{MIN_HANDED_OUT + 4}" in store._out and "s0" not in store._out


def test_two_processes_on_postgresql_never_serve_a_stale_tracker(postgres_url):
    """Write through A, read through B, many times over: the kept tracker is reused only
    while nobody else wrote (two stores = two Rasa processes on one database)."""
    a, b = _store(postgres_url), _store(postgres_url)
    _conversation(a, "shared")
    for i in range(6):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        tracker = run(writer.retrieve("shared"))
        _turn(tracker, f"turn {i}", "greet", "en")
        run(writer.save(tracker))
        seen = run(reader.retrieve("shared"))
        assert seen.latest_message.text == f"turn {i}"  # never the reader's older copy
        assert _rows(postgres_url, "shared") == [e.type_name for e in seen.events]
        run(reader.save(seen))  # handed back unchanged: nothing written twice
    assert _rows(postgres_url, "shared").count("user") == 7  # 1 + 6, none twice
    assert a.engine.pool.size() == 5 and a.engine.pool._pre_ping  # kefu's pool, pinged
    a.engine.dispose()
    b.engine.dispose()


def test_a_first_session_is_kept_and_read_whole(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "f1", as_rasa_starts_it=True)
    kept = run(store.retrieve("f1"))
    assert [e.type_name for e in kept.events][:3] == ["slot", "action", "session_started"]
    run(store.save(kept))
    assert run(store.retrieve("f1")) is kept  # kept from its first save on
    run(store.save(kept))
    restarted = _store(url)  # a read gives the same events as the kept tracker
    assert list(run(restarted.retrieve("f1")).events) == list(kept.events)


def _event_dicts(tracker) -> list[dict]:
    return [e.as_dict() for e in tracker.events]


def test_the_whole_tracker_comes_from_the_cache_while_nobody_else_wrote(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "w1", as_rasa_starts_it=True)
    tracker = run(store.retrieve("w1"))
    _turn(tracker, "and again", "order_status", "en")
    run(store.save(tracker))
    full = run(store.retrieve_full_tracker("w1"))
    assert full is tracker  # no rebuild from the database
    rasa_view = run(SQLTrackerStore(domain=DOMAIN, host=url).retrieve_full_tracker("w1"))
    assert _event_dicts(full) == _event_dicts(rasa_view)
    assert run(store.retrieve("w1")) is tracker  # reading it took nothing from the cache
    run(store.save(tracker))

    _turn_elsewhere(url, "w1")  # the whole tracker is read again
    fresh = run(store.retrieve_full_tracker("w1"))
    assert fresh is not tracker
    assert fresh.latest_message.text == "from the other server"


def test_a_tracker_in_use_or_of_several_sessions_is_read_whole_from_the_database(tmp_path):
    url = _url(tmp_path)
    store = _store(url)
    _conversation(store, "w2", as_rasa_starts_it=True)
    in_use = run(store.retrieve("w2"))  # a message is being handled: not kept meanwhile
    _turn(in_use, "not saved yet", "greet", "en")
    full = run(store.retrieve_full_tracker("w2"))
    assert full is not in_use and full.latest_message.text == "你好"
    run(store.save(in_use))

    # a second session: the kept tracker holds only that one, the API wants both
    tracker = run(store.retrieve("w2"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    _turn(tracker, "new session", "greet", "en")
    run(store.save(tracker))
    again = run(store.retrieve("w2"))
    run(store.save(again))
    full = run(store.retrieve_full_tracker("w2"))
    rasa_view = run(SQLTrackerStore(domain=DOMAIN, host=url).retrieve_full_tracker("w2"))
    assert _event_dicts(full) == _event_dicts(rasa_view)
    assert [getattr(e, "text", None) for e in full.events if isinstance(e, UserUttered)] == [
        "你好",
        "not saved yet",
        "new session",
    ]
