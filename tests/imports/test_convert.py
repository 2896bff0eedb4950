"""ForeignLog + mapping -> session columns: units, gears, laps and every messy-data case.

The logs here are built in code, value by value, so each case is exactly the one named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actelemetry.errors import SessionFileError
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.imports.convert import convert
from actelemetry.imports.mapping import mapping_named, parse_mapping
from actelemetry.store.session import session_metadata, write_session

UDP = mapping_named("ac-udp")


def _log(fmt: str = "csv", **columns: list[float] | np.ndarray) -> ForeignLog:
    log = ForeignLog(Path("made.csv"), fmt)
    for name, values in columns.items():
        log.channels[name] = LogChannel(name, "", np.asarray(values, dtype="f8"))
    return log


def _lap_log(n: int = 200, rate: float = 20.0, laps: int = 2) -> dict[str, np.ndarray]:
    """Rows of a car going round ``laps`` times at ``rate`` Hz, starting on the line."""
    t = 1.7e9 + np.arange(n) / rate
    pos = (np.arange(n) * laps / n) % 1.0
    lap = np.floor(np.arange(n) * laps / n)
    return {"timestamp": t, "carPositionNormalized": pos, "lapCount": lap}


def test_udp_speed_in_mph_and_gear_zero_is_reverse() -> None:
    cols = _lap_log(6)
    log = _log(**cols, speed_Mph=[0, 10, 50, 100, 60, 30], gear=[0, 1, 2, 3, 4, 5])
    out = convert(log, UDP)
    np.testing.assert_allclose(out.columns["speed_kmh"], np.array([0, 10, 50, 100, 60, 30])
                               * 1.609344, rtol=1e-6)
    np.testing.assert_allclose(out.columns["speed_ms"], out.columns["speed_kmh"] / 3.6,
                               rtol=1e-6)
    assert out.columns["gear"].tolist() == [-1, 0, 1, 2, 3, 4]
    assert out.columns["timestamp"][0] == pytest.approx(1.7e9)
    assert out.columns["session_time"][0] == 0.0


def test_absent_channels_stay_absent() -> None:
    out = convert(_log(**_lap_log(10), speed_Kmh=np.full(10, 100.0)), UDP)
    for name in ("gas", "brake", "steer", "rpm", "gear", "tyre_core_temp_fl", "pos_x"):
        assert name not in out.columns
    assert "speed_kmh" in out.columns


def test_laps_from_a_lap_column_and_the_lap_flags() -> None:
    cols = {k: v[:250] for k, v in _lap_log(300, laps=3).items()}  # ends inside lap 3
    out = convert(_log(**cols, speed_Kmh=np.full(250, 150.0)), UDP)
    assert out.columns["completed_laps"].tolist() == cols["lapCount"].astype(int).tolist()
    assert out.columns["current_lap"][0] == 1
    assert "lap column" in out.summary.laps
    # starts on the line at speed: a whole lap; the last one ends at the recording's end
    assert not out.columns["out_lap"].any()
    assert not out.columns["partial_lap"][:100].any()
    assert out.columns["partial_lap"][-1]


def test_counter_changing_before_the_position_wraps_is_moved_onto_the_wrap() -> None:
    cols = _lap_log(200)
    lap = cols["lapCount"].copy()
    wrap = int(np.flatnonzero(np.diff(lap))[0]) + 1
    lap[wrap - 12:wrap] = 1  # the counter goes up 0.6 s (12 rows at 20 Hz) early
    cols["lapCount"] = lap
    out = convert(_log(**cols, speed_Kmh=np.full(200, 150.0)), UDP)
    laps = out.columns["completed_laps"]
    assert int(np.flatnonzero(np.diff(laps))[0]) + 1 == wrap
    assert any("moved onto the position wrap" in n and "0.60 s" in n
               for n in out.summary.notes)


def test_laps_from_position_wrap_and_from_marks() -> None:
    cols = _lap_log(200)
    del cols["lapCount"]
    out = convert(_log(**cols, speed_Kmh=np.full(200, 150.0)), UDP)
    assert out.columns["completed_laps"].max() == 1
    assert "position" in out.summary.laps
    m = parse_mapping({"name": "marks", "laps": {"method": "marks"},
                       "channels": {"speed_kmh": "v"}}, "test")
    log = ForeignLog(Path("x.ld"), "ld", {"v": LogChannel("v", "km/h", np.full(100, 99.0),
                                                          rate_hz=10.0)},
                     lap_marks=[2.0, 6.5])
    out = convert(log, m)
    laps = out.columns["completed_laps"]
    assert laps[19] == 0 and laps[20] == 1 and laps[64] == 1 and laps[65] == 2
    assert "2 lap marks" in out.summary.laps


def test_rows_out_of_time_order_are_sorted_stably_and_counted() -> None:
    cols = _lap_log(8)
    t = cols["timestamp"].copy()
    t[[2, 3]] = t[[3, 2]]
    speed = np.arange(8, dtype="f8") * 10
    out = convert(_log(timestamp=t, carPositionNormalized=cols["carPositionNormalized"],
                       lapCount=cols["lapCount"], speed_Kmh=speed), UDP)
    assert np.all(np.diff(out.columns["timestamp"]) > 0)
    assert out.columns["speed_kmh"].tolist() == [0, 10, 30, 20, 40, 50, 60, 70]
    assert out.summary.rows == 8
    assert any("out of time order: 1 steps back" in n and "2 rows moved" in n
               for n in out.summary.notes)


def test_sentinels_nulls_negative_rpm_spikes_and_clipping_are_kept_and_reported() -> None:
    n = 400
    cols = _lap_log(n)
    rng = np.random.default_rng(3)
    lateral = rng.normal(0, 0.8, n)
    lateral[100] = 13.0  # one sample of 13 g
    rpm = np.full(n, 6000.0)
    rpm[50:53] = -250.0
    boost = np.clip(rng.normal(60, 30, n), -100, 100)  # a logger that clips at +-100
    boost[:10] = 100.0
    last = np.full(n, 2147483.647 * 1000)  # ms: the no-lap sentinel of the game
    last[200:] = 95123.0
    gas = rng.uniform(0, 1, n)
    gas[10:20] = np.nan  # nulls
    m = parse_mapping({
        "name": "messy", "none": [2147483647.0],
        "time": {"field": "timestamp"}, "laps": {"method": "column", "field": "lapCount"},
        "channels": {"accel_lateral": {"field": "lat", "unit": "G"}, "rpm": "rpm",
                     "turbo_boost": "boost", "game_last_lap_ms": "last", "gas": "gas",
                     "lap_fraction": "carPositionNormalized"}}, "messy")
    out = convert(_log(**cols, lat=lateral, rpm=rpm, boost=boost, last=last, gas=gas), m)
    c = out.columns
    assert len(c["rpm"]) == n and c["rpm"][50] == -250  # kept
    assert out.summary.implausible["rpm"] == 3
    assert c["accel_lateral"][100] == pytest.approx(13.0)
    assert out.meta["imported"]["spikes"] == {"accel_lateral": 1}
    assert out.meta["imported"]["clipped"] == {"turbo_boost": 100.0}
    assert np.isnan(c["game_last_lap_ms"][:200]).all()
    assert c["game_last_lap_ms"][200] == 95123
    assert np.isnan(c["gas"][10:20]).all() and np.isfinite(c["gas"][20:]).all()
    text = "\n".join(out.summary.lines())
    for expected in ("sentinel", "one-sample spikes", "clipped", "rpm 3", "gas 10"):
        assert expected in text, expected
    assert out.meta["implausible"] == out.summary.implausible


def test_a_lap_first_sample_with_the_previous_lap_time_is_set_from_the_next() -> None:
    cols = _lap_log(200)
    lap_ms = (np.arange(200) % 100) * 50.0  # 50 ms steps, restarting each lap
    lap_ms[100] = 4990.0  # the new lap's first sample still shows the old lap's time
    out = convert(_log(**cols, lapTime=lap_ms), UDP)
    assert out.columns["lap_time_sec"][100] == pytest.approx(0.0)
    assert out.columns["lap_time_sec"][101] == pytest.approx(0.05)
    assert any("previous lap's time" in n for n in out.summary.notes)


def test_a_paused_stretch_is_kept_and_reported() -> None:
    cols = _lap_log(200)
    speed = np.full(200, 120.0) + np.arange(200) * 0.1
    pos = cols["carPositionNormalized"].copy()
    speed[:40] = 0.0
    pos[:40] = 0.0
    cols["carPositionNormalized"] = pos
    out = convert(_log(**cols, speed_Kmh=speed), UDP)
    assert out.summary.rows == 200
    assert out.meta["imported"]["frozen_rows"] == [[0, 39]]
    # a recording that begins paused is judged from its first live row, at speed
    assert not out.columns["out_lap"].any()
    assert any("frozen stretch" in n and "at speed 0" in n for n in out.summary.notes)


def test_channels_at_different_rates_become_one_table_at_the_fastest() -> None:
    m = parse_mapping({"name": "rates", "laps": {"method": "none"},
                       "channels": {"speed_kmh": "SPEED", "gear": "GEAR"}}, "rates")
    log = ForeignLog(Path("x.ld"), "ld", {
        "SPEED": LogChannel("SPEED", "km/h", np.arange(60, dtype="f8"), rate_hz=60.0),
        "GEAR": LogChannel("GEAR", "", np.array([1.0, 2.0, 3.0, 4.0]), rate_hz=4.0)})
    out = convert(log, m)
    c = out.columns
    assert len(c["speed_kmh"]) == 60
    np.testing.assert_allclose(c["session_time"], np.arange(60) / 60.0)
    assert c["gear"][:15].tolist() == [1] * 15 and c["gear"][15] == 2 and c["gear"][-1] == 4
    assert any("fastest, 60 Hz" in n for n in out.summary.notes)


def test_a_file_with_nothing_the_mapping_reads_is_one_line() -> None:
    with pytest.raises(SessionFileError, match="no field of mapping ac-udp"):
        convert(_log(timestamp=[1.0, 2.0], other=[3.0, 4.0]), UDP)


def test_the_session_file_carries_only_the_present_channels(tmp_path: Path) -> None:
    cols = _lap_log(50)
    gear = np.arange(50, dtype="f8") % 6
    gear[5] = np.nan
    out = convert(_log(**cols, speed_Kmh=np.full(50, 90.0), gear=gear), UDP)
    path = tmp_path / "s.parquet"
    write_session(out.columns, "acc", out.meta, path, only_present=True)
    table = pq.read_table(path)
    assert set(table.column_names) == set(out.columns)
    assert "gas" not in table.column_names
    assert table.column("gear").null_count == 1  # no value, not 0
    meta = session_metadata(path)
    assert meta["game"] == "ac" and meta["imported"]["mapping"] == "ac-udp"


_FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 40), data=st.data())
def test_any_values_give_a_session_or_one_line_error(n: int, data: st.DataObject) -> None:
    """Whatever the values (NaN, inf, huge, out of order, all equal), convert returns a
    session with every row, or refuses with a SessionFileError; nothing else."""
    def column() -> np.ndarray:
        return np.asarray(data.draw(st.lists(_FLOATS, min_size=n, max_size=n)), dtype="f8")

    log = _log(timestamp=column(), carPositionNormalized=column(), lapCount=column(),
               speed_Mph=column(), gear=column(), lapTime=column(), accG_horizontal=column())
    try:
        out = convert(log, UDP)
    except SessionFileError as exc:
        assert "\n" not in str(exc)
        return
    assert len(out.columns["timestamp"]) == out.summary.rows
    assert all(len(v) == out.summary.rows for v in out.columns.values())


def test_a_distance_sampled_log_takes_its_time_from_the_lap_time() -> None:
    """One row every 10 m, a lap time that restarts at the line: rows stay as they are and
    the laps are laid end to end in time."""
    m = parse_mapping({"name": "dist", "time": {"lap_field": "lt"},
                       "laps": {"method": "time_reset", "field": "lt"},
                       "channels": {"lap_distance_m": "d", "speed_kmh": "v"}}, "dist")
    lt = np.concatenate([np.linspace(0.0, 9.9, 100), np.linspace(0.05, 10.05, 101)])
    d = np.concatenate([np.arange(100) * 10.0, np.arange(101) * 10.0])
    out = convert(_log(lt=lt, d=d, v=np.full(201, 100.0)), m)
    c = out.columns
    assert out.summary.rows == 201
    assert c["completed_laps"][99] == 0 and c["completed_laps"][100] == 1
    t = c["session_time"]
    assert np.all(np.diff(t) > 0)
    assert t[99] == pytest.approx(9.9) and t[100] - t[99] == pytest.approx(0.1, abs=1e-9)
    assert t[-1] - t[100] == pytest.approx(10.0)
    np.testing.assert_array_equal(c["lap_distance_m"], d)  # kept as the file has it
