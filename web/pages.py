"""The shop's pages: product list, product page, customer sign-in, language toggle."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, redirect

from kefu.shop import queries as shop
from kefu.shop.demo import category_labels
from web.credentials import demo_password, password_matches
from web.i18n import LANGUAGES, texts
from web.layout import local_path, page, run_sync, session_of
from web.session import MAX_AGE as SESSION_MAX_AGE
from web.templating import Markup, join, render

MAX_PAGE = 10_000


def _labels() -> dict[str, dict[str, str]]:
    try:
        return category_labels()
    except (OSError, ValueError, KeyError):
        return {}


def _price(value: object) -> str:
    return f"{value:.2f}"


def _listing_url(category: str | None, query: str | None, page_no: int = 1) -> str:
    params = {k: v for k, v in (("category", category), ("q", query)) if v}
    if page_no > 1:
        params["page"] = str(page_no)
    return "/" + (f"?{urlencode(params)}" if params else "")


def blueprint() -> Blueprint:
    """The shop pages' routes."""
    bp = Blueprint("shop_pages")

    @bp.get("/")
    async def index(request: Request) -> HTTPResponse:
        session = session_of(request)
        t = texts(session.lang)
        url = request.app.ctx.config.database_url
        cats = await run_sync(shop.category_counts, url=url)
        known = {c for c, _ in cats}
        category = request.args.get("category") or None
        if category not in known:
            category = None
        query = (request.args.get("q") or "").strip()[: shop.MAX_QUERY_CHARS] or None
        try:
            page_no = min(max(int(request.args.get("page", "1")), 1), MAX_PAGE)
        except ValueError:
            page_no = 1
        products, total = await run_sync(
            shop.list_products, category=category, query=query, page=page_no, url=url
        )
        labels = _labels()
        links = [
            render(
                "category_link.html",
                href=_listing_url(None, query),
                active=" active" if category is None else "",
                label=t["all_categories"],
                count=sum(n for _, n in cats),
            )
        ]
        for key, count in cats:
            links.append(
                render(
                    "category_link.html",
                    href=_listing_url(key, query),
                    active=" active" if key == category else "",
                    label=labels.get(key, {}).get(session.lang, key),
                    count=count,
                )
            )
        cards = [
            render(
                "product_card.html",
                id=p.id,
                image=p.image or "/static/img/logo.svg",
                name=p.name(session.lang),
                brand=p.brand,
                price=_price(p.price),
                stock_class="in" if p.stock > 0 else "out",
                stock_label=t["in_stock"] if p.stock > 0 else t["out_of_stock"],
            )
            for p in products
        ] or [render("empty.html", text=t["no_results"])]
        pages = max(1, math.ceil(total / shop.PER_PAGE))
        prev_link = (
            render(
                "pager_link.html",
                href=_listing_url(category, query, page_no - 1),
                rel="prev",
                label=t["prev"],
            )
            if page_no > 1
            else Markup("")
        )
        next_link = (
            render(
                "pager_link.html",
                href=_listing_url(category, query, page_no + 1),
                rel="next",
                label=t["next"],
            )
            if page_no < pages
            else Markup("")
        )
        content = render(
            "index.html",
            category=t["category"],
            category_links=join(links),
            category_field=render("hidden_field.html", name="category", value=category)
            if category
            else Markup(""),
            query=query or "",
            search_placeholder=t["search_placeholder"],
            search=t["search"],
            results=t["results"].format(total=total),
            products=join(cards),
            pager=render(
                "pager.html",
                prev=prev_link,
                next=next_link,
                label=t["page"].format(page=page_no, pages=pages),
            ),
        )
        return await page(request, t["nav_products"], content)

    @bp.get("/products/<product_id:str>")
    async def product(request: Request, product_id: str) -> HTTPResponse:
        session = session_of(request)
        t = texts(session.lang)
        if len(product_id) > 64:
            raise NotFound("no such product")
        url = request.app.ctx.config.database_url
        p = await run_sync(shop.get_product, product_id, url=url)
        if p is None:
            raise NotFound("no such product")
        labels = _labels()
        content = render(
            "product.html",
            id=p.id,
            image=p.image or "/static/img/logo.svg",
            name=p.name(session.lang),
            price=_price(p.price),
            brand_label=t["brand"],
            brand=p.brand,
            category_label=t["category"],
            category=labels.get(p.category, {}).get(session.lang, p.category),
            stock_label=t["stock"],
            stock=p.stock if p.stock > 0 else t["out_of_stock"],
            description=p.description(session.lang),
            back=t["back_to_list"],
        )
        return await page(request, p.name(session.lang), content)

    @bp.get("/lang/<code:str>")
    async def switch_language(request: Request, code: str) -> HTTPResponse:
        if code not in LANGUAGES:
            raise NotFound("unsupported language")
        session = session_of(request)
        request.ctx.session = session.with_customer(session.customer_id, lang=code)
        return redirect(local_path(request.args.get("next")), status=303)

    async def login_page(
        request: Request, error: str | None = None, email: str = "", status: int = 200
    ) -> HTTPResponse:
        t = texts(session_of(request).lang)
        config = request.app.ctx.config
        accounts = await run_sync(shop.demo_accounts, url=config.database_url)
        rows = [
            render(
                "demo_row.html",
                name=a.name,
                id=a.id,
                email=a.email,
                language="中文" if a.language == "zh" else "English",
                orders=a.orders,
            )
            for a in accounts
        ]
        aside = render(
            "demo_accounts.html",
            heading=t["demo_accounts"],
            note=t["demo_note"],
            password=demo_password(config.var_dir),
            col_customer=t["demo_col_customer"],
            col_email=t["demo_col_email"],
            col_language=t["demo_col_language"],
            col_orders=t["demo_col_orders"],
            rows=join(rows),
        )
        content = render(
            "login.html",
            heading=t["login_title"],
            error=render("form_error.html", text=error) if error else Markup(""),
            action="/login",
            email_field=render("email_field.html", label=t["email"], value=email),
            password_label=t["password"],
            button=t["login_button"],
            aside=aside,
        )
        return await page(request, t["login_title"], content, status=status)

    @bp.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        return await login_page(request)

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        session = session_of(request)
        t = texts(session.lang)
        config = request.app.ctx.config
        throttle = request.app.ctx.login_throttle
        client = request.remote_addr or request.ip or "?"
        email = (request.form.get("email") or "").strip()[:320] if request.form else ""
        password = request.form.get("password") if request.form else None
        if throttle.blocked(client):
            return await login_page(request, t["login_throttled"], email, status=429)
        found = await run_sync(shop.customer_by_email, email, url=config.database_url)
        if found is None or not password_matches(password, demo_password(config.var_dir)):
            throttle.failed(client)
            return await login_page(request, t["login_failed"], email, status=401)
        throttle.reset(client)
        signed_in = session.with_customer(found.id, lang=found.language)
        if signed_in.sid == session.sid:  # the same customer again: a new session all the same
            signed_in = session.with_customer(None).with_customer(found.id, lang=found.language)
        await run_sync(
            shop.open_site_session,
            signed_in.sid,
            found.id,
            SESSION_MAX_AGE,
            url=config.database_url,
        )
        if session.customer_id is not None:
            await run_sync(shop.close_site_session, session.sid, url=config.database_url)
        request.ctx.session = signed_in
        return redirect("/", status=303)

    @bp.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        session = session_of(request)
        if session.customer_id is not None:
            url = request.app.ctx.config.database_url
            await run_sync(shop.close_site_session, session.sid, url=url)
        request.ctx.session = session.with_customer(None)
        # the browser drops what the site stored (chat drafts in sessionStorage...)
        return redirect("/", status=303, headers={"Clear-Site-Data": '"storage"'})

    return bp
