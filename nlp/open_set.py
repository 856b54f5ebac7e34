"""Open-set intent classification: reject what fits no known intent.

A classifier trained on closed-set data gives every message one of its intents, even
"what's the weather on Mars". The rejection here needs no out-of-scope examples: it is
learnt from the training data alone, by cross-validation.

* Score: the maximum softmax probability (MSP) of the calibrated posteriors.
* Thresholds: the out-of-fold posteriors of the training examples (each scored by a model
  that did not see it) are collected; for each intent, its threshold is the ``quantile``
  of the top probabilities of the examples correctly predicted as that intent, i.e. the
  threshold would turn away that fraction of such unseen but in-scope messages. Intents
  with fewer than ``min_count`` of them use the quantile over all intents.
* Decision: a message whose predicted intent ``c`` has probability ``p_c`` below ``t_c``
  goes to the open class.

:func:`open_proba` turns the closed posteriors and the decision into one probability
matrix whose arg-max is the decision, so ``predict`` and ``predict_proba`` agree.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DEFAULT_THRESHOLD",
    "check_open_params",
    "class_thresholds",
    "open_proba",
    "valid_thresholds",
    "with_open_class",
]

# used when cross-validation gives no correctly predicted example at all (tiny data):
# the usual MSP threshold of the literature
DEFAULT_THRESHOLD = 0.5


def check_open_params(open_set: object, quantile: object, calibration_folds: object) -> None:
    """Raise ``ValueError`` on bad open-set hyper-parameters."""
    if not isinstance(open_set, bool):
        raise ValueError(f"open_set must be a bool, got {open_set!r}")
    if isinstance(quantile, bool) or not isinstance(quantile, int | float):
        raise ValueError(f"open_quantile must be a number in [0, 0.5], got {quantile!r}")
    if not 0 <= quantile <= 0.5:
        raise ValueError(f"open_quantile must be in [0, 0.5], got {quantile!r}")
    if open_set and calibration_folds < 2:  # type: ignore[operator]
        raise ValueError(
            "open_set learns its thresholds by cross-validation: "
            f"calibration_folds must be >= 2, got {calibration_folds!r}"
        )


def class_thresholds(
    oof_proba: np.ndarray,
    target: np.ndarray,
    n_classes: int,
    quantile: float,
    min_count: int = 5,
) -> np.ndarray:
    """Per-class rejection thresholds from out-of-fold posteriors.

    Args:
        oof_proba: out-of-fold calibrated posteriors, shape ``(n_examples, n_classes)``.
        target: the examples' class indices, shape ``(n_examples,)``.
        n_classes: number of classes (columns).
        quantile: fraction of the correctly predicted examples of a class that its
            threshold would reject, in ``[0, 1)``.
        min_count: fewest correct examples for a class's own threshold; classes with
            fewer use the quantile over every class.

    Returns:
        Thresholds, shape ``(n_classes,)``.
    """
    if not len(target):
        return np.full(n_classes, DEFAULT_THRESHOLD)
    predicted = oof_proba.argmax(axis=1)
    top = oof_proba.max(axis=1)
    correct = predicted == target
    if not correct.any():
        return np.full(n_classes, DEFAULT_THRESHOLD)
    overall = float(np.quantile(top[correct], quantile))
    thresholds = np.full(n_classes, overall)
    for c in range(n_classes):
        scores = top[correct & (predicted == c)]
        if len(scores) >= min_count:
            thresholds[c] = np.quantile(scores, quantile)
    return thresholds


def open_proba(
    proba: np.ndarray, thresholds: np.ndarray, classes: np.ndarray, label: str
) -> np.ndarray:
    """Posteriors with the open class, whose arg-max is the open-set decision.

    Accepted rows (``p_c >= t_c`` for the top class ``c``) are unchanged. A rejected row
    gives the open class ``o = b + (1 - b) * (1 - p_c / t_c)`` with ``b = t_c / (1 + t_c)``
    and scales the rest by ``1 - o``: ``o`` grows from ``b`` at the threshold (where the
    open class just beats ``c``) to 1 for a message no intent claims.

    Args:
        proba: closed posteriors over the classes, shape ``(n, n_classes)``; the open
            class's column may already hold probability.
        thresholds: per-class thresholds, shape ``(n_classes,)``.
        classes: the sorted class labels (the columns), ``label`` among them.
        label: the open class.

    Returns:
        Rows summing to 1, shape ``(n, n_classes)``.
    """
    out = proba.copy()
    open_index = int(np.searchsorted(classes, label))
    if not len(out):
        return out
    top_class = proba.argmax(axis=1)
    top = proba[np.arange(len(proba)), top_class]
    t = thresholds[top_class]
    rejected = (top < t) & (top_class != open_index)
    if rejected.any():
        t_r = t[rejected]
        base = t_r / (1.0 + t_r)
        o = base + (1.0 - base) * (1.0 - top[rejected] / t_r)
        out[rejected] *= (1.0 - o)[:, None]
        out[rejected, open_index] += o
    return out


def with_open_class(
    label: str,
    classes: np.ndarray,
    feature_log_prob: np.ndarray,
    class_log_prior: np.ndarray,
    thresholds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Naive Bayes arrays with the open class ``label`` inserted in sorted order when
    training had no example of it: log-prior ``-inf`` (never predicted by the likelihood),
    threshold 0. Unchanged when ``label`` is already a class."""
    if label in classes:
        return classes, feature_log_prob, class_log_prior, thresholds
    at = int(np.searchsorted(classes, label))
    return (
        np.insert(classes, at, label),
        np.insert(feature_log_prob, at, 0.0, axis=0),
        np.insert(class_log_prior, at, -np.inf),
        np.insert(thresholds, at, 0.0),
    )


def valid_thresholds(thresholds: np.ndarray, classes: np.ndarray, label: str) -> bool:
    """Whether loaded ``thresholds`` fit ``classes`` (which must hold the open ``label``)."""
    return (
        label in classes
        and thresholds.shape == (len(classes),)
        and bool(np.all((thresholds >= 0) & (thresholds <= 1)))
    )
