"""Properties of the public nlp APIs on any input (#16, hypothesis): token offsets always
slice the input, redaction spans are sorted, disjoint and inside the text, and the
classifiers (intent Naive Bayes, closed and open-set; sentiment SVM) answer every list of
strings with well-formed probabilities and known labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp import NaiveBayesIntentClassifier
from nlp.redact import KINDS, MASKS, find_pii, redact
from nlp.tokenize import tokenize

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
# any text: every plane, control characters, lone surrogates, CJK runs, digits and the
# shapes personal data takes (to reach the detectors, not only the empty cases)
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=300),
    st.text(alphabet="0123456789 -+()@.abc长江路号室\u3000\uff10\uff11", max_size=80),
    st.lists(
        st.sampled_from(
            [
                "13800138000",
                "+86 138 0013 8000",
                "a.b@example.com",
                "11010519491231002X",
                "4111 1111 1111 1111",
                "上海市长江路88号",
                "KF10000123",
                "\ud800",
                "\x00",
                "😀",
                "iPhone",
                " ",
            ]
        ),
        max_size=12,
    ).map("".join),
)


@SETTINGS
@given(any_text)
def test_token_offsets_always_slice_the_input(text):
    tokens = tokenize(text)
    last = 0
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)
        assert text[token.start : token.end] == token.text
        assert token.start >= last
        last = token.start


@SETTINGS
@given(any_text, st.sets(st.sampled_from(sorted(KINDS)), min_size=1))
def test_redaction_spans_are_sorted_disjoint_and_slice_the_text(text, kinds):
    spans = find_pii(text, kinds=kinds)
    end = 0
    for span in spans:
        assert span.kind in kinds
        assert end <= span.start < span.end <= len(text)
        end = span.end
    out = redact(text, kinds=kinds)
    if not spans:
        assert out == text
    else:  # the text around the spans survives, each span is its mask
        assert out.startswith(text[: spans[0].start]) and out.endswith(text[spans[-1].end :])
        assert all(MASKS[s.kind] in out for s in spans)


text_lists = st.lists(any_text, min_size=1, max_size=5)


@pytest.fixture(scope="module")
def open_intent_model(intent_data) -> NaiveBayesIntentClassifier:
    return NaiveBayesIntentClassifier(open_set=True).fit(*intent_data)


def _check_answers(model, texts, extra_labels=()) -> None:
    proba = model.predict_proba(texts)
    assert proba.shape[0] == len(texts) and np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    labels = set(model.classes_.tolist()) | set(extra_labels)
    assert set(model.predict(texts).tolist()) <= labels


def test_classifiers_never_crash_on_any_strings(intent_model, open_intent_model, sentiment_model):
    @SETTINGS
    @given(text_lists)
    def check(texts):
        _check_answers(intent_model, texts)
        _check_answers(open_intent_model, texts, {"out_of_scope"})
        neutral = sentiment_model.neutral_label  # the documented label when uncertain
        _check_answers(sentiment_model, texts, {neutral})
        for label, confidence in sentiment_model.predict_with_confidence(texts):
            assert label in {*sentiment_model.classes_, neutral} and 0.0 <= confidence <= 1.0

    check()
