"""``kefu train --engine spark`` on a small demo shop, end to end."""

from __future__ import annotations

import json

import pytest

from kefu.cli import main
from recsys import Recommender
from tests.recsys.spark.conftest import assert_same_neighbours


@pytest.fixture
def shop_env(spark, demo_url, var_dir, monkeypatch):
    monkeypatch.setenv("KEFU_DATABASE_URL", demo_url)
    return var_dir


def saved(var_dir):
    return json.loads((var_dir / "models" / "recsys" / "model.json").read_text(encoding="utf-8"))


def test_train_on_spark_then_recommend_without_retraining(shop_env, demo_url, capsys):
    assert main(["train", "--only", "recsys", "--engine", "spark"]) == 0
    out = capsys.readouterr().out
    assert "trained the recommender on Spark (similarity, local[2]) from shop database" in out
    assert saved(shop_env)["metadata"]["engine"] == "spark-similarity"
    assert (shop_env / "spark" / "interactions.parquet").is_file()

    assert main(["recommend", "--customer", "C00002", "--n", "4"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # the Spark-trained model is current: no local retraining
    assert captured.out.startswith("top 4 for customer C00002:")

    assert main(["train", "--only", "recsys", "--engine", "spark"]) == 0
    assert "recommender up to date (trained on Spark" in capsys.readouterr().out

    # the same tables as the local engine on the demo shop's interactions
    from kefu.shop.queries.frames import interactions as interactions_from_db

    spark_model = Recommender.load(shop_env / "models" / "recsys")
    local = Recommender().fit(*interactions_from_db(demo_url))
    for name in ("item_ranking_", "user_ranking_", "item_rating_", "user_rating_"):
        assert_same_neighbours(getattr(local, name), getattr(spark_model, name))


def test_train_from_a_log_with_als(shop_env, demo_url, tmp_path, capsys):
    from kefu.shop.queries.frames import interactions as interactions_from_db

    log = tmp_path / "log.parquet"
    interactions_from_db(demo_url)[0].to_parquet(log, index=False)
    args = ["train", "--only", "recsys", "--engine", "spark", "--spark-model", "als"]
    assert main([*args, "--interactions", f"file://{log}", "--master", "local[2]"]) == 0
    assert f"(als, local[2]) from file://{log}" in capsys.readouterr().out
    metadata = saved(shop_env)["metadata"]
    assert metadata["engine"] == "spark-als" and metadata["source"] == f"file://{log}"
    assert main(["recommend", "--customer", "C00002", "--n", "3", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("top 3 for customer C00002:")


def test_log_uris_spark_cannot_read_fail_in_one_line(shop_env, tmp_path, capsys):
    args = ["train", "--only", "recsys", "--engine", "spark", "--interactions"]
    assert main([*args, "nosuch://bucket/log.parquet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kefu: error: cannot train on Spark: nosuch://bucket/log.parquet: ")
    assert "no filesystem for the scheme 'nosuch'" in err and err.count("\n") == 1
    missing = (tmp_path / "missing.parquet").as_uri()
    assert main([*args, missing]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: no such file or directory" in err and err.count("\n") == 1


def test_options_need_the_spark_engine(shop_env, capsys):
    assert main(["train", "--only", "recsys", "--interactions", "x.parquet"]) == 1
    assert "--interactions needs --engine spark" in capsys.readouterr().err


def test_clear_error_without_java(shop_env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on PATH
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert main(["train", "--only", "recsys", "--engine", "spark"]) == 1
    err = capsys.readouterr().err
    assert "cannot train on Spark: no Java runtime" in err and "make spark-deps" in err
