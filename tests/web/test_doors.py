"""The site's doors (#16): CSRF, static paths, revocable sign-out, a new conversation at
sign-in, the chat rate limit, Secure cookies behind a proxy (real site, real database)."""

from __future__ import annotations

import base64
import json

import requests

from tests.support.site import DEMO_PASSWORD, start_site
from tests.web.test_site import browser, customer_emails


def conversation_of(cookie: str) -> dict:
    """The (signed, readable) body of a session cookie."""
    body = cookie.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def signed_in(site, site_env) -> requests.Session:
    (_, email), _ = customer_emails(site_env)
    s = browser()
    s.get(site.url + "/", timeout=10)
    r = s.post(
        site.url + "/login",
        data={"email": email, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 303
    return s


def test_posts_without_origin_or_fetch_metadata_are_refused(offline_site, site_env):
    (_, email), _ = customer_emails(site_env)
    bare = requests.post(
        offline_site.url + "/login",
        data={"email": email, "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert bare.status_code == 403
    chat = requests.post(offline_site.url + "/chat/message", json={"message": "hi"}, timeout=10)
    assert chat.status_code == 403
    same = requests.post(
        offline_site.url + "/chat/restart", json={}, headers={"Origin": offline_site.url}
    )
    assert same.status_code == 200


def test_static_directories_and_nul_are_not_found(offline_site):
    for path in ("/static/", "/static/css/", "/static/%00", "/static/css/site.css%00.txt"):
        r = requests.get(offline_site.url + path, timeout=10)
        assert r.status_code == 404, path


def test_a_cookie_saved_before_logout_no_longer_signs_in(offline_site, site_env):
    s = signed_in(offline_site, site_env)
    assert 'data-customer="' in s.get(offline_site.url + "/", timeout=10).text
    saved = s.cookies["kefu_session"]
    s.post(offline_site.url + "/logout", timeout=10)
    thief = requests.get(offline_site.url + "/", cookies={"kefu_session": saved}, timeout=10)
    assert thief.status_code == 200 and 'data-customer="' not in thief.text


def test_sign_in_and_sign_out_start_new_conversations(offline_site, site_env):
    (_, email), _ = customer_emails(site_env)
    s = browser()
    s.get(offline_site.url + "/", timeout=10)
    before = s.cookies["kefu_session"]
    s.post(offline_site.url + "/login", data={"email": email, "password": DEMO_PASSWORD})
    during = s.cookies["kefu_session"]
    s.post(offline_site.url + "/logout", timeout=10)
    after = s.cookies["kefu_session"]
    ids = [conversation_of(c)["conversation_id"] for c in (before, during, after)]
    assert len(set(ids)) == 3
    sids = [conversation_of(c)["sid"] for c in (before, during, after)]
    assert len(set(sids)) == 3
    # the cookie taken before sign-in still names the old, anonymous conversation only
    old = requests.get(offline_site.url + "/", cookies={"kefu_session": before}, timeout=10)
    assert 'data-customer="' not in old.text


def test_chat_messages_are_rate_limited_per_session_and_address(site_env, tmp_path):
    site = start_site(site_env, tmp_path / "rate.log", KEFU_CHAT_RATE="3")
    try:
        first = browser()
        codes = [
            first.post(site.url + "/chat/message", json={"message": "hi"}, timeout=10).status_code
            for _ in range(4)
        ]
        assert codes[:3] != [429] * 3 and codes[3] == 429
        limited = first.post(site.url + "/chat/message", json={"message": "hi"}, timeout=10)
        assert limited.json()["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        # a new session (cookies dropped) from the same address: the address limit (4x)
        statuses = []
        for _ in range(12):
            r = browser().post(site.url + "/chat/message", json={"message": "hi"}, timeout=10)
            statuses.append(r.status_code)
        assert statuses.count(429) >= 3 and statuses[-1] == 429
    finally:
        site.stop()


def test_cookies_are_secure_behind_a_trusted_https_proxy(site_env, tmp_path):
    proxied = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    site = start_site(site_env, tmp_path / "proxy.log", KEFU_PROXIES_COUNT="1")
    try:
        r = requests.get(site.url + "/", headers=proxied, timeout=10)
        assert "Secure" in r.headers["Set-Cookie"]
        plain = requests.get(site.url + "/", timeout=10)
        assert "Secure" not in plain.headers["Set-Cookie"]
    finally:
        site.stop()


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(offline_site):
    proxied = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    r = requests.get(offline_site.url + "/", headers=proxied, timeout=10)
    assert "Secure" not in r.headers["Set-Cookie"]


def test_a_lone_surrogate_is_a_clear_400(offline_site):
    r = browser().post(
        offline_site.url + "/chat/message",
        data=b'{"message": "hi \\ud800"}',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_body"


def test_bodies_over_64_kb_get_413_and_smaller_ones_are_read(offline_site):
    def post(size: int) -> requests.Response:
        pad = "x" * (size - len('{"message": "", "pad": ""}'))
        body = ('{"message": "", "pad": "' + pad + '"}').encode()
        assert len(body) == size
        return browser().post(
            offline_site.url + "/chat/message",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )

    assert post(64 * 1024 + 1).status_code == 413
    small = post(60 * 1024)
    assert small.status_code == 400 and small.json()["code"] != "too_large"  # read, refused
