"""Who a customer is to the shop, for the console's customer panel: RFM segment, lifetime
value (net spend) and purchase propensity, scored over the whole shop by the customers
report's own pipeline (:func:`analytics.customers.score_customers`).

Scoring fits k-means and a propensity model on every transaction (seconds on the demo
shop), so it runs in a background thread at most once per ``TTL_S`` per shop database and
process; a panel never waits for it (it says the scores are pending, or shows the last ones).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import pandas as pd

from analytics.customers import CustomersOptions, score_customers
from kefu.shop.queries import frames
from recsys.segments import segment_prototypes

__all__ = ["customer_scores", "forget_scores", "warm_scores"]

logger = logging.getLogger(__name__)
TTL_S = 600.0
_lock = threading.Lock()
# url -> (when scored, table or None when the shop cannot be scored)
_cache: dict[str, tuple[float, pd.DataFrame | None]] = {}
_running: set[str] = set()


def _score(url: str) -> None:
    try:
        tx = frames.transactions(url)
        rfm: pd.DataFrame | None = score_customers(tx, CustomersOptions(database_url=url))[0]
    except Exception as exc:  # noqa: BLE001 - a shop too small to score: no figures
        logger.warning("no customer scores for the console (%s)", exc)
        rfm = None
    with _lock:
        _cache[url] = (time.monotonic(), rfm)
        _running.discard(url)


def _table(url: str, wait: bool) -> tuple[bool, pd.DataFrame | None]:
    """``(ready, table)``; starts a scoring in the background when none is fresh."""
    with _lock:
        cached = _cache.get(url)
        fresh = cached is not None and time.monotonic() - cached[0] < TTL_S
        start = not fresh and url not in _running
        if start:
            _running.add(url)
    if start:
        if wait:
            _score(url)
        else:
            threading.Thread(target=_score, args=(url,), name="kefu-scores", daemon=True).start()
    with _lock:
        cached = _cache.get(url)
    # a stale table is still shown while the new one is scored
    return (False, None) if cached is None else (True, cached[1])


def warm_scores(url: str) -> None:
    """Start scoring the shop in the background (the site calls it when it starts)."""
    _table(url, wait=False)


def forget_scores() -> None:
    """Drop the cached scores (the next panel scores the shop again)."""
    with _lock:
        _cache.clear()


def customer_scores(customer_id: str, url: str, *, wait: bool = False) -> dict[str, Any]:
    """The customer's ``segment`` (key and names in both languages), ``lifetime_value``
    (net spend, a decimal string), ``propensity`` (0-1) and RFM scores.

    ``{"scores_pending": True}`` while the shop is being scored in the background (unless
    ``wait``), ``{}`` when it cannot be scored, ``lifetime_value`` ``"0.00"`` for a
    customer who never bought.
    """
    ready, rfm = _table(url, wait)
    if not ready:
        return {"scores_pending": True}
    if rfm is None:
        return {}
    if customer_id not in rfm.index:
        return {"segment": None, "lifetime_value": "0.00", "propensity": None}
    row = rfm.loc[customer_id]
    proto = {p["key"]: p for p in segment_prototypes()}.get(str(row["segment"]), {})
    propensity = row.get("propensity")
    return {
        "segment": {
            "key": str(row["segment"]),
            "zh": proto.get("zh", str(row["segment"])),
            "en": proto.get("en", str(row["segment"])),
        },
        "lifetime_value": f"{float(row['monetary']):.2f}",
        "propensity": (
            round(float(propensity), 4)
            if propensity is not None and not math.isnan(float(propensity))
            else None
        ),
        "rfm": {k: int(row[f"{k}_score"]) for k in ("r", "f", "m")},
        "order_count": int(row["frequency"]),
    }
