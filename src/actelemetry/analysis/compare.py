"""Lap comparison: delta time over track position, corner by corner, with a plain summary.

Both laps sit on the same distance grid (see :mod:`laps`), so ``delta(d) = t_cmp(d) -
t_ref(d)`` is the time the compared lap has lost (+) or gained (-) by position ``d``. At
the line it is the difference of the lap times from samples; the report states how far
that is from the difference of the game's own lap times.

Each corner owns the stretch from its braking point (on the reference lap) to the next
corner's, so a late throttle shows up in the corner whose exit it spoils; the stretch from
the line to the first braking point is the "start" row. The rows add up to the delta at
the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from actelemetry.analysis.corners import Corner, common_corners, speed_corners
from actelemetry.analysis.dataset import Dataset
from actelemetry.analysis.laps import LapRef, LapTrace, load_lap
from actelemetry.analysis.present import Skipped
from actelemetry.errors import UsageError

BRAKE_ON = 0.1
THROTTLE_ON = 0.5
#: how far before a corner a braking point is looked for (m)
BRAKE_SEARCH_M = 400.0
#: differences below these are not worth a driver's attention
NOTE_BRAKE_M = 5.0
NOTE_SPEED_KMH = 2.0
NOTE_THROTTLE_M = 5.0
#: the accuracy promised at the line (s)
LINE_TOLERANCE_S = 0.010


@dataclass
class CornerLap:
    """What one lap did in one corner (positions in m from the line, speeds km/h)."""

    brake_point_m: float | None
    entry_kmh: float
    apex_kmh: float
    apex_m: float
    exit_kmh: float
    throttle_m: float | None


@dataclass
class CornerRow:
    corner: Corner | None  # None: the start row (line to the first braking point)
    seg_start_m: float
    seg_end_m: float
    ref: CornerLap | None
    cmp: CornerLap | None
    time_s: float  # + = compared lap lost time here

    @property
    def name(self) -> str:
        return f"T{self.corner.number}" if self.corner else "start"


@dataclass
class Comparison:
    reference: LapTrace
    compared: LapTrace
    d: np.ndarray
    delta_s: np.ndarray
    corners: list[CornerRow]
    line_delta_s: float  # delta at the line from samples
    game_delta_s: float | None  # difference of the game's lap times
    summary: list[str] = field(default_factory=list)
    #: what the comparison leaves out for lack of a channel
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def line_error_s(self) -> float | None:
        if self.game_delta_s is None:
            return None
        return abs(self.line_delta_s - self.game_delta_s)


def _first(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if len(idx) else None


def corner_lap(lap: LapTrace, corner: Corner, search_from_m: float) -> CornerLap:
    """Braking point, entry/apex/exit speed and throttle pick-up of ``lap`` in ``corner``."""
    d, speed = lap.d, lap.ch["speed_kmh"]
    s, e = np.searchsorted(d, [corner.start_m, corner.end_m])
    e = max(e, s + 1)
    apex = int(s + np.argmin(speed[s:e]))
    lo = int(np.searchsorted(d, max(search_from_m, corner.start_m - BRAKE_SEARCH_M)))
    brake_point = None
    brake_on = lap.ch["brake"] > BRAKE_ON if "brake" in lap.ch else np.zeros(len(d), bool)
    if "brake" in lap.ch:
        # the first press in the search window (none if still braking from the corner before)
        onsets = np.flatnonzero(brake_on[lo + 1:apex + 1] & ~brake_on[lo:apex]) + lo + 1
        brake_point = float(d[onsets[0]]) if len(onsets) else None
    # throttle pick-up: first point after the brake is released (or the corner starts)
    # from which the pedal passes THROTTLE_ON, having been below it
    after = int(np.searchsorted(d, brake_point)) if brake_point is not None else s
    released = _first(~brake_on[after:]) if brake_point is not None else 0
    start = after + (released or 0)
    throttle = None
    gas = lap.ch.get("gas")
    off = _first(gas[start:e + 1] < THROTTLE_ON) if gas is not None else None
    if gas is not None and off is not None:
        back = _first(gas[start + off:] >= THROTTLE_ON)
        if back is not None:
            throttle = float(d[start + off + back])
    return CornerLap(brake_point, float(speed[s]), float(speed[apex]), float(d[apex]),
                     float(speed[min(e, len(d) - 1)]), throttle)


def _segments(ref: LapTrace, corners: list[Corner]) -> list[tuple[Corner, float, float,
                                                                   CornerLap]]:
    """Each corner's stretch: from its braking point (reference lap) to the next one's."""
    if not corners:
        return []
    laps: list[CornerLap] = []
    prev_end = 0.0
    for c in corners:
        laps.append(corner_lap(ref, c, prev_end))
        prev_end = c.end_m
    starts = [min(cl.brake_point_m if cl.brake_point_m is not None else c.start_m, c.start_m)
              for c, cl in zip(corners, laps, strict=True)]
    # a stretch never starts before the previous corner ends
    for i in range(1, len(starts)):
        starts[i] = max(starts[i], corners[i - 1].end_m)
    ends = [*starts[1:], ref.length_m]
    return [(c, a, b, cl) for c, a, b, cl in zip(corners, starts, ends, laps, strict=True)]


def compare_traces(ref: LapTrace, cmp: LapTrace, corners: list[Corner] | None = None
                   ) -> Comparison:
    """Delta and corner table of ``cmp`` against ``ref`` (both from :func:`load_lap`)."""
    d = ref.d
    t_cmp = np.interp(d / ref.length_m, cmp.d / cmp.length_m, cmp.t)
    delta = t_cmp - ref.t
    skipped = _lacks(ref, cmp)
    if corners is None:
        corners = find_corners(ref, _on_grid(cmp, ref))
    if "speed_kmh" not in ref.ch or "speed_kmh" not in cmp.ch:
        corners = []
    rows: list[CornerRow] = []
    segs = _segments(ref, corners)
    first_start = segs[0][1] if segs else ref.length_m
    if first_start > 0 and "speed_kmh" in ref.ch and "speed_kmh" in cmp.ch:
        rows.append(CornerRow(None, 0.0, first_start, None, None,
                              float(np.interp(first_start, d, delta))))
    prev_end = 0.0
    for c, a, b, ref_cl in segs:
        cmp_cl = corner_lap(_on_grid(cmp, ref), c, prev_end)
        prev_end = c.end_m
        time = float(np.interp(b, d, delta) - np.interp(a, d, delta))
        rows.append(CornerRow(c, a, b, ref_cl, cmp_cl, time))
    game = (cmp.game_time_s - ref.game_time_s
            if cmp.game_time_s is not None and ref.game_time_s is not None else None)
    result = Comparison(ref, cmp, d, delta, rows, float(delta[-1]), game, skipped=skipped)
    result.summary = summarise(result)
    return result


def find_corners(ref: LapTrace, other: LapTrace) -> list[Corner]:
    """Corners of both laps: from the driven line's curvature where the laps have world
    positions, else from the speed trace (a slowing into a minimum: :func:`speed_corners`)."""
    if all(k in lap.ch for lap in (ref, other) for k in ("x", "z")):
        return common_corners([(ref.ch["x"], ref.ch["z"], ref.d),
                               (other.ch["x"], other.ch["z"], ref.d)])
    if "speed_kmh" in ref.ch:
        return speed_corners(ref.ch["speed_kmh"], ref.d)
    return []


def _lacks(ref: LapTrace, cmp: LapTrace) -> list[Skipped]:
    """What the comparison of these two laps leaves out, for lack of which channel."""
    def missing(name: str) -> bool:
        return name not in ref.ch or name not in cmp.ch
    out = []
    if missing("speed_kmh"):
        out.append(Skipped("corner table", ("speed_kmh",)))
    else:
        if missing("brake"):
            out.append(Skipped("corner braking points", ("brake",)))
        if missing("gas"):
            out.append(Skipped("corner throttle points", ("gas",)))
        if missing("x") or missing("z"):
            out.append(Skipped("corners from the driven line (found from speed instead)",
                               ("pos_x", "pos_z")))
    for name in ("speed_kmh", "gas", "brake", "steer", "gear"):
        if missing(name):
            out.append(Skipped(f"{name} trace in the comparison", (name,)))
    return out


def _on_grid(lap: LapTrace, ref: LapTrace) -> LapTrace:
    """``lap`` resampled onto ``ref``'s grid (same positions in lap fraction)."""
    if len(lap.d) == len(ref.d) and lap.length_m == ref.length_m:
        return lap
    f = ref.d / ref.length_m
    src = lap.d / lap.length_m
    ch = {k: np.interp(f, src, v) for k, v in lap.ch.items()}
    return LapTrace(lap.ref, lap.label, ref.length_m, lap.lap_time_s, lap.game_time_s,
                    lap.valid, ref.d, np.interp(f, src, lap.t), ch)


def _why(row: CornerRow) -> str:
    r, c = row.ref, row.cmp
    reasons = []
    if r and c:
        if r.brake_point_m is not None and c.brake_point_m is not None:
            diff = r.brake_point_m - c.brake_point_m
            if diff > NOTE_BRAKE_M:
                reasons.append(f"braked {diff:.0f} m earlier")
            elif diff < -NOTE_BRAKE_M:
                reasons.append(f"braked {-diff:.0f} m later")
        elif c.brake_point_m is not None and r.brake_point_m is None:
            reasons.append("braked where the reference did not")
        if r.apex_kmh - c.apex_kmh > NOTE_SPEED_KMH:
            reasons.append(f"apex {r.apex_kmh - c.apex_kmh:.1f} km/h slower")
        elif c.apex_kmh - r.apex_kmh > NOTE_SPEED_KMH:
            reasons.append(f"apex {c.apex_kmh - r.apex_kmh:.1f} km/h faster")
        if r.throttle_m is not None and c.throttle_m is not None:
            diff = c.throttle_m - r.throttle_m
            if diff > NOTE_THROTTLE_M:
                reasons.append(f"throttle {diff:.0f} m later")
        if r.exit_kmh - c.exit_kmh > NOTE_SPEED_KMH:
            reasons.append(f"exit {r.exit_kmh - c.exit_kmh:.1f} km/h slower")
    return ", ".join(reasons) if reasons else "no single input stands out"


def summarise(cmp: Comparison) -> list[str]:
    """Three corners where the compared lap loses most, and what differs there."""
    losing = sorted(((r, r.corner) for r in cmp.corners if r.corner and r.time_s > 0.0005),
                    key=lambda rc: -rc[0].time_s)[:3]
    lines = [f"{cmp.compared.label} against {cmp.reference.label}: "
             f"{cmp.line_delta_s:+.3f} s at the line."]
    if not losing and cmp.corners:
        lines.append("No corner loses time against the reference.")
    for r, corner in losing:
        lines.append(f"{r.name} ({corner.apex_m:.0f} m): loses {r.time_s:.3f} s: {_why(r)}.")
    return lines


def compare_laps(ds: Dataset, ref: LapRef, cmp: LapRef) -> Comparison:
    """Load both laps from the data set and compare them."""
    if ref == cmp:
        src = ds.source(ref.session)
        raise UsageError(f"{src.path}: lap {ref.lap} cannot be compared with itself")
    return compare_traces(load_lap(ds, ref), load_lap(ds, cmp))


def timed_laps(ds: Dataset, session: int | None = None) -> list[dict]:
    """Timed laps (line to line, neither out nor in), fastest first; valid before invalid.
    Only laps whose two line crossings are in the file count (a file cut at the line has
    the game's time of its first lap but not the samples before the line to compare)."""
    rows = [r for r in ds.lap_rows()
            if r["kind"] == "timed"
            and (r["game_time_s"] or r["sample_time_s"]) is not None
            and r["t_line_start"] is not None and r["t_line_end"] is not None
            and (session is None or r["session"] == session)]
    return sorted(rows, key=lambda r: (not r["valid"], r["game_time_s"] or r["sample_time_s"]))


def best_lap(ds: Dataset, session: int | None = None) -> LapRef:
    """The best valid lap (any timed lap if none is valid) of the data set or a session."""
    rows = timed_laps(ds, session)
    if not rows:
        where = ds.source(session).path if session else ", ".join(
            str(s.path) for s in ds.sources)
        raise UsageError(f"{where}: no lap driven from line to line")
    return LapRef(int(rows[0]["session"]), int(rows[0]["lap"]))
