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


def _track_length(ds: Dataset, ref: LapRef, t: np.ndarray, speed_ms: np.ndarray) -> float:
    length = ds.source(ref.session).meta.get("track_length_m")
    if length and length > 0:
        return float(length)
    return float(np.sum(speed_ms[1:] * np.diff(t)))  # foreign file: distance driven


def _positions(raw: dict[str, np.ndarray], t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World x/z; integrated from the velocity when the file has no coordinates."""
    x, z = _floats(raw["pos_x"]), _floats(raw["pos_z"])
    if np.isfinite(x).all() and np.isfinite(z).all():
        return x, z
    dt = np.diff(t, prepend=t[0])
    return np.cumsum(_floats(raw["vx"]) * dt), np.cumsum(_floats(raw["vz"]) * dt)


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


def load_lap(ds: Dataset, ref: LapRef, step_m: float = GRID_STEP_M) -> LapTrace:
    """Samples of ``ref`` (with the neighbours' samples at the line) on a distance grid."""
    info = lap_info(ds, ref)
    src = ds.source(ref.session)
    tab = ds.table(sql.LAP_SAMPLES, [ref.session, ref.lap - 1, ref.lap + 1])
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
    x_all, z_all = _positions(raw, t_all)
    pos = _unwrapped_position(lap_no[keep], np.asarray(raw["lap_fraction"])[keep], ref.lap)
    sel = np.flatnonzero(keep)
    # monotone in position: drop samples that do not advance (stopped, spun, reversed)
    advancing = np.concatenate(([True], np.diff(pos) > 0)) & (pos >= np.maximum.accumulate(pos))
    sel, pos = sel[advancing], pos[advancing]
    t = t_all[sel]
    if pos[0] > 0 or pos[-1] < 1:
        raise UsageError(f"{src.path}: lap {ref.lap} has no samples on both sides of the line")
    t0, t1 = np.interp([0.0, 1.0], pos, t)
    speed = np.asarray(raw["speed_kmh"], "f8")[sel]
    length = _track_length(ds, ref, t, speed / 3.6)
    grid = np.linspace(0.0, 1.0, max(2, int(round(length / step_m))) + 1)
    chans = {"speed_kmh": raw["speed_kmh"], "gas": raw["gas"], "brake": raw["brake"],
             "steer": raw["steer"], "gear": raw["gear"], "x": x_all, "z": z_all}
    ch = {name: np.interp(grid, pos, np.asarray(v, "f8")[sel]) for name, v in chans.items()}
    ch["gear"] = np.rint(ch["gear"])
    game = info.get("game_time_s")
    return LapTrace(ref=ref, label=f"{src.name} lap {ref.lap}", length_m=length,
                    lap_time_s=float(t1 - t0), game_time_s=float(game) if game else None,
                    valid=bool(info["valid"]), d=grid * length,
                    t=np.interp(grid, pos, t) - t0, ch=ch)
