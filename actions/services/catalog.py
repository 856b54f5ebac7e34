"""The shop's vocabulary for reading product questions, built once and cached.

:func:`parser` returns a :class:`nlp.constraints.ConstraintParser` over the shop's product
types, brands and categories (:func:`kefu.bot.lookups.build_vocabulary`). Building it reads
the whole catalogue (about two seconds on the demo shop), so it is kept for
:data:`REFRESH_SECONDS`; when the shop cannot be read, a parser without vocabulary still
reads prices and refinements.
"""

from __future__ import annotations

import logging
import threading
import time

from kefu.settings import get_settings
from nlp.constraints import ConstraintParser, Vocabulary

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 600.0
RETRY_SECONDS = 60.0
_lock = threading.Lock()
_cache: dict[str, tuple[float, ConstraintParser]] = {}


def parser() -> ConstraintParser:
    """The parser for the configured shop (cached per database URL)."""
    url = get_settings().database_url
    with _lock:
        cached = _cache.get(url)
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        try:
            from kefu.bot.lookups import build_vocabulary

            built = ConstraintParser(build_vocabulary(url))
            expires = time.monotonic() + REFRESH_SECONDS
        except Exception as exc:  # noqa: BLE001 - no vocabulary beats no answer
            logger.warning("shop vocabulary unavailable (%s): reading prices only", exc)
            built = cached[1] if cached is not None else ConstraintParser(Vocabulary())
            expires = time.monotonic() + RETRY_SECONDS
        _cache[url] = (expires, built)
        return built


def reset_cache() -> None:
    """Forget the cached vocabularies (after the catalogue changed)."""
    with _lock:
        _cache.clear()
