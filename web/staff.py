"""Staff sign-in and the analytics reports (``/analytics``), for staff only."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse, file, redirect

from kefu.settings import get_settings
from kefu.shop import queries as shop
from kefu.support.staff import authenticate
from web import staff_device
from web.i18n import texts
from web.layout import page, run_sync, session_of
from web.reports import CONTENT_TYPES, list_reports, report_file
from web.staff_auth import STAFF_IDLE_S, current_staff
from web.templating import Markup, join, render

# Reports are static documents: no script runs, nothing is fetched from elsewhere.
REPORT_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:"
)


def blueprint() -> Blueprint:
    """The staff routes."""
    bp = Blueprint("staff")

    async def login_page(request: Request, error: str | None, status: int) -> HTTPResponse:
        t = texts(session_of(request).lang)
        content = render(
            "login.html",
            heading=t["staff_login_title"],
            error=render("form_error.html", text=error) if error else Markup(""),
            action="/staff/login",
            email_field=render("email_field.html", label=t["email"], value=""),
            password_label=t["password"],
            button=t["login_button"],
            aside=render("note.html", text=t["staff_note"]),
        )
        return await page(request, t["staff_login_title"], content, status=status)

    @bp.get("/staff/login")
    async def staff_login_form(request: Request) -> HTTPResponse:
        return await login_page(request, None, 200)

    @bp.post("/staff/login")
    async def staff_login(request: Request) -> HTTPResponse:
        session = session_of(request)
        t = texts(session.lang)
        config = request.app.ctx.config
        ctx = request.app.ctx
        by_ip = ctx.staff_throttle
        client = request.remote_addr or request.ip or "?"
        form = request.form or {}
        email = (form.get("email") or "").strip().lower()[:320] or get_settings().staff_email
        # a browser that signed in to this account before is throttled on its own
        device = staff_device.device_of(
            ctx.session_key, email, request.cookies.get(staff_device.COOKIE_NAME)
        )
        by_who, who = (ctx.device_throttle, device) if device else (ctx.account_throttle, email)
        if by_ip.blocked(client) or by_who.blocked(who):
            return await login_page(request, t["login_throttled"], 429)
        staff = await run_sync(authenticate, email, form.get("password"), url=config.database_url)
        if staff is None:
            by_ip.failed(client)
            by_who.failed(who)
            return await login_page(request, t["login_failed"], 401)
        by_ip.reset(client)
        by_who.reset(who)
        signed_in = session.with_staff(True, staff.id, staff.session_epoch)
        if session.customer_id is not None or session.staff:  # the session it replaces
            await run_sync(shop.close_site_session, session.sid, url=config.database_url)
        await run_sync(
            shop.open_site_session, signed_in.sid, None, STAFF_IDLE_S, url=config.database_url
        )
        request.ctx.session = signed_in
        request.ctx.staff = staff
        response = redirect("/agent", status=303)
        response.cookies[staff_device.COOKIE_NAME] = staff_device.issue(ctx.session_key, email)
        cookie = response.cookies[staff_device.COOKIE_NAME]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = staff_device.PATH
        cookie["max-age"] = staff_device.MAX_AGE
        if config.secure_cookies or request.scheme == "https":
            cookie["secure"] = True
        return response

    @bp.post("/staff/logout")
    async def staff_logout(request: Request) -> HTTPResponse:
        session = session_of(request)
        if session.staff:  # a copy of the cookie stops working too
            url = request.app.ctx.config.database_url
            await run_sync(shop.close_site_session, session.sid, url=url)
        request.ctx.session = session.with_staff(False)
        request.ctx.staff = None
        return redirect("/", status=303)

    @bp.get("/analytics")
    async def analytics(request: Request) -> HTTPResponse:
        session = session_of(request)
        if current_staff(request) is None:
            return redirect("/staff/login", status=303)
        t = texts(session.lang)
        reports = list_reports(request.app.ctx.config.reports_dir)
        if reports:
            rows = []
            for r in reports:
                base = f"/analytics/{quote(r.name)}/"
                main = "report.html" if "report.html" in r.files else (r.files or ("",))[0]
                rows.append(
                    render(
                        "report_row.html",
                        href=base + quote(main),
                        title=r.title,
                        kind=r.kind,
                        created_at=r.created_at,
                        files=join(
                            [
                                render("file_link.html", href=base + quote(f), name=f)
                                for f in r.files
                            ]
                        ),
                    )
                )
            body = render(
                "report_table.html",
                col_title=t["col_title"],
                col_kind=t["col_kind"],
                col_created=t["col_created"],
                col_files=t["col_files"],
                rows=join(rows),
            )
        else:
            body = render("note.html", text=t["analytics_empty"])
        content = render(
            "analytics.html", heading=t["analytics_title"], logout=t["nav_logout"], body=body
        )
        return await page(request, t["analytics_title"], content)

    @bp.get("/analytics/<name:str>/<filename:str>")
    async def report(request: Request, name: str, filename: str) -> HTTPResponse:
        if current_staff(request) is None:
            return redirect("/staff/login", status=303)
        path = report_file(request.app.ctx.config.reports_dir, name, filename)
        if path is None:
            raise NotFound("no such report file")
        response = await file(path, mime_type=CONTENT_TYPES[path.suffix])
        response.headers["Content-Security-Policy"] = REPORT_CSP
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
