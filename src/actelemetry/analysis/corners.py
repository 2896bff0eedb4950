"""Corners from the curvature of the driven line (world x/z on the distance grid).

Curvature is the change of heading per metre of the smoothed line. A corner is a stretch
whose |curvature| stays above a low threshold, of one direction, reaching a tighter radius
than :data:`MAX_APEX_RADIUS_M` and turning the car by at least :data:`MIN_TURN_DEG`. Pieces of
one bend split by a brief straightening are merged. Thresholds are wide apart so that the
same corners come out of every lap (numbered in track order from the line).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: smoothing of the line and of the curvature, in metres
LINE_SMOOTH_M = 15.0
CURVATURE_SMOOTH_M = 25.0
#: a bend is the stretch tighter than this radius ...
BEND_RADIUS_M = 500.0
#: ... and a corner if it reaches this radius ...
MAX_APEX_RADIUS_M = 250.0
#: ... and turns the car by this much
MIN_TURN_DEG = 20.0
#: pieces of one bend closer than this are one corner
MERGE_GAP_M = 50.0
#: the apex is the middle of the stretch curving within this share of the tightest point
APEX_SHARE = 0.95


@dataclass(frozen=True)
class Corner:
    """A corner of the reference line: where it starts and ends along the lap (m)."""

    number: int
    start_m: float
    apex_m: float  # middle of the line's tightest stretch
    end_m: float
    turn_deg: float  # signed heading change (sign depends on the track's frame)
    min_radius_m: float


def _smooth(a: np.ndarray, window: int, closed: bool) -> np.ndarray:
    """Centred moving average; a closed lap is padded with its other end."""
    window = max(1, int(window) | 1)
    if window == 1 or len(a) < 3:
        return a.astype("f8")
    half = window // 2
    if closed and len(a) > window:
        padded = np.concatenate((a[-half - 1:-1], a, a[1:half + 1]))
    else:
        padded = np.concatenate((np.full(half, a[0]), a, np.full(half, a[-1])))
    c = np.cumsum(np.concatenate(([0.0], padded)))
    return (c[window:] - c[:-window]) / window


def curvature(x: np.ndarray, z: np.ndarray, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Signed curvature (1/m) and unwrapped heading (rad) of a closed line sampled every
    ``step_m`` metres along the lap."""
    closed = bool(np.hypot(x[-1] - x[0], z[-1] - z[0]) < 50.0)
    w = round(LINE_SMOOTH_M / step_m)
    xs, zs = _smooth(x, w, closed), _smooth(z, w, closed)
    dx, dz = np.gradient(xs), np.gradient(zs)
    heading = np.unwrap(np.arctan2(dz, dx))
    arc = np.maximum(np.hypot(dx, dz), 1e-6)
    k = np.gradient(heading) / arc
    return _smooth(k, round(CURVATURE_SMOOTH_M / step_m), closed), heading


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype("i1"), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def detect_corners(x: np.ndarray, z: np.ndarray, d: np.ndarray) -> list[Corner]:
    """Corners of one lap's line (``x``, ``z`` on the distance grid ``d``)."""
    if len(d) < 10 or not (np.isfinite(x).all() and np.isfinite(z).all()):
        return []
    step = float(d[1] - d[0])
    k, heading = curvature(x, z, step)
    pieces: list[list[int]] = []  # [start, stop, sign]
    bend = np.abs(k) > 1.0 / BEND_RADIUS_M
    sign = np.sign(k)
    for a, b in _runs(bend):
        # split a run where the direction flips (a chicane's two halves)
        flips = np.flatnonzero(np.diff(sign[a:b]) != 0) + a + 1
        for s, e in zip(np.concatenate(([a], flips)), np.concatenate((flips, [b])), strict=True):
            if pieces and pieces[-1][2] == sign[s] and (s - pieces[-1][1]) * step < MERGE_GAP_M:
                pieces[-1][1] = int(e)
            else:
                pieces.append([int(s), int(e), int(sign[s])])
    corners: list[Corner] = []
    for s, e, _ in pieces:
        turn = float(np.degrees(heading[min(e, len(d) - 1)] - heading[s]))
        bent = np.abs(k[s:e])
        peak = int(s + np.argmax(bent))
        radius = 1.0 / max(abs(float(k[peak])), 1e-9)
        # the apex: the middle of the tightest stretch, so a long constant-radius bend's
        # apex does not wander with each lap's wobble
        tight = np.flatnonzero(bent >= APEX_SHARE * bent.max())
        apex = s + int(round(0.5 * (tight[0] + tight[-1])))
        if abs(turn) >= MIN_TURN_DEG and radius <= MAX_APEX_RADIUS_M:
            corners.append(Corner(len(corners) + 1, float(d[s]), float(d[apex]),
                                  float(d[min(e, len(d) - 1)]), turn, radius))
    return corners


#: the same corner on two laps has its apex within this distance (m)
SAME_CORNER_M = 30.0


def common_corners(lines: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                   reference: int = 0) -> list[Corner]:
    """Corners found on most of the given laps, in the reference lap's geometry.

    A slide or a correction bends one lap's line like a corner; it is not a corner of the
    track, so only corners whose apex appears on more than half of the laps are kept, and
    they are numbered again in track order. Two laps: corners of both.
    """
    found = [detect_corners(x, z, d) for x, z, d in lines]
    if not found:
        return []
    need = len(found) // 2 + 1
    kept = []
    for c in found[reference]:
        hits = sum(any(abs(o.apex_m - c.apex_m) < SAME_CORNER_M
                       and np.sign(o.turn_deg) == np.sign(c.turn_deg) for o in lap)
                   for lap in found)
        if hits >= need:
            kept.append(c)
    return [Corner(i, c.start_m, c.apex_m, c.end_m, c.turn_deg, c.min_radius_m)
            for i, c in enumerate(kept, start=1)]


#: without world positions a corner is a slowing into a speed minimum: one that is the
#: lowest speed this far either side ...
SPEED_MIN_WINDOW_M = 150.0
#: ... reached after losing and followed by regaining at least this much
SPEED_DROP_KMH = 10.0
#: the corner runs from where the slowing is this share from its end to where the car has
#: regained this share of what it gains after it
SPEED_EDGE_SHARE = 0.25
SPEED_SMOOTH_M = 20.0


def speed_corners(speed: np.ndarray, d: np.ndarray) -> list[Corner]:
    """Corners of one lap from its speed alone (``speed`` km/h on the distance grid ``d``),
    for logs without world positions. The direction and radius are unknown (NaN)."""
    if len(d) < 10 or not np.isfinite(speed).all():
        return []
    step = float(d[1] - d[0])
    v = _smooth(np.asarray(speed, "f8"), round(SPEED_SMOOTH_M / step), closed=False)
    half = max(1, round(SPEED_MIN_WINDOW_M / step))
    n = len(v)
    minima = [i for i in range(half, n - half)
              if v[i] == v[i - half:i + half + 1].min() and (i == 0 or v[i] < v[i - 1])]
    corners: list[Corner] = []
    bounds = [0, *minima, n - 1]
    for k, apex in enumerate(minima, start=1):
        before = slice(bounds[k - 1], apex + 1)
        after = slice(apex, bounds[k + 1] + 1)
        top_in = bounds[k - 1] + int(np.argmax(v[before]))
        top_out = apex + int(np.argmax(v[after]))
        drop, gain = v[top_in] - v[apex], v[top_out] - v[apex]
        if drop < SPEED_DROP_KMH or gain < SPEED_DROP_KMH:
            continue
        slowing = np.flatnonzero(v[top_in:apex + 1] <= v[apex] + SPEED_EDGE_SHARE * drop)
        start = top_in + int(slowing[0])
        rising = np.flatnonzero(v[apex:top_out + 1] >= v[apex] + SPEED_EDGE_SHARE * gain)
        end = apex + int(rising[0])
        corners.append(Corner(len(corners) + 1, float(d[start]), float(d[apex]),
                              float(d[end]), float("nan"), float("nan")))
    return corners
