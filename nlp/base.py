"""What the text classifiers share: input checks, features, persistence of features."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.exceptions import NotFittedError

from nlp.features import TextVectorizer, check_texts
from nlp.persistence import ModelFormatError, load_model, save_model

__all__ = [
    "check_fit_input",
    "check_fitted",
    "load_classifier",
    "save_classifier",
    "softmax",
]


def check_fit_input(texts: object, labels: object) -> tuple[list[str], Any]:
    """Validate training input; return the texts and the labels as a str array.

    Raises:
        TypeError: a text or a label is not a str (the message names the item).
        ValueError: lengths differ, or there are fewer than two distinct labels.
    """
    texts = check_texts(texts)
    if isinstance(labels, str | bytes):
        raise TypeError("labels must be a sequence of str, not a single string")
    try:
        label_list: list[object] = list(labels)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"labels must be a sequence of str, got {type(labels).__name__}") from None
    for i, label in enumerate(label_list):
        if not isinstance(label, str) or not label.strip():
            raise TypeError(f"labels[{i}] must be a non-empty str, got {label!r:.80}")
    if len(texts) != len(label_list):
        raise ValueError(f"got {len(texts)} texts but {len(label_list)} labels")
    distinct = {str(label) for label in label_list}
    if len(distinct) < 2:
        raise ValueError(f"need at least 2 distinct labels to fit, got {sorted(distinct)}")
    return texts, np.asarray(label_list, dtype=str)


def _pair(value: Sequence[int] | None) -> tuple[int, int] | None:
    """An n-gram range as the ``(low, high)`` pair the vectorizer takes (``None`` stays)."""
    if not value:
        return None
    # the vectorizer checks the length and values and says what is wrong
    return cast("tuple[int, int]", tuple(value))


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
        word_ngram_range=_pair(word_ngram_range),
        char_ngram_range=_pair(char_ngram_range),
        char_weight=char_weight,
        min_df=min_df,
        max_chars=max_chars,
    )


def save_classifier(
    model: Any,
    directory: str | Path,
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    params: dict[str, Any] | None = None,
    omit: Sequence[str] = (),
) -> Path:
    """Save a fitted text classifier: its hyper-parameters, ``classes_`` and vectorizer,
    plus the model's own ``meta`` (JSON) and ``arrays`` (npz); no pickle.

    Args:
        model: a fitted classifier with ``get_params()``, ``classes_`` and ``vectorizer_``.
        directory: where to save.
        meta: the model's own JSON-serialisable data.
        arrays: the model's own arrays.
        params: JSON forms of hyper-parameters that are objects (tuples become lists).
        omit: hyper-parameters not to save (they load as their defaults).
    """
    check_fitted(model)
    vec_meta, vec_arrays = model.vectorizer_.get_state()
    saved = {k: list(v) if isinstance(v, tuple) else v for k, v in model.get_params().items()}
    saved.update(params or {})
    for key in omit:
        saved.pop(key, None)
    meta = {"params": saved, "classes": model.classes_.tolist(), "vectorizer": vec_meta, **meta}
    return save_model(directory, type(model).__name__, meta, {"idf": vec_arrays["idf"], **arrays})


def load_classifier(
    cls: type,
    directory: str | Path,
    converters: dict[str, Callable[[Any], Any]] | None = None,
) -> tuple[Any, dict[str, Any], dict[str, np.ndarray]]:
    """A classifier saved by :func:`save_classifier`, with its hyper-parameters, ``classes_``
    and vectorizer restored; its own ``meta`` and ``arrays`` are the caller's to restore.

    Args:
        cls: the classifier's class (the saved kind must be its name).
        directory: the saved model.
        converters: per hyper-parameter, a function from its JSON form back to its value.

    Raises:
        ModelFormatError: missing, corrupted, foreign or malformed model.
    """
    meta, arrays = load_model(directory, cls.__name__)
    try:
        params = dict(meta["params"])
        for key in ("word_ngram_range", "char_ngram_range"):
            if params.get(key) is not None:
                params[key] = tuple(params[key])
        for key, convert in (converters or {}).items():
            if params.get(key) is not None:
                params[key] = convert(params[key])
        model = cls(**params)
        model._validate_params()
        model.vectorizer_ = TextVectorizer.from_state(meta["vectorizer"], {"idf": arrays["idf"]})
        classes = np.asarray(meta["classes"], dtype=str)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"malformed {cls.__name__} in {directory}: {exc}") from exc
    if classes.ndim != 1 or len(classes) < 2:
        raise ModelFormatError(f"inconsistent {cls.__name__} classes in {directory}")
    model.classes_ = classes
    return model, meta, arrays


def fit_temperature(jll: np.ndarray, target: np.ndarray) -> float:
    """Temperature minimising the log-loss of ``softmax(t * jll)`` against ``target`` (the
    out-of-fold scores of a classifier); 1.0 when there are none."""
    if not len(target):
        return 1.0

    def loss(log_t: float) -> float:
        z = np.exp(log_t) * jll
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(target)), target]))

    result = minimize_scalar(loss, bounds=(np.log(1e-2), np.log(1e4)), method="bounded")
    return float(np.exp(result.x))
