"""Running the simulator against the wall clock, as the game does.

The schedule is drift-free: step ``k`` is due at ``t0 + k * dt / speed`` on
``time.perf_counter``, so a late step is caught up (at up to three times real time, never
in a burst) rather than pushing every later step back. While the session is paused the
schedule is re-anchored, so resuming does not produce a burst of catch-up steps.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from actelemetry.game.timer import fine_timer, sleep_granularity
from actelemetry.sim.simulator import Simulator

#: never sleep less than this (or than this machine's measured sleep granularity, if
#: coarser: Windows' timer): the OS would return late anyway
_MIN_SLEEP = 0.0005
#: above this backlog (s) the schedule is reset instead of bursting to catch up
_MAX_BACKLOG = 0.25
#: a late schedule catches up at most this many times faster than real time, so each
#: physics step stays on the page long enough for a reader polling at a few kHz
_CATCH_UP = 3.0


@dataclass
class RealtimeStats:
    """What a real-time run achieved."""

    steps: int = 0
    wall_s: float = 0.0
    sim_s: float = 0.0
    max_late_ms: float = 0.0
    mean_late_ms: float = 0.0
    resets: int = 0  # times the schedule was re-anchored after falling far behind

    @property
    def step_rate(self) -> float:
        return self.steps / self.wall_s if self.wall_s > 0 else 0.0


def run_realtime(sim: Simulator, speed: float = 1.0, stop: threading.Event | None = None,
                 max_seconds: float | None = None) -> RealtimeStats:
    """Step ``sim`` at ``speed`` x real time, publishing every step, until it finishes,
    ``stop`` is set, or ``max_seconds`` of wall time have passed."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    with fine_timer():
        return _run_realtime(sim, speed, stop, max_seconds, max(_MIN_SLEEP, sleep_granularity()))


def _run_realtime(sim: Simulator, speed: float, stop: threading.Event | None,
                  max_seconds: float | None, min_sleep: float) -> RealtimeStats:
    """The schedule of :func:`run_realtime`; a wait shorter than ``min_sleep`` is spun."""
    period = sim.dt / speed
    stats = RealtimeStats()
    clock = time.perf_counter
    start = t0 = clock()
    k = 0  # steps taken since t0
    late_sum = 0.0
    last_step = -1.0
    min_gap = period / _CATCH_UP
    while not sim.finished:
        if stop is not None and stop.is_set():
            break
        now = clock()
        if max_seconds is not None and now - start >= max_seconds:
            break
        if sim.paused:
            time.sleep(min(period, 0.01))
            t0 = clock()
            k = 0
            continue
        due = t0 + k * period
        wait = due - now
        if wait > min_sleep:
            time.sleep(wait - min_sleep * 0.5)
            continue
        if wait > 0 or now - last_step < min_gap:
            continue  # spin the last fraction of a millisecond
        late = -wait
        if late > _MAX_BACKLOG:
            stats.resets += 1
            t0 = now
            k = 0
            late = 0.0
        sim.step(publish=True)
        last_step = clock()  # when the pages were written, not when the step was due
        k += 1
        stats.steps += 1
        late_sum += late
        if late * 1000.0 > stats.max_late_ms:
            stats.max_late_ms = late * 1000.0
    stats.wall_s = clock() - start
    stats.sim_s = stats.steps * sim.dt
    stats.mean_late_ms = late_sum / stats.steps * 1000.0 if stats.steps else 0.0
    return stats


#: a fast run publishes its pages this often in simulated time, as a capture would sample
FAST_PUBLISH_S = 0.01


def run_fast(sim: Simulator, stop: threading.Event | None = None,
             publish_every_s: float = FAST_PUBLISH_S) -> int:
    """Step ``sim`` as fast as the machine allows, publishing every ``publish_every_s`` of
    simulated time, until it finishes or ``stop`` is set; returns the steps taken."""
    every = max(int(round(publish_every_s / sim.dt)), 1)
    k = 0
    while not sim.finished and not (stop is not None and stop.is_set()):
        k += 1
        sim.step(publish=k % every == 0)
    return k
