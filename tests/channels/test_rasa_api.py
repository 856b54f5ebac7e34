"""Rasa's HTTP API is only reachable with its token, and only on loopback."""

from __future__ import annotations

import socket

import pytest
import requests


def non_loopback_address() -> str | None:
    """An address of this machine other than 127.x, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.254.254.254", 1))  # no packet is sent for UDP connect
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/status"),
        ("GET", "/domain"),
        ("GET", "/conversations/someone/tracker"),
        ("POST", "/conversations/someone/messages"),
        ("POST", "/conversations/someone/tracker/events"),
        ("POST", "/model/train"),
        ("PUT", "/model"),
    ],
)
def test_api_refuses_requests_without_the_token(api_rasa_server, method, path):
    url = api_rasa_server.url + path
    body = {"text": "hi", "sender": "user"} if method != "GET" else None
    assert requests.request(method, url, json=body, timeout=10).status_code == 401
    wrong = requests.request(method, url, params={"token": "wrong"}, json=body, timeout=10)
    assert wrong.status_code == 401


def test_api_answers_with_the_token(api_rasa_server):
    r = requests.get(
        api_rasa_server.url + "/status", params={"token": api_rasa_server.token}, timeout=10
    )
    assert r.status_code == 200 and r.json()["model_file"]


def test_rasa_listens_on_loopback_only(api_rasa_server):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with socket.socket() as sock:
        sock.settimeout(3)
        assert sock.connect_ex((address, api_rasa_server.port)) != 0


def test_browsers_cannot_call_rasa_from_another_origin(api_rasa_server):
    """No CORS on Rasa: only the site (server side) talks to it."""
    r = requests.post(
        api_rasa_server.webhook,
        json={"sender": "cors-check", "message": "hi"},
        headers={"Origin": "http://evil.example"},
        timeout=60,
    )
    assert "Access-Control-Allow-Origin" not in r.headers
    preflight = requests.options(
        api_rasa_server.webhook,
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
