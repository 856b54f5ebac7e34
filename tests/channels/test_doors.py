"""The loopback servers trust only the site (#16): the action server needs its token and a
loopback Host, the Rasa channel the site's secret; 64 kB bodies; bounded inflation;
deep JSON and lone surrogates are 4xx, never 500."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import requests

from tests.channels.test_action_server import authorized


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_action_server_needs_its_token(guarded_action_server):
    url = guarded_action_server.url
    call = {"next_action": "action_recommend", "tracker": {"sender_id": "a"}}
    for params in ({}, {"token": "wrong"}, {"token": ""}):
        assert requests.post(url + "/webhook", json=call, params=params).status_code == 401
        assert requests.get(url + "/actions", params=params, timeout=10).status_code == 401
    assert requests.get(authorized(guarded_action_server, "/actions"), timeout=10).ok
    assert requests.get(url + "/health", timeout=10).status_code == 200


def test_action_server_refuses_foreign_hosts(guarded_action_server):
    for host in ("evil.example", "evil.example:5055", "127.0.0.1.evil.example"):
        r = requests.get(
            authorized(guarded_action_server, "/actions"), headers={"Host": host}, timeout=10
        )
        assert r.status_code == 403, host
    ok = requests.get(
        authorized(guarded_action_server, "/actions"), headers={"Host": "localhost"}, timeout=10
    )
    assert ok.status_code == 200


def test_action_server_bodies_and_bombs(guarded_action_server):
    url = authorized(guarded_action_server, "/webhook")
    big = b'{"next_action": "x", "pad": "' + b"x" * (65 * 1024) + b'"}'
    r = requests.post(url, data=big, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413  # over 64 kB on the wire
    # deflated, the same body is small on the wire and inflates under the 1 MiB bound
    r = requests.post(
        url,
        data=zlib.compress(big),
        headers={"Content-Type": "application/json", "Content-Encoding": "deflate"},
        timeout=30,
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_action_call"
    before = _rss_mb(guarded_action_server.proc.pid)
    bomb = zlib.compress(b'{"pad": "' + b"0" * (60 * 1024 * 1024) + b'"}', 9)
    assert len(bomb) < 64 * 1024
    r = requests.post(
        url,
        data=bomb,
        headers={"Content-Type": "application/json", "Content-Encoding": "deflate"},
        timeout=60,
    )
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert _rss_mb(guarded_action_server.proc.pid) - before < 50  # was +330 MB before #16
    small = zlib.compress(
        json.dumps({"next_action": "nope", "tracker": {"sender_id": "a"}}).encode()
    )
    r = requests.post(url, data=small, headers={"Content-Encoding": "deflate"}, timeout=10)
    assert r.status_code == 404  # inflated once, then rasa_sdk ran it: unknown action


def test_action_server_deep_json_and_surrogates_are_400(guarded_action_server):
    url = authorized(guarded_action_server, "/webhook")
    deep = b"[" * 30_000 + b"]" * 30_000
    r = requests.post(url, data=deep, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 400
    surrogate = (
        b'{"next_action": "action_handoff", "tracker": {"sender_id": "a", "latest_message":'
        b' {"text": "\\ud800"}}}'
    )
    r = requests.post(url, data=surrogate, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "Unicode" in r.json()["error"]
    assert requests.get(guarded_action_server.url + "/health", timeout=10).ok


def test_action_server_serves_its_openapi_spec(guarded_action_server):
    spec = requests.get(guarded_action_server.url + "/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.") and {"/health", "/actions", "/webhook"} <= set(
        spec["paths"]
    )


def test_rasa_channel_needs_the_site_secret(rasa_server):
    body = {"sender": "door-check", "message": "hello"}
    assert requests.post(rasa_server.webhook, json=body, timeout=30).status_code == 401
    wrong = {"X-Kefu-Channel-Secret": "nope"}
    assert requests.post(rasa_server.webhook, json=body, headers=wrong).status_code == 401
    rest = rasa_server.url + "/webhooks/rest/webhook"
    assert requests.post(rest, json=body, timeout=30).status_code == 404  # no open channel
    foreign = {**rasa_server.channel_headers, "Host": "evil.example"}
    assert requests.post(rasa_server.webhook, json=body, headers=foreign).status_code == 403
    assert rasa_server.send("door-check", "hello")


def test_rasa_channel_refuses_bad_bodies_with_4xx(rasa_server):
    headers = {**rasa_server.channel_headers, "Content-Type": "application/json"}
    cases = [
        (b"[1]", 400),
        (b'{"sender": 1, "message": "x"}', 400),
        (b'{"sender": "a", "message": "\\ud800"}', 400),
        (b'{"sender": "a", "message": "x", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
        (b'{"sender": "a", "message": "' + b"x" * (70 * 1024) + b'"}', 413),
        (b"{", 400),
    ]
    for body, status in cases:
        r = requests.post(rasa_server.webhook, data=body, headers=headers, timeout=30)
        assert r.status_code == status, (body[:40], r.status_code)
    assert rasa_server.send("door-check-2", "hello")


def test_rasa_deflated_action_calls_pass_64_kb_and_plain_ones_do_not(
    api_rasa_server, guarded_action_server
):
    """An action call carries the whole tracker (and, for the order form's validator, the
    50 kB domain): past 64 kB after a few turns. Sent the way Rasa sends it (its own
    ``EndpointConfig.request``, aiohttp) with ``compress=True``, which
    ``COMPRESS_ACTION_SERVER_REQUEST`` turns on and :func:`kefu.bot.rasa_env` sets, the call
    passes the action server's 64 kB wire limit and the validator runs; sent plain, 413."""
    import asyncio
    import uuid

    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    from kefu.bot import rasa_env

    assert rasa_env(base={})["COMPRESS_ACTION_SERVER_REQUEST"] == "true"
    sender = f"long-{uuid.uuid4().hex}"
    params = {"token": api_rasa_server.token}
    domain = requests.get(
        f"{api_rasa_server.url}/domain",
        params=params,
        headers={"Accept": "application/json"},
        timeout=30,
    ).json()
    for turn in range(40):
        api_rasa_server.send(sender, ["推荐几款耳机", "hello", "有什么优惠吗"][turn % 3])
        tracker = requests.get(
            f"{api_rasa_server.url}/conversations/{sender}/tracker", params=params, timeout=30
        ).json()
        call = {
            "next_action": "validate_order_form",
            "sender_id": sender,
            "tracker": tracker,
            "domain": domain,
            "version": "3.6.21",
        }
        raw = len(json.dumps(call).encode())
        if raw > 80 * 1024:
            break
    deflated = len(zlib.compress(json.dumps(call).encode()))
    print({"turns": turn + 1, "call_bytes": raw, "deflated_bytes": deflated})
    assert raw > 80 * 1024 and deflated < 64 * 1024
    endpoint = EndpointConfig(
        f"{guarded_action_server.url}/webhook",
        token=guarded_action_server.env["KEFU_ACTION_TOKEN"],
    )
    answer = asyncio.run(endpoint.request(json=call, method="post", compress=True))
    assert isinstance(answer["events"], list) and isinstance(answer["responses"], list)
    try:
        asyncio.run(endpoint.request(json=call, method="post", compress=False))
    except ClientResponseError as exc:
        assert exc.status == 413
    else:
        raise AssertionError("a plain call over 64 kB was accepted")
