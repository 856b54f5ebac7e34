"""Fixtures of the analytics tests: report directories made once per session with real
(small) models, and a tracker store written by Rasa's own SQLTrackerStore."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics import run_texts
from analytics.texts import TextsOptions
from tests.nlp import conftest as nlp_fixtures

# the nlp tests' small real models serve here too
intent_data = nlp_fixtures.intent_data
intent_model = nlp_fixtures.intent_model
sentiment_data = nlp_fixtures.sentiment_data
binary_sentiment_data = nlp_fixtures.binary_sentiment_data
sentiment_model = nlp_fixtures.sentiment_model

DATA = Path(__file__).resolve().parents[1] / "data" / "analytics"


@pytest.fixture(scope="session")
def texts_report(tmp_path_factory, sentiment_model) -> tuple[Path, dict]:
    """The texts report of ``reviews.csv`` (8 usable rows, 5 bad), serial."""
    out = tmp_path_factory.mktemp("reports")
    return run_texts(
        DATA / "reviews.csv",
        TextsOptions(progress=False, workers=1),
        out,
        sentiment_model=sentiment_model,
    )


@pytest.fixture(scope="session")
def tracker_db(tmp_path_factory) -> str:
    """A SQLite tracker store with the known conversations of ``trackers.py``."""
    from tests.analytics.trackers import build_tracker_store

    path = tmp_path_factory.mktemp("tracker") / "tracker.db"
    return build_tracker_store(str(path))


@pytest.fixture
def empty_dir(tmp_path) -> Path:
    path = tmp_path / "reports"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The recommender tests' demo shop in SQLite (read-only for tests)."""
    from kefu.shop.demo import build_demo
    from tests.recsys.conftest import DEMO_SIZES, REF_DATE

    url = f"sqlite:///{tmp_path_factory.mktemp('demo-shop') / 'shop.db'}"
    build_demo(url, reference_date=REF_DATE, progress=False, **DEMO_SIZES)
    return url
