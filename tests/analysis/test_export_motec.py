"""``export --format ld|motec-csv``: a simulator session as a MoTeC log, read back with
``read_ld`` / ``read_motec_csv`` and compared with the session read independently (pyarrow),
channel by channel and lap by lap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from analysis_reference import load_numpy

from actelemetry.analysis.dataset import open_dataset
from actelemetry.channels.catalogue import BY_NAME
from actelemetry.cli import main
from actelemetry.formats.log import ForeignLog
from actelemetry.formats.motec_csv import read_motec_csv
from actelemetry.formats.motec_ld import read_ld
from actelemetry.store.session import session_metadata


def nearest_rows(t: np.ndarray, rate: float) -> np.ndarray:
    """Row of the sample nearest in time to each point of ``t[0] + k / rate`` (an ``.ld`` has
    no timestamps): linear interpolation of the row number, rounded half down."""
    n = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(n) / rate
    pos = np.interp(grid, t, np.arange(len(t), dtype=float))
    return np.ceil(pos - 0.5).astype(int)


def check_export(session: Path, out: Path, back: ForeignLog | None = None,
                 mark_tol: float = 1e-6, date_format: str = "%d/%m/%Y") -> None:
    """``back`` (default: ``read_ld(out)``) holds the session, sample for sample on the
    grid, with its lap times (beacons to within ``mark_tol`` s) and metadata; the CSV layout
    adds its Time and Distance."""
    d = load_numpy(session)
    meta = session_metadata(session)
    back = back or read_ld(out)
    rate = float(meta["rate_hz"])
    rows = nearest_rows(d["session_time"].astype(float), rate)
    expected = [c for c in d if c in BY_NAME and c not in ("timestamp", "lap_time_str")]
    chans = {n: c for n, c in back.channels.items() if n not in ("Time", "Distance")}
    assert sorted(chans) == sorted(expected)
    if "Time" in back.channels:
        np.testing.assert_allclose(back.channels["Time"].values, np.arange(len(rows)) / rate,
                                   atol=0.5e-3)
    for name, ch in chans.items():
        want = np.asarray(d[name][rows], dtype=np.float64)
        assert ch.rate_hz == rate and ch.values.shape == want.shape, name
        dtype = BY_NAME[name].dtype
        if dtype == "float64":  # clocks as int32 with 4 decimals
            np.testing.assert_allclose(ch.values, want, rtol=0, atol=0.5e-4, err_msg=name)
        elif dtype == "float32":
            np.testing.assert_array_equal(ch.values, want.astype(np.float32), err_msg=name)
        else:
            np.testing.assert_array_equal(ch.values, want, err_msg=name)
    assert back.channels["speed_kmh"].unit == "km/h"
    assert back.channels["air_temp"].unit == "C"
    assert back.channels["rpm"].unit == "rpm"
    # lap beacons: the session's line crossings, so i2's laps have the session's lap times
    with open_dataset([session]) as ds:
        laps = ds.lap_rows()
    timed = {r["lap"]: r for r in laps if r["kind"] == "timed"}
    assert timed
    t0 = float(d["session_time"][0])
    crossings = sorted(r["t_line_end"] - t0 for r in laps if r["t_line_end"] is not None)
    assert back.lap_marks == pytest.approx(crossings, abs=mark_tol)
    segment = dict(zip([r["lap"] for r in laps if r["t_line_end"] is not None][1:],
                       np.diff(back.lap_marks), strict=True))
    for lap, row in timed.items():
        assert segment[lap] == pytest.approx(row["sample_time_s"], abs=2 * mark_tol)
        if row["game_time_s"]:  # and within a sample step of the game's own timer
            assert segment[lap] == pytest.approx(row["game_time_s"], abs=2.0 / rate)
    # metadata: track -> venue, car -> vehicle, driver, start date and time
    start = dt.datetime.fromtimestamp(meta["start_time"])
    assert back.meta["venue"].startswith(meta["track"])
    assert back.meta["vehicle"] == meta["car"] and back.meta["driver"] == meta["driver"]
    assert back.meta["date"] == start.strftime(date_format)
    assert back.meta["time"] == start.strftime("%H:%M:%S")


def test_sim_session_to_ld_and_back(three_laps: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "monza.ld"
    main(["export", str(three_laps), "--format", "ld", "-o", str(out)])
    printed = capsys.readouterr().out
    assert str(out) in printed and str(out.with_suffix(".ldx")) in printed
    check_export(three_laps, out)


def test_csv_session_at_another_rate(csv_session: Path, tmp_path: Path) -> None:
    out = tmp_path / "by_suffix.ld"
    main(["export", str(csv_session), "-o", str(out)])  # .ld chooses the format
    check_export(csv_session, out)
    assert read_ld(out).channels["speed_kmh"].rate_hz == 25


def test_sim_session_to_motec_csv_and_back(three_laps: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "monza_i2.csv"
    main(["export", str(three_laps), "--format", "motec-csv", "-o", str(out)])
    assert str(out) in capsys.readouterr().out
    # i2's CSV has beacons in ms and ISO dates
    check_export(three_laps, out, read_motec_csv(out), mark_tol=0.5e-3, date_format="%Y-%m-%d")


def test_foreign_csv_without_metadata(seed_csv: Path, tmp_path: Path) -> None:
    """The seed's 38 columns and no side file: the rate comes from the samples' spacing,
    session time from the timestamps, and there is no venue or car to write."""
    out = tmp_path / "seed.ld"
    main(["export", str(seed_csv), "--format", "ld", "-o", str(out)])
    back = read_ld(out)
    d = load_numpy(seed_csv)
    assert sorted(back.channels) == sorted(c for c in d if c not in ("timestamp",
                                                                     "lap_time_str"))
    t = d["timestamp"] - d["timestamp"][0]
    rate = 1 / np.median(np.diff(t))
    assert back.channels["speed_kmh"].rate_hz == round(rate)
    rows = nearest_rows(t, round(rate))
    np.testing.assert_array_equal(back.channels["speed_kmh"].values,
                                  d["speed_kmh"][rows].astype(np.float32))
    assert "venue" not in back.meta and len(back.lap_marks) >= 2
    start = dt.datetime.fromtimestamp(d["timestamp"][0])
    assert back.meta["time"] == start.strftime("%H:%M:%S")


def fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line a command prints (exit code 2)."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_chosen_columns_and_refusals(three_laps: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "two.ld"
    main(["export", str(three_laps), "--format", "ld", "--columns", "speed_kmh,gear",
          "-o", str(out)])
    back = read_ld(out)
    assert list(back.channels) == ["speed_kmh", "gear"] and len(back.lap_marks) >= 3
    s = str(three_laps)
    assert "end in .ld" in fails(["export", s, "--format", "ld", "-o",
                                  str(tmp_path / "x.csv")], capsys)
    assert "--laps" in fails(["export", s, "--format", "ld", "--laps", "2", "-o",
                              str(tmp_path / "y.ld")], capsys)
    assert "lap_time_str" in fails(["export", s, "--format", "ld", "--columns",
                                    "lap_time_str", "-o", str(tmp_path / "z.ld")], capsys)
    assert "writes a .csv" in fails(["export", s, "--format", "csv", "-o",
                                     str(tmp_path / "w.parquet")], capsys)
    assert "must end in .csv" in fails(["export", s, "--format", "motec-csv", "-o",
                                        str(tmp_path / "w.ld")], capsys)
    assert not list(tmp_path.glob("[xyzw].*"))
