"""The console's live overview: the queue (from the shop, always fresh) and today's
conversations (from the tracker store, cached a few seconds: it is a scan of the day).

Served at ``GET /agent/api/overview`` and pushed as ``overview`` on the ``/agent`` socket
when an agent goes on or off duty; the console also polls it every few seconds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sanic import Sanic

from analytics.live import TrackerError, live_figures
from kefu.settings import get_settings
from kefu.shop.queries import queue_stats
from web.layout import run_sync

logger = logging.getLogger(__name__)
TRACKER_CACHE_S = 5.0
_NO_TRACKER: dict[str, Any] = {
    "conversations_today": None,
    "containment": None,
    "csat_today": None,
    "not_understood_last_hour": None,
    "not_understood_messages": [],
}


def _tracker_figures(app: Sanic) -> dict[str, Any]:
    cached = getattr(app.ctx, "overview_cache", None)
    if cached is not None and time.monotonic() - cached[0] < TRACKER_CACHE_S:
        return dict(cached[1])
    url = app.ctx.config.database_url
    try:
        figures = live_figures(get_settings().tracker_url, url)
    except TrackerError as exc:
        logger.warning("live overview without the tracker store: %s", exc)
        figures = dict(_NO_TRACKER)
    app.ctx.overview_cache = (time.monotonic(), figures)
    return dict(figures)


def _overview(app: Sanic) -> dict[str, Any]:
    q = queue_stats.overview(url=app.ctx.config.database_url)
    return {**q, "waiting": q["pending"], **_tracker_figures(app)}


async def live_overview(app: Sanic) -> dict[str, Any]:
    """Every figure of the overview (the queue's and today's conversations')."""
    return await run_sync(_overview, app)
