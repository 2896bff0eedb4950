"""A driver's own habits: drawn from his seed, the same at every skill, within a person's
ranges; two drivers of one skill brake measurably differently, each smoothly."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from sim_recording import controls

from actelemetry.sim import Simulator
from actelemetry.sim import driver as drv
from actelemetry.sim.habits import HABIT_RANGES, Habits
from actelemetry.sim.metrics import braking_zones, reversal_rate


def brake_technique(ticks: np.ndarray, dt: float) -> tuple[float, float]:
    """How a trace brakes, over its hard zones (peak > 0.6): the mean of the fastest
    rise onto the pedal (per s) and the mean time from the pedal falling under 0.3 to
    the zone's end (the trail's tail, s)."""
    b = ticks[:, 2]
    onset, tail = [], []
    for z in braking_zones(b):
        if z.peak < 0.6:
            continue
        zone = b[z.start:z.end]
        k = int(np.argmax(zone))
        lo = max(z.start - int(0.3 / dt), 0)
        onset.append(np.diff(b[lo:z.start + k + 1]).max() / dt)
        after = zone[k:]
        tail.append((len(after) - int(np.argmax(after < 0.3))) * dt)
    assert len(onset) >= 4
    return float(np.mean(onset)), float(np.mean(tail))


def test_habits_are_a_persons_drawn_from_the_seed_alone() -> None:
    a, b = Habits.of(2), Habits.of(6)
    assert Habits.of(2) == a and a != b
    for seed in range(20):
        h = Habits.of(seed)
        for f in fields(Habits):
            lo, hi = HABIT_RANGES[f.name]
            assert lo <= getattr(h, f.name) <= hi, f.name
    # the same person at every skill: the skill sets pace and consistency, not technique
    novice = Simulator(track="monza", seed=6, skill="novice").driver
    pro = Simulator(track="monza", seed=6, skill="pro").driver
    assert isinstance(novice, drv.Driver) and isinstance(pro, drv.Driver)
    assert novice.habits == pro.habits == b
    assert novice.reaction_s - pro.reaction_s == pytest.approx(
        drv.Style.of(0.1).reaction_s - drv.Style.of(0.9).reaction_s)


def test_the_typical_driver_is_the_ranges_centre() -> None:
    t = Habits.typical()
    assert (t.brake_apply, t.brake_release, t.gas_apply, t.gas_lift) == pytest.approx(
        (drv.BRAKE_APPLY_RATE, drv.BRAKE_RELEASE_RATE, drv.GAS_APPLY_RATE, drv.GAS_LIFT_RATE))
    assert (t.brake_trail, t.brake_off_accel, t.pedal_ahead_s, t.pedal_smooth_m) == (
        pytest.approx((drv.BRAKE_TRAIL, drv.BRAKE_OFF_ACCEL, drv.LOOK_AHEAD_S,
                       drv.ACCEL_SMOOTH_M)))
    assert (t.steer_ahead_s, t.heading_gain, t.lateral_gain) == pytest.approx(
        (drv.STEER_AHEAD_S, drv.HEADING_GAIN, drv.LATERAL_GAIN))
    assert (t.brake_peak, t.gas_gamma, t.understeer) == pytest.approx((1.0, 1.0, 1.0))
    assert (t.reaction_dev_s, t.line_bias_m) == pytest.approx((0.0, 0.0))


def test_two_drivers_of_one_skill_brake_differently_and_smoothly() -> None:
    """Seed 2 stabs the brake on (7.5/s, the plan read over +-7 m) and comes off it
    quickly (4.0/s); seed 6 squeezes it on (5.6/s, over +-14 m) and trails off slowly
    (2.9/s). Measured at Monza: onto the pedal at 6.7/s against 4.7/s, the trail's
    tail 0.37 s against 0.56 s."""
    stab, squeeze = Habits.of(2), Habits.of(6)
    assert stab.brake_apply > squeeze.brake_apply + 1.5
    assert stab.brake_release > squeeze.brake_release + 1.0
    assert stab.pedal_smooth_m < squeeze.pedal_smooth_m - 5.0
    ticks_a, dt, hb_a = controls("monza", seed=2)
    ticks_b, _, hb_b = controls("monza", seed=6)
    assert (hb_a, hb_b) == (stab, squeeze)
    onset_a, tail_a = brake_technique(ticks_a, dt)
    onset_b, tail_b = brake_technique(ticks_b, dt)
    assert onset_a > onset_b + 1.5  # onto the brake at least 1.5/s faster
    assert tail_b > tail_a + 0.12  # trailing off it at least 0.12 s longer
    for ticks in (ticks_a, ticks_b):  # and each stays a smooth foot
        assert reversal_rate(ticks[:, 2], dt) < 2.0
