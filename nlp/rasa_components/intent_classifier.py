"""Rasa intent classifier wrapping :class:`nlp.intent.NaiveBayesIntentClassifier`.

It reads the message text itself (the model has its own word and character n-gram
features), sets ``intent`` and ``intent_ranking`` like Rasa's own classifiers, so that
``FallbackClassifier`` placed after it works, and persists the model through Rasa's
model storage as JSON + npz (no pickle).

Catalogue awareness: the model gets the shipped lexicon (``data/lexicon/``: product types,
things no shop sells...) plus the lookup tables of the training data (the shop's products,
brands and categories, generated from its database), so it knows a message mentions
something the shop sells without depending on the entity extractors placed after it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.utils.pattern_utils import read_lookup_table_file
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp.intent import NaiveBayesIntentClassifier
from nlp.lexicon import DEFAULT_LEXICON_DIR, Lexicon
from nlp.persistence import ModelFormatError
from nlp.shipped import fingerprint

logger = logging.getLogger(__name__)

_MODEL_PARAMS = (
    "alpha",
    "word_ngram_range",
    "char_ngram_range",
    "char_weight",
    "feature_fraction",
    "min_df",
    "fit_prior",
    "calibration_folds",
    "max_chars",
    "segment_cjk",
    "shape_features",
    "extra_weight",
    "open_set",
    "open_quantile",
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KefuIntentClassifier(IntentClassifier, GraphComponent):
    """Naive Bayes intent classifier with calibrated confidences."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config; model keys default to the model's defaults."""
        return {
            # how many intents `intent_ranking` lists (0 for all)
            "ranking_length": LABEL_RANKING_LENGTH,
            # the lexicon directory (<tag>.txt files); true for the shipped data/lexicon,
            # false for none
            "lexicon": True,
            # lookup tables of the training data added to the lexicon: {table: tag}
            "lookup_tags": {"product": "item", "brand": "brand", "category": "category"},
            # message length and question features
            "shape_features": True,
            # open set: a message below its intent's learnt threshold gets `out_of_scope`
            # (threshold = `open_quantile` of the cross-validated confidences of correctly
            # predicted training examples; see nlp/open_set.py)
            "open_set": False,
            # any NaiveBayesIntentClassifier keyword (alpha, feature_fraction, ...); unset
            # keys keep the model's tuned defaults
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages this component needs."""
        return ["sklearn", "jieba", "nltk"]

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        model: NaiveBayesIntentClassifier | None = None,
    ) -> None:
        """Create the component (``model`` is the fitted classifier, when there is one)."""
        self.name = name
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Fingerprint of the lexicon files: retrain when a word list changes (Rasa's own
        fingerprint covers only the code, the config and the training data)."""
        directory = cls._lexicon_dir({**cls.get_default_config(), **config})
        if directory is None:
            return None
        paths = sorted(directory.glob("*.txt")) if directory.is_dir() else []
        return fingerprint(paths, {"lexicon": str(directory)})

    @staticmethod
    def _lexicon_dir(config: dict[str, Any]) -> Path | None:
        """The lexicon directory the config names (``true``: the shipped one), or None."""
        source = config.get("lexicon")
        if not source:
            return None
        return Path(DEFAULT_LEXICON_DIR if source is True else source)

    def _new_model(self) -> NaiveBayesIntentClassifier:
        params = {k: self.config[k] for k in _MODEL_PARAMS if k in self.config}
        for key in ("word_ngram_range", "char_ngram_range"):
            if isinstance(params.get(key), list):
                params[key] = tuple(params[key])
        return NaiveBayesIntentClassifier(**params)

    def _lexicon(self, training_data: TrainingData) -> Lexicon | None:
        """The configured lexicon plus the lookup tables named in ``lookup_tags``."""
        directory = self._lexicon_dir(self.config)
        if directory is None:
            return None
        lexicon = Lexicon.load(directory)
        tags = self.config.get("lookup_tags") or {}
        extra: dict[str, list[str]] = {}
        for table in training_data.lookup_tables:
            tag = tags.get(table.get("name"))
            elements = table.get("elements")
            if tag is None:
                continue
            if isinstance(elements, str):  # a file of elements: read as Rasa reads it
                try:
                    elements = read_lookup_table_file(elements)
                except (OSError, ValueError) as exc:
                    logger.warning("%s: lookup table %r unreadable: %s", self.name, elements, exc)
                    continue
            extra.setdefault(tag, []).extend(str(e) for e in elements or [])
        return lexicon.extended(extra) if extra else lexicon

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KefuIntentClassifier:
        """Create a new, untrained component."""
        return cls(config, execution_context.node_name, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the model on the intent examples; skip (with a warning) below 2 intents."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        texts = [e.get(TEXT) for e in examples]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            logger.warning(
                "%s needs at least 2 intents to train, got %d: skipped; messages will get "
                "no intent from it.",
                self.name,
                len(set(labels)),
            )
            return self._resource
        model = self._new_model()
        model.lexicon = self._lexicon(training_data)
        self.model = model.fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KefuIntentClassifier:
        """Load the trained model from model storage (untrained when there is none)."""
        try:
            with model_storage.read_from(resource) as directory:
                model = NaiveBayesIntentClassifier.load(directory)
        except (ValueError, ModelFormatError) as exc:
            logger.warning("%s: no trained intent model (%s)", cls.__name__, exc)
            model = None
        return cls(config, execution_context.node_name, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``intent`` and ``intent_ranking`` on each message."""
        if self.model is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        if not texts:
            return messages
        probabilities = self.model.predict_proba(texts)
        classes = [str(c) for c in self.model.classes_]
        limit = self.config["ranking_length"]
        for message, row in zip(messages, probabilities, strict=False):
            ranked = sorted(zip(classes, row, strict=False), key=lambda pair: -float(pair[1]))
            ranking = [{"name": name, "confidence": float(p)} for name, p in ranked]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, ranking[:limit] if limit > 0 else ranking, add_to_output=True
            )
        return messages
