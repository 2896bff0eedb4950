"""Lap times read straight from a session file's columns, independently of the analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq


def columns(path: Path) -> dict[str, np.ndarray]:
    """Every column of a session file, integers and booleans with nulls as float NaN."""
    table = pq.read_table(path)
    out = {}
    for name in table.column_names:
        col = table.column(name)
        try:
            out[name] = col.to_numpy(zero_copy_only=False).astype("f8")
        except (TypeError, ValueError):
            out[name] = np.asarray(col.to_pylist(), dtype=object)
    return out


def line_crossings(c: dict[str, np.ndarray]) -> list[float]:
    """Session times of the line crossings, interpolated on lap_fraction between the last
    sample of a lap and the first of the next."""
    laps, f, t = c["completed_laps"], c["lap_fraction"], c["session_time"]
    out = []
    for i in np.flatnonzero(np.diff(laps) > 0) + 1:
        before, after = 1.0 - f[i - 1], f[i]
        out.append(float(t[i - 1] + (t[i] - t[i - 1]) * before / (before + after)))
    return out


def position_lap_time(c: dict[str, np.ndarray], at: float) -> float:
    """Time between passing lap fraction ``at`` on one lap and on the next (both laps
    must reach it; the recording may start and end inside laps)."""
    laps, f, t = c["completed_laps"], c["lap_fraction"], c["session_time"]
    moving = c["speed_ms"] > 1.0
    times = []
    for lap in np.unique(laps):
        idx = np.flatnonzero((laps == lap) & moving)
        k = idx[np.searchsorted(f[idx], at)] if f[idx].max() >= at else None
        if k is None or k == idx[0]:
            continue
        times.append(float(np.interp(at, f[k - 1:k + 1], t[k - 1:k + 1])))
    assert len(times) >= 2, "the fraction is not passed on two laps"
    return times[1] - times[0]
