"""A driver's own car set-up: drawn from his seed, the same at every skill, within what
the games let a driver choose; the driver presses the pedals for *his* car."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sim_recording import record

from actelemetry.sim import Simulator
from actelemetry.sim import setup as st
from actelemetry.sim.setup import Setup
from actelemetry.sim.vehicle import CARS, CarParams


def test_two_seeds_get_different_setups_within_the_ranges() -> None:
    assert Setup.of(1) == Setup.of(1) and Setup.of(1) != Setup.of(2)
    maps = set()
    for seed in range(30):
        s = Setup.of(seed)
        assert st.BRAKE_POWER[0] <= s.brake_power <= st.BRAKE_POWER[1]
        assert st.PEDAL_REACH[0] <= s.pedal_reach <= st.PEDAL_REACH[1]
        assert st.BRAKE_BIAS_DELTA[0] <= s.brake_bias_delta <= st.BRAKE_BIAS_DELTA[1]
        assert st.WING[0] <= s.wing <= st.WING[1]
        assert 1 <= s.engine_map <= len(st.ENGINE_MAPS)
        assert 1 <= s.tc_level <= st.LEVELS and 1 <= s.abs_level <= st.LEVELS
        maps.add(s.engine_map)
        car = s.apply(CarParams())
        assert 0.64 <= car.brake_bias <= 0.68
        assert 0.10 < car.abs_slip < 0.25 and 0.10 < car.tc_slip < 0.30
    assert len(maps) == len(st.ENGINE_MAPS)
    # the car as it comes is the default set-up
    assert Setup.default().apply(CarParams()) == CarParams()


def test_the_same_seed_has_the_same_setup_at_every_skill() -> None:
    novice = Simulator(track="monza", seed=5, skill="novice")
    pro = Simulator(track="monza", seed=5, skill="pro")
    assert novice.setup == pro.setup == Setup.of(5)
    assert novice.params == pro.params == Setup.of(5).apply(CarParams())
    # the driver plans and presses for the car he drives
    assert novice.driver.p is novice.params  # type: ignore[attr-defined]


def first_braking(power: float | None, seed: int = 2) -> tuple[float, float]:
    """Peak brake pedal and peak deceleration (m/s^2) in the first braking zone at
    Monza, driver ``seed`` with brake power ``power`` (the rest of his set-up the
    default), or with his own set-up when ``power`` is None."""
    setup = None if power is None else replace(Setup.default(), brake_power=power)
    sim = Simulator(track="monza", seed=seed, setup=setup)
    pedal, decel = [], []
    while sim.time < 25.0:
        sim.step(publish=False)
        pedal.append(sim.car.s.brake)
        decel.append(-sim.car.s.ax)
        if pedal[-1] == 0.0 and max(pedal) > 0.5:
            break
    assert max(pedal) > 0.5, "no braking zone"
    return max(pedal), float(np.percentile(decel, 99))


def test_less_brake_power_means_more_pedal_for_the_same_deceleration() -> None:
    soft_pedal, soft_decel = first_braking(0.9)
    hard_pedal, hard_decel = first_braking(1.1)
    # the same stop (the plan does not depend on the brakes below their limit) ...
    assert soft_decel == pytest.approx(hard_decel, rel=0.05)
    # ... with the pedal pressed further, about in the ratio of the brake torques
    assert soft_pedal > hard_pedal * 1.1
    assert soft_pedal / hard_pedal == pytest.approx(1.1 / 0.9, rel=0.08)


def test_each_driver_sets_brake_power_so_his_hardest_press_is_his_pedal_reach() -> None:
    powers = []
    for seed in (0, 1, 3):
        setup = Setup.of(seed)
        powers.append(setup.brake_power)
        pedal, decel = first_braking(None, seed)
        # the first zone at Monza (from ~300 km/h) is as hard as his leg presses: the
        # pedal goes down to about his reach (a hair short: the fuel burnt since the
        # start lightens the car he set the brakes for)
        assert setup.pedal_reach * 0.95 <= pedal <= setup.pedal_reach + 1e-9
        assert decel > 1.6 * 9.81
    # ... with brake power of their own, not one for all
    assert max(powers) - min(powers) > 0.02
    # the GT4 car's weaker brakes get more brake power from the same driver
    gt4 = Setup.of(0, CARS["actelemetry_gt4"])
    assert gt4.brake_power > Setup.of(0).brake_power and gt4.pedal_reach == Setup.of(0).pedal_reach


def test_acc_pages_show_the_drivers_setup(tmp_path: Path) -> None:
    rec = record(tmp_path, "acc", laps=1, seed=4, until=0.05)
    s = Setup.of(4)
    g, ph = rec.graphics[-1], rec.physics[-1]
    assert (g.TC, g.ABS, g.EngineMap) == (s.tc_level, s.abs_level, s.engine_map)
    assert ph.brakeBias == pytest.approx(0.66 + s.brake_bias_delta, abs=1e-6)
