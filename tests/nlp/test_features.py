from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from nlp.features import TextVectorizer, check_texts


def test_blocks_are_l2_normalised_and_weighted():
    vec = TextVectorizer(char_weight=0.5)
    X = vec.fit_transform(["我的订单到哪了", "where is my order", "这个iPhone case还有货吗"])
    n_words = vec.n_word_features_
    word_norms = np.sqrt(np.asarray(X[:, :n_words].multiply(X[:, :n_words]).sum(axis=1)))
    char_norms = np.sqrt(np.asarray(X[:, n_words:].multiply(X[:, n_words:]).sum(axis=1)))
    np.testing.assert_allclose(word_norms, 1.0)
    np.testing.assert_allclose(char_norms, 0.5)


def test_char_ngrams_cross_jieba_word_boundaries():
    words, chars = TextVectorizer(char_ngram_range=(2, 2)).analyze("还有货吗 iPhone")
    assert "有货" in chars or "还有" in chars
    assert "货吗" in chars  # spans two jieba words
    assert " i" in chars and "ne" in chars
    assert "iphon" in words  # stemmed, lower case


def test_state_round_trip():
    vec = TextVectorizer().fit(["退款到账了吗", "refund please", "谢谢 thanks"])
    meta, arrays = vec.get_state()
    again = TextVectorizer.from_state(meta, arrays)
    probe = ["退款 refund", "", "unseen 词"]
    assert (again.transform(probe) != vec.transform(probe)).nnz == 0


def test_state_is_checked():
    vec = TextVectorizer().fit(["a b", "c d"])
    meta, arrays = vec.get_state()
    with pytest.raises(ValueError):
        TextVectorizer.from_state({**meta, "terms": meta["terms"][:-1]}, arrays)
    with pytest.raises(ValueError):
        TextVectorizer.from_state({"params": meta["params"]}, arrays)


def test_transform_before_fit():
    with pytest.raises(NotFittedError):
        TextVectorizer().transform(["x"])


def test_check_texts():
    assert check_texts(("a", "b")) == ["a", "b"]
    with pytest.raises(TypeError, match=r"texts\[0\] must be a str, got float"):
        check_texts([1.5])


def test_unsegmented_chinese_uses_runs_as_words():
    words, chars = TextVectorizer(segment_cjk=False, char_ngram_range=(2, 2)).analyze(
        "很满意，还会买"
    )
    assert words[:3] == ["很满意", ",", "还会买"]  # NFKC folds the full-width comma
    assert "满意" in chars


def test_vocabulary_maps_prefixed_terms_to_columns():
    vec = TextVectorizer(char_ngram_range=(1, 1)).fit(["退款 refund", "退货"])
    vocabulary = vec.vocabulary_
    assert len(vocabulary) == len(vec.idf_) == len(list(vocabulary))
    assert vocabulary["w:退款"] < vec.n_word_features_ <= vocabulary["c:退"]
    assert sorted(vocabulary.values()) == list(range(len(vocabulary)))
    assert "w:nothing" not in vocabulary and "x:退" not in vocabulary


def test_state_with_terms_out_of_block_order_is_rejected():
    vec = TextVectorizer().fit(["a b", "c d"])
    meta, arrays = vec.get_state()
    with pytest.raises(ValueError, match="w: terms, then c: terms"):
        TextVectorizer.from_state({**meta, "terms": meta["terms"][::-1]}, arrays)
    with pytest.raises(ValueError, match="list of str"):
        TextVectorizer.from_state({**meta, "terms": [1] * len(meta["terms"])}, arrays)
