"""The pacer against a game whose step times are given, on a simulated clock: which steps a
capture following it sees, and how often it has to look."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.capture.pacing import NOMINAL_STEP_S, StepPacer

#: one look at the page (read the packet id, decide) costs about this on the real loop
LOOK_S = 5e-6


def follow(steps: np.ndarray, pacer: StepPacer, late: dict[int, float] | None = None,
           ) -> tuple[set[int], int, int]:
    """Look at a page showing step k from ``steps[k]`` on, as the pacer says; ``late``
    makes the n-th planned sleep wake that much later. Returns (steps seen, looks, steps
    after which the pacer was locked on the game's rhythm)."""
    late = late or {}
    seen: set[int] = set()
    t, last, looks, sleeps, locked = steps[0], -1, 0, 0, 0
    while t < steps[-1] + 0.01:
        shown = int(np.searchsorted(steps, t, side="right")) - 1
        looks += 1
        new = shown if shown != last else None
        if new is not None:
            seen.add(shown)
            last = shown
        nxt = pacer.after_look(t, new)
        locked += new is not None and pacer.locked
        if nxt > t:
            t = nxt + late.get(sleeps, 0.0)
            sleeps += 1
        else:
            t += LOOK_S
    return seen, looks, locked


def test_locks_on_and_looks_a_few_times_per_step() -> None:
    steps = np.arange(3000) * NOMINAL_STEP_S
    pacer = StepPacer()
    seen, looks, locked = follow(steps, pacer)
    assert seen == set(range(3000))
    assert locked > 2990
    # one sleep per step and a short busy look around it: far fewer looks than a busy loop
    # (~600 per step) and no more than a fine grid polling at four times the rate
    assert looks / 3000 < 60


def test_a_late_wakeup_shorter_than_a_step_loses_nothing() -> None:
    steps = np.arange(2000) * NOMINAL_STEP_S
    late = {n: 2.5e-3 for n in range(10, 2000, 50)}  # a 2.5 ms overrun every 50 sleeps
    seen, _, _ = follow(steps, StepPacer(), late)
    assert seen == set(range(2000))


def test_a_stalled_game_catching_up_in_a_burst_loses_nothing() -> None:
    steps = np.arange(1000) * NOMINAL_STEP_S
    # the game stalls 8 ms at step 300, then publishes the steps it owes 1 ms apart
    # (the simulator's catch-up pace) until it is back on its schedule
    stall_end = steps[300] + 8e-3
    for k in range(300, 1000):
        steps[k] = max(steps[k], stall_end + (k - 300) * 1e-3)
    seen, _, _ = follow(steps, StepPacer())
    assert seen == set(range(1000))


def test_a_catching_up_game_loses_nothing_to_sleeps_that_overrun_a_little() -> None:
    # as above, but every sleep of the capture overruns 0.3 ms (a VM's are often late): the
    # fine grid's polls then come further apart than the steps the game owes, so after a
    # stall the pacer looks at once until the steps come at the period again
    steps = np.arange(2000) * NOMINAL_STEP_S
    for stall in (300, 1200):
        stall_end = steps[stall] + 8e-3
        for k in range(stall, 2000):
            steps[k] = max(steps[k], stall_end + (k - stall) * 1e-3)
    overrun = dict.fromkeys(range(100_000), 0.3e-3)
    seen, looks, _ = follow(steps, StepPacer(), overrun)
    assert seen == set(range(2000))
    assert looks / 2000 < 60  # the busy look lasts only while the game catches up


def test_learns_a_game_stepping_at_another_rate() -> None:
    step = 1 / 400
    steps = np.arange(4000) * step
    pacer = StepPacer()
    seen, looks, locked = follow(steps, pacer)
    assert seen == set(range(4000))
    assert pacer.step == pytest.approx(step, rel=1e-3)
    assert locked > 3000 and looks / 4000 < 60


def test_busy_never_sleeps() -> None:
    pacer = StepPacer(busy=True)
    assert pacer.after_look(1.0, 7) == 1.0
    assert pacer.after_look(1.001, None) == 1.001


def test_reset_forgets_the_rhythm() -> None:
    pacer = StepPacer()
    follow(np.arange(100) * NOMINAL_STEP_S, pacer)
    pacer.reset()
    assert pacer.due is None and not pacer.locked
    assert pacer.after_look(5.0, None) == pytest.approx(5.0 + NOMINAL_STEP_S / 4)


def test_a_pacer_told_of_coarse_sleeps_spins_earlier_and_keeps_the_rhythm() -> None:
    """Where every sleep wakes 2 ms late (a Windows timer at 1 ms), a pacer told that
    granularity starts its busy look that much before a step is due: it sees every step
    the moment it appears. With the default margin (0.2 ms) it sees them, but late, never
    locked on the game's rhythm; and at 2.5 ms late it loses a fifth of them."""
    steps = np.arange(3000) * NOMINAL_STEP_S
    late_2ms = dict.fromkeys(range(100_000), 2.0e-3)
    seen, _, locked = follow(steps, StepPacer(spin_before_s=2.2e-3), late_2ms)
    assert seen == set(range(3000)) and locked > 2990
    seen, _, locked = follow(steps, StepPacer(), late_2ms)
    assert seen == set(range(3000)) and locked < 100

    late_2_5ms = dict.fromkeys(range(100_000), 2.5e-3)
    seen, _, _ = follow(steps, StepPacer(spin_before_s=2.6e-3), late_2_5ms)
    assert len(seen) >= 2999  # at most one, while it first locks on
    seen, _, _ = follow(steps, StepPacer(), late_2_5ms)
    assert len(seen) < 2700


def test_the_planned_wake_up_is_the_margin_before_the_step() -> None:
    margin = 1.0e-3
    pacer = StepPacer(spin_before_s=margin)
    for k in range(4):  # steps seen the moment they appear (a look just before): locked on
        pacer.after_look(k * NOMINAL_STEP_S - 2 * LOOK_S, None)
        pacer.after_look(k * NOMINAL_STEP_S, k)
    assert pacer.locked and pacer.due is not None
    due = pacer.due
    assert due == pytest.approx(4 * NOMINAL_STEP_S, abs=1e-4)
    assert pacer.after_look(3 * NOMINAL_STEP_S + LOOK_S, None) == pytest.approx(due - margin)
