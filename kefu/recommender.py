"""The shop's recommender: trained on the shop database, saved under the models
directory, loaded once and cached for the bot.

The training data comes from :mod:`kefu.shop.queries.frames`; the model is
:class:`recsys.Recommender`. Training is offline only (``kefu train``, ``kefu run``):
loading never trains, so a customer's request never waits for a training run; without a
model it raises :class:`ModelMissing` and the bot answers with the best sellers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path

from kefu.settings import get_settings
from kefu.shop.queries import frames
from recsys.base import BaseRecommender
from recsys.recommender import Recommender
from recsys.storage import MODEL_FILE

logger = logging.getLogger(__name__)

STOCK_REFRESH_SECONDS = 300.0
MODEL_NAME = "recsys"

_cache: dict[tuple[str, str], tuple[tuple[str, float], float, Recommender]] = {}
_cache_lock = threading.Lock()


class ModelMissing(FileNotFoundError):
    """No usable recommender is saved: it is trained offline with ``kefu train``."""


def model_dir() -> Path:
    """Where the shop recommender is saved (``<models_dir>/recsys``)."""
    return get_settings().models_dir / MODEL_NAME


def data_fingerprint(url: str | None = None) -> str:
    """A digest of what the recommender learns from (row counts, sums, latest dates) and of
    the default model parameters: it changes whenever retraining could change the model."""
    values = frames.data_counts(url)
    payload = json.dumps(
        {"data": values, "params": Recommender().get_params(), "format": MODEL_FILE},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _saved_fingerprint(directory: Path) -> str | None:
    try:
        document = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        return document.get("metadata", {}).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def train_from_db(url: str | None = None, force: bool = False) -> str:
    """Train the shop recommender and save it, unless the saved one is up to date.

    Args:
        url: database URL (default: the configured shop database).
        force: retrain even when the saved model matches the data.

    Returns:
        One line saying what was done (trained, with figures, or skipped).

    Raises:
        kefu.shop.db.DatabaseError: the database is missing or not initialised.
        ValueError: the database has no orders or reviews to learn from.
    """
    target = model_dir()
    fingerprint = data_fingerprint(url)
    if not force and _saved_fingerprint(target) == fingerprint:
        return f"recommender up to date (data unchanged since it was trained): {target}"
    start = time.perf_counter()
    interactions, items = frames.interactions(url)
    if interactions.empty:
        raise ValueError("the shop has no orders or reviews yet: nothing to learn from")
    model = Recommender().fit(interactions, items)
    model.save(target, metadata={"fingerprint": fingerprint, "trained_at": time.time()})
    seconds = time.perf_counter() - start
    data = model.dataset_
    ratings = data.ratings.nnz if data.ratings is not None else 0
    return (
        f"trained the recommender on {len(interactions):,} interactions "
        f"({data.n_users:,} customers, {data.n_items:,} products, {ratings:,} ratings) "
        f"in {seconds:.1f} s: {target}"
    )


def _stamp(directory: Path) -> tuple[str, float] | None:
    """Which saved version is current: its resolved directory and the model file's mtime."""
    try:
        resolved = directory.resolve()
        return str(resolved), (resolved / MODEL_FILE).stat().st_mtime
    except OSError:
        return None


def load_shop_recommender(url: str | None = None) -> Recommender:
    """The trained shop recommender, loaded once and cached per model and database.

    The cached model is reloaded when a new version is saved, and its stock levels are
    refreshed from the database every :data:`STOCK_REFRESH_SECONDS`. Never trains.

    Raises:
        ModelMissing: no model saved, or its files are missing, corrupt or of another
            format (the message names the file and says to run ``kefu train``).
    """
    url = url or get_settings().database_url
    directory = model_dir()
    key = (str(directory), url)  # stock levels and ids belong to one database
    with _cache_lock:
        stamp = _stamp(directory)
        cached = _cache.get(key)
        if cached is not None and stamp is not None and cached[0] == stamp:
            _, refreshed, model = cached
            if time.time() - refreshed > STOCK_REFRESH_SECONDS:
                _refresh_stock(model, url)
                _cache[key] = (stamp, time.time(), model)
            return model
        try:
            model = Recommender.load(directory)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelMissing(
                f"no usable recommender at {directory} ({exc}): run 'kefu train --only recsys'"
            ) from exc
        _refresh_stock(model, url)
        _cache[key] = (_stamp(directory) or ("", 0.0), time.time(), model)
        return model


def _refresh_stock(model: BaseRecommender, url: str) -> None:
    try:
        model.update_stock(frames.stock_levels(url))
    except Exception as exc:  # noqa: BLE001 - stale stock beats no recommendations
        logger.warning("could not refresh stock levels: %s", exc)
