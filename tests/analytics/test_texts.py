"""``analyze texts`` end to end: per-text output, summary, bad rows, parallel chunks, CLI."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from analytics import InputError, run_texts
from analytics.texts import TEXT_COLUMNS, TextsOptions, analyse_texts

DATA = Path(__file__).resolve().parents[1] / "data" / "analytics"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_directory_files_and_summary_header(texts_report):
    directory, summary = texts_report
    assert directory.name.startswith("texts-") and directory.is_dir()
    assert sorted(p.name for p in directory.iterdir()) == [
        "bad_rows.csv",
        "report.html",
        "summary.json",
        "texts.csv",
    ]
    on_disk = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    assert list(on_disk)[:3] == ["kind", "title", "created_at"]
    assert on_disk["kind"] == "texts" and "文本分析" in on_disk["title"]
    assert on_disk["texts"] == summary["texts"] == 8
    assert not list(directory.parent.glob(".*partial"))


def test_per_text_rows_match_the_summary(texts_report):
    directory, summary = texts_report
    rows = _rows(directory / "texts.csv")
    assert list(rows[0]) == list(TEXT_COLUMNS)
    assert [int(r["line"]) for r in rows] == [2, 3, 4, 5, 7, 9, 11, 13]
    assert Counter(r["sentiment"] for r in rows) == Counter(summary["sentiment"]["counts"])
    assert {r["language"] for r in rows} == {"zh", "en"}
    assert [r["language"] for r in rows[2:4]] == ["en", "en"]
    assert all(0.0 <= float(r["confidence"]) <= 1.0 for r in rows)
    assert rows[4]["text"].startswith("多行\n") and rows[4]["date"] == "2026-03-03"
    assert rows[5]["date"] == "" and rows[5]["rating"] == "5"
    by_category = Counter((r["category"], r["sentiment"]) for r in rows)
    for group in summary["sentiment_by"]["category"]:
        for label, n in group["counts"].items():
            assert by_category[(group["value"], label)] == n
    assert any(r["keywords"] for r in rows)
    assert summary["trend"]["dated_texts"] == 7 and summary["trend"]["undated_texts"] == 1
    assert summary["rating_agreement"]["rated_texts"] == 7  # line 11 lost its rating


def test_bad_rows_reported_with_line_numbers(texts_report):
    directory, summary = texts_report
    bad = summary["bad_rows"]
    assert bad["total"] == 5 and bad["skipped"] == 3 and bad["kept_without_field"] == 2
    assert [b["line"] for b in bad["listed"]] == [6, 9, 10, 11, 12]
    on_disk = _rows(directory / "bad_rows.csv")
    assert [(r["line"], r["skipped"]) for r in on_disk] == [
        ("6", "yes"),
        ("9", "no"),
        ("10", "yes"),
        ("11", "no"),
        ("12", "yes"),
    ]
    assert summary["input"]["rows"] == 11 and summary["input"]["analysed"] == 8


def test_user_text_is_escaped_in_the_html(texts_report):
    directory, _ = texts_report
    html = (directory / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;hostile&lt;/b&gt;" in html
    assert "<b>hostile</b>" not in html and "<script" not in html
    for external in ('src="http', 'href="http', "url(http", "@import", "<link", "<img"):
        assert external not in html  # self-contained: nothing fetched
    assert "情感分布" in html and "<svg" in html


def _bigger_file(tmp_path: Path, n: int = 60) -> Path:
    source = _rows(DATA / "reviews.csv")
    good = [r for r in source if r["text"].strip() and r["id"] not in {"8"}]
    path = tmp_path / "bigger.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "date", "category", "rating"])
        for i in range(n):
            r = good[i % len(good)]
            text = r["text"].replace("\n", " ")
            writer.writerow(
                [f"{text} {i}", f"2026-03-{1 + i % 28:02d}", r["category"], r["rating"]]
            )
        writer.writerow(["", "2026-03-01", "x", "1"])  # one bad row at the end
    return path


def test_parallel_chunks_give_the_same_results_as_serial(tmp_path, sentiment_model):
    path = _bigger_file(tmp_path)
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        result = analyse_texts(
            path,
            out,
            TextsOptions(progress=False, workers=workers, chunk_size=7),
            sentiment_model=sentiment_model,
        )
        result.summary.pop("input")
        outputs[workers] = (result.texts_csv.read_text(encoding="utf-8"), result.summary)
    assert outputs[1] == outputs[2]
    rows = _rows(tmp_path / "w2" / "texts.csv")
    assert [int(r["line"]) for r in rows] == list(range(2, 62))
    listed = outputs[2][1]["bad_rows"]["listed"]
    assert listed[-1] == {"line": 62, "reason": "empty text", "skipped": True}
    assert all(b["reason"] == "invalid rating 'abc'" for b in listed[:-1]) and len(listed) > 1


def test_limit_stops_early(tmp_path, sentiment_model):
    out = tmp_path / "o"
    out.mkdir()
    result = analyse_texts(
        _bigger_file(tmp_path),
        out,
        TextsOptions(progress=False, workers=1, limit=5),
        sentiment_model=sentiment_model,
    )
    assert result.summary["texts"] == 5 and len(_rows(result.texts_csv)) == 5


def test_chat_log_intents(tmp_path, sentiment_model, intent_model):
    from analytics.readers import ColumnSpec

    directory, summary = run_texts(
        DATA / "chats.jsonl",
        TextsOptions(
            columns=ColumnSpec(text="message", date="time"), intents=True, progress=False, workers=1
        ),
        tmp_path,
        sentiment_model=sentiment_model,
        intent_model=intent_model,
    )
    rows = _rows(directory / "texts.csv")
    assert len(rows) == 3 and all(r["intent"] in intent_model.classes_ for r in rows)
    assert all(0.0 < float(r["intent_confidence"]) <= 1.0 for r in rows)
    assert summary["intents"]["n"] == 3
    assert sum(m["count"] for m in summary["intents"]["mix"]) == 3
    assert summary["bad_rows"]["total"] == 3


def test_unusable_file_leaves_no_report_behind(empty_dir, sentiment_model):
    from analytics.readers import ColumnSpec

    with pytest.raises(InputError, match="no column 'body'"):
        run_texts(
            DATA / "reviews.csv",
            TextsOptions(columns=ColumnSpec(text="body"), progress=False),
            empty_dir,
            sentiment_model=sentiment_model,
        )
    assert list(empty_dir.iterdir()) == []


def test_cli_texts(tmp_path, sentiment_model, capsys):
    from kefu.cli import main

    model_dir = tmp_path / "model"
    sentiment_model.save(model_dir)
    out = tmp_path / "out"
    code = main(
        [
            "analyze", "texts", str(DATA / "reviews.csv"), "--sentiment-model", str(model_dir),
            "--out", str(out), "--quiet", "--workers", "1", "--category-column", "category",
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "8 texts analysed, 5 bad rows (3 skipped)" in printed
    report = Path(printed.strip().splitlines()[-1].removeprefix("report: "))
    assert report.is_file() and report.parent.parent == out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "texts", "missing.csv"], "no such file"),
        (["analyze", "texts", str(DATA / "reviews.csv"), "--text-column", "nope"], "no column"),
        (["analyze", "texts", str(DATA / "reviews.csv"), "--sentiment-model", "/nonexistent"],
         "--sentiment-model"),
    ],
)  # fmt: skip
def test_cli_texts_errors(tmp_path, capsys, args, message):
    from kefu.cli import main

    assert main([*args, "--out", str(tmp_path), "--quiet"]) == 1
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_shared_tokens_cache_per_chunk():
    from analytics.tokens import SharedTokens
    from nlp.tokenize import default_tokenizer

    shared = SharedTokens(default_tokenizer())
    first = shared.tokenize("物流很快")
    assert shared.tokenize("物流很快") is first  # tokenized once
    assert [t.text for t in first] == [t.text for t in default_tokenizer().tokenize("物流很快")]
    whole = shared.tokenize("物流很快", segment_cjk=False)
    assert whole is not first and len(shared.cache) == 2
    shared.clear()
    assert shared.cache == {}
