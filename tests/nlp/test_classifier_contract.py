"""The promises both classifiers make, checked on each (one contract, every model)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from nlp import ModelFormatError, NaiveBayesIntentClassifier, SvmSentimentClassifier
from tests.nlp.conftest import ODD_TEXTS

MODELS = {
    "intent": (NaiveBayesIntentClassifier, "intent_data", "intent_model"),
    "sentiment": (SvmSentimentClassifier, "binary_sentiment_data", "sentiment_model"),
}


@pytest.fixture(params=sorted(MODELS))
def case(request):
    cls, data_name, model_name = MODELS[request.param]
    data = request.getfixturevalue(data_name)
    model = request.getfixturevalue(model_name)
    return cls, data, model


def test_fit_returns_self_and_learns_sorted_classes(case):
    cls, (texts, labels), _ = case
    model = cls()
    assert model.fit(texts, labels) is model
    assert model.classes_.tolist() == sorted(set(labels))


def test_predict_proba_columns_follow_classes(case):
    _, (texts, labels), model = case
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), len(model.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    top = model.classes_[proba.argmax(axis=1)]
    # the training texts are learnt: the top column is the true label for most of them
    assert (top == np.asarray(labels)).mean() > 0.9


def test_unfitted_model_raises_not_fitted(case, tmp_path):
    cls, _, _ = case
    model = cls()
    for call in (model.predict, model.predict_proba):
        with pytest.raises(NotFittedError):
            call(["hello"])
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "m")


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_odd_texts_get_a_defined_answer(case, text):
    _, _, model = case
    proba = model.predict_proba([text])
    assert proba.shape == (1, len(model.classes_))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(), 1.0)
    assert len(model.predict([text])) == 1


def test_one_megabyte_text_reads_only_the_head(case):
    _, _, model = case
    huge = "我的订单到哪了 where is my order " * 40_000
    assert len(huge.encode("utf-8")) > 1 << 20
    head = huge[: model.max_chars]
    np.testing.assert_allclose(model.predict_proba([huge]), model.predict_proba([head]))


def test_empty_batch(case):
    _, _, model = case
    assert model.predict_proba([]).shape == (0, len(model.classes_))
    assert len(model.predict([])) == 0


@pytest.mark.parametrize(
    ("texts", "match"),
    [
        (["ok", 3], r"texts\[1\] must be a str, got int"),
        (["ok", None], r"texts\[1\] must be a str, got NoneType"),
        (["ok", b"bytes"], r"texts\[1\] must be a str, got bytes"),
        ("a bare string", "sequence of str"),
        (42, "sequence of str"),
    ],
)
def test_non_string_input_raises_type_error_naming_the_item(case, texts, match):
    _, _, model = case
    with pytest.raises(TypeError, match=match):
        model.predict(texts)
    with pytest.raises(TypeError, match=match):
        model.predict_proba(texts)


def test_fit_rejects_bad_training_input(case):
    cls, _, _ = case
    with pytest.raises(ValueError, match="at least 2 distinct labels"):
        cls().fit(["a", "b", "c"], ["x", "x", "x"])
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        cls().fit(["a", "b", "c"], ["x", "y"])
    with pytest.raises(TypeError, match=r"texts\[2\]"):
        cls().fit(["a", "b", 7], ["x", "y", "x"])
    with pytest.raises(TypeError, match=r"labels\[1\]"):
        cls().fit(["a", "b"], ["x", 1])
    with pytest.raises(ValueError):
        cls().fit([], [])


def test_save_and_load_give_the_same_predictions(case, tmp_path):
    cls, (texts, _), model = case
    directory = model.save(tmp_path / "model")
    loaded = cls.load(directory)
    probe = texts[:20] + ODD_TEXTS
    np.testing.assert_allclose(loaded.predict_proba(probe), model.predict_proba(probe))
    assert loaded.predict(probe).tolist() == model.predict(probe).tolist()
    assert loaded.get_params() == model.get_params()
    # plain formats only: JSON, and arrays that load without pickle
    json.loads((directory / "model.json").read_text(encoding="utf-8"))
    with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)


def test_save_overwrites_an_earlier_model(case, tmp_path, intent_model, sentiment_model):
    cls, _, model = case
    other = sentiment_model if model is intent_model else intent_model
    directory = tmp_path / "model"
    other.save(directory)
    model.save(directory)
    assert cls.load(directory).classes_.tolist() == model.classes_.tolist()


def test_load_refuses_missing_corrupted_and_foreign_directories(
    case, tmp_path, intent_model, sentiment_model
):
    cls, _, model = case
    with pytest.raises(ModelFormatError, match="no model directory"):
        cls.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFormatError, match="expected model.json"):
        cls.load(tmp_path / "empty")

    foreign = sentiment_model if model is intent_model else intent_model
    foreign.save(tmp_path / "foreign")
    with pytest.raises(ModelFormatError, match="not a"):
        cls.load(tmp_path / "foreign")

    good = model.save(tmp_path / "corrupted")
    blob = bytearray((good / "arrays.npz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (good / "arrays.npz").write_bytes(bytes(blob))
    with pytest.raises(ModelFormatError, match="corrupted or partial"):
        cls.load(good)

    model.save(tmp_path / "badjson")
    (tmp_path / "badjson" / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelFormatError, match="corrupted"):
        cls.load(tmp_path / "badjson")

    model.save(tmp_path / "tampered")
    meta_path = tmp_path / "tampered" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["classes"] = meta["classes"][:1]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError):
        cls.load(tmp_path / "tampered")
    assert isinstance(ModelFormatError("x"), ValueError)


def test_a_save_stopped_between_its_two_renames_still_loads_the_previous_model(
    case, tmp_path, monkeypatch
):
    """The new arrays are in place but model.json is still the old one (crash, or a reader
    arriving mid-save): the complete previous model loads, not an error or a mix."""
    import nlp.persistence as persistence

    cls, (texts, labels), model = case
    directory = model.save(tmp_path / "model")
    before = cls.load(directory).predict_proba(texts[:5])
    newer = cls().fit(texts[::2], labels[::2])  # another model of the same kind
    real_write = persistence._atomic_write

    def crash_before_meta(path, write):
        if path.name == "model.json":
            raise OSError(28, "No space left on device", str(path))
        real_write(path, write)

    monkeypatch.setattr(persistence, "_atomic_write", crash_before_meta)
    with pytest.raises(OSError):
        newer.save(directory)  # new arrays.npz written, model.json not
    assert not np.allclose(newer.predict_proba(texts[:5]), before)
    monkeypatch.undo()
    np.testing.assert_allclose(cls.load(directory).predict_proba(texts[:5]), before)
    newer.save(directory)  # a complete save tidies up the kept arrays
    np.testing.assert_allclose(
        cls.load(directory).predict_proba(texts[:5]), newer.predict_proba(texts[:5])
    )
    assert sorted(p.name for p in directory.iterdir()) == ["arrays.npz", "model.json"]
