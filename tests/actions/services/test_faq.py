"""FAQ data files and keyword answers."""

from __future__ import annotations

import pytest

from actions.services import faq
from tests.actions.conftest import CJK


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_answer_is_in_its_language(lang):
    data = faq.faq(lang)
    answers = [t["answer"] for t in data["topics"].values()]
    answers += [e["answer"] for t in data["topics"].values() for e in t.get("entries", [])]
    for answer in answers:
        assert bool(CJK.search(answer)) == (lang == "zh"), answer


def test_keywords_pick_the_entry_and_unknown_topics_get_none():
    assert "花呗" in faq.answer("payment_methods", "zh", "能分期吗")
    assert "instalments" in faq.answer("payment_methods", "en", "can I pay in instalments")
    assert faq.answer("no_such_topic", "en") is None
    assert faq.answer("account_help", "en", "x" * 100_000)


def test_a_malformed_faq_file_is_reported(tmp_path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "zh.yml").write_text("topics: [1, 2]\n", encoding="utf-8")
    with pytest.raises(faq.FaqError):
        faq.faq("zh", data_dir=tmp_path)
    with pytest.raises(faq.FaqError):
        faq.faq("en", data_dir=tmp_path)
    # not YAML at all ("answer: a: b"): a FaqError the action turns into a reply, never a crash
    (tmp_path / "faq" / "en.yml").write_text("topics:\n  x:\n    answer: a: b\n", "utf-8")
    with pytest.raises(faq.FaqError, match="YAML"):
        faq.faq("en", data_dir=tmp_path)


def test_return_policy_entries_answer_only_when_asked():
    assert "30" in faq.entry_answer("return_policy", "zh", "退货政策是几天")
    assert "cost" in faq.entry_answer("return_policy", "en", "who pays for return shipping?")
    assert faq.entry_answer("return_policy", "en", "I want to return my shoes") is None
