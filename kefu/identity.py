"""Signed customer tokens: the only way a conversation learns who the customer is.

The site issues a token after login and the chat widget sends it in the message metadata
as ``customer_token``. Tokens are JWTs signed with HMAC-SHA256 and carry an expiry; the
secret comes from env ``KEFU_TOKEN_SECRET`` or is generated once into ``var/secret.key``.
An expired, tampered, malformed or foreign-secret token verifies as ``None``: an anonymous
visitor.

The site binds every token it mints to the browser's site session (claim ``sid``) and to
the conversation it is sent into (claim ``cid``); the action side
(:mod:`actions.services.identity`) refuses a bound token in another conversation or once
its session is signed out. Tokens without these claims (``kefu token`` for ``rasa
shell``) name the customer in any conversation until they expire.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from kefu.settings import get_settings

ALGORITHM = "HS256"
ISSUER = "kefu"
DEFAULT_TTL = 8 * 3600
MAX_TOKEN_LENGTH = 4096


def _secret_file() -> Path:
    return get_settings().var_dir / "secret.key"


_secrets: dict[Path, bytes] = {}  # secret file -> its content, read once per process


def get_secret() -> bytes:
    """The signing secret: env ``KEFU_TOKEN_SECRET``, else ``var/secret.key`` (created once).

    The file is read once per process (every token check needs the secret); a replaced
    secret file takes effect when kefu restarts.
    """
    env = get_settings().token_secret
    if env:
        if len(env) < 16:
            raise ValueError("KEFU_TOKEN_SECRET must be at least 16 characters")
        return env.encode()
    path = _secret_file()
    cached = _secrets.get(path)
    if cached is not None:
        return cached
    secret = _read_or_create(path).encode()
    if not secret:
        raise ValueError(f"{path} is empty: delete it (a new secret is generated) or fill it")
    _secrets[path] = secret
    return secret


def channel_secret() -> str:
    """The secret the site sends the Rasa channel: env ``KEFU_CHANNEL_SECRET``, else
    ``var/channel.key`` (created once, mode 0600)."""
    return _configured("KEFU_CHANNEL_SECRET", get_settings().channel_secret, "channel.key")


def action_token() -> str:
    """The token the Rasa server sends the action server: env ``KEFU_ACTION_TOKEN``, else
    ``var/action.key`` (created once, mode 0600)."""
    return _configured("KEFU_ACTION_TOKEN", get_settings().action_token, "action.key")


def _configured(name: str, env: str, file_name: str) -> str:
    if env:
        if len(env) < 16:
            raise ValueError(f"{name} must be at least 16 characters")
        return env
    return _read_or_create(get_settings().var_dir / file_name)


def _read_or_create(path: Path) -> str:
    """The secret in ``path``, written there (0600, atomically) first when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: the first writer wins, nobody sees a half file
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says.

    Attributes:
        customer_id: the customer it names (``sub``).
        session_id: the site session it was minted for (``sid``), or ``None`` (unbound).
        conversation_id: the conversation it was minted for (``cid``), or ``None``.
    """

    customer_id: str
    session_id: str | None = None
    conversation_id: str | None = None


def issue_token(
    customer_id: str,
    ttl_seconds: int = DEFAULT_TTL,
    secret: bytes | None = None,
    *,
    session_id: str | None = None,
    conversation_id: str | None = None,
) -> str:
    """A signed token naming ``customer_id``, valid for ``ttl_seconds``.

    Args:
        customer_id: the customer.
        ttl_seconds: validity.
        secret: the signing secret (default :func:`get_secret`).
        session_id: binds the token to this site session (claim ``sid``).
        conversation_id: binds the token to this conversation (claim ``cid``).
    """
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise ValueError("customer_id must be a non-empty string")
    if len(customer_id) > 64:
        raise ValueError("customer_id is longer than 64 characters")
    if ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": customer_id,
        "iss": ISSUER,
        "iat": now,
        "exp": now + int(ttl_seconds),
    }
    for name, value in (("sid", session_id), ("cid", conversation_id)):
        if value is not None:
            if not isinstance(value, str) or not value or len(value) > 128:
                raise ValueError(f"{name} must be a non-empty string of at most 128 characters")
            claims[name] = value
    return jwt.encode(claims, secret or get_secret(), algorithm=ALGORITHM)


def verify_token(token: object, secret: bytes | None = None) -> str | None:
    """The customer id of a valid token, or ``None`` for anything else."""
    claims = verify_claims(token, secret)
    return claims.customer_id if claims else None


def verify_claims(token: object, secret: bytes | None = None) -> TokenClaims | None:
    """The claims of a valid token, or ``None`` for anything else (a malformed ``sid`` or
    ``cid`` claim included)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        claims = jwt.decode(
            token,
            secret or get_secret(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return None
    sid, cid = claims.get("sid"), claims.get("cid")
    for value in (sid, cid):
        if value is not None and (not isinstance(value, str) or not value):
            return None
    return TokenClaims(sub, sid, cid)
