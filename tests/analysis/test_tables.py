"""Every table of ``analyze`` against an independent NumPy computation on the same file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from analysis_reference import lap_bounds, load_numpy

from actelemetry.analysis.report import AnalysisResult, analyze
from actelemetry.plots.thin import SCREEN_BUCKETS


@pytest.fixture(scope="module")
def result(three_laps: Path) -> AnalysisResult:
    return analyze([three_laps], None, plots=False)


@pytest.fixture(scope="module")
def data(three_laps: Path) -> dict[str, np.ndarray]:
    return load_numpy(three_laps)


def crossing(d: dict[str, np.ndarray], last: int) -> float:
    """Time the line is crossed between sample ``last`` and the next one."""
    t, f = d["session_time"], d["lap_fraction"].astype("f8")
    return float(t[last] + (t[last + 1] - t[last]) * (1 - f[last]) / ((1 - f[last]) + f[last + 1]))


def test_session_summary(result: AnalysisResult, data: dict[str, np.ndarray]) -> None:
    s = result.sessions[0]
    assert s["samples"] == len(data["speed_kmh"])
    assert s["max_speed_kmh"] == pytest.approx(data["speed_kmh"].max())
    assert s["avg_speed_kmh"] == pytest.approx(data["speed_kmh"].astype("f8").mean(), rel=1e-9)
    assert s["max_lat_g"] == pytest.approx(np.abs(data["accel_lateral"]).max())
    assert s["max_brake_g"] == pytest.approx(data["accel_longitudinal"].min())
    assert s["max_accel_g"] == pytest.approx(data["accel_longitudinal"].max())
    assert s["distance_m"] == pytest.approx(np.ptp(data["distance_m"]))
    assert s["duration_s"] == pytest.approx(np.ptp(data["session_time"]))
    assert s["line_crossings"] == np.ptp(data["completed_laps"])
    kinds = [r["kind"] for r in result.laps]
    assert s["timed_laps"] == kinds.count("timed")
    assert s["other_laps"] + s["timed_laps"] == s["line_crossings"]
    assert s["packets_skipped"] == data["packets_skipped"].sum()
    assert s["achieved_rate_hz"] == pytest.approx(100.0, rel=0.02)


def test_lap_table(result: AnalysisResult, data: dict[str, np.ndarray]) -> None:
    bounds = lap_bounds(data)
    rows = {r["lap"]: r for r in result.laps}
    assert sorted(rows) == sorted(bounds)
    timed = 0
    for lap, (a, b) in bounds.items():
        r = rows[lap]
        sl = slice(a, b)
        assert r["samples"] == b - a
        assert r["top_speed_kmh"] == pytest.approx(data["speed_kmh"][sl].max())
        assert r["min_speed_kmh"] == pytest.approx(data["speed_kmh"][sl].min())
        assert r["max_lat_g"] == pytest.approx(np.abs(data["accel_lateral"][sl]).max())
        gas, brake = data["gas"][sl], data["brake"][sl]
        assert r["full_throttle_pct"] == pytest.approx(100 * np.mean(gas >= 0.98))
        assert r["braking_pct"] == pytest.approx(100 * np.mean(brake > 0.05))
        assert r["coasting_pct"] == pytest.approx(100 * np.mean((gas < 0.05) & (brake <= 0.05)))
        assert r["tyres_out_samples"] == int((data["tyres_out"][sl] > 0).sum())
        if r["kind"] == "timed":  # only a timed lap is valid or not
            assert r["valid"] == bool(data["lap_valid"][sl].all())
        else:
            assert r["valid"] is None
        if lap + 1 in bounds:
            game = data["game_last_lap_ms"][b] / 1000.0  # first sample of the next lap
            assert r["game_time_s"] == pytest.approx(game)
            if lap - 1 in bounds:
                expected = crossing(data, b - 1) - crossing(data, a - 1)
                assert r["sample_time_s"] == pytest.approx(expected, abs=1e-9)
                assert abs(r["sample_time_s"] - r["game_time_s"]) < 0.010
                timed += 1
        else:
            assert r["game_time_s"] is None and r["partial"]
    assert timed >= 2


def test_best_valid_lap(result: AnalysisResult) -> None:
    timed = [r for r in result.laps if r["valid"] and not r["partial"] and not r["out_lap"]
             and r["game_time_s"] is not None]
    best = min(timed, key=lambda r: r["game_time_s"])
    s = result.sessions[0]
    assert s["best_valid_lap"] == best["lap"]
    assert s["best_valid_lap_s"] == pytest.approx(best["game_time_s"])


def test_inputs(result: AnalysisResult, data: dict[str, np.ndarray]) -> None:
    gas, brake, steer = (data[k].astype("f8") for k in ("gas", "brake", "steer"))
    i = result.inputs
    assert i["gas_mean"] == pytest.approx(gas.mean())
    assert i["gas_full_pct"] == pytest.approx(100 * np.mean(gas >= 0.98))
    assert i["braking_pct"] == pytest.approx(100 * np.mean(brake > 0.05))
    assert i["steer_abs_max"] == pytest.approx(np.abs(steer).max())
    assert i["overlap_pct"] == pytest.approx(100 * np.mean((gas > 0.05) & (brake > 0.05)))
    for name, values in (("gas", gas), ("brake", brake), ("steer", (steer + 1) / 2)):
        bins = np.minimum(np.floor(values.astype("f4").astype("f8") * 10), 9) \
            if name != "steer" else np.minimum(np.floor(
                (steer.astype("f4") + np.float32(1)) * np.float32(5)), 9)
        expected = {int(b): int(c) for b, c in zip(*np.unique(bins, return_counts=True),
                                                   strict=True)}
        got = {int(r["bin"]): r["samples"] for r in result.input_distribution
               if r["input"] == name}
        assert got == expected, name


def test_wheels(result: AnalysisResult, data: dict[str, np.ndarray]) -> None:
    assert [r["wheel"] for r in result.wheels] == ["FL", "FR", "RL", "RR"]
    for r in result.wheels:
        w = r["wheel"].lower()
        slip = data[f"wheel_slip_{w}"].astype("f8")
        load = data[f"wheel_load_{w}"].astype("f8")
        lock = data[f"wheel_lock_{w}"].astype(bool)
        assert r["slip_mean"] == pytest.approx(slip.mean())
        assert r["slip_p95"] == pytest.approx(np.quantile(slip, 0.95), rel=1e-6)
        assert r["slip_max"] == pytest.approx(slip.max())
        assert r["load_mean"] == pytest.approx(load.mean())
        assert r["load_max"] == pytest.approx(load.max())
        assert r["locked_samples"] == int(lock.sum())
        starts = lock & ~np.concatenate(([False], lock[:-1]))
        assert r["lockups"] == int(starts.sum())


def test_thinned_series_keep_extremes(result: AnalysisResult,
                                      data: dict[str, np.ndarray]) -> None:
    s = result.series[0]
    assert len(s["speed_kmh"]) <= 2 * 2000 + 2
    assert s["speed_kmh"].max() == pytest.approx(data["speed_kmh"].max())
    assert s["speed_kmh"].min() == pytest.approx(data["speed_kmh"].min())
    assert s["brake"].max() == pytest.approx(data["brake"].max())
    t = data["session_time"]
    for name in ("speed_kmh", "gas", "brake", "steer"):
        times, values = s[f"{name}_t"], s[name]
        assert len(times) == len(values) and np.all(np.diff(times) > 0)
        # the last bucket's extremes may lie anywhere in it (a pedal held still to the end)
        bucket = (t[-1] - t[0]) / SCREEN_BUCKETS
        assert times[0] == pytest.approx(t[0])
        assert times[-1] == pytest.approx(t[-1], abs=bucket + 0.01)
        at = np.searchsorted(t, times)  # each kept point is a real sample
        np.testing.assert_allclose(values, data[name][at].astype("f8"), rtol=1e-6)
        assert values.max() == pytest.approx(data[name].max())
        assert values.min() == pytest.approx(data[name].min())
