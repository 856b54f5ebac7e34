"""A tracker store that cannot be created stops Rasa; it is never replaced by one in memory.

Rasa 3.6 creates a custom tracker store (``type: kefu.trackers.KefuTrackerStore`` in
``bot/endpoints.yml``) in ``rasa.core.tracker_store._load_from_module_name_in_endpoint_config``;
when the class cannot be imported, or its constructor raises ``ImportError`` or
``AttributeError`` (a database URL whose driver is not installed, e.g. ``mysql://`` without
``mysqlclient``), Rasa warns once and serves from an ``InMemoryTrackerStore``: every
conversation is lost at the next restart and replicas no longer share them. Installed by
:mod:`kefu.rasa_main` with :func:`install`, the same case raises
:class:`TrackerStoreSetupError`, which Rasa's command line prints as one line before it
exits with status 1, as it already does when the database refuses the connection.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.exceptions import RasaException

_installed = False


class TrackerStoreSetupError(RasaException):
    """The tracker store of the endpoints cannot be created (one line, what to do)."""


def _shown_url(url: Any) -> str:
    """``url`` without its password (it goes to the log and the terminal)."""
    import sqlalchemy as sa

    try:
        return str(sa.engine.make_url(str(url)).render_as_string(hide_password=True))
    except Exception:  # not an SQLAlchemy URL: show no part of it
        return "(a URL that is not an SQLAlchemy URL)"


def load_custom_tracker_store(domain: Any, store: Any, event_broker: Any = None) -> Any:
    """Rasa's loader of a tracker store named by module path, without the in-memory
    fallback.

    Args:
        domain: the assistant's domain.
        store: the ``tracker_store`` endpoint configuration.
        event_broker: the event broker, if any.

    Raises:
        TrackerStoreSetupError: the class cannot be imported, or its constructor raised
            ``ImportError`` or ``AttributeError``.
    """
    from rasa.shared.utils.common import class_from_module_path

    try:
        store_class = class_from_module_path(store.type)
        return store_class(host=store.url, domain=domain, event_broker=event_broker, **store.kwargs)
    except (AttributeError, ImportError) as exc:
        raise TrackerStoreSetupError(
            f"kefu: the tracker store '{store.type}' could not be created for "
            f"{_shown_url(store.url)} ({type(exc).__name__}: {exc}). kefu does not start "
            "with conversations kept only in memory: fix KEFU_TRACKER_URL (or the "
            "tracker_store of endpoints.yml), or install the database driver it names"
        ) from exc


def install() -> bool:
    """Replace Rasa's loader (idempotent); ``True`` when this call replaced it."""
    global _installed
    if _installed:
        return False
    import rasa.core.tracker_store

    rasa.core.tracker_store._load_from_module_name_in_endpoint_config = load_custom_tracker_store
    _installed = True
    return True


__all__ = ["TrackerStoreSetupError", "install", "load_custom_tracker_store"]
