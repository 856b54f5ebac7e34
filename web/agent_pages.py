"""The agent console's page (``/agent``), for staff only.

The page is a shell: ``web/static/agent/*.js`` builds the console in the browser from the
JSON API under ``/agent/api/`` and the socket.io namespace ``/agent`` (both in BACK's
modules). Its wording in both languages comes from ``web/i18n/<lang>.json`` (``"agent"``).
"""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, redirect

from nlp.text import LANGUAGES
from web.i18n import texts
from web.layout import session_of
from web.session import Session
from web.templating import render

LOGIN_URL = "/staff/login?next=/agent"


def is_staff(session: Session) -> bool:
    """Whether ``session`` belongs to a signed-in staff member (agent or admin)."""
    return bool(getattr(session, "staff", False))


def blueprint() -> Blueprint:
    """The console page's route."""
    bp = Blueprint("agent_pages")

    @bp.get("/agent")
    async def console(request: Request) -> HTTPResponse:
        session = session_of(request)
        if not is_staff(session):
            return redirect(LOGIN_URL, status=303)
        t = texts(session.lang)
        body = render(
            "agent.html",
            html_lang="zh-CN" if session.lang == "zh" else "en",
            lang=session.lang,
            title=t["agent"]["title"],
            site_name=t["site_name"],
            loading=t["agent"]["loading"],
            strings={lang: texts(lang)["agent"] for lang in LANGUAGES},
        )
        response = html(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
