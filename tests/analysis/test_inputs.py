"""Parquet, CSV, JSONL, the seed's 38-column CSV, folders and globs as one data set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from analysis_reference import load_numpy

from actelemetry.analysis.dataset import open_dataset
from actelemetry.analysis.report import analyze


@pytest.mark.parametrize("fixture", ["csv_session", "jsonl_session", "seed_csv"])
def test_other_formats_give_the_numbers_of_the_file(fixture: str,
                                                    request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    d = load_numpy(path)
    with open_dataset([path]) as ds:
        s = ds.rows("SELECT * FROM sessions")[0]
        laps = ds.rows("SELECT * FROM laps ORDER BY lap")
    assert s["samples"] == len(d["speed_kmh"])
    assert s["max_speed_kmh"] == pytest.approx(d["speed_kmh"].max(), rel=1e-6)
    assert s["avg_speed_kmh"] == pytest.approx(np.mean(d["speed_kmh"]), rel=1e-6)
    assert s["max_lat_g"] == pytest.approx(np.abs(d["accel_lateral"]).max(), rel=1e-6)
    assert [r["lap"] for r in laps] == sorted(np.unique(d["current_lap"]).tolist())
    for r in laps:
        assert r["samples"] == int((d["current_lap"] == r["lap"]).sum())


def test_seed_csv_without_metadata_still_analyses(seed_csv: Path) -> None:
    result = analyze([seed_csv], None, plots=False)
    s = result.sessions[0]
    assert s["car"] is None and s["samples"] > 1000
    assert result.sessions[0]["duration_s"] > 0
    # the seed's columns have slip and load but no lock flags: lock-ups are left out and
    # named, never counted as zero
    assert len(result.wheels) == 4 and result.wheels[0]["slip_max"] > 0
    assert "lockups" not in result.wheels[0]
    assert any("lock-ups" in str(s) and "wheel_lock_fl" in s.needs for s in result.skipped)


def test_folder_and_glob_make_one_data_set(session_folder: Path) -> None:
    files = sorted(p for p in session_folder.iterdir() if not p.name.endswith(".json"))
    counts = [len(load_numpy(p)["speed_kmh"]) for p in files]
    for given in ([session_folder], [str(session_folder / "*")], files):
        with open_dataset(given) as ds:
            rows = ds.rows("SELECT session, count(*) AS n FROM telemetry GROUP BY session "
                           "ORDER BY session")
            names = [r["name"] for r in ds.rows("SELECT name FROM sessions ORDER BY session")]
        assert [r["n"] for r in rows] == counts
        assert names == [p.stem for p in files]
