"""SVM sentiment classifier for Chinese, English and mixed text.

A linear SVM (scikit-learn's ``LinearSVC``) over TF-IDF word and character n-grams
(:mod:`nlp.features`), with probabilities calibrated by Platt scaling on cross-validated
decision values (``CalibratedClassifierCV(method="sigmoid", ensemble=False)``): one SVM
fitted on all the data plus one sigmoid per class. Both are kept as plain arrays
(``coef_``, ``intercept_``, ``calibration_``), which is all prediction needs and all that
is saved.

Labels are whatever ``fit`` was given, usually ``"positive"`` and ``"negative"`` (the
shipped model also learns an explicit ``"neutral"`` class from customer questions).
:meth:`SvmSentimentClassifier.predict` answers ``neutral_label`` when the top calibrated
probability is below ``neutral_threshold``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC

from nlp.base import (
    check_fit_input,
    check_fitted,
    load_classifier,
    make_vectorizer,
    save_classifier,
)
from nlp.features import check_texts
from nlp.persistence import ModelFormatError

__all__ = ["SvmSentimentClassifier"]


class SvmSentimentClassifier:
    """Linear SVM with calibrated probabilities and a neutral band.

    Args:
        C: inverse regularisation strength of the SVM.
        word_ngram_range: ``(min_n, max_n)`` of word n-grams.
        char_ngram_range: ``(min_n, max_n)`` of character n-grams.
        char_weight: weight of the character block relative to the word block.
        min_df: minimum number of training texts a feature must occur in.
        class_weight: ``None`` or ``"balanced"`` (passed to ``LinearSVC``).
        calibration_folds: cross-validation folds for Platt scaling (>= 2; reduced to the
            size of the smallest class when that is smaller).
        neutral_threshold: :meth:`predict` answers ``neutral_label`` when the top
            probability is below this (0 switches the neutral band off).
        neutral_label: the label used for uncertain texts.
        max_chars: only the first ``max_chars`` characters of each text are read.
        segment_cjk: cut Chinese into words with jieba for the word n-grams (else each run
            of Chinese characters counts as one word; see :class:`~nlp.features.TextVectorizer`).

    Attributes:
        classes_: labels, sorted; the column order of :meth:`predict_proba`.
        vectorizer_: the fitted :class:`~nlp.features.TextVectorizer`.
        coef_: SVM weights, shape ``(1, n_features)`` for two classes, else
            ``(n_classes, n_features)``.
        intercept_: SVM intercepts, shape ``(coef_.shape[0],)``.
        calibration_: Platt parameters ``(a, b)`` per row of ``coef_``, shape
            ``(coef_.shape[0], 2)``: ``p = 1 / (1 + exp(a * decision + b))``.
    """

    def __init__(
        self,
        *,
        C: float = 0.5,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | None = (1, 3),
        char_weight: float = 1.0,
        min_df: int = 1,
        class_weight: str | None = None,
        calibration_folds: int = 3,
        neutral_threshold: float = 0.6,
        neutral_label: str = "neutral",
        max_chars: int = 2000,
        segment_cjk: bool = True,
    ) -> None:
        self.C = C
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.min_df = min_df
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.neutral_threshold = neutral_threshold
        self.neutral_label = neutral_label
        self.max_chars = max_chars
        self.segment_cjk = segment_cjk

    def get_params(self) -> dict:
        """The constructor's hyper-parameters."""
        return {
            "C": self.C,
            "word_ngram_range": self.word_ngram_range,
            "char_ngram_range": self.char_ngram_range,
            "char_weight": self.char_weight,
            "min_df": self.min_df,
            "class_weight": self.class_weight,
            "calibration_folds": self.calibration_folds,
            "neutral_threshold": self.neutral_threshold,
            "neutral_label": self.neutral_label,
            "max_chars": self.max_chars,
            "segment_cjk": self.segment_cjk,
        }

    def _validate_params(self) -> None:
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f"class_weight must be None or 'balanced', got {self.class_weight!r}")
        if not (isinstance(self.calibration_folds, int) and self.calibration_folds >= 2):
            raise ValueError(
                f"calibration_folds must be an int >= 2, got {self.calibration_folds!r}"
            )
        if not 0 <= self.neutral_threshold <= 1:
            raise ValueError(f"neutral_threshold must be in [0, 1], got {self.neutral_threshold!r}")
        if not (isinstance(self.neutral_label, str) and self.neutral_label):
            raise ValueError(f"neutral_label must be a non-empty str, got {self.neutral_label!r}")

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> SvmSentimentClassifier:
        """Fit on ``texts`` and their sentiment ``labels``; return self.

        Raises:
            TypeError: a text or label is not a str.
            ValueError: lengths differ, fewer than 2 distinct labels, a label with a single
                example (calibration needs two), or bad parameters.
        """
        self._validate_params()
        texts, labels = check_fit_input(texts, labels)
        classes, counts = np.unique(labels, return_counts=True)
        if counts.min() < 2:
            rare = classes[counts.argmin()]
            raise ValueError(f"label {rare!r} has a single example; calibration needs >= 2")
        vectorizer = make_vectorizer(
            self.word_ngram_range,
            self.char_ngram_range,
            self.char_weight,
            self.min_df,
            self.max_chars,
            self.segment_cjk,
        )
        X = vectorizer.fit_transform(texts)
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=0)
        calibrated = CalibratedClassifierCV(
            svm,
            method="sigmoid",
            cv=min(self.calibration_folds, int(counts.min())),
            ensemble=False,
        )
        calibrated.fit(X, np.asarray(labels))  # an array: sklearn 1.1 miscounts list labels
        fitted = calibrated.calibrated_classifiers_[0]
        base = fitted.base_estimator
        self.vectorizer_ = vectorizer
        self.classes_ = np.asarray(calibrated.classes_, dtype=str)
        self.coef_ = np.asarray(base.coef_, dtype=np.float64)
        self.intercept_ = np.asarray(base.intercept_, dtype=np.float64).ravel()
        self.calibration_ = np.array([[c.a_, c.b_] for c in fitted.calibrators], dtype=np.float64)
        return self

    # -- prediction --------------------------------------------------------------------------
    def _scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """SVM scores, shape ``(n_texts, coef_.shape[0])``, and a mask of the texts that
        have no known feature at all (empty, whitespace, unseen symbols)."""
        check_fitted(self)
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.coef_.shape[0])), np.zeros(0, dtype=bool)
        X = self.vectorizer_.transform(texts)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores, X.getnnz(axis=1) == 0

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """SVM scores, shape ``(n_texts,)`` for two classes (positive favours
        ``classes_[1]``), else ``(n_texts, n_classes)``."""
        scores, _ = self._scores(texts)
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape ``(n_texts, n_classes)``, columns in ``classes_``
        order, rows summing to 1. A text without any known feature (empty, whitespace,
        only unseen symbols) gets the uniform distribution: no evidence either way."""
        scores, empty = self._scores(texts)
        a, b = self.calibration_[:, 0], self.calibration_[:, 1]
        n_classes = len(self.classes_)
        if n_classes == 2:
            positive = expit(-(a[0] * scores[:, 0] + b[0]))
            proba = np.column_stack([1.0 - positive, positive])
        else:
            raw = expit(-(a * scores + b))
            total = raw.sum(axis=1, keepdims=True)
            uniform = np.full_like(raw, 1.0 / n_classes)
            proba = np.divide(raw, total, out=uniform, where=total != 0)
        proba[empty] = 1.0 / n_classes
        return proba

    def predict_with_confidence(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """``(label, confidence)`` per text: the top class and its probability, the label
        replaced by ``neutral_label`` when that probability is below ``neutral_threshold``."""
        proba = self.predict_proba(texts)
        out = []
        for row in proba:
            top = int(row.argmax())
            confidence = float(row[top])
            label = str(self.classes_[top])
            if confidence < self.neutral_threshold:
                label = self.neutral_label
            out.append((label, confidence))
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The sentiment label of each text (``neutral_label`` when uncertain)."""
        return np.array([label for label, _ in self.predict_with_confidence(texts)], dtype=object)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Save the fitted model into ``directory`` (JSON + npz, no pickle)."""
        check_fitted(self)
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "calibration": self.calibration_,
        }
        return save_classifier(self, directory, {}, arrays)

    @classmethod
    def load(cls, directory: str | Path) -> SvmSentimentClassifier:
        """Load a model saved by :meth:`save`.

        Raises:
            ModelFormatError: missing, corrupted or foreign directory.
        """
        model, _, arrays = load_classifier(cls, directory)
        classes = model.classes_
        try:
            coef = np.asarray(arrays["coef"], dtype=np.float64)
            intercept = np.asarray(arrays["intercept"], dtype=np.float64)
            calibration = np.asarray(arrays["calibration"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"malformed {cls.__name__} in {directory}: {exc}") from exc
        rows = 1 if len(classes) == 2 else len(classes)
        if (
            coef.shape != (rows, len(model.vectorizer_.vocabulary_))
            or intercept.shape != (rows,)
            or calibration.shape != (rows, 2)
            or not (np.all(np.isfinite(coef)) and np.all(np.isfinite(calibration)))
        ):
            raise ModelFormatError(f"inconsistent {cls.__name__} arrays in {directory}")
        model.coef_ = coef
        model.intercept_ = intercept
        model.calibration_ = calibration
        return model
