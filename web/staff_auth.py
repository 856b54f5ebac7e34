"""Who the staff member of a request is: the session's account, checked on every request.

A staff session names an account and the account's ``session_epoch`` at sign-in; it
counts only while the account is active and its epoch unchanged (disabling an account
bumps the epoch and so signs it out everywhere), and while its session id is open on the
server: ``/staff/logout`` closes it (a copy of the cookie stops working), and it expires
after :data:`STAFF_IDLE_S` without a request or :data:`STAFF_MAX_AGE_S` after sign-in.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse, json

from kefu.shop.queries import renew_site_session
from kefu.shop.queries import staff as staff_rows
from kefu.shop.queries.common import ShopUnavailable
from kefu.shop.queries.staff import StaffInfo
from web.session import Session

STAFF_IDLE_S = 30 * 60  # idle timeout (the console polls while it is open)
STAFF_MAX_AGE_S = 12 * 3600  # absolute timeout: sign in again after a shift


def staff_of(session: Session | None, url: str) -> StaffInfo | None:
    """The active account of a staff session, or ``None`` (blocking: run off the loop)."""
    if session is None or not session.staff or session.staff_id is None:
        return None
    try:
        if not renew_site_session(session.sid, STAFF_IDLE_S, STAFF_MAX_AGE_S, url=url):
            return None  # signed out, idle too long or too old
        info = staff_rows.get_staff(session.staff_id, url=url)
    except ShopUnavailable:
        return None
    if info is None or not info.active or info.session_epoch != session.staff_epoch:
        return None
    return info


def current_staff(request: Request) -> StaffInfo | None:
    """The staff member of this request (set by the session middleware)."""
    return getattr(request.ctx, "staff", None)


def refuse(request: Request, admin: bool = False) -> HTTPResponse | None:
    """A 401 (not signed in as staff) or 403 (not an admin) JSON answer, or ``None``."""
    staff = current_staff(request)
    if staff is None:
        if request.ctx.session.customer_id:  # a signed-in customer is no staff member
            return json({"error": "staff only", "code": "forbidden"}, status=403)
        return json({"error": "staff sign-in required", "code": "unauthorized"}, status=401)
    if admin and staff.role != "admin":
        return json({"error": "admins only", "code": "forbidden"}, status=403)
    return None
