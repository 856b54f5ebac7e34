"""The action server killed (``kill -9``) after it committed a cancellation but before its
answer reached Rasa: the repeat of the call (Rasa's resend, or the customer saying yes
again) changes nothing and answers the same, so the refund happens exactly once.

Real action server process, real shop database; the answer is held back by a TCP proxy,
so the kill lands between the commit and the answer, not by luck of timing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.reliability.proxy import TcpProxy
from tests.support.servers import ShopCase, action_server_process, http_json

pytestmark = [pytest.mark.integration]


def _scalar(url: str, sql: str, order_id: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), {"o": order_id}).scalar_one()
    finally:
        engine.dispose()


def _refunds(url: str, order_id: str) -> int:
    return int(_scalar(url, "SELECT count(*) FROM refunds WHERE order_id = :o", order_id))


def _status(url: str, order_id: str) -> str:
    return str(_scalar(url, "SELECT status FROM orders WHERE id = :o", order_id))


def _confirm_call(case: ShopCase, token: str, message_id: str) -> dict[str, Any]:
    """Rasa's call of the action that runs a confirmed cancellation ("yes")."""
    metadata = {"customer_token": token}
    user = {
        "event": "user",
        "text": "yes",
        "message_id": message_id,
        "metadata": metadata,
        "parse_data": {"intent": {"name": "affirm", "confidence": 0.99}, "entities": []},
        "timestamp": 1.0,
    }
    return {
        "next_action": "action_handle_affirm",
        "sender_id": "killed-after-commit",
        "tracker": {
            "sender_id": "killed-after-commit",
            "slots": {
                "pending_confirmation": f"cancel:{case.order_id}",
                "language": "en",
                "lookup_failures": 0,
                "resolved": False,
            },
            "latest_message": {
                "text": "yes",
                "message_id": message_id,
                "intent": {"name": "affirm", "confidence": 0.99},
                "entities": [],
                "metadata": metadata,
            },
            "events": [user],
            "paused": False,
            "active_loop": {},
        },
        "domain": {},
    }


def _responses(reply: dict[str, Any]) -> list[str]:
    return [r.get("response") for r in reply["responses"]]


def test_a_kill_between_the_commit_and_the_answer_refunds_once(
    bot_env: dict[str, str], new_paid_order: ShopCase, tmp_path: Path
):
    from kefu.identity import issue_token

    case = new_paid_order
    shop_url = bot_env["KEFU_DATABASE_URL"]
    assert _status(shop_url, case.order_id) == "paid" and _refunds(shop_url, case.order_id) == 0
    token = issue_token(case.customer_id, 600, secret=bot_env["KEFU_TOKEN_SECRET"].encode())
    server = action_server_process(
        bot_env, tmp_path / "actions.log", "action server (killed after commit)"
    )
    proxy = TcpProxy(server.port).start()
    webhook = f"/webhook?token={bot_env['KEFU_ACTION_TOKEN']}"
    call = _confirm_call(case, token, "m-kill-1")
    server.start()
    try:
        proxy.hold = True  # the action runs; its answer never comes back
        outcome: dict[str, Any] = {}

        def first_call() -> None:
            try:
                outcome["reply"] = http_json(f"http://127.0.0.1:{proxy.port}{webhook}", call, 60)
            except Exception as exc:  # noqa: BLE001 - the broken call is what Rasa sees
                outcome["error"] = exc

        worker = threading.Thread(target=first_call)
        worker.start()
        deadline = time.monotonic() + 60
        while _status(shop_url, case.order_id) != "cancelled":  # committed...
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)
        assert server.proc is not None
        os.killpg(os.getpgid(server.proc.pid), signal.SIGKILL)  # ...then killed
        server.proc.wait(timeout=10)
        server.proc = None
        proxy.stop()  # the held connection breaks, as Rasa's would
        worker.join(30)
        assert "reply" not in outcome, outcome  # the caller never got an answer
        assert _refunds(shop_url, case.order_id) == 1

        server.start()  # back on the same port
        again = http_json(f"{server.url}{webhook}", call, 60)  # the resend: same message id
        assert _responses(again) == ["utter_cancel_done"], again
        assert _refunds(shop_url, case.order_id) == 1
        later = http_json(f"{server.url}{webhook}", _confirm_call(case, token, "m-kill-2"), 60)
        assert _responses(later) == ["utter_cannot_cancel_cancelled"], later
        assert _refunds(shop_url, case.order_id) == 1
        assert _status(shop_url, case.order_id) == "cancelled"
    finally:
        proxy.stop()
        server.stop()
