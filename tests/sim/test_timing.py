"""Lap and sector timing on plain numbers: a car moving along a 300 m lap."""

from __future__ import annotations

import pytest

from actelemetry.sim.timing import LapTiming, crossing_fraction

LENGTH, POINTS, DT = 300.0, 30, 0.5


def drive(timing: LapTiming, start_s: float, speed: float, seconds: float, t0: float = 0.0,
          fuel: float = 50.0, out: int = 0) -> float:
    """Move at ``speed`` m/s for ``seconds``; returns the time reached."""
    t, s = t0, start_s
    while t < t0 + seconds - 1e-9:
        t += DT
        s_new = (s + speed * DT) % LENGTH
        timing.tyres_out(out)
        timing.advance(t, DT, s, s_new, int(s_new / LENGTH * POINTS) % POINTS, fuel, out)
        s = s_new
    return t


def test_crossing_fraction() -> None:
    assert crossing_fraction(90.0, 110.0, 100.0) == pytest.approx(0.5)
    assert crossing_fraction(100.0, 100.0, 100.0) == 1.0  # no movement: at the end
    assert crossing_fraction(95.0, 99.0, 100.0) == 1.0  # not reached: clipped


def test_lap_and_sector_times_are_interpolated_within_the_step() -> None:
    timing = LapTiming("ac", LENGTH, POINTS, fuel=50.0, s_lap=290.0)
    assert timing.sector == 2 and timing.completed_laps == 0
    # 10 m/s from 290 m: the line at t=1.0 (mid-step), sector lines at 100 m and 200 m
    drive(timing, 290.0, 10.0, 32.0)
    assert timing.completed_laps == 2
    assert timing.lap_times == pytest.approx([1.0, 30.0])
    assert timing.last_lap_ms == 30_000 and timing.last_sector_ms == 10_000
    assert timing.lap_valid == [False, True]  # the out lap never counts
    assert timing.best_lap_ms == 30_000 and timing.has_best


def test_too_many_wheels_out_invalidate_the_lap_and_no_best_is_kept() -> None:
    timing = LapTiming("acc", LENGTH, POINTS, fuel=50.0, s_lap=290.0)
    t = drive(timing, 290.0, 10.0, 1.5)  # over the line: a timed lap starts
    timing.tyres_out(2)
    assert timing.lap_valid_now  # two wheels out: still valid
    drive(timing, 5.0, 10.0, 30.0, t0=t, out=3)
    assert timing.lap_valid == [False, False] and timing.max_tyres_out_lap == 3
    assert timing.best_lap_ms == 2147483647 and not timing.has_best  # ACC's "no time"


def test_fuel_per_lap_and_the_delta_to_the_best_lap() -> None:
    timing = LapTiming("ac", LENGTH, POINTS, fuel=50.0, s_lap=290.0)
    t = drive(timing, 290.0, 10.0, 1.0, fuel=50.0)  # the out lap ends at the line
    t = drive(timing, 0.0, 10.0, 30.0, t0=t, fuel=48.0)  # a 30 s timed lap
    assert timing.fuel_per_lap == [pytest.approx(2.0)]
    drive(timing, 0.0, 5.0, 10.0, t0=t, fuel=47.0)  # slower: 50 m in 10 s
    assert timing.delta == pytest.approx(10.0 - 5.0, abs=DT)


@pytest.mark.parametrize("game", ["ac", "acc"])
def test_one_validity_rule_for_ac_and_acc_as_the_capture_s(game: str) -> None:
    """The simulator judges its laps by the capture's own rule (channels.laps.lap_valid,
    which is game.validity's):
    the out lap never counts; two tyres out are fine, three are not; the same in AC and
    ACC."""
    from actelemetry.channels.laps import lap_valid  # what the capture judges with

    timing = LapTiming(game, LENGTH, POINTS, fuel=50.0, s_lap=290.0)
    t = drive(timing, 290.0, 10.0, 1.5)  # the out lap ends
    t = drive(timing, 5.0, 10.0, 20.0, t0=t, out=2)  # two tyres out for a while
    t = drive(timing, 205.0, 10.0, 10.0, t0=t)
    t = drive(timing, 5.0, 10.0, 20.0, t0=t, out=3)  # three
    t = drive(timing, 205.0, 10.0, 10.0, t0=t)
    drive(timing, 5.0, 10.0, 30.0, t0=t)
    assert timing.lap_valid == [False, True, False, True]
    assert timing.lap_valid == [lap_valid(True), lap_valid(False, 2), lap_valid(False, 3),
                                lap_valid(False, 0)]
