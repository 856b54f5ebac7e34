"""Staff accounts: scrypt password hashes, sign-in, the first admin from the settings.

A hash is ``scrypt$<n>$<r>$<p>$<salt hex>$<key hex>``: the parameters travel with it, so
they can be raised later without breaking existing accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from kefu.settings import get_settings
from kefu.shop.queries import staff as rows
from kefu.shop.queries.staff import StaffExists, StaffInfo

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "StaffExists",
    "StaffInfo",
    "add_account",
    "authenticate",
    "ensure_first_admin",
    "hash_password",
    "verify_password",
]

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
# checked against when the e-mail is unknown, so a sign-in takes as long either way
_DUMMY_HASH: str | None = None


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=2**26
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` with its parameters.

    Raises:
        ValueError: the password is shorter than 8 or longer than 256 characters.
    """
    if not isinstance(password, str) or not (
        MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
    ):
        raise ValueError(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    salt = secrets.token_bytes(16)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: object, stored: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant-time comparison)."""
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, bytes.fromhex(key))


def add_account(
    email: str, name: str, role: str, password: str, *, url: str | None = None
) -> StaffInfo:
    """Create a staff account.

    Raises:
        ValueError: a malformed e-mail, an empty name, an unknown role or a bad password.
        StaffExists: the e-mail is taken.
    """
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise ValueError(f"not an e-mail address: {email!r}")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValueError("a name has 1 to 200 characters")
    return rows.add_staff(email, name, role, hash_password(password), url=url)


def authenticate(email: object, password: object, *, url: str | None = None) -> StaffInfo | None:
    """The active account of ``email`` if ``password`` is right, else ``None``."""
    global _DUMMY_HASH
    found = rows.staff_by_email(email, url=url) if isinstance(email, str) and email else None
    if found is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        verify_password(password, _DUMMY_HASH)
        return None
    info, stored = found
    if not verify_password(password, stored) or not info.active:
        return None
    return info


def ensure_first_admin(generated: str | None = None, *, url: str | None = None) -> StaffInfo | None:
    """Create the first admin (``KEFU_STAFF_EMAIL``, default ``admin@localhost``) when missing.

    Its password is ``KEFU_STAFF_PASSWORD`` (an existing first admin gets it too, so the
    setting keeps working as the staff password it was); without it, ``generated`` (the
    password ``kefu run`` generated into ``var/``) is used, but only while no account
    exists at all.

    Returns:
        The account (new or existing), or ``None`` when there is no password to use.
    """
    settings = get_settings()
    password = settings.staff_password
    if not password:
        if not generated or rows.count_staff(url=url):
            return None
        password = generated
    found = rows.staff_by_email(settings.staff_email, url=url)
    if found is not None:
        info, stored = found
        if settings.staff_password and not verify_password(settings.staff_password, stored):
            # the setting stays the first admin's password, as it was before accounts
            rows.set_password_hash(info.id, hash_password(settings.staff_password), url=url)
        return info
    try:
        return add_account(settings.staff_email, "Admin", "admin", password, url=url)
    except StaffExists:  # another process created it at the same moment
        found = rows.staff_by_email(settings.staff_email, url=url)
        return found[0] if found else None
