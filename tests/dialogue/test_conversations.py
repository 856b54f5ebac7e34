"""The held-out multi-turn conversations, played against the real bot.

``tests/data/dialogue/`` holds 215 conversations written by an author who saw only the
behaviour list of issue 14 (never the bot's data); :mod:`tests.dialogue.harness` plays
them over the REST channel and checks what the customer sees and what the shop database
holds afterwards. The test asserts a floor of task success per language over every
conversation (``benchmarks/dialogue.py`` reports the rates per behaviour).
``KEFU_DIALOGUE_RESULTS=<file>`` writes every result as JSON; ``KEFU_DIALOGUE_ONLY=zh-001,
en-002`` plays only those conversations (when debugging).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import pytest

from tests.dialogue import harness
from tests.support.servers import RasaServer

# task success the bot must keep, per language, over every conversation (products
# included): measured 99.1% / 99.1% (106 of 107, 107 of 108; the two failures expect a
# visitor to be told an order number does not exist before any proof, which the bot does
# not say on purpose); the floor sits just under, so that a regression fails
FLOOR = {"zh": 0.97, "en": 0.97}


@pytest.fixture(scope="module")
def results(rasa_server: RasaServer, bot_env) -> list[harness.Result]:
    from kefu.identity import issue_token

    secret = bot_env["KEFU_TOKEN_SECRET"].encode()
    checker = harness.Checker(bot_env["KEFU_DATABASE_URL"], harness.domain_texts())
    played = []
    only = set(filter(None, os.environ.get("KEFU_DIALOGUE_ONLY", "").split(",")))
    for lang in ("zh", "en"):
        for conv in harness.load(lang):
            if only and conv["id"] not in only:
                continue
            played.append(
                harness.play(
                    conv,
                    rasa_server.send,
                    checker,
                    lambda cid: issue_token(cid, 3600, secret=secret),
                )
            )
    out = os.environ.get("KEFU_DIALOGUE_RESULTS")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(
                {"rates": harness.rates(played), "results": [asdict(r) for r in played]},
                fh,
                ensure_ascii=False,
                indent=1,
            )
    return played


def test_the_set_is_the_independent_authors(results):
    if os.environ.get("KEFU_DIALOGUE_ONLY"):
        pytest.skip("KEFU_DIALOGUE_ONLY plays a part of the set")
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids)) == 215
    assert {r.lang for r in results} == {"zh", "en"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_task_success_per_language(results, lang):
    if os.environ.get("KEFU_DIALOGUE_ONLY"):
        pytest.skip("KEFU_DIALOGUE_ONLY plays a part of the set")
    mine = [r for r in results if r.lang == lang]
    rate = sum(r.ok for r in mine) / len(mine)
    failed = [f"{r.id} ({r.behaviour}): {r.failures[0]}" for r in mine if not r.ok]
    assert rate >= FLOOR[lang], f"{lang}: {rate:.1%} of {len(mine)}\n" + "\n".join(failed)


def test_no_turn_is_ever_silent(results):
    silent = [
        f"{r.id}: {t['user']}" for r in results for t in r.transcript if "no reply" in t["problems"]
    ]
    assert not silent, silent
