"""The site over HTTP, as a browser or a hostile client uses it (real server, real DB)."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tests.support.site import DEMO_PASSWORD, STAFF_PASSWORD, slow_bot_site, start_site

WEB = Path(__file__).resolve().parents[2] / "web"


def browser() -> requests.Session:
    """A client that sends what browsers send with every POST (``Sec-Fetch-Site``): the
    site refuses unsafe requests that carry neither that nor ``Origin`` (CSRF)."""
    s = requests.Session()
    s.headers["Sec-Fetch-Site"] = "same-origin"
    return s


def customer_emails(site_env) -> list[tuple[str, str]]:
    engine = create_engine(site_env["KEFU_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, email FROM customers ORDER BY id LIMIT 2")).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def login(site, email: str, password: str = DEMO_PASSWORD) -> requests.Session:
    s = browser()
    s.post(f"{site.url}/login", data={"email": email, "password": password}, timeout=10)
    return s


def test_product_list_filter_search_and_pages(offline_site):
    r = requests.get(offline_site.url + "/", headers={"Accept-Language": "en"}, timeout=10)
    assert r.status_code == 200
    assert r.text.count('class="product-card"') == 24
    # every product type has its own picture (web/static/img/products/<type>.svg)
    assert len(set(re.findall(r'src="/static/img/products/([a-z-]+)\.svg"', r.text))) >= 3
    books = requests.get(offline_site.url + "/?category=books", timeout=10).text
    cards = re.findall(r'<li class="product-card" data-product-id="(P\d+)"', books)
    book_types = {"novel", "picture-book", "dictionary", "history-book", "programming-guide"}
    pictures = set(re.findall(r'src="/static/img/products/([a-z-]+)\.svg"', books))
    assert cards and pictures and pictures <= book_types
    # unknown category, junk page numbers and a hostile query are handled, query escaped
    for query in ("?category=nope", "?page=abc", "?page=-3", "?page=99999999", "?q=%25_%5C"):
        assert requests.get(offline_site.url + "/" + query, timeout=10).status_code == 200
    hostile = requests.get(offline_site.url + "/?q=<script>alert(1)</script>", timeout=10)
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text


def test_product_page_and_not_found(offline_site):
    assert requests.get(offline_site.url + "/products/P0001", timeout=10).status_code == 200
    assert requests.get(offline_site.url + "/products/NOPE", timeout=10).status_code == 404
    r = requests.get(offline_site.url + "/products/" + "x" * 500, timeout=10)
    assert r.status_code == 404


def test_security_headers_and_cookie_flags(offline_site):
    r = requests.get(offline_site.url + "/", timeout=10)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


def test_login_shows_demo_accounts_and_signs_in(offline_site, site_env):
    page = requests.get(offline_site.url + "/login", timeout=10).text
    assert DEMO_PASSWORD in page
    assert len(re.findall(r'class="demo-email"', page)) >= 2
    (cid, email), _ = customer_emails(site_env)
    guesser = browser()
    bad = guesser.post(
        offline_site.url + "/login",
        data={"email": email, "password": "wrong"},
        allow_redirects=False,
        timeout=10,
    )
    assert bad.status_code == 401
    assert 'data-customer="' not in guesser.get(offline_site.url + "/", timeout=10).text
    unknown = browser().post(
        offline_site.url + "/login",
        data={"email": "nobody@example.com", "password": DEMO_PASSWORD},
        timeout=10,
    )
    assert unknown.status_code == 401
    s = browser()
    ok = s.post(
        offline_site.url + "/login",
        data={"email": email.upper(), "password": DEMO_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert ok.status_code == 303
    assert f'data-customer="{cid}"' in s.get(offline_site.url + "/", timeout=10).text
    s.post(offline_site.url + "/logout", timeout=10)
    assert 'data-customer="' not in s.get(offline_site.url + "/", timeout=10).text


def test_malformed_login_posts_are_rejected_cleanly(offline_site):
    for body in ({}, {"email": "a" * 5000, "password": "x"}, {"password": "x" * 10_000}):
        r = browser().post(offline_site.url + "/login", data=body, timeout=10)
        assert r.status_code in (400, 401, 413, 429), r.status_code
    huge = browser().post(offline_site.url + "/login", data={"email": "x" * 200_000}, timeout=10)
    assert huge.status_code == 413


def test_cross_site_posts_are_refused(offline_site, site_env):
    (_, email), _ = customer_emails(site_env)
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        r = browser().post(
            offline_site.url + "/login",
            data={"email": email, "password": DEMO_PASSWORD},
            headers=headers,
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 403, headers
        chat = browser().post(
            offline_site.url + "/chat/message", json={"message": "hi"}, headers=headers, timeout=10
        )
        assert chat.status_code == 403


def test_language_toggle_redirects_only_inside_the_site(offline_site):
    s = browser()
    r = s.get(offline_site.url + "/lang/en?next=/products/P0001", allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].endswith("/products/P0001")
    assert '<html lang="en">' in s.get(offline_site.url + "/", timeout=10).text
    for target in ("//evil.example", "https://evil.example", "/\\evil.example", "javascript:x"):
        r = s.get(
            offline_site.url + "/lang/zh",
            params={"next": target},
            allow_redirects=False,
            timeout=10,
        )
        assert r.headers["Location"] in ("/", offline_site.url + "/"), target
    assert s.get(offline_site.url + "/lang/fr", timeout=10).status_code == 404


def test_chat_api_validates_input(offline_site):
    url = offline_site.url + "/chat/message"
    assert browser().post(url, data="message=hi", timeout=10).status_code == 415
    for body in (
        '{"message": ""}',
        '{"message": "   "}',
        "[1]",
        '{"text": "hi"}',
        "{",
        '{"message": 3}',
    ):
        r = browser().post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert r.status_code == 400, body
        assert r.json()["error"]
    long = browser().post(url, json={"message": "长" * 2001}, timeout=10)
    assert long.status_code == 400 and long.json()["code"] == "too_long"


def test_chat_says_when_the_bot_is_unreachable(offline_site):
    r = browser().post(offline_site.url + "/chat/message", json={"message": "你好"}, timeout=10)
    assert r.status_code == 503 and r.json()["code"] == "unreachable"
    assert r.headers["Cache-Control"] == "no-store"


def test_restart_gives_a_new_conversation(offline_site):
    s = browser()
    s.get(offline_site.url + "/", timeout=10)
    before = s.cookies["kefu_session"]
    assert s.post(offline_site.url + "/chat/restart", json={}, timeout=10).status_code == 200
    assert s.cookies["kefu_session"] != before


def test_slow_bot_times_out_with_a_clear_error(site_env, tmp_path):
    with slow_bot_site(site_env, tmp_path / "slow.log") as site:
        r = browser().post(site.url + "/chat/message", json={"message": "hello"}, timeout=20)
        assert r.status_code == 504 and r.json()["code"] == "timeout"


def test_analytics_is_for_staff_only(offline_site):
    anon = browser()
    r = anon.get(offline_site.url + "/analytics", allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/login")
    r = anon.get(
        offline_site.url + "/analytics/texts/report.html", allow_redirects=False, timeout=10
    )
    assert r.status_code == 303
    wrong = anon.post(offline_site.url + "/staff/login", data={"password": "nope"}, timeout=10)
    assert wrong.status_code == 401
    staff = browser()
    staff.post(offline_site.url + "/staff/login", data={"password": STAFF_PASSWORD}, timeout=10)
    listing = staff.get(offline_site.url + "/analytics", timeout=10)
    assert listing.status_code == 200
    assert "Report on texts" in listing.text and "Report on conversations" in listing.text
    report = staff.get(offline_site.url + "/analytics/texts/report.html", timeout=10)
    assert report.status_code == 200 and "texts report" in report.text
    assert report.headers["Content-Security-Policy"].startswith("sandbox")
    summary = staff.get(offline_site.url + "/analytics/texts/summary.json", timeout=10)
    assert summary.json()["kind"] == "texts"
    for path in (
        "/analytics/../secret.txt",
        "/analytics/texts/..%2F..%2Fsecret.txt",
        "/analytics/..%2F/secret.txt",
        "/analytics/%2e%2e/secret.txt",
        "/analytics/texts/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/analytics/texts/missing.html",
        "/static/../secret.txt",
        "/static/%2e%2e/%2e%2e/kefu/settings.py",
    ):
        r = staff.get(offline_site.url + path, timeout=10)
        assert r.status_code in (400, 404), path
        assert "do not serve" not in r.text
    staff.post(offline_site.url + "/staff/logout", timeout=10)
    r = staff.get(offline_site.url + "/analytics", allow_redirects=False, timeout=10)
    assert r.status_code == 303


def test_staff_password_guessing_is_throttled(site_env, tmp_path):
    site = start_site(site_env, tmp_path / "throttle.log", KEFU_RASA_URL="http://127.0.0.1:9")
    try:
        codes = [
            browser()
            .post(site.url + "/staff/login", data={"password": f"guess{i}"}, timeout=10)
            .status_code
            for i in range(7)
        ]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        right = browser().post(
            site.url + "/staff/login", data={"password": STAFF_PASSWORD}, timeout=10
        )
        assert right.status_code == 429  # still blocked: the window has not passed
    finally:
        site.stop()


def test_everything_is_served_by_the_site_itself():
    """No CDN: no template, style or script loads anything from another host."""
    pattern = re.compile(r"""(src|href)\s*=\s*["'](https?:)?//|url\(\s*["']?(https?:)?//|@import""")
    files = [
        *WEB.glob("templates/*.html"),
        *WEB.glob("static/**/*.css"),
        *WEB.glob("static/**/*.js"),
    ]
    assert files
    for path in files:
        assert not pattern.search(path.read_text(encoding="utf-8")), path
    for category in "electronics appliances clothing shoes beauty food books sports home baby pets kitchen".split():
        assert (WEB / "static" / "img" / f"{category}.svg").is_file()
    assert len(list((WEB / "static" / "img" / "products").glob("*.svg"))) >= 60


def test_static_assets_are_served(offline_site):
    for path in (
        "/static/widget/kefu-widget.js",
        "/static/widget/kefu-widget-live.js",
        "/static/widget/kefu-widget.css",
        "/static/img/food.svg",
    ):
        assert requests.get(offline_site.url + path, timeout=10).status_code == 200, path
