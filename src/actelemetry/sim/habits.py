"""A simulated driver's personal habits: how *he* drives, whatever his skill.

Real drivers of the same pace differ in technique: one stamps on the brake, another
squeezes it; one trails it deep into the corner, another is off it at the turn-in; one
feeds the throttle in, another opens it wide and lets the traction control work; one
turns in early with a lot of lock, another late. These habits are a person's and stay
with him from lap to lap and session to session, so they are drawn once from the
driver's seed (``sim-pro-s3`` is the same person at every track), independent of his
skill (:class:`~actelemetry.sim.driver.Style`), which still sets how much of the car he
uses, how consistently and how often he errs.

Each habit is drawn uniformly from a range around the value every driver had before
(the range's centre, the constant in :mod:`~actelemetry.sim.driver`), wide enough that
two drivers differ visibly in their traces and narrow enough to stay what people do;
docs/simulator.md gives the ranges and why.

Drawn from their own stream (the seed and a fixed salt), so a driver's lap-to-lap
variation (the seed's own stream) is the same draw it was before habits existed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: salt of the habits' random stream (any fixed number: it keeps them apart from the laps')
HABITS_SALT = 0x4AB175

#: every habit's range (low, high), drawn uniformly; the centres are the driver's
#: constants (BRAKE_APPLY_RATE 7/s, BRAKE_RELEASE_RATE 3.5/s, GAS_APPLY_RATE 5/s,
#: GAS_LIFT_RATE 10/s, BRAKE_TRAIL 0.06, BRAKE_OFF_ACCEL -0.8 m/s^2, the steering's
#: 0.12 s feed-forward look-ahead and gains, LOOK_AHEAD_S 0.06 s, ACCEL_SMOOTH_M 10 m)
HABIT_RANGES: dict[str, tuple[float, float]] = {
    # half-width (m) over which he reads the plan's deceleration: a short one stabs the
    # brake on at the braking point and comes off it sharply, a long one squeezes it on
    # from a little earlier and eases it off (at 250 km/h, 5 m is 0.07 s, 15 m 0.2 s)
    "pedal_smooth_m": (5.0, 15.0),
    # onto the brake, pedal per second: 0 -> full in 0.11-0.2 s (a stab or a squeeze)
    "brake_apply": (5.0, 9.0),
    # off it, per second: the trail-off from the peak, 0.2-0.45 s from full
    "brake_release": (2.2, 4.8),
    # how hard his leg presses at a braking zone's peak, as a share of the pressure
    # every driver held before (1.65 g of tyre force): a softer foot brakes earlier
    "brake_peak": (0.97, 1.03),
    # the lightest pressure held while trailing the brake to the apex
    "brake_trail": (0.05, 0.07),
    # planned deceleration (m/s^2) above which the foot leaves the brake: near zero trails
    # deep into the corner, -1.3 lets go at the turn-in
    "brake_off_accel": (-1.3, -0.3),
    # throttle opening and lifting, per second
    "gas_apply": (3.5, 6.5),
    "gas_lift": (7.0, 13.0),
    # partial throttle: pedal = need ** gamma (under 1: more pedal than the car needs,
    # the speed correction then trims it; over 1: a cautious foot)
    "gas_gamma": (0.85, 1.15),
    # how far ahead (s) the hands read the bend: an early or a late turn-in
    "steer_ahead_s": (0.08, 0.16),
    # share of the car's understeer dialled in beforehand (the rest is corrected)
    "understeer": (0.7, 1.3),
    # gain on the lateral error (how tightly he holds his line) and on the heading error
    "lateral_gain": (1.3, 2.3),
    "heading_gain": (0.65, 0.95),
    # reaction time around his skill's mean (s)
    "reaction_dev_s": (-0.03, 0.03),
    # how far ahead the pedals aim (s at the current speed): anticipation
    "pedal_ahead_s": (0.04, 0.08),
    # a preferred line in corners: metres toward the inside (+: tight, -: wide) at the
    # apex, inside the same margins from the edges
    "line_bias_m": (-0.15, 0.15),
}


@dataclass(frozen=True)
class Habits:
    """One driver's technique (see :data:`HABIT_RANGES` for each field's meaning)."""

    pedal_smooth_m: float
    brake_apply: float
    brake_release: float
    brake_peak: float
    brake_trail: float
    brake_off_accel: float
    gas_apply: float
    gas_lift: float
    gas_gamma: float
    steer_ahead_s: float
    understeer: float
    lateral_gain: float
    heading_gain: float
    reaction_dev_s: float
    pedal_ahead_s: float
    line_bias_m: float

    @classmethod
    def of(cls, seed: int) -> Habits:
        """The habits of the driver with this seed (the same at every skill)."""
        rng = np.random.default_rng([HABITS_SALT, seed])
        values = {f.name: float(rng.uniform(*HABIT_RANGES[f.name])) for f in fields(cls)}
        return cls(**values)

    @classmethod
    def typical(cls) -> Habits:
        """Every habit at its range's centre: the driver before habits existed."""
        return cls(**{f.name: 0.5 * sum(HABIT_RANGES[f.name]) for f in fields(cls)})
