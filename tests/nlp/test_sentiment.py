from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from nlp.sentiment import SvmSentimentClassifier


def test_probabilities_are_sklearns_calibrated_svm(sentiment_model, binary_sentiment_data):
    texts, labels = binary_sentiment_data
    vec = sentiment_model.vectorizer_
    reference = CalibratedClassifierCV(
        LinearSVC(C=sentiment_model.C, random_state=0), method="sigmoid", cv=3, ensemble=False
    ).fit(vec.transform(texts), np.asarray(labels))
    probe = ["质量很差，我要退货", "very happy with it", "我的订单到哪了", "ok"]
    np.testing.assert_allclose(
        sentiment_model.predict_proba(probe), reference.predict_proba(vec.transform(probe))
    )


def test_learns_both_languages(sentiment_model):
    probe = {
        "太差劲了，用一天就坏，我要退货": "negative",
        "非常满意，下次还来买": "positive",
        "awful, it broke after one day": "negative",
        "love it, great quality": "positive",
    }
    proba = sentiment_model.predict_proba(list(probe))
    assert sentiment_model.classes_[proba.argmax(axis=1)].tolist() == list(probe.values())


def test_neutral_band(binary_sentiment_data):
    texts = ["非常满意", "太差了", "我的订单到哪了"]
    model = SvmSentimentClassifier(neutral_threshold=0.0).fit(*binary_sentiment_data)
    assert "neutral" not in model.predict(texts).tolist()
    model.neutral_threshold = 1.0
    assert model.predict(texts).tolist() == ["neutral"] * 3
    model.neutral_threshold = 0.6
    model.neutral_label = "meh"
    for (label, confidence), row in zip(
        model.predict_with_confidence(texts), model.predict_proba(texts), strict=False
    ):
        assert confidence == pytest.approx(row.max())
        assert (label == "meh") == (confidence < 0.6)


def test_text_without_features_is_uniform_and_neutral(sentiment_model):
    for text in ["", "   ", "\x00\x01", "ꙮꙮꙮ"]:
        np.testing.assert_allclose(sentiment_model.predict_proba([text]), [[0.5, 0.5]])
        assert sentiment_model.predict_with_confidence([text]) == [("neutral", 0.5)]


def test_explicit_neutral_class(sentiment_data):
    model = SvmSentimentClassifier().fit(*sentiment_data)
    assert model.classes_.tolist() == ["negative", "neutral", "positive"]
    assert model.coef_.shape[0] == 3 and model.calibration_.shape == (3, 2)
    proba = model.predict_proba(["请问什么时候发货", "东西坏了，太失望"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.classes_[proba.argmax(axis=1)].tolist() == ["neutral", "negative"]


def test_label_with_a_single_example_is_refused():
    with pytest.raises(ValueError, match="single example"):
        SvmSentimentClassifier().fit(["好", "很好", "差"], ["positive", "positive", "negative"])


@pytest.mark.parametrize(
    "params",
    [{"C": 0}, {"class_weight": "weird"}, {"calibration_folds": 1},
     {"neutral_threshold": 1.5}, {"neutral_label": ""}],
)  # fmt: skip
def test_bad_hyper_parameters(params, binary_sentiment_data):
    with pytest.raises(ValueError):
        SvmSentimentClassifier(**params).fit(*binary_sentiment_data)
