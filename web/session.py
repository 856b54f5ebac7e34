"""The site's session: a signed, HttpOnly, SameSite=Lax cookie, revocable once signed in.

The cookie holds a random session id, the browser's conversation id (the Rasa sender id,
so the bot sees one stable conversation across reloads), the signed-in customer, whether
staff signed in, and the UI language. It is ``base64url(json).base64url(hmac_sha256)``;
anything that does not verify, has expired or has the wrong shape starts a fresh
anonymous session. A signed-in customer's session id is also kept on the server
(:func:`kefu.shop.queries.open_site_session`) and checked on every request, so sign-out
revokes the cookie wherever a copy of it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field, replace

from nlp.text import LANGUAGES

COOKIE_NAME = "kefu_session"
MAX_AGE = 14 * 24 * 3600
MAX_COOKIE_LENGTH = 2048
_CONVERSATION_ID = re.compile(r"^web-[0-9a-f]{32}$")
# fields added after the first release: cookies without them still verify
OPTIONAL_FIELDS = frozenset({"staff_id", "staff_epoch", "sid", "chatted"})
_CUSTOMER_ID = re.compile(r"^[\w.-]{1,64}$")
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


def new_conversation_id() -> str:
    """A fresh, unguessable conversation (sender) id."""
    return f"web-{secrets.token_hex(16)}"


def new_session_id() -> str:
    """A fresh, unguessable session id."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Session:
    """One browser's session.

    Attributes:
        conversation_id: the Rasa sender id of this browser's conversation.
        customer_id: the signed-in demo customer, or ``None`` for a visitor.
        staff: whether staff signed in (analytics pages).
        lang: UI language, ``zh`` or ``en``.
        issued_at: when the session started (Unix seconds).
        staff_id: the signed-in staff account, checked against the database (``active``
            and ``session_epoch``) on every request.
        staff_epoch: the account's ``session_epoch`` at sign-in; a bump signs it out.
        sid: the session id (new at every sign-in and sign-out).
        chatted: whether this browser sent a chat message (history is read only then).
    """

    conversation_id: str = field(default_factory=new_conversation_id)
    customer_id: str | None = None
    staff: bool = False
    lang: str = "zh"
    issued_at: int = field(default_factory=lambda: int(time.time()))
    staff_id: int | None = None
    staff_epoch: int = 0
    sid: str = field(default_factory=new_session_id)
    chatted: bool = False

    def with_customer(self, customer_id: str | None, lang: str | None = None) -> Session:
        """The session after signing in or out (or changing language when unchanged).

        Whenever the customer changes (sign-in, sign-out, another account) the session id
        and the conversation are new: a cookie copied before sign-in cannot read the
        signed-in chat, and the next person at the same browser never sees the previous
        customer's chat.
        """
        lang = lang if lang in LANGUAGES else self.lang
        if self.customer_id == customer_id:
            return replace(self, lang=lang)
        return replace(
            self,
            customer_id=customer_id,
            conversation_id=new_conversation_id(),
            sid=new_session_id(),
            issued_at=int(time.time()),
            lang=lang,
            chatted=False,
        )

    def with_staff(self, staff: bool, staff_id: int | None = None, epoch: int = 0) -> Session:
        """The session after a staff sign-in (``True``, with the account) or sign-out.

        A sign-in gets a new session id and issue time (no fixation of an earlier cookie),
        and signs out a customer signed in on the same browser.
        """
        if not staff:
            return replace(self, staff=False, staff_id=None, staff_epoch=0)
        # a customer signed in on this browser is signed out: the customer's server-side
        # session belongs to the old session id, and staff work is not a customer's chat
        return replace(
            self,
            staff=True,
            staff_id=staff_id,
            staff_epoch=epoch,
            sid=new_session_id(),
            issued_at=int(time.time()),
            customer_id=None,
            conversation_id=new_conversation_id(),
            chatted=False,
        )

    def restarted(self) -> Session:
        """The session with a new, empty conversation."""
        return replace(self, conversation_id=new_conversation_id(), chatted=False)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(session: Session, key: bytes) -> str:
    """The cookie value of ``session`` signed with ``key``."""
    body = _b64(json.dumps(asdict(session), separators=(",", ":")).encode("utf-8"))
    mac = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def decode(value: object, key: bytes, now: float | None = None) -> Session | None:
    """The session in a cookie value, or ``None`` when it is invalid or expired."""
    if not isinstance(value, str) or not value or len(value) > MAX_COOKIE_LENGTH:
        return None
    body, sep, mac = value.partition(".")
    if not sep:
        return None
    expected = hmac.new(key, body.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        data = json.loads(_unb64(body))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    fields = set(Session.__dataclass_fields__)
    if not isinstance(data, dict) or not (fields - OPTIONAL_FIELDS) <= set(data) <= fields:
        return None
    staff_id, epoch, sid = data.get("staff_id"), data.get("staff_epoch", 0), data.get("sid", "")
    if staff_id is not None and (not isinstance(staff_id, int) or isinstance(staff_id, bool)):
        return None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or not isinstance(sid, str):
        return None
    if len(sid) > 64 or not isinstance(data.get("chatted", False), bool):
        return None
    conversation, customer = data["conversation_id"], data["customer_id"]
    issued = data["issued_at"]
    if not isinstance(conversation, str) or not _CONVERSATION_ID.match(conversation):
        return None
    if customer is not None and not (isinstance(customer, str) and _CUSTOMER_ID.match(customer)):
        return None
    if data["lang"] not in LANGUAGES or not isinstance(data["staff"], bool):
        return None
    if not _SESSION_ID.match(sid):  # older cookies without one start a fresh session
        return None
    if not isinstance(issued, int) or issued + MAX_AGE < (now or time.time()):
        return None
    return Session(**data)
