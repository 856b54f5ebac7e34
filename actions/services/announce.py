"""Announce a new hand-off ticket to the site the moment it is written.

The site puts a new ticket in every agent console once the bot's whole turn is over
(:func:`web.handoff.customer_message`). :func:`ticket` lets the consoles have it without
waiting for the rest of the turn (the next prediction, the tracker save): it posts
``/internal/tickets/{id}/announce`` to the site (``KEFU_SITE_URL``, with the shared
``KEFU_ANNOUNCE_SECRET``), and the site reads the ticket and pushes it as it does after
the turn. The post runs on a thread of its own and never delays or fails the customer's
turn: a site that is down, slow or refuses is logged at warning and forgotten, and the
announcement after the turn still comes. Without ``KEFU_ANNOUNCE_SECRET`` (``rasa
shell``, an action server with no site) nothing is sent.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from kefu.settings import get_settings

logger = logging.getLogger(__name__)

HEADER = "X-Kefu-Announce-Secret"
TIMEOUT = 2.0  # seconds for one announce; the site's own announcement follows the turn
MAX_PENDING = 64  # announces waiting or in flight; more are dropped (the site is stuck)
WORKERS = 2


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: the secret goes to the configured site only."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


# straight to the site: no proxy from the environment, no redirect (the secret stays here)
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
_pool: ThreadPoolExecutor | None = None
_pending = 0
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kefu-announce")
        return _pool


def url_of(site_url: str, ticket_id: int) -> str:
    """The site's internal announce URL for ``ticket_id``."""
    return f"{site_url.rstrip('/')}/internal/tickets/{int(ticket_id)}/announce"


def post(site_url: str, secret: str, ticket_id: int, timeout: float = TIMEOUT) -> bool:
    """Post one announce (blocking); whether the site took it. Never raises."""
    try:
        request = urllib.request.Request(
            url_of(site_url, ticket_id), data=b"", method="POST", headers={HEADER: secret}
        )
        with _opener.open(request, timeout=timeout) as response:
            return 200 <= response.status < 300
    except urllib.error.HTTPError as exc:
        logger.warning("the site refused the announce of ticket %s (HTTP %s)", ticket_id, exc.code)
    except (OSError, ValueError) as exc:  # down, slow, bad URL: the turn goes on
        logger.warning("could not announce ticket %s to the site: %s", ticket_id, exc)
    return False


def _post_and_count(site_url: str, secret: str, ticket_id: int) -> bool:
    global _pending
    try:
        return post(site_url, secret, ticket_id)
    finally:
        with _lock:
            _pending -= 1


def ticket(ticket_id: int) -> bool:
    """Announce ``ticket_id`` to the site in the background; whether one was sent off.

    Returns at once: ``False`` when no announce secret is configured or too many
    announces are waiting already.
    """
    global _pending
    try:
        settings = get_settings()
        if not settings.announce_secret:
            return False
        pool = _executor()
    except Exception:  # noqa: BLE001 - never the customer's turn: the site announces after it
        logger.warning("could not announce ticket %s", ticket_id, exc_info=True)
        return False
    with _lock:
        if _pending >= MAX_PENDING:
            logger.warning("announce of ticket %s dropped: %d waiting", ticket_id, _pending)
            return False
        _pending += 1
    try:
        pool.submit(_post_and_count, settings.site_url, settings.announce_secret, ticket_id)
    except RuntimeError:  # the interpreter is shutting down
        with _lock:
            _pending -= 1
        return False
    return True
