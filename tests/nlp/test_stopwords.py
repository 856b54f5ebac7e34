from __future__ import annotations

import pytest

from nlp.stopwords import stopwords


def test_english_list_is_nltks():
    words = stopwords("en")
    assert isinstance(words, frozenset)
    assert len(words) == 179
    assert {"the", "and", "you're", "wouldn't"} <= words
    assert "refund" not in words


def test_chinese_list_keeps_negations_out():
    words = stopwords("zh")
    assert {"的", "了", "吗", "我们"} <= words
    assert not {"不", "没", "没有", "别"} & words
    assert not any(w.startswith("#") for w in words)


def test_unknown_language():
    with pytest.raises(ValueError, match="fr"):
        stopwords("fr")
