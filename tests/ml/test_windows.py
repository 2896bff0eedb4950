"""Runs and windows: plain arrays in, row indices out; nothing crosses a lap or a gap."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.ml.features import FALLBACK_RATE_HZ, session_rate
from actelemetry.ml.windows import (
    group_starts,
    lagged,
    position_in_group,
    run_labels,
    window_ends,
    window_indices,
)


def test_group_starts_and_positions() -> None:
    labels = np.array([4, 4, 4, 7, 7, 4, 4])  # a label that comes back is a new run
    np.testing.assert_array_equal(group_starts(labels), [0, 0, 0, 3, 3, 5, 5])
    np.testing.assert_array_equal(position_in_group(labels), [0, 1, 2, 0, 1, 0, 1])
    assert len(group_starts(np.array([]))) == 0


def test_run_labels_change_where_any_column_does() -> None:
    lap = np.array([1, 1, 1, 2, 2, 2])
    seg = np.array([0, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(run_labels(lap, seg), [1, 2, 2, 3, 3, 3])
    np.testing.assert_array_equal(run_labels(lap), [1, 1, 1, 2, 2, 2])


def test_window_ends_are_full_windows_a_stride_apart() -> None:
    groups = np.repeat([0, 1], [7, 3])
    np.testing.assert_array_equal(window_ends(groups, 4, 2), [3, 5])
    assert len(window_ends(np.array([]), 4, 2)) == 0


def test_window_helpers_stay_inside_groups() -> None:
    groups = np.repeat([0, 1, 2], [7, 3, 12])
    ends = window_ends(groups, 4, 2)
    assert all(groups[e - 3] == groups[e] for e in ends)
    padded = window_indices(groups, np.arange(len(groups)), 5)
    assert (groups[padded] == groups[:, None]).all()


def test_lagged_never_crosses_a_segment() -> None:
    v = np.arange(10.0)
    out = lagged(v, 3, np.array([0] * 5 + [1] * 5))
    np.testing.assert_array_equal(out, [0, 0, 0, 0, 1, 5, 5, 5, 5, 6])



def test_session_rate_falls_back_once() -> None:
    assert session_rate(50.0, np.arange(10) / 20.0) == 50.0
    assert session_rate(None, np.arange(10) / 20.0) == pytest.approx(20.0)
    assert session_rate(0, np.zeros(5)) == FALLBACK_RATE_HZ
    assert session_rate(None) == FALLBACK_RATE_HZ
