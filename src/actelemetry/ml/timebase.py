"""A session's clock, lap numbers and sample grid for ML, from whatever channels it has.

Imported logs may lack ``session_time`` or ``current_lap``, and may be sampled irregularly
or by distance. Lags and sequence windows count rows, so they need a regular grid: an
irregular session is resampled here, for ML only, onto its median time step, or every
session onto a stated rate (``ml prepare --rate``); the files and every other command keep
the samples as recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from actelemetry.analysis.present import LAP_SOURCES, TIME_BASES

#: a session is irregular when more than this share of its spans of :data:`SPAN_STEPS`
#: steps ...
IRREGULAR_SHARE = 0.05
#: ... differ from the median span by more than this fraction of it (a capture whose
#: steps jitter between physics ticks, 9 and 12 ms at 100 Hz, is regular over 10 steps)
SPAN_TOLERANCE = 0.2
SPAN_STEPS = 10
#: a regular grid holds at most this many points per sample
MAX_GROWTH = 10
#: a new lap where the lap timer falls back by more than this (s) or the position wraps
TIMER_RESET_S = 1.0
WRAP = 0.5


def clock(cols: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Seconds since the first sample: ``session_time``, else ``timestamp`` from its first."""
    if "session_time" in cols:
        return np.asarray(cols["session_time"], np.float64)
    if "timestamp" in cols:
        t = np.asarray(cols["timestamp"], np.float64)
        return t - t[0] if len(t) else t
    return None


def lap_numbers(cols: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """``current_lap``, else ``completed_laps`` + 1, else counted (from 1) at each fall of
    the lap timer or wrap of the lap position; None when the session has none of them."""
    if "current_lap" in cols:
        return np.asarray(cols["current_lap"])
    if "completed_laps" in cols:
        return np.asarray(cols["completed_laps"]).astype(np.int64) + 1
    for name, drop in (("lap_time_sec", TIMER_RESET_S), ("lap_fraction", WRAP)):
        if name in cols:
            v = np.asarray(cols[name], np.float64)
            starts = np.concatenate(([False], np.diff(v) < -drop))
            return (1 + np.cumsum(starts)).astype(np.int32)
    return None


#: channels that give a session's clock and its laps (read whichever exist)
TIMING_CHANNELS = (*TIME_BASES, *LAP_SOURCES)


def is_irregular(t: np.ndarray) -> bool:
    """Whether the rate of ``t`` varies (distance-sampled or dropped samples): the time
    spanned by every run of :data:`SPAN_STEPS` steps is compared with the median span, so
    step jitter and a few pauses do not count."""
    if len(t) <= 2 * SPAN_STEPS:
        return False
    spans = t[SPAN_STEPS:] - t[:-SPAN_STEPS]
    median = float(np.median(spans))
    if median <= 0:
        return True
    off = np.abs(spans - median) > SPAN_TOLERANCE * median
    return bool(off.mean() > IRREGULAR_SHARE)


def regular_rows(t: np.ndarray, step: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A regular grid over ``t`` at ``step`` seconds (default: its median step), and for
    each grid point the index of the last sample at or before it (the sample it is read
    from, or interpolated after). A clock that is not finite and increasing, or far too
    sparse, is a ValueError."""
    dt = np.diff(t)
    if step is None:
        step = float(np.median(dt)) if len(dt) else 0.0
    if not (np.isfinite(t).all() and (dt >= 0).all() and step > 0):
        raise ValueError("the clock is not finite and increasing, so its samples cannot be "
                         "put on a regular grid")
    points = int(np.floor((t[-1] - t[0]) / step)) + 1
    if points > MAX_GROWTH * len(t):
        raise ValueError(f"the clock spans {points} steps of its median {step:g} s for "
                         f"{len(t)} samples, too sparse to put on a regular grid")
    grid = t[0] + np.arange(points) * step
    before = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 1)
    return grid, before


def resample(cols: Mapping[str, np.ndarray], t: np.ndarray,
             step: float | None = None) -> dict[str, np.ndarray]:
    """Every column on the regular grid of :func:`regular_rows`: measurements interpolated
    linearly, counters and flags (integers, booleans) held from the sample before."""
    grid, before = regular_rows(t, step)
    out: dict[str, np.ndarray] = {}
    for name, values in cols.items():
        v = np.asarray(values)
        if v.dtype.kind == "f":
            ok = np.isfinite(v)
            out[name] = (np.interp(grid, t[ok], v[ok]) if ok.sum() >= 2
                         else v[before]).astype(v.dtype)
        else:
            out[name] = v[before]
    out["session_time"] = grid  # the clock of the grid itself (``t`` starts at 0)
    return out
