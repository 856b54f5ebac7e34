"""Keyword extraction: jieba TF-IDF / TextRank for Chinese, nltk tokens for English."""

from __future__ import annotations

from collections import Counter

import pytest

from nlp.keywords import KeywordExtractor, top_terms_by_group
from nlp.stopwords import stopwords


def test_chinese_tfidf_keywords():
    words = [w for w, _ in KeywordExtractor(top_k=8).extract("电池太差了，电池发热，客服也不回")]
    assert words[0] == "电池"  # twice in the text
    assert {"电池", "发热", "客服"} <= set(words)
    assert not set(words) & stopwords("zh")
    assert all(len(w) >= 2 for w in words)


def test_weights_sorted_and_top_k():
    pairs = KeywordExtractor(top_k=3).extract("物流很快，包装很好，质量不错，价格实惠，客服热情")
    assert len(pairs) == 3
    weights = [w for _, w in pairs]
    assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)


def test_english_idf_learned_by_fit():
    corpus = ["the delivery was fine"] * 20 + ["battery died", "screen cracked"]
    unfitted = KeywordExtractor(top_k=1).extract("delivery battery")
    fitted = KeywordExtractor(top_k=1).fit(corpus)
    assert fitted.n_docs_ == 22 and fitted.idf_["delivery"] < fitted.idf_["battery"]
    assert fitted.extract("delivery battery") == [
        ("battery", pytest.approx(fitted.idf_["battery"] / 2))
    ]
    assert unfitted[0][0] == "delivery"  # without idf, ties keep the text order


def test_english_stop_words_and_short_tokens_dropped():
    words = [
        w for w, _ in KeywordExtractor(top_k=10).extract("It is a very good phone, I am 100% ok")
    ]
    assert "phone" in words
    assert not {"it", "is", "a", "i", "am", "100", "ok"} & set(words)


def test_mixed_text():
    words = {
        w for w, _ in KeywordExtractor(top_k=10).extract("这个iPhone case质量很好，screen清晰")
    }
    assert {"iphone", "case", "screen", "质量"} <= words


def test_textrank_chinese():
    words = [
        w
        for w, _ in KeywordExtractor(method="textrank", top_k=3).extract(
            "电池不耐用，电池发热严重，电池质量差，售后处理慢"
        )
    ]
    assert "电池" in words and len(words) == 3


def test_prepare_builds_the_textrank_engine_before_any_text():
    text = "电池不耐用，电池发热严重，电池质量差，售后处理慢"
    prepared = KeywordExtractor(method="textrank", top_k=3).prepare()
    engine = prepared._ranker  # built now, so that forked workers share it
    assert prepared.extract(text) == KeywordExtractor(method="textrank", top_k=3).extract(text)
    assert prepared._ranker is engine


@pytest.mark.parametrize("text", ["", "   ", "。。。！！", "\x00\x01", "😀😡"])
def test_empty_and_odd_texts_give_nothing(text):
    assert KeywordExtractor().extract(text) == []
    assert KeywordExtractor(method="textrank").extract(text) == []


def test_huge_text_is_cut():
    assert len(KeywordExtractor(top_k=5).extract("电池" * 500_000)) == 1


def test_invalid_input_and_params():
    with pytest.raises(TypeError):
        KeywordExtractor().extract(None)
    with pytest.raises(ValueError, match="method"):
        KeywordExtractor(method="lda").extract("x")
    with pytest.raises(ValueError, match="top_k"):
        KeywordExtractor(top_k=0).extract("x")


def test_top_terms_by_group():
    counts = {
        "negative": Counter({"电池": 6, "客服": 4, "差": 1}),
        "positive": Counter({"舒服": 7, "客服": 4}),
    }
    ranked = top_terms_by_group(counts, top_k=5, min_count=2)
    assert [t for t, _, _ in ranked["negative"]] == ["电池"]
    assert [t for t, _, _ in ranked["positive"]] == ["舒服"]
    assert ranked["negative"][0][1] == 6  # "差" is under min_count, "客服" not distinctive
    single = top_terms_by_group({"all": Counter({"b": 3, "a": 3, "c": 5})}, top_k=2, min_count=1)
    assert [t for t, _, _ in single["all"]] == ["c", "a"]
    assert top_terms_by_group({"x": Counter()}) == {"x": []}
    with pytest.raises(ValueError):
        top_terms_by_group(counts, top_k=0)


def test_chinese_idf_table_is_jiebas_own():
    from jieba.analyse.tfidf import TFIDF

    from nlp.keywords import _jieba_idf

    reference = TFIDF()
    table, median = _jieba_idf()
    assert table == reference.idf_freq
    assert median == reference.median_idf


def test_prepare_loads_resources_and_returns_self():
    extractor = KeywordExtractor(top_k=2)
    assert extractor.prepare() is extractor
    assert extractor._stop_set
    with pytest.raises(ValueError):
        KeywordExtractor(top_k=0).prepare()
