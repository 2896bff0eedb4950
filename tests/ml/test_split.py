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
    fold_groups,
    label_groups,
    lap_table,
    number_kept,
)

#: three sessions: two by one driver at Monza, one by another at Spa
KEYS = {0: {"session": "a", "driver": "ann", "track": "monza"},
        1: {"session": "b", "driver": "ann", "track": "monza"},
        2: {"session": "c", "driver": "bob", "track": "spa"}}


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
    label_groups(laps, "lap", KEYS)
    assert laps[0].group == "" and laps[1].group == "a#lap1"
    assign_split(laps, "lap", 0.25, seed=3)
    splits = [lap.split for lap in laps]
    assert splits[0] == "" and splits[1:].count("test") == 2  # round(0.25 * 7)
    again = [LapRecord(lap.session_id, lap.lap, 10, lap.excluded) for lap in laps]
    label_groups(again, "lap", KEYS)
    assign_split(again, "lap", 0.25, seed=3)
    assert [lap.split for lap in again] == splits
    assert exclusion_counts(laps) == {"out lap": 1, "pit lane": 0, "partial": 0, "invalid": 0}


def test_split_by_session_keeps_a_session_together() -> None:
    laps = [LapRecord(s, lap, 10) for s in range(3) for lap in range(3)]
    label_groups(laps, "session", KEYS)
    assign_split(laps, "session", 0.3, seed=0)
    by_session = {s: {lap.split for lap in laps if lap.session_id == s} for s in range(3)}
    assert all(len(v) == 1 for v in by_session.values())
    assert sorted(v.pop() for v in by_session.values()) == ["test", "train", "train"]


def test_a_split_needs_two_units() -> None:
    laps = [LapRecord(0, 1, 10), LapRecord(0, 2, 10)]
    label_groups(laps, "session", KEYS)
    with pytest.raises(UsageError, match="at least 2 sessions"):
        assign_split(laps, "session", 0.5, 0)


@pytest.mark.parametrize("by", ["lap", "session", "driver", "track"])
def test_no_group_is_on_both_sides_in_any_fold(by: str) -> None:
    laps = [LapRecord(s, lap, 10) for s in range(3) for lap in range(1, 4)]
    laps[4].excluded = "invalid"
    number_kept(laps)
    label_groups(laps, by, KEYS)
    kept = [lap for lap in laps if not lap.excluded]
    groups = {lap.group for lap in kept}
    assert len(groups) == {"lap": 8, "session": 3, "driver": 2, "track": 2}[by]
    plan = fold_groups(laps, by, len(groups), seed=1)  # leave one group out
    assert sorted(g for fold in plan for g in fold) == sorted(groups)
    assert all(len(fold) == 1 for fold in plan)
    for fold in plan:
        assign_split(laps, by, 0.25, 0, fold)
        sides = {g: {lap.split for lap in kept if lap.group == g} for g in groups}
        assert all(len(v) == 1 for v in sides.values())  # a group is wholly on one side
        assert {g for g, v in sides.items() if v == {"test"}} == set(fold)
    two = fold_groups(laps, by, 2, seed=1)
    assert len(two) == 2 and set(two[0]).isdisjoint(two[1])
    assert set(two[0]) | set(two[1]) == groups


def test_a_driver_split_needs_every_session_to_name_its_driver() -> None:
    laps = [LapRecord(s, 1, 10) for s in range(3)]
    keys = {**KEYS, 2: {"session": "c", "driver": "", "track": "spa"}}
    with pytest.raises(UsageError, match="c does not say its driver"):
        label_groups(laps, "driver", keys)
    label_groups(laps, "driver", KEYS)
    with pytest.raises(UsageError, match=r"--folds must be 2\.\.2"):
        fold_groups(laps, "driver", 3, seed=0)
