"""The driver's hands and feet: smooth pedals (no sawtooth), human rate limits, a brake
application that peaks and then trails off."""

from __future__ import annotations

import numpy as np
import pytest
from sim_recording import controls

from actelemetry.sim import Simulator
from actelemetry.sim import driver as drv
from actelemetry.sim.habits import HABIT_RANGES, Habits
from actelemetry.sim.metrics import braking_zones, reversal_rate, reversals
from actelemetry.sim.simulator import DRIVER_EVERY

Trace = tuple[np.ndarray, float, Habits]


@pytest.fixture(scope="module", params=["monza", "spa"])
def trace(request: pytest.FixtureRequest) -> Trace:
    return controls(request.param)


def test_reversals_count_direction_changes_beyond_the_step() -> None:
    assert reversals([0.0, 0.5, 0.5, 0.2]) == 1
    assert reversals([0.0, 0.5, 0.47, 0.5, 0.2]) == 1  # 0.03 wiggle: not a reversal
    assert reversals([0.0, 0.5, 0.4, 0.5, 0.4]) == 3
    saw = np.tile([0.6, 0.66], 50)  # the old sawtooth: +-0.06 each step
    assert reversal_rate(saw, 0.01) > 25


def test_brake_pedal_is_smooth(trace: Trace) -> None:
    ticks, dt, _ = trace
    brake = ticks[:, 2]
    assert (brake > 0.5).sum() * dt > 5.0  # it does brake hard
    assert reversal_rate(brake, dt) < 2.0
    gas = ticks[:, 1]
    assert reversals(gas) / (len(gas) * dt) < 2.0


def test_pedals_and_steering_move_at_human_rates(trace: Trace) -> None:
    ticks, dt, hb = trace
    d = np.diff(ticks, axis=0) / dt
    eps = 1e-9 / dt
    assert d[:, 0].max() <= drv.STEER_RATE + eps and -d[:, 0].min() <= drv.STEER_RATE + eps
    assert d[:, 1].max() <= hb.gas_apply + eps
    assert -d[:, 1].min() <= hb.gas_lift + eps
    assert d[:, 2].max() <= hb.brake_apply + eps
    assert -d[:, 2].min() <= hb.brake_release + eps
    # the limits are a person's, for every driver: onto the brake in no less than about
    # 0.1 s, the throttle open in no less than 0.15 s
    assert 1 / HABIT_RANGES["brake_apply"][1] >= 0.1
    assert 1 / HABIT_RANGES["gas_apply"][1] >= 0.15


def test_hard_braking_peaks_then_trails_off(trace: Trace) -> None:
    ticks, dt, _ = trace
    brake = ticks[:, 2]
    hard = [z for z in braking_zones(brake) if z.peak > 0.6 and (z.end - z.start) * dt > 1.0]
    assert len(hard) >= 3
    for z in hard:
        zone = brake[z.start:z.end]
        k_peak = int(np.argmax(zone))
        assert k_peak < 0.5 * len(zone)  # the peak comes early
        late = zone[int(0.75 * len(zone)):]
        assert late.max() < 0.85 * z.peak  # and the pedal trails off into the corner
        assert late.mean() < 0.6 * z.peak


def test_the_speed_correction_is_noticed_a_reaction_time_late() -> None:
    sim = Simulator(track="monza", laps=1, seed=0)
    d = sim.driver
    assert 0.1 <= d.reaction_s <= 0.3
    for _ in range(2000):
        sim.step(publish=False)
    assert len(d._err_buf) == int(d.reaction_s / (sim.dt * DRIVER_EVERY) + 0.5)


def test_a_chicane_is_carried_through_not_braked_for_twice() -> None:
    spacing = 2.5
    # 100 km/h into a chicane: apex 20 m/s, a 30 m burst to 24 m/s, apex 19 m/s, then away
    v = np.concatenate([np.linspace(28, 20, 20), np.linspace(20, 24, 12),
                        np.linspace(24, 19, 8), np.linspace(19, 28, 40)])
    carried = drv._carry_through_chicanes(v, spacing)
    assert len(drv._braking_segments(v, spacing)) == 2
    assert len(drv._braking_segments(carried, spacing)) == 1
    assert np.all(carried <= v + 1e-9)
    # a long straight between two corners is driven, not coasted
    far = np.concatenate([np.linspace(28, 20, 20), np.linspace(20, 60, 200),
                          np.linspace(60, 19, 40), np.linspace(19, 28, 40)])
    assert np.array_equal(drv._carry_through_chicanes(far, spacing), far)


def test_a_fast_corner_needing_a_little_speed_off_gets_a_dab_not_a_stamp() -> None:
    spacing = 2.5
    cap = np.full(200, 16.0)
    fast = np.concatenate([np.full(100, 70.0), np.linspace(70, 62, 10), np.full(90, 62.0)])
    dabbed = drv._dab_fast_corners(fast, spacing, cap)
    assert dabbed is not None and dabbed.min() == drv.DAB_DECEL
    # a real braking zone (250 -> 100 km/h) keeps the full brakes
    hard = np.concatenate([np.full(100, 70.0), np.linspace(70, 28, 60), np.full(40, 28.0)])
    assert drv._dab_fast_corners(hard, spacing, cap) is None


def test_spa_s_flat_out_corners_have_no_braking_zone() -> None:
    """Raidillon and Blanchimont are taken with a lift (public: flat or nearly in a
    GT3); the real braking corners keep theirs."""
    sim = Simulator(track="spa", laps=1, seed=0)
    rows = []
    while not sim.finished:
        sim.step(publish=False)
        if sim.completed_laps == 1:
            rows.append((sim.s_lap, sim.car.s.brake))
    a = np.array(rows)
    starts = [a[z.start, 0] for z in braking_zones(a[:, 1])]
    assert not [s for s in starts if 950 < s < 1300 or 6000 < s < 6350]
    for corner in (250, 2250, 6580):  # La Source, Les Combes, the Bus Stop
        assert any(abs(s - corner) < 80 for s in starts)
    assert 7 <= len(starts) <= 12
