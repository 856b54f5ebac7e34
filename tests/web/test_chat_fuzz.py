"""Generated hostile requests to the site's chat API (#16): ``/chat/message``,
``/chat/restart``, ``/chat/history``, ``/chat/handoff`` and ``/chat/handoff/end`` get any
Unicode, control characters, lone surrogates, 100 kB strings, deep JSON, wrong types in
every field and metadata the site must ignore. No answer may be a 5xx, the rate limiter
must not answer for the handler (the site runs with a high chat rate and the test counts
the 200s that reached the bot), and the site still chats afterwards.

``KEFU_FUZZ_EXAMPLES`` (default 80) examples per door.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from urllib.parse import quote

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "80"))

text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=50),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "\u202e你好", "\ufeff", "/restart", "/affirm"]),
    st.integers(0, 100_000).map(lambda n: "长" * n),
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
deep = st.integers(1, 20_000).map(lambda n: "[" * n + "]" * n)
metadata = st.one_of(
    json_value,
    st.fixed_dictionaries(
        {
            "customer_token": st.one_of(text, json_value),
            "language": st.one_of(text, json_value),
            "client": json_value,
        }
    ),
)
message_bodies = st.one_of(
    json_value,
    deep,
    st.fixed_dictionaries({"message": text}),
    st.fixed_dictionaries({"message": st.text(min_size=1, max_size=100)}),
    st.fixed_dictionaries({"message": st.one_of(text, json_value), "metadata": metadata}),
    st.fixed_dictionaries(
        {"message": text, "sender": st.one_of(text, json_value), "customer_token": text}
    ),
)
# JSON most of the time (to reach the handler), sometimes anything else (415)
content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from(["application/json; charset=utf-8", "text/plain", "", "application/x"]),
)


def _raw(value: object) -> bytes:
    if isinstance(value, str) and value.startswith("["):
        return value.encode()
    # ensure_ascii: a lone surrogate goes as the escape "\ud800", as a browser's JSON would
    return json.dumps(value, ensure_ascii=True).encode()


def _fuzz_post(site_url: str, path: str, strategy, examples: int) -> Counter:
    s = requests.Session()
    s.headers["Sec-Fetch-Site"] = "same-origin"
    statuses: Counter = Counter()

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(strategy, content_types)
    def run(value: object, content_type: str) -> None:
        r = s.post(
            site_url + path, data=_raw(value), headers={"Content-Type": content_type}, timeout=90
        )
        statuses[r.status_code] += 1
        assert r.status_code < 500, (r.status_code, r.text[:300], _raw(value)[:300])
        assert r.headers["Content-Type"].startswith("application/json"), r.headers

    run()
    return statuses


def _fuzz_get(site_url: str, examples: int) -> Counter:
    s = requests.Session()
    statuses: Counter = Counter()

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(st.sampled_from(["/chat/history", "/chat/handoff"]), st.one_of(st.none(), text))
    def run(path: str, after: str | None) -> None:
        # percent-encoded by hand: a lone surrogate goes as the bytes no UTF-8 decoder accepts
        query = "" if after is None else "?after=" + quote(after.encode("utf-8", "surrogatepass"))
        r = s.get(site_url + path + query, timeout=90)
        statuses[r.status_code] += 1
        assert r.status_code < 500, (path, r.status_code, r.text[:300], after)

    s.post(site_url + "/chat/message", json={"message": "hello"}, timeout=90)
    run()
    return statuses


def test_generated_chat_requests_never_get_a_server_error(fuzz_site):
    url = fuzz_site.url
    result = {
        "/chat/message": _fuzz_post(url, "/chat/message", message_bodies, EXAMPLES),
        "/chat/restart": _fuzz_post(url, "/chat/restart", message_bodies, EXAMPLES // 4),
        "/chat/handoff/end": _fuzz_post(url, "/chat/handoff/end", message_bodies, EXAMPLES // 4),
        "GET": _fuzz_get(url, EXAMPLES // 2),
    }
    print({k: dict(v) for k, v in result.items()})
    sent = result["/chat/message"]
    assert sent[200] >= 5, sent  # the handler (and the bot) answered, not only the doors
    assert not sent[429], sent  # the rate limiter did not stand in for the handler
    assert sent[400] and sent[415], sent  # refusals were the handler's own
    s = requests.Session()
    s.headers["Sec-Fetch-Site"] = "same-origin"
    after = s.post(url + "/chat/message", json={"message": "你好"}, timeout=90)
    assert after.status_code == 200 and after.json()["messages"], after.text
    assert requests.get(url + "/healthz", timeout=10).ok
