"""Device cookies for staff sign-in (OWASP, "Slow Down Online Guessing Attacks with Device
Cookies"): a browser that signed in to an account before carries a signed cookie naming
that account, and its attempts are throttled on their own, not with the account's. Guessers
can then get an account throttled for themselves without locking its owner out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE_NAME = "kefu_staff_device"
MAX_AGE = 180 * 24 * 3600  # seconds
PATH = "/staff/login"  # the only request that reads it
_MAX_LENGTH = 200


def _mac(key: bytes, email: str, nonce: str) -> str:
    message = f"kefu-staff-device|{email}|{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue(key: bytes, email: str) -> str:
    """A new device cookie value for the account ``email``."""
    nonce = secrets.token_hex(12)
    return f"{nonce}.{_mac(key, email, nonce)}"


def device_of(key: bytes, email: str, value: object) -> str | None:
    """The device's id when ``value`` is a valid device cookie for ``email``, else ``None``."""
    if not isinstance(value, str) or not value or len(value) > _MAX_LENGTH:
        return None
    nonce, _, mac = value.partition(".")
    if not nonce or not mac or not hmac.compare_digest(mac, _mac(key, email, nonce)):
        return None
    return nonce
