"""Which laps a dataset keeps, and which of them are held out: by lap or by session, never
by frame (100 Hz frames are near twins, so a frame split would leak the test set)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from actelemetry.errors import UsageError

#: why a lap is left out, in the order the reasons are checked
EXCLUSION_REASONS = ("out lap", "pit lane", "partial", "invalid")


@dataclass
class LapRecord:
    """One lap of one session and what became of it."""

    session_id: int
    lap: int
    samples: int
    excluded: str = ""  # the reason, or "" when kept
    lap_id: int = -1
    split: str = ""


def exclusion_reason(out_lap: bool, in_pit_lane: bool, partial: bool, valid: bool,
                     keep: Collection[str] = ()) -> str:
    """The first reason (of :data:`EXCLUSION_REASONS`) not in ``keep`` that holds, or "".
    An out lap is never valid (channels.laps.lap_valid): that is its being an out lap, so
    it counts as invalid only for the laps that are not out laps."""
    invalid = not valid and not out_lap
    for reason, holds in zip(EXCLUSION_REASONS, (out_lap, in_pit_lane, partial, invalid),
                             strict=True):
        if holds and reason not in keep:
            return reason
    return ""


def lap_table(cols: dict[str, np.ndarray], session_id: int,
              keep: Collection[str] = ()) -> tuple[list[LapRecord], np.ndarray]:
    """One record per lap (in driving order) with its exclusion reason, and each row's index
    into the records. A lap is out / pit / partial if any of its rows says so, invalid if
    any row says so; ``keep`` names the reasons that do not exclude.

    A flag the session did not record is not known to hold, except ``partial_lap``: without
    it the log's first and last laps are partial (their line crossings were not seen)."""
    laps, first, inverse = np.unique(cols["current_lap"], return_index=True, return_inverse=True)
    order = np.argsort(first)
    records = []
    for k in order:
        rows = inverse == k

        def any_(name: str, rows: np.ndarray = rows) -> bool:
            return name in cols and bool(np.asarray(cols[name][rows], dtype=bool).any())

        valid = "lap_valid" not in cols or bool(np.asarray(cols["lap_valid"][rows],
                                                           dtype=bool).all())
        partial = any_("partial_lap") if "partial_lap" in cols else k in (order[0], order[-1])
        reason = exclusion_reason(any_("out_lap"), any_("in_pit_lane"), partial, valid, keep)
        records.append(LapRecord(session_id, int(laps[k]), int(rows.sum()), reason))
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return records, remap[inverse]


def exclusion_counts(laps: list[LapRecord]) -> dict[str, int]:
    """How many laps each reason left out."""
    return {r: sum(lap.excluded == r for lap in laps) for r in EXCLUSION_REASONS}


def number_kept(laps: list[LapRecord]) -> None:
    """Give kept laps their dataset-wide ids, in order."""
    for lap_id, lap in enumerate(lap for lap in laps if not lap.excluded):
        lap.lap_id = lap_id


def assign_split(laps: list[LapRecord], by: str, test_fraction: float, seed: int) -> None:
    """Hold out whole laps (or whole sessions) for testing; never single frames."""
    kept = [lap for lap in laps if not lap.excluded]
    units = sorted({lap.session_id for lap in kept}) if by == "session" else \
        list(range(len(kept)))
    if len(units) < 2:
        what = "sessions with usable laps" if by == "session" else "usable laps"
        raise UsageError(f"a {by} split needs at least 2 {what}, found {len(units)}")
    n_test = min(max(1, int(round(test_fraction * len(units)))), len(units) - 1)
    test = set(np.random.default_rng(seed).permutation(len(units))[:n_test].tolist())
    test_units = {units[i] for i in test}
    for i, lap in enumerate(kept):
        unit = lap.session_id if by == "session" else i
        lap.split = "test" if unit in test_units else "train"
