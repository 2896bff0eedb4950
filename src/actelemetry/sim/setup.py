"""A simulated driver's own car set-up: what he dials in, whatever his skill.

In AC and ACC no two drivers share one car: each runs his own set-up, chosen within
what the game lets him change. The adjustments that move the pedals' relation to the
car's response are the ones modelled here: brake power (brake torque at full pedal),
which a driver sets so that the pressure he brakes with is about his pedal's full travel,
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

from actelemetry.sim.habits import Habits
from actelemetry.sim.profile import BRAKE_CAP, brake_decel
from actelemetry.sim.vehicle import FUEL_DENSITY, CarParams

#: salt of the set-ups' random stream (any fixed number, apart from the habits')
SETUP_SALT = 0x5E7C0A

#: how far down the pedal a driver's braking pressure goes: sim racers set brake power so
#: that their hardest press is (nearly) the pedal's full travel, ABS catching what the
#: tyres cannot take; a few stop short of it
PEDAL_REACH = (0.9, 1.0)
#: brake torque at full pedal as a share of the car's default, within which a driver
#: chooses it (the games' brake power slider, roughly +-20 % around a car's default)
BRAKE_POWER = (0.8, 1.2)
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
    pedal_reach: float
    brake_bias_delta: float
    wing: float
    engine_map: int
    tc_level: int
    abs_level: int

    @classmethod
    def of(cls, seed: int, car: CarParams | None = None) -> Setup:
        """The set-up of the driver with this seed on ``car`` (the default car unless
        given), the same at every skill: his brake power is what puts his leg's pressure
        (his habits' ``brake_peak``) at his pedal reach."""
        rng = np.random.default_rng([SETUP_SALT, seed])
        reach = float(rng.uniform(*PEDAL_REACH))
        power = brake_power_for(car or CarParams(), Habits.of(seed).brake_peak, reach)
        return cls(
            brake_power=power, pedal_reach=reach,
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
        reach = BRAKE_CAP / full_pedal_decel(CarParams())
        return cls(brake_power=1.0, pedal_reach=reach, brake_bias_delta=0.0, wing=1.0,
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


def brake_power_for(car: CarParams, brake_peak: float, reach: float) -> float:
    """The brake power (share of ``car``'s torque) at which a press to ``reach`` gives
    a leg's pressure of ``brake_peak`` (share of :data:`BRAKE_CAP`) with the car fuelled
    as it starts, within :data:`BRAKE_POWER`."""
    power = BRAKE_CAP * brake_peak / (reach * full_pedal_decel(car))
    return min(max(power, BRAKE_POWER[0]), BRAKE_POWER[1])


def full_pedal_decel(car: CarParams) -> float:
    """Tyre deceleration (m/s^2) of ``car``'s brakes at full pedal, fuelled as it starts."""
    return brake_decel(car, car.mass + car.start_fuel * FUEL_DENSITY)
