"""Lap exclusions and the held-out split: plain arrays and records, no files."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.errors import UsageError
from actelemetry.ml.card import PrepareOptions
from actelemetry.ml.split import (
    LapRecord,
    assign_split,
    exclusion_counts,
    exclusion_reason,
    lap_table,
    number_kept,
)


def test_lap_table_reasons() -> None:
    lap = np.repeat([1, 2, 3, 4, 5], 4)
    flag = lambda *laps: np.isin(lap, laps)  # noqa: E731
    cols = {"current_lap": lap, "out_lap": flag(1), "in_pit_lane": flag(2),
            "partial_lap": flag(3), "lap_valid": ~flag(4)}
    records, lap_of_row = lap_table(cols, 0, PrepareOptions().kept_reasons)
    assert [r.excluded for r in records] == ["out lap", "pit lane", "partial", "invalid", ""]
    np.testing.assert_array_equal(lap_of_row, lap - 1)
    kept, _ = lap_table(cols, 0, PrepareOptions(keep_pit=True, keep_invalid=True).kept_reasons)
    assert [r.excluded for r in kept] == ["out lap", "", "partial", "", ""]



def test_the_first_reason_not_kept_wins() -> None:
    assert exclusion_reason(True, True, True, False) == "out lap"
    assert exclusion_reason(True, True, True, False, {"out lap"}) == "pit lane"
    assert exclusion_reason(False, False, False, False, {"invalid"}) == ""
    assert exclusion_reason(False, False, False, True) == ""


def test_split_by_lap_holds_out_whole_laps_and_is_seeded() -> None:
    laps = [LapRecord(s, lap, 10) for s in range(2) for lap in range(4)]
    laps[0].excluded = "out lap"
    number_kept(laps)
    assert [lap.lap_id for lap in laps] == [-1, 0, 1, 2, 3, 4, 5, 6]
    assign_split(laps, "lap", 0.25, seed=3)
    splits = [lap.split for lap in laps]
    assert splits[0] == "" and splits[1:].count("test") == 2  # round(0.25 * 7)
    again = [LapRecord(lap.session_id, lap.lap, 10, lap.excluded) for lap in laps]
    assign_split(again, "lap", 0.25, seed=3)
    assert [lap.split for lap in again] == splits
    assert exclusion_counts(laps) == {"out lap": 1, "pit lane": 0, "partial": 0, "invalid": 0}


def test_split_by_session_keeps_a_session_together() -> None:
    laps = [LapRecord(s, lap, 10) for s in range(3) for lap in range(3)]
    assign_split(laps, "session", 0.3, seed=0)
    by_session = {s: {lap.split for lap in laps if lap.session_id == s} for s in range(3)}
    assert all(len(v) == 1 for v in by_session.values())
    assert sorted(v.pop() for v in by_session.values()) == ["test", "train", "train"]


def test_a_split_needs_two_units() -> None:
    with pytest.raises(UsageError, match="at least 2 sessions"):
        assign_split([LapRecord(0, 1, 10), LapRecord(0, 2, 10)], "session", 0.5, 0)
