"""One lap's samples, cut at the line crossings and put on a track-position grid.

Laps are aligned by where the car is (the game's normalised spline position times the track
length), not by when: two laps then compare corner by corner. The line crossings are
interpolated between the last sample before the line and the first after it, so the time at
the end of the grid is the lap time from samples, and the delta at the line can be checked
against the game's own lap times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from actelemetry.analysis import sql
from actelemetry.analysis.dataset import Dataset
from actelemetry.errors import UsageError

#: resolution of the alignment grid along the lap (m)
GRID_STEP_M = 1.0
CHANNELS = ("speed_kmh", "gas", "brake", "steer", "gear", "x", "z")


@dataclass(frozen=True)
class LapRef:
    """A lap of a session of the data set (session is 1-based, lap is ``current_lap``)."""

    session: int
    lap: int


@dataclass
class LapTrace:
    """One lap on the distance grid ``d`` (m from the line): time since the line and channels."""

    ref: LapRef
    label: str
    length_m: float
    lap_time_s: float  # line to line, from samples
    game_time_s: float | None  # the game's figure, when the next lap's first sample has it
    valid: bool
    d: np.ndarray
    t: np.ndarray
    ch: dict[str, np.ndarray] = field(default_factory=dict)

    def at(self, name: str) -> np.ndarray:
        return self.ch[name]


def lap_info(ds: Dataset, ref: LapRef) -> dict:
    """The ``laps`` row of a lap, or a one-line error naming the file."""
    laps = [r for r in ds.lap_rows() if r["session"] == ref.session]
    rows = [r for r in laps if r["lap"] == ref.lap]
    if not rows:
        src = ds.source(ref.session)
        have = ", ".join(str(r["lap"]) for r in laps) or "none"
        raise UsageError(f"{src.path}: lap {ref.lap} does not exist (laps: {have})")
    return rows[0]


def _positions(raw: dict[str, np.ndarray], t: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """World x/z; integrated from the velocity when the file has no coordinates; None when
    it has neither."""
    if "pos_x" in raw and "pos_z" in raw:
        x, z = _floats(raw["pos_x"]), _floats(raw["pos_z"])
        if np.isfinite(x).all() and np.isfinite(z).all():
            return x, z
    if "vx" in raw and "vz" in raw:
        vx, vz = _floats(raw["vx"]), _floats(raw["vz"])
        if np.isfinite(vx).all() and np.isfinite(vz).all():
            dt = np.diff(t, prepend=t[0])
            return np.cumsum(vx * dt), np.cumsum(vz * dt)
    return None


def _travelled(raw: dict[str, np.ndarray], t: np.ndarray) -> np.ndarray | None:
    """Distance driven (m) at each sample: the game's figure, else speed integrated over
    time (trapezoids: irregular samples are fine); None when the file has neither."""
    if "distance_m" in raw:
        dist = _floats(raw["distance_m"])
        if np.isfinite(dist).all():
            return dist
    if "speed_kmh" in raw:
        v = _floats(raw["speed_kmh"]) / 3.6
        ok = np.isfinite(v)
        if ok.sum() >= 2:
            v = np.interp(t, t[ok], v[ok])
            return np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(t))))
    return None


def _floats(values: np.ndarray) -> np.ndarray:
    """A column as float64 with NULL (a masked value) as NaN."""
    return np.ma.filled(np.ma.asarray(values).astype("f8"), np.nan)


def _unwrapped_position(lap_no: np.ndarray, frac: np.ndarray, lap: int) -> np.ndarray:
    """Lap position in laps: <0 before the line, 0..1 on the lap, >1 after the next line."""
    f = frac.astype("f8").copy()
    before, after, on = lap_no < lap, lap_no > lap, lap_no == lap
    f[before & (f > 0.5)] -= 1.0
    f[after & (f < 0.5)] += 1.0
    idx = np.flatnonzero(on)
    if len(idx):
        head = idx[: max(1, len(idx) // 20)]
        tail = idx[-max(1, len(idx) // 20):]
        f[head[f[head] > 0.9]] -= 1.0  # position reset a moment after the counter
        f[tail[f[tail] < 0.1]] += 1.0  # position reset a moment before the counter
    return f


def _on_grid(grid: np.ndarray, pos: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """``values`` at the grid positions, from their finite samples (None: fewer than two)."""
    v = _floats(values)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return None
    return np.interp(grid, pos[ok], v[ok])


def _lap_position(ds: Dataset, ref: LapRef, info: dict, raw: dict[str, np.ndarray],
                  lap_no: np.ndarray, keep: np.ndarray, t_all: np.ndarray) -> np.ndarray:
    """Each kept sample's place along the lap: 0 at the line, 1 at the next crossing.

    From ``lap_fraction`` where the file has it; otherwise from the distance driven
    (``distance_m``, or speed integrated) between the crossing times of the ``laps`` view.
    """
    src = ds.source(ref.session)
    if "lap_fraction" in raw:
        frac = _floats(raw["lap_fraction"])[keep]
        if np.isfinite(frac).all():
            return _unwrapped_position(lap_no[keep], frac, ref.lap)
    travelled = _travelled(raw, t_all)
    if travelled is None:
        raise UsageError(f"{src.path}: lap {ref.lap} cannot be placed along the track "
                         "(needs lap_fraction, distance_m or speed_kmh)")
    t0, t1 = info.get("t_line_start"), info.get("t_line_end")
    if t0 is None or t1 is None:
        raise UsageError(f"{src.path}: lap {ref.lap} was not driven from line to line "
                         "(the session starts or ends inside it)")
    s0, s1 = np.interp([t0, t1], t_all, travelled)
    if not s1 > s0:
        raise UsageError(f"{src.path}: lap {ref.lap} covers no distance")
    return (travelled[keep] - s0) / (s1 - s0)


def load_lap(ds: Dataset, ref: LapRef, step_m: float = GRID_STEP_M) -> LapTrace:
    """Samples of ``ref`` (with the neighbours' samples at the line) on a distance grid:
    whatever the samples' spacing (time or distance, regular or not), the lap is resampled
    here, once, because comparing laps needs one grid."""
    info = lap_info(ds, ref)
    src = ds.source(ref.session)
    tab = ds.table(sql.lap_samples(set(ds.columns)), [ref.session, ref.lap - 1, ref.lap + 1])
    raw = tab.data
    lap_no = np.asarray(raw["current_lap"])
    on = np.flatnonzero(lap_no == ref.lap)
    keep = np.zeros(len(lap_no), bool)
    keep[on] = True
    prev, nxt = np.flatnonzero(lap_no < ref.lap), np.flatnonzero(lap_no > ref.lap)
    if not len(prev) or not len(nxt):
        raise UsageError(f"{src.path}: lap {ref.lap} was not driven from line to line "
                         "(the session starts or ends inside it)")
    keep[prev[-1]] = keep[nxt[0]] = True
    t_all = np.asarray(raw["session_time"], "f8")
    xz = _positions(raw, t_all)
    pos = _lap_position(ds, ref, info, raw, lap_no, keep, t_all)
    sel = np.flatnonzero(keep)
    # monotone in position: drop samples that do not advance (stopped, spun, reversed)
    advancing = np.concatenate(([True], np.diff(pos) > 0)) & (pos >= np.maximum.accumulate(pos))
    sel, pos = sel[advancing], pos[advancing]
    t = t_all[sel]
    if pos[0] > 0 or pos[-1] < 1:
        raise UsageError(f"{src.path}: lap {ref.lap} has no samples on both sides of the line")
    t0, t1 = np.interp([0.0, 1.0], pos, t)
    length = _track_length(ds, ref, raw, sel, pos)
    grid = np.linspace(0.0, 1.0, max(2, int(round(length / step_m))) + 1)
    chans = {name: raw[name] for name in CHANNELS if name in raw}
    if xz is not None:
        chans["x"], chans["z"] = xz
    ch = {}
    for name, values in chans.items():
        on_grid = _on_grid(grid, pos, np.asarray(values)[sel])
        if on_grid is not None:
            ch[name] = on_grid
    if "gear" in ch:
        ch["gear"] = np.rint(ch["gear"])
    game = info.get("game_time_s")
    return LapTrace(ref=ref, label=f"{src.name} lap {ref.lap}", length_m=length,
                    lap_time_s=float(t1 - t0), game_time_s=float(game) if game else None,
                    valid=bool(info["valid"]), d=grid * length,
                    t=np.interp(grid, pos, t) - t0, ch=ch)


def _track_length(ds: Dataset, ref: LapRef, raw: dict[str, np.ndarray], sel: np.ndarray,
                  pos: np.ndarray) -> float:
    """The metadata's track length, else the distance driven from line to line."""
    length = ds.source(ref.session).meta.get("track_length_m")
    if length and length > 0:
        return float(length)
    t = np.asarray(raw["session_time"], "f8")
    travelled = _travelled(raw, t)
    if travelled is None:  # lap_fraction alone: a lap of unknown length, on a 1 km scale
        return 1000.0
    s = travelled[sel]
    s0, s1 = np.interp([0.0, 1.0], pos, s)
    return float(s1 - s0)
