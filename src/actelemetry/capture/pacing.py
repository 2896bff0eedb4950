"""When to look at the physics page next, when every physics step must be caught.

A step stays on the page for one physics period (3 ms in AC) and is then overwritten, so
a capture that wants them all must look at least once in every period. Polling on a fixed
fine grid does that with many short sleeps, and each sleep is a chance to wake late: on a
loaded or virtual machine a sleeping thread now and then wakes milliseconds late and a
step is gone. The pacer therefore follows the game's own rhythm. After a step it sleeps
until just before the next one is due and then busy-polls until it appears: one sleep per
step instead of four, and a sleep must overrun by a whole period to lose a step. Whenever
the rhythm is lost (a late or bunched step, a wake-up after the step had already come) it
falls back to the fine grid until a step is again seen the moment it appears. A step
that is late (the game stalled) is followed by a busy look for up to two periods after
each step, until a step comes a period after the one before: a game that fell behind
publishes the steps it owes closer together than the grid's sleeps.

The period is learnt from the packet ids, so a game stepping at another rate is followed
too. ``busy`` never sleeps at all: no step is lost even where every sleep may wake late,
at the cost of a whole core.
"""

from __future__ import annotations

import math

from actelemetry.game.constants import PHYSICS_HZ

#: the nominal physics period (s)
NOMINAL_STEP_S = 1.0 / PHYSICS_HZ
#: busy-polling starts this long before a step is due (or, where sleeps are coarser, the
#: machine's measured sleep granularity: see game/timer.py)...
SPIN_BEFORE_S = 0.2e-3
#: ...and goes on this long after it was due before the pacer falls back to the grid
SPIN_AFTER_S = 0.5e-3
#: after a stall the pacer looks at once until the steps come at least this share of a
#: period apart again (a game that fell behind publishes the steps it owes closer together)...
ON_RHYTHM = 0.9
#: ...for at most this many periods after the last step seen; then back to the grid
CATCH_UP_SPIN = 2
#: a step seen within this long of the previous look was seen as it appeared
PROMPT_S = 50e-6
#: a step stays on the page for a period, so one can come and go unseen only while the
#: capture looks away for about that long: a miss after an absence longer than this share
#: of a step is the machine holding the capture back (shorter, the steps came bunched)
HELD_BACK = 0.75
#: the period is re-measured over this many steps (about a second)
STEP_SPAN = PHYSICS_HZ


class StepPacer:
    """Answers "when should the page be looked at next" after every look at it."""

    def __init__(self, busy: bool = False, step_s: float = NOMINAL_STEP_S,
                 spin_before_s: float = SPIN_BEFORE_S) -> None:
        self.busy = busy
        self.spin_before = spin_before_s
        self.nominal = step_s
        self.step = step_s
        self.grid = step_s / 4
        self.reset()

    def reset(self) -> None:
        """Forget the rhythm (after a pause, a gap or a new session)."""
        self.last_look = -math.inf
        self.due: float | None = None
        self.locked = False
        self.catching_up = False  # the game stalled and may now publish steps bunched
        self._appeared = -math.inf  # when the last step seen appeared (about)
        self._anchor: tuple[float, int] | None = None

    def after_look(self, now: float, new_packet: int | None) -> float:
        """The time of the next look, given this look at ``now`` and the packet id it
        found if that is a new step (None when the page still shows the last one)."""
        if new_packet is not None:
            self._stepped(now, new_packet)
        self.last_look = now
        if self.busy:
            return now
        if self.due is None:
            return now + self.grid
        if self.catching_up and now - self._appeared <= CATCH_UP_SPIN * self.step:
            return now  # the steps the game owes may come far closer than a period
        start = self.due - self.spin_before
        if now < start:
            return start if self.locked else min(start, now + self.grid)
        if now <= self.due + SPIN_AFTER_S:
            return now  # the step is about to appear: look again at once
        # the step is late: the game stalled; back to the grid. If the step was surely
        # due (the rhythm was locked on, not guessed), the game may now catch up with the
        # steps it owes
        self.catching_up = self.catching_up or self.locked
        self.locked = False
        return now + self.grid

    def _stepped(self, now: float, packet: int) -> None:
        prompt = now - self.last_look <= PROMPT_S
        # the step appeared after the previous look, and within one period of now
        appeared = max(self.last_look, now - self.step)
        if prompt and appeared - self._appeared >= ON_RHYTHM * self.step:
            self.catching_up = False  # a step a period after the last: caught up
        self._appeared = appeared
        self.locked = prompt
        self._learn_step(appeared if prompt else now, packet)
        self.due = appeared + self.step

    def _learn_step(self, t: float, packet: int) -> None:
        if self._anchor is None or packet < self._anchor[1]:
            self._anchor = (t, packet)
            return
        t0, p0 = self._anchor
        if packet - p0 >= STEP_SPAN:
            measured = (t - t0) / (packet - p0)
            if 0.5 * self.nominal < measured < 2 * self.nominal:
                self.step, self.grid = measured, measured / 4
            self._anchor = (t, packet)
