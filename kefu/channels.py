"""The Rasa input channel of the site: Rasa's REST channel, reachable only by the site.

Loaded by module path from ``bot/credentials.yml`` (``kefu.channels.KefuChannel``), it
serves ``POST /webhooks/kefu/webhook`` with the REST channel's body
(``{"sender", "message", "metadata"}``) and answers only requests that:

* carry the shared secret in ``X-Kefu-Channel-Secret`` (:func:`kefu.identity.channel_secret`:
  the site has it, a web page open on the same machine does not);
* name a loopback (or configured) ``Host`` (DNS rebinding);
* have a well-formed body: a string ``sender`` and ``message`` without lone surrogates
  or NULs, metadata a small JSON object (anything else is a 400, not a 500).

It also sets the server's largest request body to 64 kB (Sanic's default is 100 MB).
``rasa shell`` and ``kefu shell`` use the command-line channel and are not affected.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from kefu.identity import channel_secret
from kefu.settings import get_settings, host_allowed

SECRET_HEADER = "X-Kefu-Channel-Secret"
MAX_REQUEST_BYTES = 64 * 1024
MAX_SENDER_CHARS = 255
MAX_MESSAGE_CHARS = 4000
MAX_METADATA_DEPTH = 4


def _depth(value: object, limit: int) -> int:
    """Nesting depth of a JSON value, counting no further than ``limit + 1``."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): unstorable, unprintable
        return False
    return "\x00" not in text


def body_error(body: object) -> str | None:
    """What is wrong with a channel request body, or ``None``."""
    if not isinstance(body, dict):
        return 'the body must be a JSON object {"sender", "message", "metadata"}'
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS:
        return f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} characters"
    if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
        return f"'message' must be a string of at most {MAX_MESSAGE_CHARS} characters"
    if not _encodable(sender) or not _encodable(message):
        return "'sender' and 'message' must be valid Unicode text without NUL"
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            return "'metadata' must be an object"
        if _depth(metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
            return f"'metadata' may nest at most {MAX_METADATA_DEPTH} levels"
        try:
            json.dumps(metadata, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, ValueError):
            return "'metadata' must be valid Unicode text"
    return None


def _refusal(message: str, status: int, code: str) -> HTTPResponse:
    return json_response({"error": message, "code": code}, status=status)


class KefuChannel(RestInput):
    """The REST channel behind the site's shared secret and a ``Host`` check."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret

    @classmethod
    def name(cls) -> str:
        """Channel name: its webhook is ``/webhooks/kefu/webhook``."""
        return "kefu"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> KefuChannel:
        """The channel; the secret comes from kefu's settings (env or ``var/``), never
        from the credentials file."""
        return cls()

    def _secret(self) -> str:
        if self.secret is None:
            self.secret = channel_secret()
        return self.secret

    def check(self, request: Request) -> HTTPResponse | None:
        """A refusal for a request that did not come from the site, else ``None``."""
        if not host_allowed(request.headers.get("host"), get_settings().allowed_hosts):
            return _refusal("unknown host", 403, "forbidden_host")
        if request.method != "POST":
            return None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self._secret().encode()):
            return _refusal("the channel secret is missing or wrong", 401, "unauthorized")
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return _refusal("the body is not valid JSON", 400, "bad_body")
        except RecursionError:
            return _refusal("the body nests too deeply", 400, "bad_body")
        problem = body_error(body)
        if problem:
            return _refusal(problem, 400, "bad_body")
        request.parsed_json = body
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """The REST channel's routes, each checked first; sets the body size limit."""
        bp = super().blueprint(on_new_message)

        @bp.middleware("request")
        async def _check(request: Request) -> HTTPResponse | None:
            return self.check(request)

        @bp.listener("before_server_start")
        async def _limit(app: Any, _loop: Any) -> None:
            app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

        return bp
