"""Fixtures of the analytics tests: report directories made once per session with real
(small) models, and a tracker store written by Rasa's own SQLTrackerStore."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics import run_texts
from analytics.texts import TextsOptions
from tests.nlp.conftest import (  # noqa: F401 - the nlp tests' small real models serve here too
    binary_sentiment_data,
    intent_data,
    intent_model,
    sentiment_data,
    sentiment_model,
)

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
