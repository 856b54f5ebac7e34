"""Reports and exports mask personal data by default; ``--no-redact`` keeps raw text."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from analytics import run_conversations, run_texts
from analytics.texts import TextsOptions
from kefu.cli import build_parser
from tests.analytics.trackers import DAY1, _action, _user

PHONE = "13812345678"
EMAIL = "wang.fang.private@example.com"
COMPLAINTS = [
    f"太差了，退款一直没到，请打电话 {PHONE} 联系我",
    f"terrible service, broken on arrival, write to {EMAIL} now",
    f"awful, the worst purchase ever, call {PHONE} or mail {EMAIL}",
    "质量很差，非常失望，再也不买了",
    "great product, fast delivery, love it",
    "很好，物流很快，满意",
]


def _everything(directory: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in directory.rglob("*") if p.is_file()
    )


@pytest.fixture
def texts_file(tmp_path) -> Path:
    path = tmp_path / "texts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "customer"])
        for i, text in enumerate(COMPLAINTS * 3):
            writer.writerow([text, EMAIL if i % 2 else f"C{i:05d}"])
    return path


@pytest.mark.parametrize("redact", [True, False])
def test_texts_report_and_export(texts_file, tmp_path, sentiment_model, redact):
    options = TextsOptions(progress=False, workers=1, redact=redact)
    directory, summary = run_texts(
        texts_file, options, tmp_path / "out", sentiment_model=sentiment_model
    )
    dump = _everything(directory)
    assert (directory / "texts.csv").exists() and "report.html" in {
        p.name for p in directory.iterdir()
    }
    if redact:
        assert PHONE not in dump and EMAIL not in dump
        assert "[PHONE]" in (directory / "texts.csv").read_text()
        assert "[EMAIL]" in dump
        assert "退款一直没到" in (directory / "texts.csv").read_text()  # the rest stays
    else:
        assert PHONE in (directory / "texts.csv").read_text() and EMAIL in dump
    assert summary["texts"] == len(COMPLAINTS) * 3  # the analysis is the same either way


def test_conversations_report_masks_messages_it_lists(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    events = [
        _action("action_listen", DAY1),
        _user(f"my number {PHONE} and {EMAIL}", "nlu_fallback", DAY1 + 1, "negative"),
        _action("action_listen", DAY1 + 2),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("c1", events, [])))
    store.engine.dispose()
    url = f"sqlite:///{tmp_path / 't.db'}"
    directory, summary = run_conversations(url, None, tmp_path / "redacted")
    listed = [m["text"] for ms in summary["not_understood"].values() for m in ms]
    assert listed == ["my number [PHONE] and [EMAIL]"]
    dump = _everything(directory)
    assert PHONE not in dump and EMAIL not in dump
    directory, summary = run_conversations(url, None, tmp_path / "raw", redact=False)
    assert PHONE in _everything(directory)


def test_kefu_analyze_redacts_unless_told_not_to():
    parser = build_parser()
    assert parser.parse_args(["analyze", "texts", "f.csv"]).redact is True
    assert parser.parse_args(["analyze", "texts", "f.csv", "--no-redact"]).redact is False
    assert parser.parse_args(["analyze", "conversations"]).redact is True
    assert parser.parse_args(["analyze", "conversations", "--no-redact"]).redact is False
