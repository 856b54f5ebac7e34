"""Sign-out signs out every copy of the cookie, on every door (#16): staff and customers,
pages, the console's API and the sockets; idle staff sessions end; the browser is told to
drop what the site stored (chat drafts)."""

from __future__ import annotations

import json
from datetime import datetime

import requests
import sqlalchemy as sa

from tests.web.live import browser, staff
from tests.web.test_doors import conversation_of, signed_in


def socket_answer(url: str, namespace: str, cookie: str) -> str:
    """The server's answer to a socket.io namespace connect with ``cookie`` (raw engine.io
    long-polling): ``40/ns,...`` is CONNECT, ``44/ns,...`` CONNECT_ERROR."""
    headers = {"Cookie": f"kefu_session={cookie}"}
    base = f"{url}/socket.io/?EIO=4&transport=polling"
    opened = requests.get(base, headers=headers, timeout=10).text
    sid = json.loads(opened[opened.index("{") :])["sid"]
    requests.post(f"{base}&sid={sid}", data=f"40{namespace},", headers=headers, timeout=10)
    return requests.get(f"{base}&sid={sid}", headers=headers, timeout=30).text


def me(url: str, cookie: str) -> int:
    return requests.get(
        f"{url}/agent/api/me", cookies={"kefu_session": cookie}, timeout=10
    ).status_code


def test_a_staff_cookie_saved_before_staff_logout_no_longer_works(offline_site):
    url = offline_site.url
    s = staff(url)
    saved = s.cookies["kefu_session"]
    assert me(url, saved) == 200
    assert socket_answer(url, "/agent", saved).startswith("40/agent,")
    r = s.post(f"{url}/staff/logout", allow_redirects=False, timeout=10)
    assert r.status_code == 303
    assert me(url, saved) == 401  # the copy is signed out too
    assert socket_answer(url, "/agent", saved).startswith("44/agent,")
    page = requests.get(
        f"{url}/agent", cookies={"kefu_session": saved}, allow_redirects=False, timeout=10
    )
    assert page.status_code in (302, 303) and "/staff/login" in page.headers["Location"]
    assert me(url, staff(url).cookies["kefu_session"]) == 200  # signing in again works


def test_an_idle_or_old_staff_session_is_signed_out(offline_site, site_env):
    url = offline_site.url
    cookie = staff(url).cookies["kefu_session"]
    assert me(url, cookie) == 200
    sid = conversation_of(cookie)["sid"]
    engine = sa.create_engine(site_env["KEFU_DATABASE_URL"])
    try:
        with engine.begin() as conn:  # as if 30 minutes passed without a request
            expires = conn.execute(
                sa.text("SELECT expires_at FROM site_sessions WHERE id = :s"), {"s": sid}
            ).scalar_one()
            assert expires is not None  # the staff session is held on the server
            conn.execute(
                sa.text("UPDATE site_sessions SET expires_at = :t WHERE id = :s"),
                {"t": datetime(2000, 1, 1), "s": sid},
            )
    finally:
        engine.dispose()
    assert me(url, cookie) == 401


def test_a_customer_cookie_saved_before_logout_cannot_join_the_chat(offline_site, site_env):
    url = offline_site.url
    s = signed_in(offline_site, site_env)
    saved = s.cookies["kefu_session"]
    assert socket_answer(url, "/widget", saved).startswith("40/widget,")
    r = s.post(f"{url}/logout", allow_redirects=False, timeout=10)
    assert r.status_code == 303
    # the live chat of the signed-in conversation is closed to the copy
    assert socket_answer(url, "/widget", saved).startswith("44/widget,")
    # the browser that signed out gets a fresh conversation it may join
    fresh = s.cookies["kefu_session"]
    assert fresh != saved and socket_answer(url, "/widget", fresh).startswith("40/widget,")


def test_sign_out_tells_the_browser_to_drop_what_the_site_stored(offline_site, site_env):
    s = signed_in(offline_site, site_env)
    r = s.post(f"{offline_site.url}/logout", allow_redirects=False, timeout=10)
    assert r.status_code == 303
    assert '"storage"' in r.headers.get("Clear-Site-Data", "")  # chat drafts included
    assert "Clear-Site-Data" not in browser().get(offline_site.url + "/", timeout=10).headers
