"""Which laps a dataset keeps, and which of them are held out: by group (a lap, a session, a
driver or a track), never by frame (100 Hz frames are near twins, so a frame split would
leak the test set). A group is always wholly on one side; folds hold out each group once."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from actelemetry.errors import UsageError

#: what a split holds out whole: a lap, a session, a driver (session metadata), a track
SPLITS = ("lap", "session", "driver", "track")
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
    group: str = ""  # what the split holds out whole (see :func:`label_groups`)


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


def label_groups(laps: list[LapRecord], by: str,
                 session_keys: Mapping[int, Mapping[str, str]]) -> None:
    """Give each kept lap the group a ``by`` split holds out whole: the lap itself, or its
    session's ``session`` / ``driver`` / ``track`` from ``session_keys`` (session id ->
    key -> value). A session without the key is a one-line error: a driver split of
    sessions that do not name their driver would silently be a session split."""
    if by not in SPLITS:
        raise UsageError(f"--split must be one of {', '.join(SPLITS)}, not {by!r}")
    for lap in laps:
        if lap.excluded:
            continue
        if by == "lap":
            lap.group = f"{session_keys[lap.session_id]['session']}#lap{lap.lap}"
            continue
        value = session_keys[lap.session_id].get(by, "")
        if not value:
            raise UsageError(f"--split {by}: {session_keys[lap.session_id]['session']} does "
                             f"not say its {by} (session metadata); split by session instead")
        lap.group = value


def kept_groups(laps: list[LapRecord]) -> list[str]:
    """The distinct groups of the kept laps, in driving order."""
    return list(dict.fromkeys(lap.group for lap in laps if not lap.excluded))


def two_groups(laps: list[LapRecord], by: str) -> list[str]:
    """The kept laps' groups; fewer than two is a one-line error (nothing to hold out)."""
    groups = kept_groups(laps)
    if len(groups) < 2:
        raise UsageError(f"a {by} split needs at least 2 {by}s with usable laps, found "
                         f"{len(groups)}")
    return groups


def assign_split(laps: list[LapRecord], by: str, test_fraction: float, seed: int,
                 test_groups: Collection[str] | None = None) -> None:
    """Hold out whole groups (:func:`label_groups` first) for testing; never single frames.
    ``test_groups`` names them (a fold); otherwise a seeded draw of ``test_fraction`` of
    the groups, at least one on each side."""
    groups = two_groups(laps, by)
    if test_groups is None:
        n_test = min(max(1, int(round(test_fraction * len(groups)))), len(groups) - 1)
        test_groups = {groups[i] for i in
                       np.random.default_rng(seed).permutation(len(groups))[:n_test].tolist()}
    for lap in laps:
        if not lap.excluded:
            lap.split = "test" if lap.group in test_groups else "train"


def fold_groups(laps: list[LapRecord], by: str, folds: int, seed: int) -> list[list[str]]:
    """``folds`` disjoint sets of held-out groups covering every group once (a seeded
    shuffle dealt round-robin): with as many folds as groups, leave-one-group-out."""
    groups = two_groups(laps, by)
    if not 2 <= folds <= len(groups):
        raise UsageError(f"--folds must be 2..{len(groups)} (the groups with usable laps), "
                         f"not {folds}")
    order = np.random.default_rng(seed).permutation(len(groups))
    return [sorted(groups[i] for i in order[k::folds]) for k in range(folds)]
