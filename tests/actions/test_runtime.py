"""How actions run: polite on shop outages (every action), few queries, a free event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy import create_engine, event, text

from actions.forms import ValidateOrderForm
from actions.services.runtime import SHOP_UNAVAILABLE, is_shop_action
from kefu.shop import queries as shop
from kefu.shop.db import get_engine
from tests.actions.conftest import make_tracker, responses, run, slot_events
from tests.support.servers import ServerProcess, free_port, http_json


def _registered() -> dict[str, object]:
    executor = ActionExecutor()
    executor.register_package("actions")
    return {name: fn.__self__ for name, fn in executor.actions.items()}


REGISTERED = _registered()
# actions that read the shop with the tracker below, so an outage must reach the customer
NEEDS_SHOP = {
    "action_ask_return_item",
    "action_submit_order_form",
    "action_handle_affirm",
    "action_store_csat",
}


@pytest.fixture
def shop_down(monkeypatch: pytest.MonkeyPatch) -> str:
    """The shop database is a PostgreSQL server nobody answers on."""
    url = f"postgresql://root@127.0.0.1:{free_port()}/kefu"
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    return url


def _outage_tracker(action: str, token: str):
    slots = {
        "order_id": "KF10000001",
        "order_goal": "return",
        "order_contact": "someone@example.com",
        "pending_confirmation": "cancel:KF10000001",
        "requested_slot": "order_id",
        "csat_requested": True,
        "session_started_metadata": {"customer_token": token},
    }
    return make_tracker(
        "5" if action == "action_store_csat" else "KF10000001",
        intent="inform",
        entities=[{"entity": "order_id", "value": "KF10000001"}],
        slots=slots,
        metadata={"customer_token": token},
        active_loop="order_form" if action.startswith("validate_") else None,
    )


def test_every_registered_action_is_guarded():
    assert len(REGISTERED) >= 19
    unguarded = sorted(name for name, action in REGISTERED.items() if not is_shop_action(action))
    assert unguarded == [], "decorate these actions with @shop_action"


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_a_shop_outage_gets_a_polite_answer_and_nothing_partial(
    name, shop_down, domain, token_for, caplog
):
    action = REGISTERED[name]
    tracker = _outage_tracker(name, token_for("C00001"))
    with caplog.at_level(logging.ERROR):
        messages, events = run(action, tracker, domain)  # never raises: no generic 500
    said = responses(messages)
    if SHOP_UNAVAILABLE in said:
        assert said == [SHOP_UNAVAILABLE], "nothing else is said with the apology"
    if name in NEEDS_SHOP:
        assert said == [SHOP_UNAVAILABLE]
        assert not any(
            e.get("event") == "slot" and e.get("name") == "resolved" and e.get("value")
            for e in events
        )
    if name == "validate_order_form":
        assert said == [] and events == [
            {"event": "slot", "timestamp": None, "name": "requested_slot", "value": None}
        ]
    if name == "action_session_start":
        kinds = [e["event"] for e in events]
        assert kinds[0] == "session_started" and kinds[-1] == "action"
        assert slot_events(events).get("customer_id") is None
    assert all("Traceback" not in r.getMessage() for r in caplog.records)


def _count_queries(url: str):
    counter = {"n": 0}

    def count(*_args) -> None:  # noqa: ANN002 - SQLAlchemy hook
        counter["n"] += 1

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", count)
    return counter, lambda: event.remove(engine, "before_cursor_execute", count)


def test_a_return_form_turn_reads_identity_and_order_once(shop_env, shop_cases, domain, token_for):
    case = shop_cases["delivered_multi"]
    from kefu.shop import queries as shop

    order = shop.get_order(case.order_id, customer_id=case.customer_id)
    assert order is not None
    open_lines = [ln for ln in order.lines if ln.id not in order.returned_line_ids]
    assert len(open_lines) >= 2, "the form asks for the item only when there is a choice"
    chosen = f"line:{open_lines[-1].id}"
    tracker = make_tracker(
        str(len(open_lines)),  # "the last one" by its position in the list the form offered
        intent="inform",
        slots={
            "order_id": case.order_id,
            "order_goal": "return",
            "requested_slot": "return_item",
            "return_item": chosen,
        },
        metadata={"customer_token": token_for(case.customer_id)},
        active_loop="order_form",
    )
    # Rasa extracted the answer: the form's validation gets it as a slot set this turn
    tracker.events.append({"event": "slot", "name": "return_item", "value": chosen})
    action = ValidateOrderForm()
    counter, stop = _count_queries(shop_env["KEFU_DATABASE_URL"])
    try:
        unguarded_run = type(action).run.__wrapped__  # the turn as it ran before the cache
        asyncio.run(unguarded_run(action, CollectingDispatcher(), tracker, domain))
        before = counter["n"]
        counter["n"] = 0
        messages, events = run(action, tracker, domain)
        after = counter["n"]
    finally:
        stop()
    assert slot_events(events).get("return_item") is not None, [m.get("response") for m in messages]
    # customer (1) + order, its lines and returns (3) + contact-free order check: a handful
    print(f"queries per return-form turn: before {before}, after {after}")
    assert after <= 6, f"{after} queries for one return-form turn (before: {before})"
    assert after < before / 2


@pytest.fixture
def pg_shop(postgres_url: str, tmp_path: Path) -> str:
    from kefu.clock import today_in
    from kefu.shop.demo import build_demo

    build_demo(
        postgres_url,
        seed=5,
        reference_date=today_in(),
        progress=False,
        customers=30,
        order_lines=300,
        reviews=10,
    )
    return postgres_url


def test_the_event_loop_answers_while_a_query_waits(pg_shop, tmp_path, bot_env):
    """A query stuck behind a lock must not stop ``/health`` (or other customers)."""
    from kefu.identity import issue_token
    from kefu.shop.models import Order

    port = free_port()
    env = {**bot_env, "KEFU_DATABASE_URL": pg_shop, "KEFU_VAR_DIR": str(tmp_path)}
    server = ServerProcess(
        name="action server",
        cmd=[__import__("sys").executable, "-m", "actions.server", "--port", str(port)],
        env=env,
        port=port,
        health_url=f"http://127.0.0.1:{port}/health",
        log_path=tmp_path / "actions.log",
    )
    with get_engine(pg_shop).connect() as conn:
        order_id, customer_id = conn.execute(
            text("SELECT id, customer_id FROM orders ORDER BY id LIMIT 1")
        ).one()
    assert Order.__tablename__ == "orders"
    token = issue_token(customer_id, 600, secret=env["KEFU_TOKEN_SECRET"].encode())
    call = {
        "next_action": "action_submit_order_form",
        "sender_id": "loop-test",
        "tracker": {
            "sender_id": "loop-test",
            "slots": {"order_id": order_id, "order_goal": "status", "language": "en"},
            "latest_message": {"text": order_id, "intent": {"name": "inform"}},
            "events": [{"event": "user", "text": order_id, "metadata": {"customer_token": token}}],
            "paused": False,
            "active_loop": {},
        },
        "domain": {},
    }
    server.start()
    locker = create_engine(pg_shop, future=True)
    answer: dict = {}
    try:
        with locker.connect() as lock_conn:
            lock_conn.execute(text("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"))

            def call_action() -> None:
                try:
                    answer["reply"] = http_json(
                        f"{server.url}/webhook?token={env['KEFU_ACTION_TOKEN']}", call, timeout=60
                    )
                except Exception as exc:  # noqa: BLE001 - reported below
                    answer["error"] = exc

            worker = threading.Thread(target=call_action)
            worker.start()
            waiting = 0
            deadline = time.monotonic() + 30
            while not waiting and worker.is_alive() and time.monotonic() < deadline:
                with locker.connect() as probe:  # a snapshot per transaction: a new one
                    waiting = probe.execute(  # the action's query waits for the lock
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                        )
                    ).scalar_one()
            assert waiting >= 1, (answer, server.log_tail())
            with urllib.request.urlopen(server.health_url, timeout=5) as resp:
                assert resp.status == 200  # the loop is free while the query waits
            assert "reply" not in answer  # ...and the action is still waiting
            lock_conn.rollback()  # release the lock
        worker.join(30)
    finally:
        locker.dispose()
        server.stop()
    reply = answer["reply"]
    assert [r["response"] for r in reply["responses"]][0].startswith("utter_order_"), reply
    assert shop.normalize_order_id(order_id) == order_id


def test_a_retried_cancel_answers_the_same_and_refunds_once(domain, new_paid_order, token_for):
    """Rasa retries the action call for the same message (same message id): one refund."""
    from actions.support import ActionHandleAffirm

    case = new_paid_order

    def confirm(message_id: str):
        tracker = make_tracker(
            "yes",
            intent="affirm",
            slots={"pending_confirmation": f"cancel:{case.order_id}", "language": "en"},
            metadata={"customer_token": token_for(case.customer_id)},
            sender_id="retry-conversation",
        )
        tracker.events[-1]["message_id"] = message_id
        return run(ActionHandleAffirm(), tracker, domain)

    first, _ = confirm("m-1")
    again, events = confirm("m-1")  # the retry after a timeout
    assert responses(first) == responses(again) == ["utter_cancel_done"]
    assert first == again  # same refund amount, same wording
    assert slot_events(events)["pending_confirmation"] is None
    assert len(shop.refunds_for(case.order_id)) == 1
    later, _ = confirm("m-2")  # a new message asking again: told it is already cancelled
    assert responses(later) == ["utter_cannot_cancel_cancelled"]
    assert len(shop.refunds_for(case.order_id)) == 1


def test_without_a_trained_recommender_a_request_answers_best_sellers_and_never_trains(
    shop_env, tmp_path, monkeypatch, caplog
):
    from actions.services import recommender

    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "fresh-var"))
    recommender.reset_cache()
    try:
        with caplog.at_level(logging.WARNING):
            suggestions, source = recommender.suggest(None, "zh", n=3)
    finally:
        recommender.reset_cache()
    assert source == "bestsellers" and len(suggestions) == 3
    lines = [r.getMessage() for r in caplog.records if "best sellers" in r.getMessage()]
    assert len(lines) == 1 and "kefu train" in lines[0]
    assert not (tmp_path / "fresh-var" / "models").exists()  # nothing trained on the request


def test_each_worker_thread_keeps_one_event_loop_and_leaves_none_set():
    import asyncio
    import threading

    from actions.services import runtime

    async def probe(action, dispatcher, tracker, domain):
        return [id(asyncio.get_running_loop()), runtime._IN_ACTION.get()]

    class Probe:
        def name(self) -> str:
            return "probe"

    def call() -> list:
        return runtime._run_in_worker(probe, Probe(), _Dispatcher(), None, {})

    loops: list[int] = []
    thread = threading.Thread(target=lambda: loops.extend([call()[0], call()[0]]))
    thread.start()
    thread.join()
    assert loops[0] == loops[1]  # the same loop, kept between calls of one thread
    other: list[int] = []
    thread = threading.Thread(target=lambda: other.append(call()[0]))
    thread.start()
    thread.join()
    assert other[0] != loops[0]  # one loop per thread, never shared
    assert call()[1] is True


class _Dispatcher:
    messages: list = []
