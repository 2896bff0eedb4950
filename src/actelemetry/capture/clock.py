"""Clocks the capture loop schedules against.

Real time for the game; the simulator's own clock in fast mode, where "sleeping" means
stepping the simulator, so the capture follows the game's clock at any speed.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """``realtime`` is False for lockstep clocks: their sleep steps the game instead of
    waiting, and may return before ``t`` when the game published a page (an event)."""

    realtime: bool

    def now(self) -> float:
        """Seconds on this clock (arbitrary origin)."""
        ...

    def sleep_until(self, t: float) -> None: ...


class RealClock:
    """Monotonic wall clock with a high-resolution sleep."""

    realtime = True

    def now(self) -> float:
        return time.perf_counter()

    def sleep_until(self, t: float) -> None:
        delay = t - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


class SimClock:
    """The simulator's clock: sleeping until ``t`` steps the simulation up to ``t``.

    Only the last step before ``t`` publishes pages, so a fast capture costs one page
    write per sample, not one per physics step.
    """

    realtime = False

    def __init__(self, sim: object) -> None:
        self.sim = sim
        self._now = sim.time  # type: ignore[attr-defined]

    def now(self) -> float:
        return max(self._now, self.sim.time)  # type: ignore[attr-defined]

    def sleep_until(self, t: float) -> None:
        sim = self.sim
        eps = 1e-9
        while sim.time < t - eps and not sim.finished:  # type: ignore[attr-defined]
            before = sim.time  # type: ignore[attr-defined]
            last = sim.time + sim.dt >= t - eps  # type: ignore[attr-defined]
            sim.step(publish=last)  # type: ignore[attr-defined]
            if sim.time == before:  # type: ignore[attr-defined]
                break  # paused: time stands still for the car, not for the capture
        self._now = max(self._now, t)


class ReplayClock:
    """A raw recording's own clock: sleeping publishes the next recorded frame when it is
    due by ``t`` and stops there, so a lockstep capture sees every frame exactly once at
    its original time."""

    realtime = False

    def __init__(self, player: object) -> None:
        self.player = player
        self._now = player.start_time  # type: ignore[attr-defined]

    def now(self) -> float:
        return self._now

    def sleep_until(self, t: float) -> None:
        due = self.player.next_time()  # type: ignore[attr-defined]
        if due is not None and due <= t:
            self.player.publish_next()  # type: ignore[attr-defined]
            self._now = max(self._now, due)
        else:
            self._now = max(self._now, t)
