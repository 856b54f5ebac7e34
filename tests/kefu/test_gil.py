"""kefu.gil: servers hand the GIL to their event loop sooner."""

from __future__ import annotations

import sys

import pytest

from kefu.gil import SWITCH_INTERVAL_S, favour_the_event_loop


@pytest.fixture(autouse=True)
def restore_interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_the_switch_interval_is_shortened_and_the_previous_one_returned():
    sys.setswitchinterval(0.005)
    assert favour_the_event_loop() == pytest.approx(0.005)
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)
    assert SWITCH_INTERVAL_S < 0.005  # shorter than CPython's default
    assert favour_the_event_loop(0.002) == pytest.approx(SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == pytest.approx(0.002)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "0.001", None, True])
def test_a_bad_interval_is_refused_and_nothing_changes(bad):
    sys.setswitchinterval(0.004)
    with pytest.raises(ValueError, match="positive number of seconds"):
        favour_the_event_loop(bad)
    assert sys.getswitchinterval() == pytest.approx(0.004)
