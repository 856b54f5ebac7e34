"""Errors of the shop database layer."""

from __future__ import annotations


class DatabaseError(RuntimeError):
    """The shop database is missing, unreachable, not initialised or not migratable."""
