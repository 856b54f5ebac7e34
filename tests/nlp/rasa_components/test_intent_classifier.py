from __future__ import annotations

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp.rasa_components.intent_classifier import KefuIntentClassifier

EXAMPLES = [
    ("我的订单到哪了", "order_status"),
    ("快递什么时候到", "order_status"),
    ("where is my order", "order_status"),
    ("has my parcel shipped", "order_status"),
    ("谢谢", "thanks"),
    ("太感谢了", "thanks"),
    ("thank you", "thanks"),
    ("thanks a lot", "thanks"),
    ("你好", "greet"),
    ("hello", "greet"),
    ("hi there", "greet"),
    ("在吗", "greet"),
]
PROBES = ["我的快递到哪了", "thanks!", "hello?", "", "😀", "KF10000123"]


def _training_data():
    return TrainingData([Message(data={TEXT: t, INTENT: i}) for t, i in EXAMPLES])


def _parse(component, texts):
    messages = [Message(data={TEXT: t}) for t in texts]
    component.process(messages)
    return messages


def test_train_persist_load_same_predictions(model_storage, context):
    resource = Resource("intent")
    config = {"ranking_length": 2}
    component = KefuIntentClassifier.create(config, model_storage, resource, context)
    component.train(_training_data())
    before = _parse(component, PROBES)
    assert [m.get(INTENT)["name"] for m in before[:3]] == ["order_status", "thanks", "greet"]

    loaded = KefuIntentClassifier.load(config, model_storage, resource, context)
    after = _parse(loaded, PROBES)
    for a, b in zip(before, after, strict=False):
        assert a.get(INTENT)["name"] == b.get(INTENT)["name"]
        assert a.get(INTENT)["confidence"] == pytest.approx(b.get(INTENT)["confidence"])
        assert a.get(INTENT_RANKING_KEY) == b.get(INTENT_RANKING_KEY)


def test_sets_intent_and_ranking_as_output(model_storage, context):
    component = KefuIntentClassifier.create({}, model_storage, Resource("i"), context)
    component.train(_training_data())
    (message,) = _parse(component, ["where is my order?"])
    intent = message.get(INTENT)
    ranking = message.get(INTENT_RANKING_KEY)
    assert intent == ranking[0]
    assert [r["name"] for r in ranking] and len(ranking) == 3
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert all(isinstance(r["confidence"], float) for r in ranking)
    output = message.as_dict(only_output_properties=True)
    assert INTENT in output and INTENT_RANKING_KEY in output


def test_fewer_than_two_intents_skip_training(model_storage, context, caplog):
    component = KefuIntentClassifier.create({}, model_storage, Resource("i"), context)
    data = TrainingData([Message(data={TEXT: "hi", INTENT: "greet"})])
    component.train(data)
    assert "needs at least 2 intents" in caplog.text
    (message,) = _parse(component, ["hi"])
    assert message.get(INTENT) is None
    loaded = KefuIntentClassifier.load({}, model_storage, Resource("i"), context)
    assert loaded.model is None


def test_model_parameters_come_from_the_config(model_storage, context):
    config = {"alpha": 0.5, "char_ngram_range": [2, 3], "feature_fraction": 1.0}
    component = KefuIntentClassifier.create(config, model_storage, Resource("i"), context)
    component.train(_training_data())
    assert component.model.alpha == 0.5
    assert component.model.char_ngram_range == (2, 3)
    model = component.model
    n_features = len(model.vectorizer_.vocabulary_) + model.n_extra_features_
    assert len(model.selected_features_) == n_features


def test_lookup_tables_join_the_shipped_lexicon(model_storage, context):
    data = _training_data()
    data.lookup_tables = [
        {"name": "brand", "elements": ["Zorblax", "佐布拉"]},
        {"name": "product", "elements": ["flux capacitor"]},
        {"name": "city", "elements": ["Springfield"]},  # not in lookup_tags: not used
    ]
    component = KefuIntentClassifier.create({}, model_storage, Resource("i"), context)
    component.train(data)
    lexicon = component.model.lexicon
    assert lexicon.find("zorblax flux capacitors") == [
        ("zorblax", "brand"),
        ("flux capacitors", "item"),
    ]
    assert lexicon.find("佐布拉的枕头") == [("佐布拉", "brand"), ("枕头", "item")]  # + shipped
    assert lexicon.find("springfield") == []
    loaded = KefuIntentClassifier.load({}, model_storage, Resource("i"), context)
    assert loaded.model.lexicon == lexicon


def test_lexicon_and_shape_features_can_be_switched_off(model_storage, context):
    config = {"lexicon": False, "shape_features": False}
    component = KefuIntentClassifier.create(config, model_storage, Resource("i"), context)
    component.train(_training_data())
    assert component.model.lexicon is None and component.model.n_extra_features_ == 0
    assert [m.get(INTENT)["name"] for m in _parse(component, PROBES[:3])] == [
        "order_status",
        "thanks",
        "greet",
    ]


def test_unreadable_lookup_file_is_skipped(model_storage, context, caplog, tmp_path):
    data = _training_data()
    data.lookup_tables = [{"name": "brand", "elements": str(tmp_path / "missing.txt")}]
    component = KefuIntentClassifier.create({}, model_storage, Resource("i"), context)
    component.train(data)
    assert "unreadable" in caplog.text
    assert component.model is not None


@pytest.mark.parametrize("off", [False, None, ""])
def test_lexicon_switched_off_the_same_way_for_training_and_fingerprint(off):
    from nlp.rasa_components.intent_classifier import KefuIntentClassifier

    config = {**KefuIntentClassifier.get_default_config(), "lexicon": off}
    assert KefuIntentClassifier.fingerprint_addon(config) is None
    component = KefuIntentClassifier(config, "i", None, None)
    assert component._lexicon(_training_data()) is None


def test_fingerprint_follows_the_lexicon_files(tmp_path):
    from nlp.rasa_components.intent_classifier import KefuIntentClassifier

    (tmp_path / "item.txt").write_text("pillow\n枕头\n", encoding="utf-8")
    config = {"lexicon": str(tmp_path)}
    first = KefuIntentClassifier.fingerprint_addon(config)
    assert first == KefuIntentClassifier.fingerprint_addon(config)
    (tmp_path / "item.txt").write_text("pillow\n枕头\nlamp\n", encoding="utf-8")
    assert KefuIntentClassifier.fingerprint_addon(config) != first
    assert KefuIntentClassifier.fingerprint_addon({"lexicon": False}) is None


def test_open_set_is_off_by_default_and_on_from_the_config(model_storage, context):
    default = KefuIntentClassifier.create({}, model_storage, Resource("closed"), context)
    default.train(_training_data())
    assert default.model.open_set is False
    assert "out_of_scope" not in default.model.classes_

    config = {"open_set": True, "open_quantile": 0.1, "ranking_length": 0}
    resource = Resource("open")
    component = KefuIntentClassifier.create(config, model_storage, resource, context)
    component.train(_training_data())
    assert component.model.open_set is True and component.model.open_quantile == 0.1
    texts = ["我的订单到哪了", "", "qwzx plmk"]  # nothing in the last two: the class prior
    before = _parse(component, texts)
    assert [m.get(INTENT)["name"] for m in before] == ["order_status", *["out_of_scope"] * 2]
    assert "out_of_scope" in [r["name"] for r in before[0].get(INTENT_RANKING_KEY)]
    loaded = KefuIntentClassifier.load(config, model_storage, resource, context)
    after = _parse(loaded, texts)
    assert [m.get(INTENT) for m in after] == [m.get(INTENT) for m in before]
