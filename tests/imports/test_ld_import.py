"""ACC's MoTeC .ld (written with the project's own .ld writer from channels built here)
imported through the acc-motec mapping: channels at their own rates in one table, laps
from the .ldx beacons, the header's metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_ld import write_ld
from actelemetry.imports.files import import_file
from actelemetry.store.session import session_metadata
from imports.helpers import columns


def _acc_ld(path: Path) -> Path:
    """40 s of an ACC log: SPEED and THROTTLE at 60 Hz, GEAR and G_LAT at 20 Hz, the line
    crossed at 7.5 s and 31.5 s (so the whole lap is 24.000 s)."""
    t60, t20 = np.arange(2400) / 60.0, np.arange(800) / 20.0
    log = ForeignLog(path, "ld", meta={"venue": "spa", "vehicle": "amr_v8_vantage_gt3",
                                       "driver": "C. Driver", "date": "02/05/2024",
                                       "time": "09:15:00"},
                     lap_marks=[7.5, 31.5])
    log.channels["SPEED"] = LogChannel("SPEED", "km/h", 150 + 50 * np.sin(t60 / 4), 60.0,
                                       decimals=1)
    log.channels["THROTTLE"] = LogChannel("THROTTLE", "%", 50 + 50 * np.cos(t60 / 3), 60.0,
                                          decimals=1)
    log.channels["GEAR"] = LogChannel("GEAR", "", np.floor(3 + 2 * np.sin(t20 / 4)), 20.0,
                                      decimals=0)
    log.channels["G_LAT"] = LogChannel("G_LAT", "G", 1.5 * np.sin(t20), 20.0, decimals=2)
    write_ld(path, log)
    return path


def test_an_acc_ld_imports_with_beacon_laps_and_held_slow_channels(tmp_path: Path) -> None:
    path, summary, how = import_file(_acc_ld(tmp_path / "acc.ld"), tmp_path / "out")
    assert "mapping acc-motec" in how
    assert "2 lap marks" in summary.laps
    c = columns(path)
    t = c["session_time"]
    assert len(t) == 2400 and t[1] == pytest.approx(1 / 60)  # the fastest rate
    crossings = [float(t[i]) for i in np.flatnonzero(np.diff(c["completed_laps"])) + 1]
    assert crossings == pytest.approx([7.5, 31.5], abs=1 / 60)
    assert crossings[1] - crossings[0] == pytest.approx(24.0, abs=1 / 60)
    # a 20 Hz channel holds each value for three 60 Hz rows
    gear = c["gear"]
    assert gear[0] == gear[1] == gear[2]
    assert np.array_equal(gear[::3], np.floor(3 + 2 * np.sin(np.arange(800) / 20 / 4)))
    np.testing.assert_allclose(c["speed_kmh"], 150 + 50 * np.sin(np.arange(2400) / 240),
                               atol=0.05)
    np.testing.assert_allclose(c["gas"], (50 + 50 * np.cos(np.arange(2400) / 180)) / 100,
                               atol=0.0005)
    assert any("2 rates" in n for n in summary.notes)
    meta = session_metadata(path)
    assert meta["track"] == "spa" and meta["driver"] == "C. Driver"
    assert meta["start_time"] == pytest.approx(1714641300.0)  # 2 May 2024 09:15 UTC
