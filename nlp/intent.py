"""Naive Bayes intent classifier for Chinese, English and mixed text.

The model is scikit-learn's ``MultinomialNB`` over TF-IDF word and character n-grams
(:mod:`nlp.features`), on the features that chi-squared ranks highest (Naive Bayes
suffers from redundant features; keeping the top fraction is worth about a point of
accuracy on BANKING77). Its raw posteriors are far too flat on L2-normalised TF-IDF, which
would make Rasa's ``FallbackClassifier`` fire on every message, so the joint
log-likelihood is scaled by a temperature learnt by cross-validation on the training data
(argmax unchanged; confidences meaningful).

Optional features beside the n-grams (off by default; the bot turns them on): the tags of
a :class:`~nlp.lexicon.Lexicon` found in the text (does it name a product type, a brand,
something no shop sells...), which carry prior word knowledge that ~100 examples per
intent cannot, and the shape of the message (length bucket, question or not).

Open set (``open_set=True``; the bot turns it on): a message that fits no known intent is
labelled ``"out_of_scope"``, with per-intent thresholds learnt by the same cross-validation
on the training data alone (:mod:`nlp.open_set`; ``benchmarks/nlp_open_intent.py``).

Defaults were tuned on a validation split carved from BANKING77's and SMP-ECDT's training
sets (see ``benchmarks/nlp_intent.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_selection import chi2
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import MultinomialNB

from nlp.base import (
    check_fit_input,
    check_fitted,
    fit_temperature,
    load_classifier,
    make_vectorizer,
    save_classifier,
    softmax,
)
from nlp.features import check_texts
from nlp.lexicon import Lexicon
from nlp.open_set import (
    check_open_params,
    class_thresholds,
    open_proba,
    valid_thresholds,
    with_open_class,
)
from nlp.persistence import ModelFormatError
from nlp.text import CJK_CHARS

__all__ = ["OPEN_LABEL", "NaiveBayesIntentClassifier"]

OPEN_LABEL = "out_of_scope"  # what the open set predicts for a message outside every intent
_OPEN_PARAMS = ("open_set", "open_quantile")  # saved only when open_set is on

# Shape features: upper bounds of the length buckets (words + Chinese characters): 1, 2,
# 3-4, 5-7, 8-12, 13 and more; and question marks or particles.
_LENGTH_BUCKETS = np.array([1, 2, 4, 7, 12])
_UNIT = re.compile(rf"[^\W\d_{CJK_CHARS}]+|\d+|[{CJK_CHARS}]")
_QUESTION = re.compile(r"[?？吗呢]")


class NaiveBayesIntentClassifier:
    """Multinomial Naive Bayes over word and character n-grams, with calibrated confidences.

    Args:
        alpha: additive (Laplace/Lidstone) smoothing of the NB word probabilities.
        word_ngram_range: ``(min_n, max_n)`` of word n-grams (normalised, stemmed tokens).
        char_ngram_range: ``(min_n, max_n)`` of character n-grams within words and runs of
            Chinese characters.
        char_weight: weight of the character block relative to the word block.
        feature_fraction: fraction of the features kept, ranked by chi-squared (0 < f <= 1).
        min_df: minimum number of training texts a feature must occur in.
        fit_prior: learn class priors from the label frequencies (else uniform).
        calibration_folds: folds of the cross-validation that fits the temperature;
            values below 2 switch calibration off (temperature 1).
        max_chars: only the first ``max_chars`` characters of each text are read.
        segment_cjk: cut Chinese into words with jieba for the word n-grams (else each run
            of Chinese characters counts as one word; see :class:`~nlp.features.TextVectorizer`).
        lexicon: a :class:`~nlp.lexicon.Lexicon` whose tags found in a text (``item``,
            ``brand``, ``not_sold``...) become one feature each, beside the n-grams, so
            that "recommend a pillow" and "recommend a lawyer" differ even when neither
            noun was in the training data; ``None`` for none. It is saved with the model.
        shape_features: add the shape of the message as features: its length (in words
            and Chinese characters, six buckets) and whether it is a question (?, 吗, 呢).
        extra_weight: the value of each lexicon and shape feature (the n-gram blocks have
            unit norm).
        open_set: predict :data:`OPEN_LABEL` for a message below its intent's threshold
            (needs ``calibration_folds >= 2``); the label joins ``classes_`` if untrained.
        open_quantile: fraction of each intent's correctly predicted out-of-fold training
            examples its threshold rejects, in ``[0, 0.5]``; higher rejects more.

    Attributes:
        classes_: labels, sorted; the column order of :meth:`predict_proba`.
        vectorizer_: the fitted :class:`~nlp.features.TextVectorizer`.
        selected_features_: indices of the features kept, shape ``(n_selected,)``.
        feature_log_prob_: ``log P(feature | class)``, shape ``(n_classes, n_selected)``.
        class_log_prior_: ``log P(class)``, shape ``(n_classes,)``.
        temperature_: the scale applied to the joint log-likelihood before the softmax.
        lexicon_tags_: the lexicon tags that are features (after the n-grams), in order.
        n_extra_features_: how many lexicon and shape features follow the n-grams.
        open_thresholds_: with ``open_set``, each class's threshold on its probability,
            shape ``(n_classes,)`` (an untrained open class has log-prior ``-inf``).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.02,
        word_ngram_range: tuple[int, int] | None = (1, 2),
        char_ngram_range: tuple[int, int] | None = (1, 4),
        char_weight: float = 1.0,
        feature_fraction: float = 0.4,
        min_df: int = 1,
        fit_prior: bool = True,
        calibration_folds: int = 3,
        max_chars: int = 2000,
        segment_cjk: bool = True,
        lexicon: Lexicon | None = None,
        shape_features: bool = False,
        extra_weight: float = 1.0,
        open_set: bool = False,
        open_quantile: float = 0.15,
    ) -> None:
        self.alpha = alpha
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.char_weight = char_weight
        self.feature_fraction = feature_fraction
        self.min_df = min_df
        self.fit_prior = fit_prior
        self.calibration_folds = calibration_folds
        self.max_chars = max_chars
        self.segment_cjk = segment_cjk
        self.lexicon = lexicon
        self.shape_features = shape_features
        self.extra_weight = extra_weight
        self.open_set = open_set
        self.open_quantile = open_quantile

    def get_params(self) -> dict:
        """The constructor's hyper-parameters."""
        return {
            "alpha": self.alpha,
            "word_ngram_range": self.word_ngram_range,
            "char_ngram_range": self.char_ngram_range,
            "char_weight": self.char_weight,
            "feature_fraction": self.feature_fraction,
            "min_df": self.min_df,
            "fit_prior": self.fit_prior,
            "calibration_folds": self.calibration_folds,
            "max_chars": self.max_chars,
            "segment_cjk": self.segment_cjk,
            "lexicon": self.lexicon,
            "shape_features": self.shape_features,
            "extra_weight": self.extra_weight,
            "open_set": self.open_set,
            "open_quantile": self.open_quantile,
        }

    def _validate_params(self) -> None:
        if not self.alpha > 0:
            raise ValueError(f"alpha must be > 0, got {self.alpha!r}")
        if not 0 < self.feature_fraction <= 1:
            raise ValueError(f"feature_fraction must be in (0, 1], got {self.feature_fraction!r}")
        if not isinstance(self.calibration_folds, int):
            raise ValueError(f"calibration_folds must be an int, got {self.calibration_folds!r}")
        if self.lexicon is not None and not isinstance(self.lexicon, Lexicon):
            raise ValueError(f"lexicon must be a Lexicon or None, got {self.lexicon!r:.80}")
        if not self.extra_weight > 0:
            raise ValueError(f"extra_weight must be > 0, got {self.extra_weight!r}")
        check_open_params(self.open_set, self.open_quantile, self.calibration_folds)

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> NaiveBayesIntentClassifier:
        """Fit on ``texts`` (sequence of str) and their intent ``labels``; return self.

        Raises:
            TypeError: a text or label is not a str.
            ValueError: lengths differ, fewer than 2 distinct labels, or bad parameters.
        """
        self._validate_params()
        texts, labels = check_fit_input(texts, labels)
        vectorizer = make_vectorizer(
            self.word_ngram_range,
            self.char_ngram_range,
            self.char_weight,
            self.min_df,
            self.max_chars,
            self.segment_cjk,
        )
        tags = self.lexicon.tags if self.lexicon is not None else ()
        X = self._extend(vectorizer.fit_transform(texts), texts, tags)
        classes, y = np.unique(labels, return_inverse=True)
        selected, flp, prior = self._fit_nb(X, y, len(classes))
        oof_jll, oof_target = self._out_of_fold(X, y, len(classes))
        self.temperature_ = fit_temperature(oof_jll, oof_target)
        if self.open_set:
            classes, flp, prior = self._fit_open(classes, flp, prior, oof_jll, oof_target)
        self.vectorizer_ = vectorizer
        self.selected_features_ = selected
        self.feature_log_prob_ = flp
        self.class_log_prior_ = prior
        self.classes_ = classes
        self.lexicon_tags_ = tuple(tags)
        self.n_extra_features_ = X.shape[1] - len(vectorizer.vocabulary_)
        return self

    def _extend(self, X: sp.csr_matrix, texts: Sequence[str], tags: Sequence[str]) -> sp.csr_matrix:
        """``X`` followed by the lexicon and shape columns (see :meth:`_extra_features`)."""
        extra = self._extra_features(texts, tags)
        if not extra.shape[1]:
            return X
        return sp.hstack([X, sp.csr_matrix(extra)], format="csr")

    def _n_extra(self, tags: Sequence[str]) -> int:
        """How many lexicon and shape columns follow the n-grams."""
        return len(tags) + (len(_LENGTH_BUCKETS) + 2 if self.shape_features else 0)

    def _extra_features(self, texts: Sequence[str], tags: Sequence[str]) -> np.ndarray:
        """Dense ``(n_texts, n_extra)``: a column per lexicon tag (set when the text holds
        one of its terms), then the length buckets and the question column; values
        ``extra_weight``."""
        n_extra = self._n_extra(tags)
        out = np.zeros((len(texts), n_extra))
        if not n_extra:
            return out
        column = {tag: j for j, tag in enumerate(tags)}
        weight = float(self.extra_weight)
        for i, text in enumerate(texts):
            text = text[: self.max_chars]
            if tags and self.lexicon is not None:
                for _, tag in self.lexicon.find(text):
                    j = column.get(tag)
                    if j is not None:
                        out[i, j] = weight
            if self.shape_features:
                length = len(_UNIT.findall(text))
                out[i, len(tags) + int(np.searchsorted(_LENGTH_BUCKETS, length))] = weight
                if _QUESTION.search(text):
                    out[i, n_extra - 1] = weight
        return out

    def _fit_nb(self, X: sp.csr_matrix, y: np.ndarray, n_classes: int):
        """Select features by chi-squared and fit MultinomialNB on them."""
        scores, _ = chi2(X, y)
        scores = np.nan_to_num(scores, nan=0.0)
        k = max(1, int(round(self.feature_fraction * X.shape[1])))
        selected = np.sort(np.argsort(-scores, kind="stable")[:k]).astype(np.int64)
        nb = MultinomialNB(alpha=self.alpha, fit_prior=self.fit_prior)
        with np.errstate(divide="ignore"):  # classes absent from a CV fold get log(0)
            nb.partial_fit(X[:, selected], y, classes=np.arange(n_classes))
        return selected, nb.feature_log_prob_, nb.class_log_prior_

    def _out_of_fold(self, X: sp.csr_matrix, y: np.ndarray, n_classes: int):
        """Out-of-fold joint log-likelihoods ``(n, n_classes)`` and their targets (the
        examples of classes their fold's training part lacked are left out)."""
        folds = min(self.calibration_folds, X.shape[0])
        scores, targets = [np.zeros((0, n_classes))], [np.zeros(0, dtype=np.int64)]
        if folds < 2:
            return scores[0], targets[0]
        counts = np.bincount(y, minlength=n_classes)
        if counts.min() >= folds:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        else:
            splitter = KFold(n_splits=folds, shuffle=True, random_state=0)
        for train_idx, test_idx in splitter.split(X, y):
            if len(np.unique(y[train_idx])) < 2:
                continue
            selected, flp, prior = self._fit_nb(X[train_idx], y[train_idx], n_classes)
            jll = X[test_idx][:, selected] @ flp.T + prior
            seen = np.isfinite(prior)[y[test_idx]]
            scores.append(jll[seen])
            targets.append(y[test_idx][seen])
        return np.vstack(scores), np.concatenate(targets)

    def _fit_open(self, classes, flp, prior, oof_jll, oof_target):
        """Learn ``open_thresholds_``; add the open class when training lacked it."""
        oof_proba = softmax(self.temperature_ * oof_jll) if len(oof_jll) else oof_jll
        thresholds = class_thresholds(oof_proba, oof_target, len(classes), self.open_quantile)
        classes, flp, prior, self.open_thresholds_ = with_open_class(
            OPEN_LABEL, classes, flp, prior, thresholds
        )
        return classes, flp, prior

    # -- prediction --------------------------------------------------------------------------
    def _joint_log_likelihood(self, texts: Sequence[str]) -> np.ndarray:
        check_fitted(self)
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        # the n-gram columns come first in selected_features_ (sorted): score them on the
        # sparse features, the few lexicon and shape columns on a small dense block
        n_ngrams = len(self.vectorizer_.vocabulary_)
        k = int(np.searchsorted(self.selected_features_, n_ngrams))
        X = self.vectorizer_.transform(texts)[:, self.selected_features_[:k]]
        jll = np.asarray(X @ self.feature_log_prob_[:, :k].T) + self.class_log_prior_
        if k < len(self.selected_features_):
            extra = self._extra_features(texts, self.lexicon_tags_)
            columns = self.selected_features_[k:] - n_ngrams
            jll += extra[:, columns] @ self.feature_log_prob_[:, k:].T
        return jll

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape ``(n_texts, n_classes)``, columns in ``classes_``
        order, rows summing to 1. An empty text gets the (tempered) class prior. With
        ``open_set``, rejected rows move mass to the open class (:func:`~nlp.open_set.open_proba`)."""
        proba = softmax(self._joint_log_likelihood(texts) * self.temperature_)
        if self.open_set:
            proba = open_proba(proba, self.open_thresholds_, self.classes_, OPEN_LABEL)
        return proba

    def predict_log_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(texts))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The most likely intent of each text, shape ``(n_texts,)``; with ``open_set``, the
        arg-max of :meth:`predict_proba` (``"out_of_scope"`` below the threshold)."""
        scores = self.predict_proba(texts) if self.open_set else self._joint_log_likelihood(texts)
        return self.classes_[scores.argmax(axis=1)] if len(scores) else np.array([], dtype=str)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Save the fitted model into ``directory`` (JSON + npz, no pickle)."""
        check_fitted(self)
        lexicon = self.lexicon.to_dict() if self.lexicon is not None else None
        meta = {"temperature": self.temperature_, "lexicon_tags": list(self.lexicon_tags_)}
        arrays = {
            "selected_features": self.selected_features_,
            "feature_log_prob": self.feature_log_prob_,
            "class_log_prior": self.class_log_prior_,
        }
        if self.open_set:
            arrays["open_thresholds"] = self.open_thresholds_
        omit = () if self.open_set else _OPEN_PARAMS  # closed models keep their old format
        return save_classifier(self, directory, meta, arrays, {"lexicon": lexicon}, omit)

    @classmethod
    def load(cls, directory: str | Path) -> NaiveBayesIntentClassifier:
        """Load a model saved by :meth:`save`.

        Raises:
            ModelFormatError: missing, corrupted or foreign directory.
        """
        model, meta, arrays = load_classifier(cls, directory, {"lexicon": Lexicon})
        classes = model.classes_
        try:
            lexicon_tags = tuple(meta.get("lexicon_tags", ()))
            selected = np.asarray(arrays["selected_features"], dtype=np.int64)
            flp = np.asarray(arrays["feature_log_prob"], dtype=np.float64)
            prior = np.asarray(arrays["class_log_prior"], dtype=np.float64)
            temperature = float(meta["temperature"])
            if model.open_set:
                thresholds = np.asarray(arrays["open_thresholds"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"malformed {cls.__name__} in {directory}: {exc}") from exc
        n_extra = model._n_extra(lexicon_tags)
        n_features = len(model.vectorizer_.vocabulary_) + n_extra
        if (
            (lexicon_tags and (model.lexicon is None or lexicon_tags != model.lexicon.tags))
            or flp.shape != (len(classes), len(selected))
            or prior.shape != (len(classes),)
            or (len(selected) and (selected.min() < 0 or selected.max() >= n_features))
            or np.any(np.diff(selected) <= 0)  # prediction splits the sorted columns
            or not np.isfinite(temperature)
            or temperature <= 0
            or (model.open_set and not valid_thresholds(thresholds, classes, OPEN_LABEL))
        ):
            raise ModelFormatError(f"inconsistent {cls.__name__} arrays in {directory}")
        model.selected_features_ = selected
        model.feature_log_prob_ = flp
        model.class_log_prior_ = prior
        model.temperature_ = temperature
        model.lexicon_tags_ = lexicon_tags
        model.n_extra_features_ = n_extra
        if model.open_set:
            model.open_thresholds_ = thresholds
        return model
