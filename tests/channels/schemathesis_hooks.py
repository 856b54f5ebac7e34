"""Schemathesis hooks (loaded through ``SCHEMATHESIS_HOOKS`` by ``st`` in
``.venv-schemathesis``, never by pytest).

Every generated request carries what the real callers send, so that it reaches the real
handlers: the action server's ``?token=`` (env ``KEFU_ST_QUERY_TOKEN``), the site's session
cookie (env ``KEFU_ST_SESSION_COOKIE``, else a generated one would replace it); most action
calls name one of the server's real actions (env ``KEFU_ST_ACTIONS``, comma-separated),
so the actions themselves run on generated trackers. The site's cookie and ``Origin`` go
as ``-H`` headers. Imports only schemathesis, hypothesis and the standard library: kefu is
not installed in that virtualenv.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import strategies as st

QUERY_TOKEN = os.environ.get("KEFU_ST_QUERY_TOKEN", "")
SESSION_COOKIE = os.environ.get("KEFU_ST_SESSION_COOKIE", "")
ACTIONS = [a for a in os.environ.get("KEFU_ST_ACTIONS", "").split(",") if a]


@schemathesis.hook
def before_generate_query(context, strategy):
    """Put the action token in every query (a generated one would only get 401)."""
    if not QUERY_TOKEN:
        return strategy
    return strategy.map(lambda query: {**(query or {}), "token": QUERY_TOKEN})


@schemathesis.hook
def before_generate_cookies(context, strategy):
    """Send the signed-in session cookie (the spec's ``session`` scheme) as it is."""
    if not SESSION_COOKIE:
        return strategy
    return strategy.map(lambda cookies: {**(cookies or {}), "kefu_session": SESSION_COOKIE})


def _with_action(pair):
    body, action = pair
    if action is not None and isinstance(body, dict) and "next_action" in body:
        return {**body, "next_action": action}
    return body


@schemathesis.hook
def before_generate_body(context, strategy):
    """Name a real action in most generated action calls (the rest keep their own)."""
    if not ACTIONS:
        return strategy
    names = st.one_of(st.none(), st.sampled_from(ACTIONS), st.sampled_from(ACTIONS))
    return st.tuples(strategy, names).map(_with_action)
