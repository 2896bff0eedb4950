"""Runs of rows that belong together (a lap, a stretch without a gap) and windows inside them.

One idiom for "where does this row's group start", used by lagged features, decimation
within a lap and sequence windows, so none of them ever reaches across a lap or a gap.
"""

from __future__ import annotations

import numpy as np


def group_starts(labels: np.ndarray) -> np.ndarray:
    """For each row, the index of the first row of its run of equal consecutive labels."""
    labels = np.asarray(labels)
    n = len(labels)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.r_[True, labels[1:] != labels[:-1]]
    return np.maximum.accumulate(np.where(change, np.arange(n), 0))


def position_in_group(labels: np.ndarray) -> np.ndarray:
    """Each row's offset from the start of its run (0 at a run's first row)."""
    return np.arange(len(labels)) - group_starts(labels)


def run_labels(*columns: np.ndarray) -> np.ndarray:
    """A label per row that changes wherever any of ``columns`` changes (1, 2, 3, ...)."""
    n = len(columns[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for col in columns:
        c = np.asarray(col)
        change[1:] |= c[1:] != c[:-1]
    return np.cumsum(change)


def window_ends(groups: np.ndarray, length: int, stride: int) -> np.ndarray:
    """Rows that end a full window of ``length`` rows inside one group, ``stride`` apart."""
    offset = position_in_group(groups)
    ok = (offset >= length - 1) & ((offset - (length - 1)) % stride == 0)
    return np.flatnonzero(ok)


def window_indices(groups: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
    """Row indices of the window ending at each row, oldest first, never leaving the row's
    group: near a group's start the first row is repeated (left padding)."""
    start = group_starts(groups)
    idx = ends[:, None] - np.arange(length - 1, -1, -1)[None, :]
    return np.maximum(idx, start[ends][:, None])


def lagged(values: np.ndarray, lag: int, segment: np.ndarray | None = None) -> np.ndarray:
    """``values`` ``lag`` samples earlier, never reaching back across a segment start."""
    n = len(values)
    if n == 0:
        return values.astype(np.float64)
    start = np.zeros(n, dtype=np.int64) if segment is None else group_starts(segment)
    return values[np.maximum(np.arange(n) - lag, start)]
