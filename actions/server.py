"""The action server: rasa_sdk's endpoint, reachable only by the Rasa server, input checked.

Every call but ``/health`` and ``/openapi.json`` must carry the action token (Rasa's
``action_endpoint`` ``token`` setting, sent as ``?token=...``; :func:`kefu.identity.action_token`)
and name a loopback (or configured) ``Host``: 401 and 403 otherwise, so a web page open on
the same machine can neither call actions nor reach them through DNS rebinding.

rasa_sdk 3.6.2 answers some malformed action calls with a 500 that echoes the request
(a JSON list, a missing ``tracker`` or ``sender_id``) or with ``200 null`` (no
``next_action``). Here every malformed call gets a 400 with a JSON error before rasa_sdk
sees it; an unknown action keeps rasa_sdk's 404. Bodies over 64 kB on the wire get 413, as
on the site and the Rasa channel. Rasa's own calls carry the whole tracker and the domain
(over 64 kB after a few turns), so kefu starts Rasa with its switch to deflate them
(``COMPRESS_ACTION_SERVER_REQUEST``, :func:`kefu.bot.rasa_env`): a deflate body is
inflated once, with a bound of 1 MiB (413 past it), and rasa_sdk gets the parsed JSON.
JSON nested too deeply and text with lone surrogates get 400.
``python -m actions.server`` serves it on loopback (``kefu run`` and the tests start it
this way); ``rasa run actions`` still works, without the checks.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import re
import sys
import zlib
from pathlib import Path
from typing import Any

from rasa_sdk.constants import DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from kefu.gil import favour_the_event_loop
from kefu.heap import freeze_after_start
from kefu.identity import action_token
from kefu.logredact import install_record_factory
from kefu.settings import get_settings, host_allowed, private_umask

logger = logging.getLogger(__name__)

# the largest body on the wire (as on the site and the Rasa channel)
MAX_BODY_BYTES = 64 * 1024
# the most a deflate body may inflate to: Rasa's own calls carry every event of the
# conversation and the domain (50 kB alone), deflated to a fifth or less of that
MAX_INFLATED_BYTES = 1024 * 1024
OPEN_PATHS = ("/health", "/openapi.json")
# how a lone surrogate can get into parsed JSON: a \uD800-\uDFFF escape, or the bytes of an
# encoded surrogate (ED A0-BF ..), which json.loads decodes with "surrogatepass"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
SPEC_PATH = Path(__file__).resolve().parent / "openapi.json"
_OPTIONAL_TYPES: dict[str, tuple[type, ...]] = {
    "slots": (dict,),
    "latest_message": (dict,),
    "events": (list,),
    "paused": (bool,),
    "followup_action": (str, type(None)),
    "active_loop": (dict, type(None)),
    "latest_action_name": (str, type(None)),
}


def action_call_error(body: object) -> str | None:
    """What is wrong with an action call, or ``None`` when rasa_sdk can run it."""
    if not isinstance(body, dict):
        return "the body must be a JSON object (an action call)"
    action = body.get("next_action")
    if not isinstance(action, str) or not action.strip():
        return "'next_action' (the name of the action to run) is missing"
    tracker = body.get("tracker")
    if not isinstance(tracker, dict):
        return "'tracker' (the conversation state) is missing or not an object"
    sender = tracker.get("sender_id")
    if not isinstance(sender, str) or not sender:
        return "'tracker.sender_id' is missing or not a string"
    for key, types in _OPTIONAL_TYPES.items():
        if key in tracker and not isinstance(tracker[key], types):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            return f"'tracker.{key}' must be {names}"
    for event in tracker.get("events") or []:
        problem = _event_error(event)
        if problem:
            return problem
    if "domain" in body and not isinstance(body["domain"], dict | type(None)):
        return "'domain' must be an object"
    if "version" in body and not isinstance(body["version"], str | type(None)):
        return "'version' must be a string"
    return None


# the keys rasa_sdk reads by subscript from each kind of event (a missing one is a KeyError)
_EVENT_KEYS: dict[str, tuple[str, ...]] = {"slot": ("name", "value"), "action": ("name",)}


def _event_error(event: object) -> str | None:
    """What is wrong with one tracker event, or ``None``."""
    if not isinstance(event, dict):
        return "'tracker.events' must be a list of objects"
    kind = event.get("event")
    if not isinstance(kind, str):
        return "each event needs an 'event' name (a string)"
    for key in _EVENT_KEYS.get(kind, ()):
        if key not in event:
            return f"a '{kind}' event needs '{key}'"
    if kind == "slot" and not isinstance(event["name"], str):
        return "a 'slot' event's 'name' must be a string"
    return None


def _bad_request(message: str) -> HTTPResponse:
    return json_response({"error": message, "code": "bad_action_call"}, status=400)


class BodyTooLarge(ValueError):
    """The body inflates past :data:`MAX_INFLATED_BYTES`."""


def _parse(request: Request) -> Any:
    """The JSON of the body, inflated once with a bound when it is deflate-encoded.

    Raises:
        BodyTooLarge: the inflated body passes :data:`MAX_INFLATED_BYTES`.
        ValueError: not JSON, nested too deeply, or text that is not valid Unicode.
    """
    raw = request.body or b""
    if request.headers.get("content-encoding") == "deflate":
        decompressor = zlib.decompressobj()
        raw = decompressor.decompress(raw, MAX_INFLATED_BYTES + 1)
        if len(raw) > MAX_INFLATED_BYTES or decompressor.unconsumed_tail:
            raise BodyTooLarge("the decompressed body is too large")
    try:
        body = json.loads(raw)
        # a lone surrogate ("\ud800") parses but cannot be encoded: refuse it here, not
        # in the middle of an action (a hand-off that silently fails); encoding the whole
        # body again costs twice its parse, so only when it can hold a surrogate at all
        if _may_hold_surrogates(raw):
            json.dumps(body, ensure_ascii=False).encode("utf-8")
    except RecursionError as exc:
        raise ValueError("the body nests too deeply") from exc
    except UnicodeEncodeError as exc:
        raise ValueError("the body holds text that is not valid Unicode") from exc
    return body


def _may_hold_surrogates(raw: bytes) -> bool:
    """Whether the JSON text ``raw`` may parse to a string with a surrogate (also true of
    valid pairs, which an emoji escaped by Rasa's ``json.dumps`` gives, and of an escaped
    backslash before ``ud8..``: the full check then decides)."""
    if json.detect_encoding(raw) != "utf-8":
        return True
    return b"\xed" in raw or _SURROGATE_ESCAPE.search(raw) is not None


def _refusal(message: str, status: int, code: str) -> HTTPResponse:
    return json_response({"error": message, "code": code}, status=status)


def access_refusal(request: Request, token: str) -> HTTPResponse | None:
    """403 for a foreign ``Host``, 401 for a missing or wrong token; ``None`` when allowed."""
    if not host_allowed(request.headers.get("host"), get_settings().allowed_hosts):
        return _refusal("unknown host", 403, "forbidden_host")
    if request.path in OPEN_PATHS:
        return None
    given = request.args.get("token") or ""
    if not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
        return _refusal("the action token is missing or wrong", 401, "unauthorized")
    return None


def create_app(package: str = "actions", token: str | None = None) -> Sanic:
    """rasa_sdk's app for the actions in ``package``, with the access and action-call checks.

    Args:
        package: the package of the actions.
        token: the action token (default: :func:`kefu.identity.action_token`).
    """
    app = create_sdk_app(package, cors_origins=[])
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    expected = token or action_token()

    @app.middleware("request")
    async def check_action_call(request: Request) -> HTTPResponse | None:
        refusal = access_refusal(request, expected)
        if refusal is not None or request.method != "POST" or request.path != "/webhook":
            return refusal
        declared = request.headers.get("content-length", "")
        if len(request.body or b"") > MAX_BODY_BYTES or (
            declared.isdigit() and int(declared) > MAX_BODY_BYTES
        ):
            return _refusal("the request is too large", 413, "too_large")
        try:
            body = _parse(request)
        except BodyTooLarge:
            return _refusal("the request is too large", 413, "too_large")
        except (json.JSONDecodeError, zlib.error):
            return _bad_request("the body is not valid JSON")
        except ValueError as exc:
            return _bad_request(str(exc))
        problem = action_call_error(body)
        if problem:
            return _bad_request(problem)
        if "content-encoding" in request.headers:
            del request.headers["content-encoding"]  # inflated once, here: not again
        request.parsed_json = body  # rasa_sdk reads request.json: no second parse
        return None

    @app.get("/openapi.json")
    async def openapi(_request: Request) -> HTTPResponse:
        return json_response(json.loads(SPEC_PATH.read_text(encoding="utf-8")))

    async def action_failed(request: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            logger.error("action call failed on %s", request.path, exc_info=exception)
            return json_response({"error": "the action failed", "code": "action_error"}, 500)
        return json_response({"error": str(exception), "code": "bad_request"}, status=status)

    # replaces rasa_sdk's handler, which echoes the whole request (customer data) back
    app.error_handler.add(Exception, action_failed)
    return app


def main(argv: list[str] | None = None) -> int:
    """``python -m actions.server [--host H] [--port P]``."""
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address (default loopback)")
    parser.add_argument("--port", type=int, default=DEFAULT_SERVER_PORT, help="port (5055)")
    parser.add_argument("--actions", default="actions", help="package of the actions")
    args = parser.parse_args(argv)
    private_umask()  # its files (logs, databases) private to kefu's user
    install_record_factory()  # no customer's phone, e-mail, ID or card in the log
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(args.actions)
    favour_the_event_loop()  # actions run on worker threads (kefu.gil)
    app.register_listener(freeze_after_start, "after_server_start")  # kefu.heap
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
