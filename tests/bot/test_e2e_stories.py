"""`rasa test` end-to-end stories (bot/tests/*.yml) with --fail-on-prediction-errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
STORIES = ROOT / "bot" / "tests"


def _intents_in_stories() -> set[str]:
    intents = set()
    for path in STORIES.glob("test_*.yml"):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            intents |= {s["intent"] for s in story["steps"] if "intent" in s}
    return intents


def test_stories_cover_every_intent():
    from rasa.shared.core.constants import DEFAULT_INTENTS
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "bot" / "domain"))
    intents = (set(domain.intents) - set(DEFAULT_INTENTS)) | {"out_of_scope"}
    assert len(intents) >= 20
    assert intents | {"nlu_fallback"} <= _intents_in_stories()


def test_stories_have_user_text_in_both_languages():
    texts = []
    for path in STORIES.glob("test_*.yml"):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            texts += [s["user"] for s in story["steps"] if "user" in s]
    zh = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)]
    en = [t for t in texts if t not in zh and any(c.isalpha() for c in t) and not t.startswith("/")]
    assert len(zh) >= 20 and len(en) >= 20


def test_rasa_test_end_to_end_stories(bot_model, bot_env, tmp_path):
    from kefu.bot import rasa_test_command

    proc = subprocess.run(
        rasa_test_command(bot_model, tmp_path / "results"),
        cwd=tmp_path,
        env=bot_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    tail = "\n".join(proc.stdout.splitlines()[-60:])
    assert proc.returncode == 0, tail
    assert "Correct:" in proc.stdout
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed
