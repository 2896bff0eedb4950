"""A simulated driver's own car set-up: what he dials in, whatever his skill.

In AC and ACC no two drivers share one car: each runs his own set-up, chosen within
what the game lets him change. The adjustments that move the pedals' relation to the
car's response are the ones modelled here: brake power (brake torque at full pedal),
brake bias, the engine map (the throttle pedal's curve to torque), a small wing trim
(downforce against drag) and the TC and ABS levels. The driver knows his set-up, as a
person learns his car: he plans with its brakes and downforce and presses the pedals
for *its* torque (:class:`~actelemetry.sim.driver.Driver` reads them from the params).

Drawn once from the driver's seed in a stream of their own (like the habits), so the
same seed is the same person with the same car at every skill and track; each value
is uniform in a range centred on the car's defaults (docs/simulator.md gives the
ranges and why).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from actelemetry.sim.vehicle import CarParams

#: salt of the set-ups' random stream (any fixed number, apart from the habits')
SETUP_SALT = 0x5E7C0A

#: brake torque at full pedal as a share of the car's default: ACC's brake power runs
#: about 80-100 %, the default standing for 90 %
BRAKE_POWER = (0.89, 1.11)
#: front brake share, added to the car's default (a few clicks either way)
BRAKE_BIAS_DELTA = (-0.02, 0.02)
#: wing trim: downforce as a share of the default; drag moves by a quarter as much
WING = (0.96, 1.04)
WING_DRAG = 0.25
#: engine maps (1-based, as ACC numbers them): the pedal-to-torque exponent of each,
#: from a sharp map (more torque early in the pedal's travel) to a progressive one
ENGINE_MAPS = (0.85, 1.0, 1.15, 1.3)
#: TC and ABS levels 1..5; level 3 is the car's default slip threshold, each level up
#: intervenes earlier by this much slip
LEVELS = 5
TC_STEP = 0.02
ABS_STEP = 0.015


@dataclass(frozen=True)
class Setup:
    """One driver's set-up, relative to the car's defaults (see the module's ranges)."""

    brake_power: float
    brake_bias_delta: float
    wing: float
    engine_map: int
    tc_level: int
    abs_level: int

    @classmethod
    def of(cls, seed: int) -> Setup:
        """The set-up of the driver with this seed (the same at every skill)."""
        rng = np.random.default_rng([SETUP_SALT, seed])
        return cls(
            brake_power=float(rng.uniform(*BRAKE_POWER)),
            brake_bias_delta=float(rng.uniform(*BRAKE_BIAS_DELTA)),
            wing=float(rng.uniform(*WING)),
            engine_map=int(rng.integers(1, len(ENGINE_MAPS) + 1)),
            tc_level=int(rng.integers(1, LEVELS + 1)),
            abs_level=int(rng.integers(1, LEVELS + 1)),
        )

    @classmethod
    def default(cls) -> Setup:
        """The car as it comes: every value at its range's centre, the linear map."""
        mid = (LEVELS + 1) // 2
        return cls(brake_power=1.0, brake_bias_delta=0.0, wing=1.0,
                   engine_map=ENGINE_MAPS.index(1.0) + 1, tc_level=mid, abs_level=mid)

    def apply(self, p: CarParams) -> CarParams:
        """The car ``p`` with this set-up dialled in."""
        mid = (LEVELS + 1) // 2
        return replace(
            p,
            brake_torque=p.brake_torque * self.brake_power,
            brake_bias=p.brake_bias + self.brake_bias_delta,
            lift_area=p.lift_area * self.wing,
            drag_area=p.drag_area * (1.0 + WING_DRAG * (self.wing - 1.0)),
            throttle_gamma=ENGINE_MAPS[self.engine_map - 1],
            tc_slip=(p.tc_slip - TC_STEP * (self.tc_level - mid)) if p.tc_slip > 0 else 0.0,
            abs_slip=(p.abs_slip - ABS_STEP * (self.abs_level - mid)) if p.abs_slip > 0
            else 0.0,
        )
