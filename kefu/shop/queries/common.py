"""What every shop query shares: the unavailable-shop error, the per-request read cache and
case-insensitive LIKE matching."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
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


_READS: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar(
    "kefu_shop_reads", default=None
)


@contextmanager
def read_cache() -> Iterator[None]:
    """Within the block, a :func:`memoized` read with the same arguments queries once.

    One unit of work (an action call) opens it, so that the identity check, the order and
    the customer are read once however often the action's helpers ask. Any write through
    :func:`invalidates` clears it. Nested blocks share the outer cache.
    """
    if _READS.get() is not None:
        yield
        return
    token = _READS.set({})
    try:
        yield
    finally:
        _READS.reset(token)


def memoized(fn: Callable[P, R]) -> Callable[P, R]:
    """Remember ``fn``'s results by arguments inside a :func:`read_cache` block.

    Only for reads returning immutable values (frozen dataclasses, tuples, ``None``).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        cache = _READS.get()
        if cache is None:
            return fn(*args, **kwargs)
        key = (fn.__qualname__, args, tuple(sorted(kwargs.items())))
        try:
            hit = key in cache
        except TypeError:  # unhashable arguments: no caching
            return fn(*args, **kwargs)
        if not hit:
            cache[key] = fn(*args, **kwargs)
        return cache[key]

    return wrapper


def invalidates(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark ``fn`` as a write: the current :func:`read_cache` is emptied around it."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        cache = _READS.get()
        if cache is not None:
            cache.clear()
        try:
            return fn(*args, **kwargs)
        finally:
            if cache is not None:
                cache.clear()

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
