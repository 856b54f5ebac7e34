from __future__ import annotations

from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp.rasa_components.tokenizer import KefuTokenizer


def _tokens(component, text):
    message = Message(data={TEXT: text})
    component.process([message])
    return message.get(TOKENS_NAMES[TEXT])


def test_tokens_with_offsets_and_lemmas(model_storage, context):
    component = KefuTokenizer.create({}, model_storage, Resource("tok"), context)
    text = "这个iPhone case还有货吗? Order KF10000123"
    tokens = _tokens(component, text)
    assert [t.text for t in tokens] == [
        "这个", "iPhone", "case", "还", "有货", "吗", "?", "Order", "KF10000123",
    ]  # fmt: skip
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert [t.lemma for t in tokens][:2] == ["这个", "iphon"]


def test_no_user_dictionary(model_storage, context):
    component = KefuTokenizer.create({"user_dict": None}, model_storage, Resource("t"), context)
    assert [t.text for t in _tokens(component, "三只松鼠")] != ["三只松鼠"]


def test_text_without_tokens_becomes_one_token(model_storage, context):
    component = KefuTokenizer.create({}, model_storage, Resource("tok"), context)
    tokens = _tokens(component, "  ")
    assert [(t.text, t.start, t.end) for t in tokens] == [("  ", 0, 2)]


def test_training_data_and_intent_names_are_tokenized(model_storage, context):
    component = KefuTokenizer.create(
        {"intent_tokenization_flag": True}, model_storage, Resource("tok"), context
    )
    data = TrainingData([Message(data={TEXT: "我要退货", "intent": "return_item"})])
    component.process_training_data(data)
    example = data.training_examples[0]
    assert [t.text for t in example.get(TOKENS_NAMES[TEXT])] == ["我要", "退货"]
    assert [t.text for t in example.get(TOKENS_NAMES["intent"])] == ["return", "item"]


def test_fingerprint_follows_the_user_dictionary(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("喵喵灯\n", encoding="utf-8")
    before = KefuTokenizer.fingerprint_addon({"user_dict": str(path)})
    path.write_text("喵喵灯\n汪汪绳\n", encoding="utf-8")
    assert KefuTokenizer.fingerprint_addon({"user_dict": str(path)}) != before
    assert KefuTokenizer.fingerprint_addon({}) is not None
