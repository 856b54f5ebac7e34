"""``analyze texts --engine spark``: the same per-text output and report as the local engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.spark import SparkMapper, portable_models
from analytics.texts import TextsOptions, analyse_texts

DATA = Path(__file__).resolve().parents[2] / "data" / "analytics"


def _both(path: Path, tmp_path: Path, spark, options: TextsOptions, **models):
    local_dir, spark_dir = tmp_path / "local", tmp_path / "spark"
    local_dir.mkdir()
    spark_dir.mkdir()
    local = analyse_texts(path, local_dir, options, **models)
    mapper = SparkMapper(spark, batch_rows=3)
    remote = analyse_texts(path, spark_dir, options, mapper=mapper, **models)
    return local, remote, mapper


def _aggregates(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "input"}


def test_reviews_equal_the_local_engine(spark, sentiment_model, tmp_path):
    # chunks of 2, batches of 3 rows: several Spark jobs, no chunk split across two
    options = TextsOptions(progress=False, workers=1, chunk_size=2)
    local, remote, mapper = _both(
        DATA / "reviews.csv", tmp_path, spark, options, sentiment_model=sentiment_model
    )
    assert mapper.jobs_ == 2  # 8 texts: 4 chunks of 2, a batch closes at >= 3 texts
    assert remote.summary["texts"] == 8 and remote.summary["bad_rows"]["total"] == 5
    assert _aggregates(remote.summary) == _aggregates(local.summary)
    # the per-text rows (line numbers, keywords, confidences, masked text) byte for byte
    assert remote.texts_csv.read_bytes() == local.texts_csv.read_bytes()
    assert remote.bad_rows_csv.read_bytes() == local.bad_rows_csv.read_bytes()
    assert remote.summary["input"]["engine"].startswith("spark (local[2]")
    assert local.summary["input"]["engine"] == "local"
    json.dumps(remote.summary)  # the report's summary.json


def test_chat_log_with_intents_equal_the_local_engine(
    spark, sentiment_model, intent_model, tmp_path
):
    options = TextsOptions(progress=False, workers=1, intents=True, keyword_method="textrank")
    local, remote, _ = _both(
        DATA / "chats.jsonl",
        tmp_path,
        spark,
        options,
        sentiment_model=sentiment_model,
        intent_model=intent_model,
    )
    assert remote.summary["texts"] > 0 and remote.summary["intents"]
    assert _aggregates(remote.summary) == _aggregates(local.summary)
    assert remote.texts_csv.read_bytes() == local.texts_csv.read_bytes()


def test_models_that_cannot_travel_fail_clearly():
    with pytest.raises(ValueError, match="cannot be sent to Spark"):
        portable_models({"sentiment": lambda text: text})


def test_cli_engine_spark(spark, sentiment_model, tmp_path, capsys):
    from kefu.cli import main

    model_dir = tmp_path / "model"
    sentiment_model.save(model_dir)
    args = ["analyze", "texts", str(DATA / "reviews.csv"), "--sentiment-model", str(model_dir),
            "--quiet", "--out", str(tmp_path / "reports")]  # fmt: skip
    assert main([*args, "--engine", "spark", "--batch-rows", "4"]) == 0
    out = capsys.readouterr().out
    assert "8 texts analysed, 5 bad rows" in out and "report:" in out
    report = Path(out.split("report: ")[1].strip()).parent
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert summary["input"]["engine"].startswith("spark")
    assert main([*args, "--master", "local[1]"]) == 1
    assert "--master needs --engine spark" in capsys.readouterr().err


def test_cli_reads_uris_through_spark(spark, sentiment_model, tmp_path, capsys):
    from kefu.cli import main

    model_dir = tmp_path / "model"
    sentiment_model.save(model_dir)
    options = ["--sentiment-model", str(model_dir), "--quiet", "--out", str(tmp_path / "r")]
    uri = f"file://{DATA / 'reviews.csv'}"  # as Spark reads it: not percent-encoded
    summaries = {}
    for engine in ("spark", "local"):  # file:// through Spark's filesystem, and locally
        assert main(["analyze", "texts", uri, *options, "--engine", engine]) == 0
        out = capsys.readouterr().out
        assert "8 texts analysed, 5 bad rows" in out
        report = Path(out.split("report: ")[1].strip()).parent
        summaries[engine] = json.loads((report / "summary.json").read_text(encoding="utf-8"))
        assert summaries[engine]["input"]["file"] == "reviews.csv"
    spark_run, local_run = (
        {k: v for k, v in summaries[e].items() if k not in ("input", "created_at")}
        for e in ("spark", "local")
    )
    assert spark_run == local_run

    # one line, no traceback: a scheme Spark has no filesystem for, and HDFS without Spark
    assert (
        main(["analyze", "texts", "nosuch://bucket/reviews.csv", *options, "--engine", "spark"])
        == 1
    )
    err = capsys.readouterr().err
    assert err == (
        "kefu: error: nosuch://bucket/reviews.csv: Spark has no filesystem for the scheme "
        "'nosuch' (file:, hdfs:, or s3a: with hadoop-aws on the classpath...)\n"
    )
    assert main(["analyze", "texts", "hdfs://nn/reviews.csv", *options]) == 1
    err = capsys.readouterr().err
    assert err == (
        "kefu: error: hdfs://nn/reviews.csv: the local engine reads local files (a path or "
        "a file:// URI); read hdfs: URIs with --engine spark\n"
    )
