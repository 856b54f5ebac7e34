"""The page frame shared by every HTML page: header, language toggle, chat widget."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from sanic import Request
from sanic.response import HTTPResponse, html

from kefu.shop import queries as shop
from web.i18n import texts
from web.session import Session
from web.templating import Markup, join, render

T = TypeVar("T")


async def run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call (a database query) off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: func(*args, **kwargs))


def local_path(value: object, default: str = "/") -> str:
    """``value`` if it is a path on this site (safe to redirect to), else ``default``."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and len(value) <= 2000
        and value.isprintable()
    ):
        return value
    return default


def current_path(request: Request) -> str:
    """The request's path and query string."""
    return request.path + (f"?{request.query_string}" if request.query_string else "")


def conversation_key(session: Session) -> str:
    """A short name of the session's conversation for browser storage (drafts).

    A hash, so that the page never carries the conversation id itself.
    """
    return hashlib.sha256(session.conversation_id.encode("ascii")).hexdigest()[:16]


def session_of(request: Request) -> Session:
    """The session of this request (set by the session middleware)."""
    return request.ctx.session


async def page(request: Request, title: str, content: Markup, status: int = 200) -> HTTPResponse:
    """A full HTML page around ``content`` in the session's language."""
    session = session_of(request)
    t = texts(session.lang)
    other = "en" if session.lang == "zh" else "zh"
    account = []
    if session.customer_id:
        url = request.app.ctx.config.database_url
        customer = await run_sync(shop.get_customer, session.customer_id, url=url)
        name = customer.name if customer else None
        account.append(
            render(
                "account_customer.html",
                customer_id=session.customer_id,
                hello=t["hello"].format(name=name or session.customer_id),
                nav_logout=t["nav_logout"],
            )
        )
    else:
        account.append(render("account_visitor.html", nav_login=t["nav_login"]))
    if session.staff:
        account.append(render("account_staff.html", nav_analytics=t["nav_analytics"]))
    body = render(
        "base.html",
        html_lang="zh-CN" if session.lang == "zh" else "en",
        lang=session.lang,
        other_lang=other,
        title=title,
        site_name=t["site_name"],
        tagline=t["tagline"],
        footer=t["footer"],
        nav_products=t["nav_products"],
        account=join(account),
        lang_label=t["lang_label"],
        lang_url=f"/lang/{other}?next={quote(current_path(request), safe='/')}",
        content=content,
        widget_text=t["widget"],
        conversation_key=conversation_key(session),
    )
    return html(body, status=status)


def message_page(request: Request, heading: str, text: str) -> Markup:
    """The content of a short message page (not found, error...)."""
    t = texts(session_of(request).lang)
    return render("message.html", heading=heading, text=text, back=t["back_to_list"])
