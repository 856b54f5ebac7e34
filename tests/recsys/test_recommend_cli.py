"""``kefu recommend`` on a temporary demo shop."""

from __future__ import annotations

import re

import pytest

from kefu.cli import main


@pytest.fixture
def shop_env(demo_url, var_dir, monkeypatch):
    monkeypatch.setenv("KEFU_DATABASE_URL", demo_url)
    return var_dir


def test_recommend_prints_numbered_items_with_reasons(shop_env, capsys):
    assert main(["recommend", "--customer", "C00002", "--n", "4"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("trained the recommender on ")  # first use trains
    out = captured.out.splitlines()
    assert out[0] == "top 4 for customer C00002:"
    assert len(out) == 5
    for rank, line in enumerate(out[1:], start=1):
        assert re.match(rf"\s+{rank}\. P\d{{4}}  .+  \[\d\.\d{{3}}\]  .+", line)
    assert (shop_env / "models" / "recsys" / "model.json").is_file()
    assert main(["recommend", "--customer", "C00002", "--n", "4"]) == 0
    assert capsys.readouterr().err == ""  # up to date: no retraining


def test_recommend_in_english_within_a_category(shop_env, capsys):
    assert main(["recommend", "--customer", "C00002", "--lang", "en", "--category", "数码"]) == 0
    out = capsys.readouterr().out
    assert "because you" in out or "popular in Electronics" in out or "similar" in out
    assert "因为" not in out


def test_anonymous_visitor_gets_best_sellers(shop_env, capsys):
    assert main(["recommend", "--n", "3", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("top 3 for an anonymous visitor:")
    assert "popular in" in out or "a best seller" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--customer", "NOPE"], "no customer with id 'NOPE'"),
        (["--customer", "C00002", "--category", "toys"], "unknown category 'toys'"),
    ],
)
def test_recommend_errors(shop_env, capsys, args, message):
    assert main(["recommend", *args]) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("n", ["0", "-1", "abc", "101"])
def test_recommend_rejects_bad_n(shop_env, capsys, n):
    with pytest.raises(SystemExit) as exc:
        main(["recommend", "--n", n])
    assert exc.value.code == 2
    assert "--n" in capsys.readouterr().err


def test_recommend_without_database(var_dir, capsys):
    assert main(["recommend", "--customer", "C00001"]) == 1
    assert "kefu db demo" in capsys.readouterr().err
