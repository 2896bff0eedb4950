"""Thinning long series to what a screen can show, keeping their shape.

A 1 h session is 360 000 samples per channel; a plot 2 000 pixels wide shows at most
4 000 distinct values per trace (a minimum and a maximum per pixel column). Keeping each
bucket's minimum and maximum (in time order) keeps every peak a driver looks for.
"""

from __future__ import annotations

import numpy as np

#: default number of buckets (about one per pixel column of a wide plot)
SCREEN_BUCKETS = 2000


def minmax_indices(y: np.ndarray, buckets: int = SCREEN_BUCKETS) -> np.ndarray:
    """Indices of each bucket's minimum and maximum of ``y`` (sorted); all if short."""
    n = len(y)
    if n <= 2 * buckets:
        return np.arange(n)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    size = int(np.max(np.diff(edges)))
    # pad each bucket to the same size so that argmin/argmax run on a 2-D view
    starts = edges[:-1]
    idx = starts[:, None] + np.arange(size)[None, :]
    valid = idx < edges[1:, None]
    idx = np.where(valid, idx, edges[1:, None] - 1)
    vals = np.asarray(y, dtype="f8")[idx]
    vals = np.where(np.isnan(vals), np.nanmean(vals) if np.isfinite(vals).any() else 0, vals)
    lo = idx[np.arange(buckets), np.argmin(vals, axis=1)]
    hi = idx[np.arange(buckets), np.argmax(vals, axis=1)]
    return np.unique(np.concatenate((lo, hi, [0, n - 1])))


def minmax_union(columns: list[np.ndarray], buckets: int = SCREEN_BUCKETS) -> np.ndarray:
    """Indices keeping every column's extremes (for traces sharing one x axis)."""
    keep = [minmax_indices(c, buckets) for c in columns]
    return np.unique(np.concatenate(keep)) if keep else np.array([], dtype=np.int64)


def every(step: int, n: int) -> np.ndarray:
    """Every ``step``-th index (the seed's ``--downsample``)."""
    return np.arange(0, n, max(1, int(step)))
