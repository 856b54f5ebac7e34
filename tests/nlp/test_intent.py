from __future__ import annotations

import numpy as np
import pytest
from sklearn.naive_bayes import MultinomialNB

from nlp.intent import NaiveBayesIntentClassifier
from nlp.lexicon import Lexicon
from nlp.persistence import ModelFormatError


def test_core_is_sklearns_multinomial_nb(intent_model, intent_data):
    texts, labels = intent_data
    X = intent_model.vectorizer_.transform(texts)[:, intent_model.selected_features_]
    reference = MultinomialNB(alpha=intent_model.alpha).fit(X, labels)
    np.testing.assert_allclose(intent_model.feature_log_prob_, reference.feature_log_prob_)
    probe = ["我的订单到哪了", "thanks a lot!", "this is awful", "拜拜", "随便说点什么"]
    Xp = intent_model.vectorizer_.transform(probe)[:, intent_model.selected_features_]
    assert intent_model.predict(probe).tolist() == reference.predict(Xp).tolist()


def test_keeps_the_chi2_top_fraction(intent_model):
    n_features = len(intent_model.vectorizer_.vocabulary_)
    assert len(intent_model.selected_features_) == round(0.4 * n_features)
    assert np.all(np.diff(intent_model.selected_features_) > 0)


def test_generalises_to_unseen_phrasings(intent_model):
    probe = {
        "请问我的快递到哪里了": "order_status",
        "where's my package KF12345678": "order_status",
        "非常感谢你": "thanks",
        "东西质量太差，我要投诉你们": "complain",
        "hello there": "greet",
        "ok bye bye": "goodbye",
    }
    assert intent_model.predict(list(probe)).tolist() == list(probe.values())


def test_confidences_are_tempered_and_meaningful(intent_model):
    assert np.isfinite(intent_model.temperature_) and intent_model.temperature_ > 0
    in_domain = intent_model.predict_proba(["我的订单到哪了，帮我查一下物流"]).max()
    gibberish = intent_model.predict_proba(["qwzx plmk"]).max()
    assert in_domain > 0.8
    assert gibberish < in_domain


def test_calibration_can_be_switched_off(intent_data):
    model = NaiveBayesIntentClassifier(calibration_folds=0).fit(*intent_data)
    assert model.temperature_ == 1.0


def test_log_proba_is_log_of_proba(intent_model):
    texts = ["谢谢", "where is my order"]
    np.testing.assert_allclose(
        np.exp(intent_model.predict_log_proba(texts)), intent_model.predict_proba(texts)
    )


def test_labels_with_one_example_are_fine():
    model = NaiveBayesIntentClassifier().fit(["hi", "hello", "bye"], ["greet", "greet", "bye"])
    assert model.predict(["bye"]).tolist() == ["bye"]


def test_empty_text_gets_the_class_prior(intent_model):
    proba = intent_model.predict_proba([""])[0]
    expected = np.exp(intent_model.temperature_ * intent_model.class_log_prior_)
    np.testing.assert_allclose(proba, expected / expected.sum())


@pytest.mark.parametrize(
    "params",
    [{"alpha": 0}, {"feature_fraction": 0}, {"feature_fraction": 1.5},
     {"word_ngram_range": (2, 1)}, {"word_ngram_range": None, "char_ngram_range": None},
     {"min_df": 0}, {"max_chars": 0}],
)  # fmt: skip
def test_bad_hyper_parameters(params, intent_data):
    with pytest.raises(ValueError):
        NaiveBayesIntentClassifier(**params).fit(*intent_data)


# -- lexicon and shape features ----------------------------------------------------------------
SHOP = [
    ("recommend a pillow", "recommend"),
    ("can you recommend a kettle", "recommend"),
    ("suggest a good lamp", "recommend"),
    ("recommend a movie", "out_of_scope"),
    ("can you recommend a dentist", "out_of_scope"),
    ("suggest a good restaurant", "out_of_scope"),
    ("推荐个枕头", "recommend"),
    ("推荐一款台灯", "recommend"),
    ("推荐一部电影", "out_of_scope"),
    ("推荐个律师", "out_of_scope"),
]
LEXICON = Lexicon(
    {
        "item": ["pillow", "kettle", "lamp", "blender", "umbrella", "枕头", "台灯", "雨伞"],
        "not_sold": ["movie", "dentist", "restaurant", "lawyer", "plumber", "电影", "律师", "牙医"],
    }
)


@pytest.fixture(scope="module")
def shop_model() -> NaiveBayesIntentClassifier:
    texts, labels = zip(*SHOP, strict=True)
    return NaiveBayesIntentClassifier(lexicon=LEXICON, shape_features=True).fit(texts, labels)


def test_lexicon_tells_shop_items_from_other_things(shop_model):
    # none of these nouns occurs in the training texts: only the lexicon knows them
    probe = {
        "can you recommend a blender": "recommend",
        "recommend a plumber": "out_of_scope",
        "推荐一把雨伞": "recommend",
        "推荐个牙医": "out_of_scope",
    }
    assert shop_model.predict(list(probe)).tolist() == list(probe.values())


def test_lexicon_and_shape_columns_follow_the_ngrams(shop_model):
    n_ngrams = len(shop_model.vectorizer_.vocabulary_)
    assert shop_model.lexicon_tags_ == ("item", "not_sold")
    assert shop_model.n_extra_features_ == 2 + 7  # tags; six length buckets and a question
    n_features = n_ngrams + shop_model.n_extra_features_
    assert len(shop_model.selected_features_) == round(0.4 * n_features)


def test_default_model_has_no_extra_features(intent_model):
    assert intent_model.lexicon is None and intent_model.lexicon_tags_ == ()
    assert intent_model.n_extra_features_ == 0


def test_save_load_keeps_the_lexicon(shop_model, tmp_path):
    shop_model.save(tmp_path / "m")
    loaded = NaiveBayesIntentClassifier.load(tmp_path / "m")
    assert loaded.lexicon == LEXICON and loaded.shape_features
    probe = ["recommend a blender", "推荐个牙医", "hello?", ""]
    np.testing.assert_allclose(loaded.predict_proba(probe), shop_model.predict_proba(probe))


def test_load_rejects_a_lexicon_that_does_not_match_the_arrays(shop_model, tmp_path):
    import json

    shop_model.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["params"]["lexicon"]["brand"] = ["xiaomi"]  # a tag the arrays know nothing of
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError):
        NaiveBayesIntentClassifier.load(tmp_path / "m")


@pytest.mark.parametrize("bad", ["item", ["item", "x"], 3])
def test_load_rejects_a_saved_lexicon_that_is_not_a_mapping(shop_model, tmp_path, bad):
    import json

    shop_model.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["params"]["lexicon"] = bad
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="malformed"):
        NaiveBayesIntentClassifier.load(tmp_path / "m")


@pytest.mark.parametrize("params", [{"lexicon": {"item": ["x"]}}, {"extra_weight": 0}])
def test_bad_lexicon_parameters(params, intent_data):
    with pytest.raises(ValueError):
        NaiveBayesIntentClassifier(**params).fit(*intent_data)
