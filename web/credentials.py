"""Passwords of the demo customers and of staff: from the environment or generated once.

Nothing secret lives in the repository. The demo password (shared by every demo customer,
shown on the login page since this is a demo shop) comes from env ``KEFU_DEMO_PASSWORD``;
the staff password, which guards the analytics reports, from ``KEFU_STAFF_PASSWORD``.
When unset, each is generated on first use into ``var/`` (mode 0600) and reused after.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from kefu.identity import get_secret
from kefu.settings import get_settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def _read_or_create(path: Path, make: str) -> str:
    """The stripped content of ``path``, writing ``make`` into it first when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make + "\n")
        try:
            os.link(tmp, path)  # atomic: the first writer wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise ValueError(f"{path} is empty: delete it to generate a new password")
    return value


def _checked(name: str, value: str) -> str | None:
    if not value:
        return None
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"{name} must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
        )
    return value


def demo_password(var_dir: Path) -> str:
    """The password every demo customer signs in with (env ``KEFU_DEMO_PASSWORD``)."""
    return _checked("KEFU_DEMO_PASSWORD", get_settings().demo_password) or _read_or_create(
        var_dir / "demo_password", f"demo-{secrets.token_hex(3)}"
    )


def staff_password(var_dir: Path) -> str:
    """The staff password of the analytics pages (env ``KEFU_STAFF_PASSWORD``)."""
    return _checked("KEFU_STAFF_PASSWORD", get_settings().staff_password) or _read_or_create(
        var_dir / "staff_password", secrets.token_urlsafe(12)
    )


def password_matches(given: object, expected: str) -> bool:
    """Constant-time comparison of a submitted password with the expected one."""
    if not isinstance(given, str) or not given or len(given) > MAX_PASSWORD_LENGTH:
        return False
    return hmac.compare_digest(
        hashlib.sha256(given.encode("utf-8")).digest(),
        hashlib.sha256(expected.encode("utf-8")).digest(),
    )


def session_key() -> bytes:
    """The key that signs the site's session cookie, derived from the token secret."""
    return hmac.new(get_secret(), b"kefu-web-session-v1", hashlib.sha256).digest()
