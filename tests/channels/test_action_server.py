"""The action server API (``python -m actions.server``, rasa_sdk): its contract.

Action calls are built from real trackers: conversations held with the real Rasa server,
read back through its API, with the domain it serves.
"""

from __future__ import annotations

import json
import time
import uuid
import zlib
from importlib.metadata import version

import pytest
import requests

from kefu.identity import issue_token


def api_get(server, path: str) -> object:
    r = requests.get(
        server.url + path,
        params={"token": server.token},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()


def first_customer_with_orders(bot_env) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(bot_env["KEFU_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT customer_id, id FROM orders WHERE status = 'shipped' ORDER BY id LIMIT 1")
        ).first()
    engine.dispose()
    return row[0], row[1]


@pytest.fixture(scope="module")
def real_calls(api_rasa_server, bot_env):
    """Trackers of a Chinese visitor and an English signed-in customer, and the domain."""
    customer, order = first_customer_with_orders(bot_env)
    token = issue_token(customer, 600, secret=bot_env["KEFU_TOKEN_SECRET"].encode())
    visitor, signed_in = f"zh-{uuid.uuid4().hex}", f"en-{uuid.uuid4().hex}"
    for text in ("你好", "推荐几款商品"):
        api_rasa_server.send(visitor, text)
    for text in ("hello", f"where is my order {order}?"):
        api_rasa_server.send(signed_in, text, {"customer_token": token})
    trackers = {
        "zh": api_get(api_rasa_server, f"/conversations/{visitor}/tracker"),
        "en": api_get(api_rasa_server, f"/conversations/{signed_in}/tracker"),
    }
    return {"trackers": trackers, "domain": api_get(api_rasa_server, "/domain"), "order": order}


def authorized(server, path: str) -> str:
    """URL of ``path`` with the action token, as the Rasa server calls it."""
    return f"{server.url}{path}?token={server.env['KEFU_ACTION_TOKEN']}"


def call(action: str, tracker: dict, domain: dict) -> dict:
    return {
        "next_action": action,
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": domain,
        "version": version("rasa"),
    }


def test_health(guarded_action_server):
    r = requests.get(guarded_action_server.url + "/health", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_actions_lists_every_custom_action_of_the_domain(guarded_action_server, real_calls):
    names = {
        a["name"]
        for a in requests.get(authorized(guarded_action_server, "/actions"), timeout=10).json()
    }
    domain_actions = {
        a for a in real_calls["domain"]["actions"] if a.startswith(("action_", "validate_"))
    }
    assert domain_actions <= names, domain_actions - names


def test_every_custom_action_runs_on_real_trackers(guarded_action_server, real_calls):
    names = [
        a["name"]
        for a in requests.get(authorized(guarded_action_server, "/actions"), timeout=10).json()
    ]
    assert names
    for name in names:
        for lang, tracker in real_calls["trackers"].items():
            r = requests.post(
                authorized(guarded_action_server, "/webhook"),
                json=call(name, tracker, real_calls["domain"]),
                timeout=60,
            )
            assert r.status_code in (200, 400), (name, lang, r.status_code, r.text[:300])
            body = r.json()
            if r.status_code == 400:  # a form validation may reject: it says so in JSON
                assert body.get("error") and body.get("action_name") == name, (name, body)
                continue
            assert isinstance(body["events"], list) and isinstance(body["responses"], list)
            assert all(isinstance(e, dict) and e.get("event") for e in body["events"]), name
            assert all(isinstance(m, dict) for m in body["responses"]), name


def test_session_start_and_recommendations_return_what_rasa_needs(
    guarded_action_server, real_calls
):
    domain, zh = real_calls["domain"], real_calls["trackers"]["zh"]
    start = requests.post(
        authorized(guarded_action_server, "/webhook"),
        json=call("action_session_start", zh, domain),
        timeout=60,
    ).json()
    kinds = [e["event"] for e in start["events"]]
    assert kinds[0] == "session_started" and kinds[-1] == "action"
    recommend = requests.post(
        authorized(guarded_action_server, "/webhook"),
        json=call("action_recommend", zh, domain),
        timeout=60,
    ).json()
    cards = [m["custom"]["products"] for m in recommend["responses"] if m.get("custom")]
    assert cards and cards[0], recommend["responses"]
    for card in cards[0]:
        assert {"id", "name", "price", "image", "url", "reason"} <= set(card)
        assert card["image"].startswith("/static/img/") and card["url"].startswith("/products/")


MALFORMED = [
    ("not json", b"{", {}),
    ("a list", b"[1, 2]", {}),
    ("a string", b'"run"', {}),
    ("null", b"null", {}),
    ("empty object", b"{}", {}),
    ("empty body", b"", {}),
    ("no tracker", json.dumps({"next_action": "action_recommend"}).encode(), {}),
    (
        "tracker not an object",
        json.dumps({"next_action": "action_recommend", "tracker": "x"}).encode(),
        {},
    ),
    ("no sender_id", json.dumps({"next_action": "action_recommend", "tracker": {}}).encode(), {}),
    (
        "events not a list",
        json.dumps(
            {"next_action": "action_recommend", "tracker": {"sender_id": "a", "events": 3}}
        ).encode(),
        {},
    ),
    (
        "slots not an object",
        json.dumps(
            {"next_action": "action_recommend", "tracker": {"sender_id": "a", "slots": []}}
        ).encode(),
        {},
    ),
    (
        "domain not an object",
        json.dumps(
            {"next_action": "action_recommend", "tracker": {"sender_id": "a"}, "domain": 1}
        ).encode(),
        {},
    ),
    ("bad deflate", b"\x78\x9c garbage", {"Content-Encoding": "deflate"}),
    ("deflated list", zlib.compress(b"[1]"), {"Content-Encoding": "deflate"}),
]


@pytest.mark.parametrize("label, body, headers", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_action_calls_get_a_clear_4xx(guarded_action_server, label, body, headers):
    r = requests.post(
        authorized(guarded_action_server, "/webhook"),
        data=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=10,
    )
    assert 400 <= r.status_code < 500, (label, r.status_code, r.text[:200])
    assert r.json()["error"]


def test_unknown_action_is_a_404_with_json(guarded_action_server):
    r = requests.post(
        authorized(guarded_action_server, "/webhook"),
        json={"next_action": "action_does_not_exist", "tracker": {"sender_id": "a"}},
        timeout=10,
    )
    assert r.status_code == 404 and "action_does_not_exist" in r.json()["error"]


def test_huge_wrong_body_gets_a_4xx_without_hanging(guarded_action_server):
    started = time.monotonic()
    r = requests.post(
        authorized(guarded_action_server, "/webhook"),
        data=b'{"tracker": {"sender_id": "a"}, "pad": "' + b"x" * (8 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413 and r.json()["error"]  # over 64 kB: refused unread (#16)
    assert time.monotonic() - started < 30
