"""The action server: rasa_sdk's endpoint, with ``POST /webhook`` input checked first.

rasa_sdk 3.6.2 answers some malformed action calls with a 500 that echoes the request
(a JSON list, a missing ``tracker`` or ``sender_id``) or with ``200 null`` (no
``next_action``). Here every malformed call gets a 400 with a JSON error before rasa_sdk
sees it; an unknown action keeps rasa_sdk's 404. ``python -m actions.server`` serves it
on loopback (``kefu run`` and the tests start it this way); ``rasa run actions`` still
works, without the checks.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import zlib
from typing import Any

from rasa_sdk.constants import DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from kefu.logredact import install_record_factory
from kefu.settings import private_umask

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 100 * 1024 * 1024  # a deflated body may not inflate past this
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
    if any(not isinstance(event, dict) for event in tracker.get("events") or []):
        return "'tracker.events' must be a list of objects"
    if "domain" in body and not isinstance(body["domain"], dict | type(None)):
        return "'domain' must be an object"
    if "version" in body and not isinstance(body["version"], str | type(None)):
        return "'version' must be a string"
    return None


def _bad_request(message: str) -> HTTPResponse:
    return json_response({"error": message, "code": "bad_action_call"}, status=400)


def _parse(request: Request) -> Any:
    raw = request.body or b""
    if request.headers.get("content-encoding") == "deflate":
        decompressor = zlib.decompressobj()
        raw = decompressor.decompress(raw, MAX_BODY_BYTES)
        if decompressor.unconsumed_tail:
            raise ValueError("the decompressed body is too large")
    return json.loads(raw)


def create_app(package: str = "actions") -> Sanic:
    """rasa_sdk's app for the actions in ``package``, with the action-call checks."""
    app = create_sdk_app(package, cors_origins=[])

    @app.middleware("request")
    async def check_action_call(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or request.path != "/webhook":
            return None
        try:
            body = _parse(request)
        except (ValueError, zlib.error):
            return _bad_request("the body is not valid JSON")
        problem = action_call_error(body)
        if problem:
            return _bad_request(problem)
        if request.headers.get("content-encoding") != "deflate":
            request.parsed_json = body  # rasa_sdk reads request.json: no second parse
        return None

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
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
