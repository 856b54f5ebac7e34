"""Who is talking: the verified customer of the latest message, or an anonymous visitor.

The only proof of identity is a signed token (:func:`kefu.identity.verify_token`) in the
metadata of the customer's *latest* message under ``customer_token``. Slots, sender ids
and message text are never trusted for identity: any action that reads private data calls
:func:`verified_customer` again.

A token the site minted is bound to its conversation (claim ``cid``) and to the signed-in
site session (claim ``sid``): it counts only in that conversation and while that session
is open, so a token copied into another conversation, or replayed after sign-out, proves
nobody.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from kefu.identity import verify_claims

logger = logging.getLogger(__name__)

TOKEN_KEY = "customer_token"
CLIENT_KEY = "client"
CLIENT_KINDS = ("session", "ip")
_CLIENT_HASH = re.compile(r"^[0-9a-f]{16,64}$")
SESSION_METADATA_SLOT = "session_started_metadata"


def latest_user_metadata(tracker: Any) -> dict[str, Any]:
    """Metadata of the latest user message of ``tracker`` (empty when none).

    Args:
        tracker: a ``rasa_sdk.Tracker``.
    """
    for event in reversed(getattr(tracker, "events", None) or []):
        if isinstance(event, Mapping) and event.get("event") == "user":
            metadata = event.get("metadata")
            return dict(metadata) if isinstance(metadata, Mapping) else {}
    latest = getattr(tracker, "latest_message", None) or {}
    metadata = latest.get("metadata") if isinstance(latest, Mapping) else None
    return dict(metadata) if isinstance(metadata, Mapping) else {}


def customer_from_metadata(
    metadata: Mapping[str, Any] | None, conversation_id: object = None
) -> str | None:
    """The customer id proven by the token in ``metadata``, or ``None``.

    A token counts only when its signature and expiry verify, the customer it names exists
    in the shop database and, when it is bound, it was minted for ``conversation_id`` (the
    tracker's sender id) and its site session is still open.
    """
    if not isinstance(metadata, Mapping):
        return None
    claims = verify_claims(metadata.get(TOKEN_KEY))
    if claims is None:
        return None
    if claims.conversation_id is not None and claims.conversation_id != conversation_id:
        logger.warning("a customer token minted for another conversation was refused")
        return None
    from kefu.shop import queries as shop

    try:
        if claims.session_id is not None and not shop.site_session_active(claims.session_id):
            logger.info("a customer token of a closed site session was refused")
            return None
        return claims.customer_id if shop.get_customer(claims.customer_id) is not None else None
    except shop.ShopUnavailable:
        logger.warning("shop database unavailable: treating the visitor as anonymous")
        return None


def _sender(tracker: Any) -> object:
    return getattr(tracker, "sender_id", None)


def verified_customer(tracker: Any) -> str | None:
    """The verified customer of the latest user message of ``tracker``, or ``None``."""
    return customer_from_metadata(latest_user_metadata(tracker), _sender(tracker))


def session_customer(tracker: Any) -> str | None:
    """The verified customer of the message that started the session (``action_session_start``)."""
    metadata = tracker.get_slot(SESSION_METADATA_SLOT) if tracker else None
    return customer_from_metadata(metadata, _sender(tracker))


def client_keys(tracker: Any) -> list[str]:
    """The keys failed order lookups are counted under: the browser session and the client
    address the site put (hashed) in the latest message's metadata (``client``).

    Only the site reaches the Rasa channel (it sends a shared secret), so these are the
    site's own values; a conversation without them (``rasa shell``) is counted in its slot.
    """
    client = latest_user_metadata(tracker).get(CLIENT_KEY)
    if not isinstance(client, Mapping):
        return []
    keys = []
    for kind in CLIENT_KINDS:
        value = client.get(kind)
        if isinstance(value, str) and _CLIENT_HASH.match(value):
            keys.append(f"{kind}:{value}")
    return keys
