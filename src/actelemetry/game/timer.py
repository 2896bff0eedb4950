"""How finely this machine can sleep: measured, and on Windows asked for.

A physics step lasts 3 ms, and both the simulator's schedule and the capture's pacer sleep
until just before the next step is due, then spin. That only works if a sleep wakes close
to when it was asked to. Linux wakes within tens of microseconds. Windows' default timer
ticks every 15.6 ms; ``timeBeginPeriod(1)`` (winmm) asks for 1 ms while a run needs it, and
Python 3.11+ sleeps on a high-resolution waitable timer where Windows has one. Which of
these holds on a given machine is measured rather than assumed: :func:`sleep_granularity`
is how late a very short sleep wakes (the median of a few), and the pacers spin at least
that long before a deadline instead of sleeping through it.

Sleeping finely is not enough on a busy machine: a woken thread still waits for a core,
and one that waits a whole step loses it. :func:`raised_priority` asks the scheduler to
run the capture ahead of ordinary work where the system allows it.
"""

from __future__ import annotations

import ctypes
import os
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


#: how many nice steps above normal a capture at the physics rate asks for (Unix)
RAISE_NICE = 5
_ABOVE_NORMAL_PRIORITY_CLASS = 0x8000


@contextmanager
def raised_priority() -> Iterator[bool]:
    """Run the block ahead of ordinary work where the system lets this user ask; yields
    whether it did, and puts the priority back on the way out.

    Windows lets any user raise a process to ABOVE_NORMAL (below the game's own threads'
    boosts, above background work). Unix lowers the calling thread's nice value by
    :data:`RAISE_NICE` only with the right (root, CAP_SYS_NICE or an RLIMIT_NICE that
    allows it); where that is refused nothing changes.
    """
    if sys.platform == "win32":  # pragma: no cover - Windows
        kernel32 = ctypes.WinDLL("kernel32")
        process = kernel32.GetCurrentProcess()
        old_class = kernel32.GetPriorityClass(process)
        raised = bool(old_class) and bool(
            kernel32.SetPriorityClass(process, _ABOVE_NORMAL_PRIORITY_CLASS))
        try:
            yield raised
        finally:
            if raised:
                kernel32.SetPriorityClass(process, old_class)
        return
    old = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, old - RAISE_NICE)
    except OSError:  # not allowed for this user: run as before
        yield False
        return
    try:
        yield True
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, old)
