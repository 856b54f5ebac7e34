"""What the text classifiers share: input checks, features, persistence of features."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.exceptions import NotFittedError

from nlp.features import TextVectorizer, check_texts

__all__ = ["check_fit_input", "check_fitted", "softmax"]


def check_fit_input(texts: object, labels: object) -> tuple[list[str], np.ndarray]:
    """Validate training input; return the texts and the labels as a str array.

    Raises:
        TypeError: a text or a label is not a str (the message names the item).
        ValueError: lengths differ, or there are fewer than two distinct labels.
    """
    texts = check_texts(texts)
    if isinstance(labels, str | bytes):
        raise TypeError("labels must be a sequence of str, not a single string")
    try:
        labels = list(labels)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"labels must be a sequence of str, got {type(labels).__name__}") from None
    for i, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip():
            raise TypeError(f"labels[{i}] must be a non-empty str, got {label!r:.80}")
    if len(texts) != len(labels):
        raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
    distinct = set(labels)
    if len(distinct) < 2:
        raise ValueError(f"need at least 2 distinct labels to fit, got {sorted(distinct)}")
    return texts, np.asarray(labels, dtype=str)


def check_fitted(model: object, attribute: str = "classes_") -> None:
    """Raise sklearn's ``NotFittedError`` when ``model`` has not been fitted."""
    if not hasattr(model, attribute):
        raise NotFittedError(
            f"This {type(model).__name__} instance is not fitted yet: call fit() or load()."
        )


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a 2-D array (rows sum to 1; ``-inf`` entries get 0)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def make_vectorizer(
    word_ngram_range: Sequence[int] | None,
    char_ngram_range: Sequence[int] | None,
    char_weight: float,
    min_df: int,
    max_chars: int,
    segment_cjk: bool = True,
) -> TextVectorizer:
    """A fresh vectorizer from a classifier's hyper-parameters."""
    return TextVectorizer(
        segment_cjk=segment_cjk,
        word_ngram_range=tuple(word_ngram_range) if word_ngram_range else None,
        char_ngram_range=tuple(char_ngram_range) if char_ngram_range else None,
        char_weight=char_weight,
        min_df=min_df,
        max_chars=max_chars,
    )
