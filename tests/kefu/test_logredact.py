"""kefu.logredact: log records are redacted before any handler writes them."""

from __future__ import annotations

import io
import logging

from kefu.logredact import RedactingFilter, install


def _logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_message_and_arguments_are_redacted():
    logger, stream = _logger("test.logredact.args")
    install([logger])
    logger.info("customer %s called from %s about %s", "a@b.com", "13812345678", "KF10000123")
    assert stream.getvalue() == "INFO customer [EMAIL] called from [PHONE] about KF10000123\n"


def test_exception_text_is_redacted():
    logger, stream = _logger("test.logredact.exc")
    install([logger])
    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        logger.exception("lookup failed for %s", "11010519491231002X")
    out = stream.getvalue()
    assert "lookup failed for [ID]" in out
    assert "ValueError: bad phone [PHONE]" in out
    assert "13812345678" not in out and "11010519491231002X" not in out


def test_records_from_child_loggers_are_redacted_by_the_parents_handler():
    parent, stream = _logger("test.logredact.parent")
    install([parent])
    logging.getLogger("test.logredact.parent.child").warning("mail me: a@b.com")
    assert stream.getvalue() == "WARNING mail me: [EMAIL]\n"


def test_install_twice_adds_one_filter_and_kinds_are_honoured():
    logger, stream = _logger("test.logredact.kinds")
    install([logger], kinds={"email"})
    install([logger])
    assert sum(isinstance(f, RedactingFilter) for f in logger.handlers[0].filters) == 1
    logger.info("a@b.com 13812345678")
    assert stream.getvalue() == "INFO [EMAIL] 13812345678\n"


def test_a_bad_format_string_is_still_logged_and_redacted():
    logger, stream = _logger("test.logredact.bad")
    install([logger])
    logger.info("%d items for %s", "not a number", "a@b.com")
    assert "[EMAIL]" in stream.getvalue() and "a@b.com" not in stream.getvalue()
