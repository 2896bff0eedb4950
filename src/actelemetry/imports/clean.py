"""What is wrong with a real log, found without changing a row.

Each check returns what it found for the import summary; none drops a row. The only values
changed anywhere are sentinels (become "no value") and a lap's stale first lap time (see
:func:`stale_lap_times`); both are counted.
"""

from __future__ import annotations

import math

import numpy as np

#: a stretch where no channel changes for this long (s) is a pause (or a car switched off)
FROZEN_MIN_S = 1.0
#: one sample this far (g) from both neighbours, in opposite directions, is a spike
SPIKE_G = 5.0
#: the extreme value of a channel held by this share of its samples may be a clipped one
CLIP_SHARE = 0.01
#: channels whose extremes are a driver's limits (full throttle, full lock), not clipping
NATURAL_LIMITS = ("gas", "brake", "clutch", "steer", "gear", "lap_fraction", "tyres_out")


def frozen_stretches(values: list[np.ndarray], t: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) row ranges of at least :data:`FROZEN_MIN_S` where no channel changes."""
    n = len(t)
    if n < 3 or not values:
        return []
    changed = np.zeros(n, bool)
    for v in values:
        a = np.asarray(v, dtype="f8")
        d = np.diff(a)
        with np.errstate(invalid="ignore"):
            moved = (d != 0) & ~(np.isnan(a[1:]) & np.isnan(a[:-1]))
        changed[1:] |= moved
    out = []
    # a stretch: row a then rows that did not change
    still = ~changed
    still[0] = False
    edges = np.flatnonzero(np.diff(np.concatenate(([0], still.astype("i1"), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        a = start - 1  # the row the stretch repeats
        if t[stop - 1] - t[a] >= FROZEN_MIN_S:
            out.append((int(a), int(stop)))
    return out


def spikes(g_values: np.ndarray) -> tuple[int, float]:
    """Isolated one-sample spikes in an acceleration channel (g): count and largest |g|."""
    v = np.asarray(g_values, dtype="f8")
    if len(v) < 3:
        return 0, 0.0
    mid, before, after = v[1:-1], v[:-2], v[2:]
    with np.errstate(invalid="ignore"):
        up = (mid - before > SPIKE_G) & (mid - after > SPIKE_G)
        down = (before - mid > SPIKE_G) & (after - mid > SPIKE_G)
    hit = up | down
    count = int(hit.sum())
    return count, float(np.abs(mid[hit]).max()) if count else 0.0


def _round(x: float) -> bool:
    """1, 2 or 5 times a power of ten (the limits loggers clip at)."""
    if x <= 0 or not math.isfinite(x):
        return False
    e = math.floor(math.log10(x))
    m = x / 10 ** e
    return any(abs(m - k) < 1e-9 for k in (1.0, 2.0, 5.0, 10.0))


def clipped(values: np.ndarray) -> list[tuple[float, int]]:
    """(limit, samples) for each extreme of the file's values that looks like clipping: a
    round number held by at least :data:`CLIP_SHARE` of the samples (and 3)."""
    v = np.asarray(values, dtype="f8")
    v = v[np.isfinite(v)]
    if len(v) < 10:
        return []
    out = []
    for extreme in {float(v.max()), float(v.min())}:
        if extreme == 0 or not _round(abs(extreme)):
            continue
        held = int(np.count_nonzero(v == extreme))
        if held >= max(3, CLIP_SHARE * len(v)):
            out.append((extreme, held))
    if out and len(np.unique(v)) < 5:  # a constant or a flag is not clipped
        return []
    return sorted(out)


def stale_lap_times(lap_time_s: np.ndarray, laps: np.ndarray,
                    t: np.ndarray) -> tuple[np.ndarray, int]:
    """A lap's first sample still showing the previous lap's time (the timer restarts one
    sample late): replaced by the next sample's time less the step. Returns the times and
    how many were replaced."""
    lt = np.asarray(lap_time_s, dtype="f8").copy()
    first = np.flatnonzero(np.diff(laps) > 0) + 1
    first = first[first + 1 < len(lt)]
    if not len(first):
        return lt, 0
    nxt = first + 1
    same_lap = laps[nxt] == laps[first]
    with np.errstate(invalid="ignore"):
        stale = same_lap & (lt[first] > lt[nxt] + 0.5) & (lt[first] > 0.5 * np.nanmax(lt))
    rows = first[stale]
    lt[rows] = np.maximum(lt[rows + 1] - (t[rows + 1] - t[rows]), 0.0)
    return lt, int(len(rows))
