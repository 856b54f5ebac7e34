"""The app's own NLP models in the settings' models directory: trained once, retrained when
their data changes, and the shipped sentiment model's quality."""

from __future__ import annotations

import json
import shutil

import pytest

from kefu import nlp_models
from nlp import shipped as nlp_shipped
from nlp.sentiment import SvmSentimentClassifier
from tests.nlp.conftest import SENTIMENT_DATA, TEST_DATA, TINY_BOT


@pytest.fixture
def small_data(tmp_path):
    """A copy of the shipped examples, small enough to train in a second."""
    target = tmp_path / "sentiment"
    shutil.copytree(SENTIMENT_DATA, target)
    return target


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_VAR_DIR", str(tmp_path / "var"))
    nlp_models.clear_cache()
    yield tmp_path / "var"
    nlp_models.clear_cache()


def test_sentiment_model_is_trained_once_and_retrained_when_data_changes(var_dir, small_data):
    first = nlp_models.load_sentiment_model(data_dir=small_data, use_snownlp=False)
    directory = var_dir / "models" / "sentiment"
    info = json.loads((directory / "training.json").read_text())
    assert info["examples"] == 5 * sum(
        1 for _ in zip(*nlp_shipped.load_sentiment_corpus(small_data, False, 1), strict=False)
    )
    assert nlp_models.load_sentiment_model(data_dir=small_data, use_snownlp=False) is first

    nlp_models.clear_cache()  # a new process: loads from disk, no training
    stamp = (directory / "arrays.npz").stat().st_mtime_ns
    again = nlp_models.load_sentiment_model(data_dir=small_data, use_snownlp=False)
    assert (directory / "arrays.npz").stat().st_mtime_ns == stamp
    assert again.predict(["太差了"]).tolist() == first.predict(["太差了"]).tolist()

    with (small_data / "zh" / "negative.txt").open("a", encoding="utf-8") as fh:
        fh.write("这是新加的一条差评\n")
    retrained = nlp_models.load_sentiment_model(data_dir=small_data, use_snownlp=False)
    assert retrained is not first
    new_info = json.loads((directory / "training.json").read_text())
    assert new_info["fingerprint"] != info["fingerprint"]
    assert new_info["examples"] == info["examples"] + 5


def test_load_without_retrain_refuses_a_missing_model(var_dir, small_data):
    with pytest.raises(ValueError, match="no up-to-date sentiment model"):
        nlp_models.load_sentiment_model(retrain=False, data_dir=small_data, use_snownlp=False)


def test_train_all_reports_what_it_did(var_dir, small_data, tmp_path):
    nlu_dir = TINY_BOT / "data"
    kwargs = {"sentiment_data": small_data, "use_snownlp": False, "nlu_dir": nlu_dir}
    report = nlp_models.train_all(**kwargs)
    assert report["sentiment"]["status"] == "trained"
    assert report["intent"]["status"] == "trained"
    assert report["intent"]["examples"] == 40
    assert nlp_models.train_all(**kwargs)["sentiment"]["status"] == "up to date"
    assert nlp_models.train_all(force=True, **kwargs)["intent"]["status"] == "trained"
    assert isinstance(
        SvmSentimentClassifier.load(report["sentiment"]["path"]), SvmSentimentClassifier
    )
    model = nlp_models.load_intent_model(nlu_dir=nlu_dir)
    assert model.predict(["我的订单到哪了"]).tolist() == ["order_status"]

    skipped = nlp_models.train_all(**{**kwargs, "nlu_dir": tmp_path / "no-nlu"})
    assert skipped["intent"]["status"] == "skipped"
    assert "no NLU files" in skipped["intent"]["reason"]


@pytest.fixture(scope="module")
def shipped_sentiment():
    """The shipped sentiment model, trained once into the persistent test cache (the one
    the bot fixtures use), so that a later session reuses it."""
    from tests.support.servers import TRAIN_VAR

    patch = pytest.MonkeyPatch()
    patch.setenv("KEFU_VAR_DIR", str(TRAIN_VAR))
    nlp_models.clear_cache()
    try:
        yield nlp_models.load_sentiment_model()
    finally:
        nlp_models.clear_cache()
        patch.undo()


def test_shipped_sentiment_reads_neutral_questions_as_not_negative(shipped_sentiment):
    # Held-out questions (not in data/sentiment/) full of 没有/不/not, which the review
    # corpus associates with complaints: the bot's empathy and hand-off rules, and chat-log
    # analytics, must not see them as complaints. Measured: before data/sentiment/ had its
    # 200 extra neutral questions, 16 of these 40 read as negative, 10 of them at >= 0.8
    # confidence (the bot's threshold); with them, 8 and 0; with 250 more per language,
    # written without seeing this file, 3 and 0.
    path = TEST_DATA / "neutral_questions.txt"
    texts = [t for t in path.read_text(encoding="utf-8").splitlines() if t and t[0] != "#"]
    assert len(texts) == 40
    results = shipped_sentiment.predict_with_confidence(texts)
    negative = [
        (t, round(c, 2))
        for t, (label, c) in zip(texts, results, strict=True)
        if label == "negative"
    ]
    confident = [(t, c) for t, c in negative if c >= 0.8]
    assert len(negative) <= 6, negative
    assert len(confident) <= 2, confident


def test_shipped_sentiment_still_reads_complaints_and_praise(shipped_sentiment):
    texts = [
        "质量太差了，用两天就坏了",
        "the parcel arrived broken and nobody answers me",
        "物流很快，质量很好，好评",
        "great quality, fast delivery, thank you!",
    ]
    labels = shipped_sentiment.predict(texts)
    assert list(labels) == ["negative", "negative", "positive", "positive"]
