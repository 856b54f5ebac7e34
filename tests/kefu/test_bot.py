"""kefu.bot: lookup tables from the shop, fingerprinted training, server environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kefu.bot as kbot
from kefu.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_lookups_come_from_the_shop_and_stay_out_of_the_repo(shop_env):
    path = kbot.generate_lookups()
    assert path == Path(shop_env["KEFU_VAR_DIR"]) / "bot" / "lookups.yml"
    assert ROOT not in path.parents
    text = path.read_text(encoding="utf-8")
    tables = kbot.build_lookup_tables()
    for entity in ("product", "brand", "category"):
        assert f"- lookup: {entity}" in text
        assert len(tables[entity]) >= 10
    # product types in both languages, brands in both languages, category words
    assert {"蓝牙耳机", "Bluetooth Earbuds"} <= set(tables["product"])
    assert {"小米", "Xiaomi"} <= set(tables["brand"])
    assert {"electronics", "数码", "Electronics"} <= set(tables["category"])
    # no short English word that would match inside ordinary words
    assert not [p for p in tables["product"] if p.isascii() and " " not in p and len(p) < 5]
    assert "Keep" not in tables["brand"]
    # longest first, so that the longest name wins in the regex alternation
    lengths = [len(v) for v in tables["product"]]
    assert lengths == sorted(lengths, reverse=True)
    mtime = path.stat().st_mtime_ns
    assert kbot.generate_lookups() == path and path.stat().st_mtime_ns == mtime


def test_vocabulary_maps_what_customers_write_to_the_catalogue(shop_env):
    from kefu.bot.lookups import build_vocabulary
    from nlp.constraints import ConstraintParser

    vocabulary = build_vocabulary()
    assert vocabulary.brands["小米"] == vocabulary.brands["Xiaomi"] == "Xiaomi"
    assert (
        vocabulary.categories["零食"] == "food" and vocabulary.categories["数码"] == "electronics"
    )
    assert vocabulary.categories["Electronics"] == "electronics"
    assert {"蓝牙耳机", "耳机", "earbuds", "kettle"} <= {p.lower() for p in vocabulary.products}
    request = ConstraintParser(vocabulary).parse("有没有小米的蓝牙耳机，500以内")
    assert request.query.types == ("蓝牙耳机",) and request.query.brands == ("Xiaomi",)
    assert request.query.max_price == 500


def test_lookups_need_a_shop(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(kbot.BotBuildError, match="kefu db demo"):
        kbot.generate_lookups()


def test_fingerprint_follows_the_bot_the_nlp_code_and_the_lookups(monkeypatch, tmp_path):
    root = tmp_path / "repo"
    for tree in ("bot", "nlp"):
        shutil.copytree(ROOT / tree, root / tree, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "data").mkdir()
    monkeypatch.setattr(
        kbot.training, "get_settings", lambda: Settings(root=root, var_dir=tmp_path / "v")
    )
    lookups = tmp_path / "lookups.yml"
    lookups.write_text("a\n")
    base = kbot.fingerprint(lookups)
    assert kbot.fingerprint(lookups) == base
    (root / "bot" / "data" / "rules.yml").write_text("changed\n")
    changed_bot = kbot.fingerprint(lookups)
    assert changed_bot != base
    (root / "nlp" / "intent.py").write_text("# changed\n")
    assert kbot.fingerprint(lookups) != changed_bot
    before = kbot.fingerprint(lookups)
    lookups.write_text("b\n")
    assert kbot.fingerprint(lookups) != before
    # test stories and caches do not make a new model
    before = kbot.fingerprint(lookups)
    (root / "bot" / "tests" / "test_more.yml").write_text("x\n")
    (root / "nlp" / "__pycache__").mkdir(exist_ok=True)
    (root / "nlp" / "__pycache__" / "x.py").write_text("x\n")
    assert kbot.fingerprint(lookups) == before


def test_train_bot_reuses_the_model_when_nothing_changed(bot_model, bot_env):
    from tests.support.servers import TRAIN_VAR, _with_env

    cache = bot_model.parent
    with _with_env({**bot_env, "KEFU_VAR_DIR": str(TRAIN_VAR)}):
        # the first call retrains only if the sources changed since the session began
        first = kbot.train_bot(out_dir=cache)
        mtime = first.stat().st_mtime_ns
        again = kbot.train_bot(out_dir=cache)
    assert again == first == bot_model
    assert again.stat().st_mtime_ns == mtime  # not trained again
    assert kbot.current_model(cache) == again


def test_rasa_env_maps_settings_to_endpoint_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("KEFU_TRACKER_URL", raising=False)
    monkeypatch.delenv("KEFU_REDIS_URL", raising=False)
    env = kbot.rasa_env("http://127.0.0.1:6000/webhook", base={})
    assert env["KEFU_ACTION_ENDPOINT"] == "http://127.0.0.1:6000/webhook"
    assert env["KEFU_TRACKER_URL"] == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert env["KEFU_LOCK_STORE"] == "in_memory"
    env = kbot.rasa_env(base={"KEFU_REDIS_URL": "redis://:s3cret@cache.local:6380/2"})
    assert (env["KEFU_LOCK_STORE"], env["KEFU_REDIS_HOST"], env["KEFU_REDIS_PORT"]) == (
        "kefu.lockstore.AtomicRedisLockStore",  # Rasa's "redis" store races (rasa#9213)
        "cache.local",
        "6380",
    )
    assert (env["KEFU_REDIS_DB"], env["KEFU_REDIS_PASSWORD"]) == ("2", "s3cret")
    for bad in ("redis://", "http://host", "redis://host/db"):
        with pytest.raises(ValueError):
            kbot.rasa_env(base={"KEFU_REDIS_URL": bad})


def test_commands_point_at_the_bot_project(tmp_path):
    model = tmp_path / "m.tar.gz"
    cmd = kbot.server_command(model, 5999)
    # Rasa through kefu's launcher: redacted logs, private files, version check, fixes
    assert cmd[:4] == [*kbot.rasa_launcher(), "run"] and str(model) in cmd and "5999" in cmd
    assert str(ROOT / "bot" / "endpoints.yml") in cmd
    assert "--enable-api" not in cmd  # the HTTP API would let anyone set slots
    assert kbot.actions_command(5055)[1:3] == ["-m", "actions.server"]  # with the call checks
    assert "--e2e" in kbot.rasa_test_command(model, tmp_path)
