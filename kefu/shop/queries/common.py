"""What every shop query shares: the unavailable-shop error and case-insensitive LIKE matching."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from kefu.shop.db import DatabaseError

P = ParamSpec("P")
R = TypeVar("R")

LIKE_ESCAPE = "\\"
MAX_NEEDLE_CHARS = 100


class ShopUnavailable(DatabaseError):
    """The shop database cannot be reached or is not initialised."""


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn any database failure of ``fn`` into :class:`ShopUnavailable`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise ShopUnavailable(f"shop database error: {exc.__class__.__name__}") from exc

    return wrapper


def escape_like(value: str) -> str:
    """``value`` with LIKE's wildcards (``%``, ``_``) and the escape character escaped."""
    return (
        value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def needle(value: object) -> str:
    """A search word as the queries use it: stripped, lower case, at most 100 characters."""
    return value.strip()[:MAX_NEEDLE_CHARS].lower() if isinstance(value, str) else ""


def contains(column: Any, word: str) -> ColumnElement[bool]:
    """``column`` contains ``word``, ignoring case; ``word`` is matched literally."""
    return func.lower(column).like(f"%{escape_like(needle(word))}%", escape=LIKE_ESCAPE)


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, ignoring case; ``prefix`` is matched literally."""
    return func.lower(column).like(f"{escape_like(prefix.lower())}%", escape=LIKE_ESCAPE)
