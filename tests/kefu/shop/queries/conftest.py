"""Fixtures of the shop query tests.

Tests that use ``shop_cases`` (orders of each kind, from :mod:`tests.support.servers`) run
on the session's demo shop through ``shop_env``; read-only catalogue and customer tests
run on the small demo shop of :mod:`tests.kefu.conftest`, named by ``url``.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def session_shop(shop_env: dict[str, str]) -> dict[str, str]:
    """The session's demo shop, as the configured shop database of this process."""
    return shop_env
