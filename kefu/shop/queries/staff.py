"""Staff accounts (agents and admins) of the console: rows only, no password logic.

Passwords are hashed by :mod:`kefu.support.staff`; this module stores what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kefu.shop.db import session_scope
from kefu.shop.models import STAFF_ROLES, Staff
from kefu.shop.queries.common import guarded
from kefu.shop.queries.support import now


class StaffExists(ValueError):
    """An account with that e-mail exists already."""


@dataclass(frozen=True)
class StaffInfo:
    """A staff account as the app sees it (no password hash)."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    on_duty: bool
    session_epoch: int

    def public(self) -> dict[str, Any]:
        """The account as JSON for the console."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "on_duty": self.on_duty,
        }


def _info(row: Staff) -> StaffInfo:
    return StaffInfo(
        row.id, row.email, row.name, row.role, row.active, row.on_duty, row.session_epoch
    )


@guarded
def add_staff(
    email: str, name: str, role: str, password_hash: str, *, url: str | None = None
) -> StaffInfo:
    """Create an account (e-mail stored lower-case); :class:`StaffExists` if taken."""
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {', '.join(STAFF_ROLES)}")
    try:
        with session_scope(url) as s:
            row = Staff(
                email=email.strip().lower(),
                name=name.strip(),
                role=role,
                password_hash=password_hash,
                active=True,
                on_duty=False,
                session_epoch=0,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            return _info(row)
    except IntegrityError as exc:
        raise StaffExists(f"an account {email!r} exists already") from exc


@guarded
def staff_by_email(email: str, *, url: str | None = None) -> tuple[StaffInfo, str] | None:
    """The account of ``email`` and its password hash, or ``None``."""
    with session_scope(url) as s:
        row = s.scalars(select(Staff).where(Staff.email == email.strip().lower())).first()
        return (_info(row), row.password_hash) if row is not None else None


@guarded
def get_staff(staff_id: int, *, url: str | None = None) -> StaffInfo | None:
    """The account of ``staff_id``, or ``None``."""
    with session_scope(url) as s:
        row = s.get(Staff, staff_id)
        return _info(row) if row is not None else None


@guarded
def list_staff(*, url: str | None = None) -> list[StaffInfo]:
    """Every account, by e-mail."""
    with session_scope(url) as s:
        return [_info(r) for r in s.scalars(select(Staff).order_by(Staff.email))]


@guarded
def count_staff(*, url: str | None = None) -> int:
    """How many accounts exist."""
    with session_scope(url) as s:
        return len(s.scalars(select(Staff.id)).all())


@guarded
def disable_staff(email: str, *, url: str | None = None) -> StaffInfo | None:
    """Disable an account and end its sessions everywhere (bumps ``session_epoch``)."""
    with session_scope(url) as s:
        result = s.execute(
            update(Staff)
            .where(Staff.email == email.strip().lower())
            .values(active=False, on_duty=False, session_epoch=Staff.session_epoch + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
    found = staff_by_email(email, url=url)
    return found[0] if found else None


@guarded
def count_on_duty(*, url: str | None = None) -> int:
    """How many active agents are on duty now."""
    with session_scope(url) as s:
        return int(
            s.execute(
                select(func.count()).where(Staff.active.is_(True), Staff.on_duty.is_(True))
            ).scalar_one()
        )


@guarded
def set_on_duty(staff_id: int, on_duty: bool, *, url: str | None = None) -> StaffInfo | None:
    """Set whether an active agent takes new conversations."""
    with session_scope(url) as s:
        s.execute(
            update(Staff)
            .where(Staff.id == staff_id, Staff.active.is_(True))
            .values(on_duty=bool(on_duty))
            .execution_options(synchronize_session=False)
        )
    return get_staff(staff_id, url=url)


@guarded
def set_password_hash(staff_id: int, password_hash: str, *, url: str | None = None) -> None:
    """Replace an account's password hash (its sessions stay valid)."""
    with session_scope(url) as s:
        s.execute(
            update(Staff)
            .where(Staff.id == staff_id)
            .values(password_hash=password_hash)
            .execution_options(synchronize_session=False)
        )
