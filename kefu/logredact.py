"""Log lines without personal data (see :mod:`nlp.redact`).

``install()`` adds a filter to every handler of the root logger (and of the loggers named),
so records from any logger are redacted once they are formatted for output.
``install_record_factory()`` redacts every record as it is made, whatever handlers exist
or are configured later: the servers kefu starts (the site, the action server, the Rasa
server through :mod:`kefu.rasa_main`) call it at start-up, before Rasa or Sanic set
up their own handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nlp.redact import ALL, redact

__all__ = ["RedactingFilter", "install", "install_record_factory"]


class RedactingFilter(logging.Filter):
    """Replace each record's message (with its arguments merged in) by its redacted form.

    The record's exception text is redacted too; the record is never dropped.
    """

    def __init__(self, kinds: Iterable[str] = ALL) -> None:
        super().__init__()
        self.kinds = frozenset(kinds)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: redact what is there
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message, kinds=self.kinds)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, kinds=self.kinds)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, kinds=self.kinds)
        return True


def install(
    loggers: Iterable[str | logging.Logger] = ("",), kinds: Iterable[str] = ALL
) -> RedactingFilter:
    """Add one :class:`RedactingFilter` to every handler of the loggers given (the root
    logger by default); handlers that already have one are left as they are.

    Returns:
        The filter (for handlers created later: ``handler.addFilter(filter)``).
    """
    redacting = RedactingFilter(kinds)
    for logger in loggers:
        logger = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(redacting)
    return redacting


_factory_installed = False


def install_record_factory(kinds: Iterable[str] = ALL) -> bool:
    """Redact every log record of this process when it is created (idempotent).

    The record factory runs only for records a logger lets through (after the level
    check), so debug records of a server at INFO cost nothing.

    Returns:
        ``True`` when this call installed it.
    """
    global _factory_installed
    if _factory_installed:
        return False
    redacting = RedactingFilter(kinds)
    make_record = logging.getLogRecordFactory()

    def redacted_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redacting.filter(record)
        return record

    logging.setLogRecordFactory(redacted_record)
    _factory_installed = True
    return True
