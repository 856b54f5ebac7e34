"""Staff accounts on the real site: sign-in, throttling, disabling, CSRF, who may use the API."""

from __future__ import annotations

import io

import pytest
import requests

from kefu.cli import main
from kefu.shop.queries import demo_accounts
from tests.support.site import DEMO_PASSWORD, STAFF_PASSWORD, start_site
from tests.web.live import ADMIN, staff
from tests.web.live import browser as new_browser


@pytest.fixture
def site_db(site_env, monkeypatch) -> str:
    """This process works on the site's database (the ``kefu staff`` commands)."""
    for key in ("KEFU_DATABASE_URL", "KEFU_VAR_DIR", "KEFU_TOKEN_SECRET"):
        monkeypatch.setenv(key, site_env[key])
    monkeypatch.delenv("KEFU_STAFF_PASSWORD", raising=False)
    return site_env["KEFU_DATABASE_URL"]


def _add(email: str, role: str, monkeypatch, password: str = "agent-pass-1") -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["staff", "add", email, "--name", email.split("@")[0], "--role", role]) in (0, 1)


def test_the_first_admin_signs_in_with_email_and_password(offline_site):
    s = staff(offline_site.url)
    me = s.get(f"{offline_site.url}/agent/api/me", timeout=10)
    assert me.status_code == 200 and me.json()["email"] == ADMIN and me.json()["role"] == "admin"
    assert me.headers["Cache-Control"] == "no-store"
    page = requests.get(f"{offline_site.url}/staff/login", timeout=10)
    assert page.headers["Cache-Control"] == "no-store" and 'name="email"' in page.text


def test_a_sign_in_gets_a_new_session(offline_site):
    browser = new_browser()
    browser.get(offline_site.url + "/", timeout=10)
    before = browser.cookies.get("kefu_session")
    browser.post(
        f"{offline_site.url}/staff/login",
        data={"email": ADMIN, "password": STAFF_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    after = browser.cookies.get("kefu_session")
    assert after != before
    # the cookie from before the sign-in is not a staff session
    stale = new_browser()
    stale.cookies.set("kefu_session", before)
    assert stale.get(f"{offline_site.url}/agent/api/me", timeout=10).status_code == 401


def test_a_disabled_account_is_signed_out_everywhere_and_refused(
    offline_site, site_db, monkeypatch
):
    _add("dora@example.org", "agent", monkeypatch)
    url = offline_site.url
    one, two = (
        staff(url, "dora@example.org", "agent-pass-1"),
        staff(url, "dora@example.org", "agent-pass-1"),
    )
    assert one.get(f"{url}/agent/api/me", timeout=10).status_code == 200
    # agents use the console but do not manage staff or canned replies
    assert one.get(f"{url}/agent/api/staff", timeout=10).status_code == 403
    r = one.post(
        f"{url}/agent/api/canned", json={"shortcut": "x", "text_zh": "好", "text_en": "ok"}
    )
    assert r.status_code == 403
    assert main(["staff", "disable", "dora@example.org"]) == 0
    for session in (one, two):
        assert session.get(f"{url}/agent/api/me", timeout=10).status_code == 401
        r = session.get(f"{url}/analytics", allow_redirects=False, timeout=10)
        assert r.status_code == 303
    again = new_browser().post(
        f"{url}/staff/login",
        data={"email": "dora@example.org", "password": "agent-pass-1"},
        allow_redirects=False,
        timeout=30,
    )
    assert again.status_code == 401


def test_wrong_passwords_are_throttled_per_account(site_env, site_db, monkeypatch, tmp_path):
    """10 failures per 15 minutes per account (ASVS), whatever the addresses they come
    from (a trusted proxy names a new client address for each attempt)."""
    _add("eve@example.org", "agent", monkeypatch, "right-pass-1")
    site = start_site(
        site_env,
        tmp_path / "throttle.log",
        KEFU_RASA_URL="http://127.0.0.1:9",
        KEFU_PROXIES_COUNT="1",
    )
    try:
        addresses = iter(range(1, 100))

        def attempt(password: str, email: str = "eve@example.org") -> int:
            return (
                new_browser()
                .post(
                    f"{site.url}/staff/login",
                    data={"email": email, "password": password},
                    headers={"X-Forwarded-For": f"198.51.100.{next(addresses)}"},
                    allow_redirects=False,
                    timeout=30,
                )
                .status_code
            )

        codes = [attempt(f"guess-{i}") for i in range(11)]
        assert codes == [401] * 10 + [429]
        assert attempt("right-pass-1") == 429  # blocked for a while, even with the password
        assert attempt(STAFF_PASSWORD, ADMIN) == 303  # other accounts are not
    finally:
        site.stop()


def test_guessers_cannot_lock_the_owner_out_of_a_browser_that_signed_in_before(
    site_env, site_db, monkeypatch, tmp_path
):
    """OWASP device cookies: the account's own browser keeps signing in while guessers
    from everywhere else have the account throttled; the device is throttled on its own."""
    _add("fay@example.org", "agent", monkeypatch, "right-pass-2")
    site = start_site(
        site_env,
        tmp_path / "device.log",
        KEFU_RASA_URL="http://127.0.0.1:9",
        KEFU_PROXIES_COUNT="1",
    )
    try:
        addresses = iter(range(1, 200))

        def attempt(browser, password: str, email: str = "fay@example.org") -> int:
            return browser.post(
                f"{site.url}/staff/login",
                data={"email": email, "password": password},
                headers={"X-Forwarded-For": f"203.0.113.{next(addresses)}"},
                allow_redirects=False,
                timeout=30,
            ).status_code

        owner = new_browser()
        assert attempt(owner, "right-pass-2") == 303  # signs in once: the browser is known
        assert owner.cookies.get("kefu_staff_device")
        codes = [attempt(new_browser(), f"guess-{i}") for i in range(11)]
        assert codes == [401] * 10 + [429]  # the guessers have the account throttled...
        assert attempt(new_browser(), "right-pass-2") == 429  # ...for every unknown browser
        assert attempt(owner, "right-pass-2") == 303  # but not for its owner's
        # a device cookie names one account: it does not lift another account's throttle
        _add("gil@example.org", "agent", monkeypatch, "right-pass-3")
        for i in range(10):
            assert attempt(new_browser(), f"guess-{i}", "gil@example.org") == 401
        assert attempt(owner, "right-pass-3", "gil@example.org") == 429
        # and a stolen device cookie is throttled like an account
        thief = new_browser()
        thief.cookies.set("kefu_staff_device", owner.cookies.get("kefu_staff_device"))
        codes = [attempt(thief, f"guess-{i}") for i in range(11)]
        assert codes == [401] * 10 + [429]
    finally:
        site.stop()


def test_cross_site_and_non_json_posts_are_refused(offline_site):
    url = offline_site.url
    s = staff(url)
    evil = s.post(
        f"{url}/agent/api/duty", json={"on_duty": True}, headers={"Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    form = s.post(f"{url}/agent/api/duty", data={"on_duty": "true"}, timeout=10)
    assert form.status_code == 415
    login = new_browser().post(
        f"{url}/staff/login",
        data={"email": ADMIN, "password": STAFF_PASSWORD},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 403
    assert s.get(f"{url}/agent/api/me", timeout=10).json()["on_duty"] is False


def test_the_console_api_refuses_anonymous_visitors_and_customers(offline_site, site_env):
    url = offline_site.url
    for path in ("/me", "/conversations?view=pending", "/overview", "/canned", "/staff"):
        assert requests.get(f"{url}/agent/api{path}", timeout=10).status_code == 401
    account = demo_accounts(1, url=site_env["KEFU_DATABASE_URL"])[0]
    buyer = new_browser()
    buyer.post(f"{url}/login", data={"email": account.email, "password": DEMO_PASSWORD}, timeout=10)
    assert buyer.get(f"{url}/agent/api/me", timeout=10).status_code == 403
    r = buyer.post(f"{url}/agent/api/conversations/1/resolve", json={}, timeout=10)
    assert r.status_code == 403
    anon = new_browser().post(
        f"{url}/agent/api/conversations/1/messages", json={"text": "hi"}, timeout=10
    )
    assert anon.status_code == 401


def test_ticket_ids_past_the_databases_integers_are_404_not_500(offline_site):
    """Found by schemathesis (#16): SQLite overflowed on ids past 2**63 - 1."""
    s = staff(offline_site.url)
    for ticket in (2**63, -(2**63) - 1, 0, -5, 10**30):
        r = s.get(f"{offline_site.url}/agent/api/conversations/{ticket}", timeout=10)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (ticket, r.text)
        r = s.post(f"{offline_site.url}/agent/api/conversations/{ticket}/claim", json={})
        assert r.status_code == 404, (ticket, r.text)
