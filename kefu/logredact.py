"""A logging filter that masks personal data in every record it sees (see :mod:`nlp.redact`).

``install()`` adds it to every handler of the root logger (and of the loggers named), so
records from any logger are redacted once they are formatted for output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nlp.redact import ALL, redact

__all__ = ["RedactingFilter", "install"]


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
