"""Timer resolution (game/timer.py): the fine timer is asked for once however many runs
nest it, and the sleep granularity the pacers adapt to is measured per state of it."""

from __future__ import annotations

import os
import sys

import pytest

from actelemetry.game import timer
from actelemetry.game.timer import (
    fine_timer,
    fine_timer_active,
    measure_sleep,
    raised_priority,
)


def test_fine_timer_requests_nest_and_end_with_the_last() -> None:
    assert not fine_timer_active()
    with fine_timer():
        assert fine_timer_active()
        with fine_timer():
            assert fine_timer_active()
        assert fine_timer_active()  # the outer run still needs it
    assert not fine_timer_active()


def test_the_fine_timer_is_given_back_when_a_run_fails() -> None:
    try:
        with fine_timer():
            raise RuntimeError("a run that fails")
    except RuntimeError:
        pass
    assert not fine_timer_active()


def test_sleep_granularity_is_measured_once_for_each_timer_state() -> None:
    coarse = timer.sleep_granularity()
    assert coarse > 0
    assert timer.sleep_granularity() == coarse  # measured once, not on every call
    with fine_timer():
        fine = timer.sleep_granularity()
        assert fine > 0
    assert set(timer._measured) == {False, True}


def test_measured_sleeps_are_real_sleeps() -> None:
    took = measure_sleep(0.001, 5)
    assert len(took) == 5 and all(t > 0 for t in took)


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(sys.platform == "win32", reason="Unix nice values; Windows raises the "
                    "process's priority class, which the capture's own test run shows")
def test_a_raised_priority_is_as_allowed_and_put_back() -> None:
    before = _nice()
    with raised_priority() as raised:
        # raised only where this user may (root here, usually); never half-raised
        assert _nice() == (before - timer.RAISE_NICE if raised else before)
    assert _nice() == before


@pytest.mark.skipif(sys.platform == "win32", reason="Unix nice values")
def test_a_failing_block_puts_the_priority_back() -> None:
    before = _nice()
    with pytest.raises(RuntimeError), raised_priority():
        raise RuntimeError("capture failed")
    assert _nice() == before
