"""Every shipped mapping on a small hand-written fixture (tests/data/imports/, made by its
make_fixtures.py), imported through the real readers and the `import` command; lap times
from beacons and lap columns; the real ACC recording (tests/data/real/, Apache-2.0)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.cli import main
from actelemetry.imports.files import import_file
from actelemetry.store.session import session_metadata
from imports.helpers import columns, line_crossings, position_lap_time

DATA = Path(__file__).parent.parent / "data"
FIX = DATA / "imports"
REAL = DATA / "real" / "acc_spa_aston.jsonl"


@pytest.mark.parametrize(("name", "mapping", "laps_from"), [
    ("ac_udp.csv", "ac-udp", "lap column"),
    ("acc_motec.csv", "acc-motec", "2 lap marks"),
    ("acti_motec.csv", "acti-motec", "lap column"),
    ("seed.csv", "seed-csv", "lap column"),
    ("acc_shm.jsonl", "acc-shm-jsonl", "lap column"),
])
def test_each_shipped_mapping_is_picked_and_gives_the_lap(tmp_path: Path, name: str,
                                                         mapping: str, laps_from: str) -> None:
    path, summary, how = import_file(FIX / name, tmp_path)
    assert how.startswith(f"mapping {mapping} (best fit")
    assert laps_from in summary.laps
    c = columns(path)
    # the drive: joins at half a lap, crosses at 6 s and 18 s; lap 2 is 12.000 s
    assert np.unique(c["completed_laps"]).tolist() == [0, 1, 2]
    if "lap_fraction" in c:
        crossings = line_crossings(c)
        assert crossings[1] - crossings[0] == pytest.approx(12.0, abs=0.002)
    else:  # ACC's MoTeC channels have no position: the beacons are the line
        t = c["session_time"]
        first = [float(t[i]) for i in np.flatnonzero(np.diff(c["completed_laps"])) + 1]
        assert first == pytest.approx([6.0, 18.0])
    if "game_last_lap_ms" in c:
        second_lap = c["completed_laps"] == 2
        assert np.nanmax(c["game_last_lap_ms"][second_lap]) == 12000
    assert c["speed_kmh"].max() == pytest.approx(180.0, abs=0.1)
    assert np.nanmin(c["gas"]) >= 0.0 and np.nanmax(c["gas"]) <= 1.0
    meta = session_metadata(path)
    assert meta["imported"]["mapping"] == mapping


def test_units_and_metadata_of_a_motec_export(tmp_path: Path) -> None:
    path, _, _ = import_file(FIX / "acc_motec.csv", tmp_path)
    c, meta = columns(path), session_metadata(path)
    assert meta["track"] == "monza" and meta["car"] == "amr_v8_vantage_gt3"
    assert meta["driver"] == "A. Driver" and meta["game"] == "acc"
    assert meta["start_time"] == pytest.approx(1714573800.0)  # 2024-05-01 14:30:00 UTC
    np.testing.assert_allclose(c["suspension_travel_fl"], 0.0315, rtol=1e-6)  # mm -> m
    assert np.nanmax(c["gas"]) == pytest.approx(1.0)  # % -> 0..1
    assert "brake" in c and "clutch" not in c  # absent stays absent
    assert c["distance_m"][-1] == 908  # the last value of the file's Distance column


def test_gear_convention_and_mph_of_the_udp_log(tmp_path: Path) -> None:
    path, summary, _ = import_file(FIX / "ac_udp.csv", tmp_path)
    c = columns(path)
    assert set(np.unique(c["gear"])) == {3, 4}  # the file's 4 and 5 (0 = R, 1 = N)
    assert any("mph -> km/h" in m for m in summary.mapped)


def test_the_import_command_prints_what_it_wrote(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    main(["import", str(FIX / "ac_udp.csv"), str(FIX / "acti_motec.csv"), "-o",
          str(tmp_path)])
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'ac_udp.parquet'}" in out.replace("\n", "")
    assert (tmp_path / "acti_motec.parquet").is_file()
    assert "laps: from the lap column" in out


def test_map_overrides_and_show_columns(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text('name = "mine"\n[time]\nfield = "timestamp"\n[laps]\nmethod = "none"\n'
                    '[channels]\nrpm = "engineRPM"\n')
    main(["import", str(FIX / "ac_udp.csv"), "--map", str(mine), "-o", str(tmp_path)])
    assert "mapping mine (--map" in capsys.readouterr().out
    c = columns(tmp_path / "ac_udp.parquet")
    assert "rpm" in c and "speed_kmh" not in c
    main(["import", "--show-columns", str(FIX / "ac_udp.csv")])
    out = capsys.readouterr().out
    assert "speed_Mph" in out and "carPositionNormalized" in out and "ac-udp" in out


def test_a_file_no_mapping_fits_is_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(SystemExit) as code:
        main(["import", str(odd), "-o", str(tmp_path)])
    assert code.value.code == 2


def test_the_real_recording_gives_the_game_lap_and_the_position_lap(tmp_path: Path) -> None:
    path, summary, how = import_file(REAL, tmp_path)
    assert "acc-shm-jsonl" in how
    c, meta = columns(path), session_metadata(path)
    assert summary.rows == 1626  # every sample kept (the session record is not one)
    assert meta["game"] == "acc"
    # the game's own figure for its one complete lap, read in the next lap's first sample
    laps = c["completed_laps"]
    assert np.unique(laps).tolist() == [0, 1]
    assert np.nanmax(c["game_last_lap_ms"][laps == 1]) == 149475  # 2:29.475
    # the no-lap sentinel until the game's counter changed (0.6 s before the line)
    assert np.isnan(c["game_last_lap_ms"][:693]).all()
    assert np.isfinite(c["game_last_lap_ms"][693:]).all()
    # the lap counter moved onto the wrap: lap and position agree at the line
    i = int(np.flatnonzero(np.diff(laps))[0]) + 1
    assert c["lap_fraction"][i - 1] > 0.99 and c["lap_fraction"][i] < 0.01
    # positions and timestamps: about 2:27.7 where both laps were driven
    for at in (0.57, 0.58, 0.59):
        assert position_lap_time(c, at) == pytest.approx(147.7, abs=1.0)
    text = "\n".join(summary.lines())
    assert "frozen stretches" in text and "sentinel" in text
    assert meta["implausible"]["tyre_temp_outer_fl"] > 1000  # nonsense surface temperatures
    assert "accel_lateral" not in c  # null in every row: absent, not zeros
    # begun paused at 56 % of a lap: a partial lap, not an out lap from a standstill
    assert not c["out_lap"][laps == 0].any() and c["partial_lap"][laps == 0].all()
