"""Generated hostile messages at the doors (#16): the action server's webhook and the Rasa
channel get any Unicode, control characters, long strings, deep JSON and wrong types;
no answer may be a 5xx, and each server still answers afterwards.

The normal run sends ``KEFU_FUZZ_EXAMPLES`` (default 150) per door; the ``slow`` test
sends 10,000 in all.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.test_action_server import authorized

EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "150"))
SLOW_EXAMPLES = 5_000  # per door: 10,000 in all

text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=50),
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


def _body(value: object) -> bytes:
    if isinstance(value, str) and value.startswith("["):
        return value.encode()
    return json.dumps(value, ensure_ascii=True).encode()


action_calls = st.one_of(
    json_value,
    deep,
    st.fixed_dictionaries(
        {
            "next_action": st.one_of(
                st.sampled_from(
                    [
                        "action_recommend",
                        "action_handoff",
                        "validate_order_form",
                        "action_submit_order_form",
                    ]
                ),
                text,
            ),
            "tracker": st.one_of(
                json_value,
                st.fixed_dictionaries(
                    {
                        "sender_id": st.one_of(text, json_value),
                        "slots": json_value,
                        "latest_message": st.one_of(
                            json_value,
                            st.fixed_dictionaries({"text": text, "metadata": json_value}),
                        ),
                        "events": st.one_of(
                            json_value,
                            st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "event": st.sampled_from(["user", "bot", "slot"]),
                                        "text": text,
                                        "metadata": json_value,
                                    }
                                ),
                                max_size=3,
                            ),
                        ),
                    }
                ),
            ),
        }
    ),
)
channel_bodies = st.one_of(
    json_value,
    deep,
    st.fixed_dictionaries(
        {
            "sender": st.one_of(text, json_value),
            "message": st.one_of(text, json_value),
            "metadata": json_value,
        }
    ),
)


def _fuzz(url: str, headers: dict[str, str], strategy, examples: int) -> Counter:
    statuses: Counter = Counter()

    @settings(
        max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(strategy)
    def run(value: object) -> None:
        r = requests.post(
            url,
            data=_body(value),
            headers={"Content-Type": "application/json", **headers},
            timeout=60,
        )
        statuses[r.status_code] += 1
        assert r.status_code < 500, (r.status_code, r.text[:300], _body(value)[:300])

    run()
    return statuses


STRATEGIES = {"action server": action_calls, "rasa channel": channel_bodies}


def _fuzz_part(url: str, headers: dict[str, str], door: str, examples: int) -> Counter:
    """:func:`_fuzz` with the strategy of ``door`` (a name: it crosses to another process)."""
    return _fuzz(url, headers, STRATEGIES[door], examples)


def _doors(
    guarded_action_server, rasa_server, examples: int, processes: int = 1
) -> dict[str, Counter]:
    """Fuzz both doors with ``examples`` bodies each. Drawing a body costs Hypothesis about
    10 ms, more than serving it: with ``processes`` > 1 each door's examples are split
    between that many forked processes, each drawing (and posting) its own share."""
    targets = {
        "action server": (authorized(guarded_action_server, "/webhook"), {}),
        "rasa channel": (rasa_server.webhook, rasa_server.channel_headers),
    }
    if processes == 1:
        result = {
            door: _fuzz_part(url, headers, door, examples)
            for door, (url, headers) in targets.items()
        }
    else:
        share = -(-examples // processes)
        with ProcessPoolExecutor(processes, mp_context=get_context("fork")) as pool:
            parts = {
                door: [pool.submit(_fuzz_part, url, headers, door, share) for _ in range(processes)]
                for door, (url, headers) in targets.items()
            }
            result = {door: sum((f.result() for f in fs), Counter()) for door, fs in parts.items()}
        for door, statuses in result.items():
            assert sum(statuses.values()) >= examples, (door, statuses)
    assert requests.get(guarded_action_server.url + "/health", timeout=10).ok
    assert rasa_server.send("fuzz-after", "hello")
    return result


def test_generated_messages_never_get_a_server_error(guarded_action_server, rasa_server):
    result = _doors(guarded_action_server, rasa_server, EXAMPLES)
    print({k: dict(v) for k, v in result.items()})


def test_ten_thousand_messages_across_the_doors(guarded_action_server, rasa_server):
    result = _doors(guarded_action_server, rasa_server, SLOW_EXAMPLES, processes=2)
    print({k: dict(v) for k, v in result.items()})
