"""How finely this machine can sleep: measured, and on Windows asked for.

A physics step lasts 3 ms, and both the simulator's schedule and the capture's pacer sleep
until just before the next step is due, then spin. That only works if a sleep wakes close
to when it was asked to. Linux wakes within tens of microseconds. Windows' default timer
ticks every 15.6 ms; ``timeBeginPeriod(1)`` (winmm) asks for 1 ms while a run needs it, and
Python 3.11+ sleeps on a high-resolution waitable timer where Windows has one. Which of
these holds on a given machine is measured rather than assumed: :func:`sleep_granularity`
is how late a very short sleep wakes (the median of a few), and the pacers spin at least
that long before a deadline instead of sleeping through it.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: what one short sleep asks for when the granularity is measured (s)
PROBE_SLEEP_S = 0.0001
#: sleeps measured for one estimate (their median is taken)
PROBE_COUNT = 7

_lock = threading.Lock()
_fine_users = 0
_measured: dict[bool, float] = {}


def _winmm_period(begin: bool) -> None:  # pragma: no cover - Windows
    if sys.platform != "win32":
        return
    winmm = ctypes.WinDLL("winmm")
    if begin:
        winmm.timeBeginPeriod(1)
    else:
        winmm.timeEndPeriod(1)


@contextmanager
def fine_timer() -> Iterator[None]:
    """A 1 ms system timer for the block on Windows (``timeBeginPeriod(1)``, undone on the
    way out; nested and concurrent blocks share one request). Elsewhere it does nothing:
    the kernel's timers are already fine."""
    global _fine_users
    with _lock:
        _fine_users += 1
        if _fine_users == 1:
            _winmm_period(True)
    try:
        yield
    finally:
        with _lock:
            _fine_users -= 1
            if _fine_users == 0:
                _winmm_period(False)


def fine_timer_active() -> bool:
    """Whether a :func:`fine_timer` block is open in this process."""
    return _fine_users > 0


def measure_sleep(request_s: float = PROBE_SLEEP_S, count: int = PROBE_COUNT) -> list[float]:
    """How long ``count`` sleeps of ``request_s`` really took (s), in order."""
    took = []
    clock = time.perf_counter
    for _ in range(count):
        t0 = clock()
        time.sleep(request_s)
        took.append(clock() - t0)
    return took


def sleep_granularity() -> float:
    """How long a very short sleep really takes here (s): the median of a few, measured
    once per process for each state of :func:`fine_timer` (Windows' differs with it)."""
    key = fine_timer_active()
    found = _measured.get(key)
    if found is None:
        took = sorted(measure_sleep())
        found = took[len(took) // 2]  # the median (an odd count)
        _measured[key] = found
    return found
