"""Laps of an imported log: which lap every row is on (``completed_laps``).

Four ways, tried in the order a mapping lists them: the file's lap marks (MoTeC beacons),
a lap column, a lap-time reset, or the spline position wrapping from ~1 to ~0. Whatever
the way, a lap change within :data:`ALIGN_WINDOW_S` of a position wrap is moved onto the
wrap, so that the lap number and ``lap_fraction`` agree at the line (real recorders change
the counter a few samples before the position wraps, or after).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

#: a lap change this close (s) to a position wrap is the same crossing
ALIGN_WINDOW_S = 3.0
#: a lap time falling by more than this (s) and by more than half is a new lap
RESET_DROP_S = 1.0


def from_marks(t: np.ndarray, marks: list[float]) -> np.ndarray:
    """Laps completed at each time, from line-crossing times (same clock as ``t``)."""
    m = np.sort(np.asarray([x for x in marks if np.isfinite(x)], dtype="f8"))
    return np.searchsorted(m, t, side="right").astype("i8")


def from_column(values: np.ndarray, first: int) -> tuple[np.ndarray, int, int]:
    """Laps completed from a lap column: (laps, nulls filled, times it went back).

    Missing values take the lap before (or after, at the start); a counter that goes back
    (a new session in the same file) keeps counting up from where it was.
    """
    v = np.asarray(values, dtype="f8").copy()
    missing = ~np.isfinite(v)
    nulls = int(missing.sum())
    if missing.all():
        return np.zeros(len(v), "i8"), nulls, 0
    if nulls:
        idx = np.where(~missing, np.arange(len(v)), -1)
        np.maximum.accumulate(idx, out=idx)
        first_good = int(np.flatnonzero(~missing)[0])
        idx[idx < 0] = first_good
        v = v[idx]
    laps = np.rint(v).astype("i8") - first
    step = np.diff(laps, prepend=laps[0])
    back = step < 0
    if back.any():
        step[back] = 1  # a counter reset: one more lap, not many fewer
        laps = laps[0] + np.cumsum(step)
    return laps, nulls, int(back.sum())


def from_time_reset(lap_time_s: np.ndarray) -> np.ndarray:
    """Laps completed from a current-lap time that restarts at each line crossing."""
    lt = np.asarray(lap_time_s, dtype="f8")
    prev = np.concatenate(([np.nan], lt[:-1]))
    with np.errstate(invalid="ignore"):
        reset = (prev - lt > RESET_DROP_S) & (lt < 0.5 * prev)
    return np.cumsum(reset).astype("i8")


def wraps(frac: np.ndarray) -> np.ndarray:
    """+1 where the position wraps forward over the line, -1 where backwards, else 0."""
    f = np.asarray(frac, dtype="f8")
    d = np.diff(f, prepend=f[0] if len(f) else 0.0)
    with np.errstate(invalid="ignore"):
        return np.where(d < -0.5, 1, np.where(d > 0.5, -1, 0)).astype("i8")


def from_position(frac: np.ndarray) -> np.ndarray:
    """Laps completed from the spline position alone."""
    f = np.asarray(frac, dtype="f8").copy()
    ok = np.isfinite(f)
    if not ok.all() and ok.any():  # carry positions over gaps
        idx = np.where(ok, np.arange(len(f)), -1)
        np.maximum.accumulate(idx, out=idx)
        idx[idx < 0] = int(np.flatnonzero(ok)[0])
        f = f[idx]
    laps = np.cumsum(wraps(f))
    return laps - laps.min(initial=0)


def segments(laps: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) row ranges of each lap."""
    cuts = np.flatnonzero(np.diff(laps)) + 1
    return [(int(a), int(b)) for a, b in pairwise(np.concatenate(([0], cuts, [len(laps)])))]


def align_to_wraps(laps: np.ndarray, frac: np.ndarray,
                   t: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Move each lap change onto the position wrap nearest it (within the window).

    Returns the laps, how many changes moved and the largest move in seconds.
    """
    laps = laps.copy()
    changes = np.flatnonzero(np.diff(laps) > 0) + 1
    wrap_at = np.flatnonzero(wraps(frac) > 0)
    moved, worst = 0, 0.0
    if not len(changes) or not len(wrap_at):
        return laps, 0, 0.0
    for i in changes:
        j = int(wrap_at[np.argmin(np.abs(t[wrap_at] - t[i]))])
        gap = abs(float(t[j] - t[i]))
        if j == i or gap > ALIGN_WINDOW_S:
            continue
        if j > i:  # counter early: the rows before the wrap still belong to the old lap
            laps[i:j] = laps[i - 1]
        else:  # counter late: the rows after the wrap already belong to the new lap
            laps[j:i] = laps[i]
        moved += 1
        worst = max(worst, gap)
    return laps, moved, worst
