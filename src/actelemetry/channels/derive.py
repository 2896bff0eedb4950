"""Derived channels, vectorised: arrays in, arrays out.

:func:`derive_session` completes a decoded recording into the full catalogue: it is the one
place the formulas live. Live sinks get one sample at a time as the last row of
:func:`derive_session` over the last few samples (:class:`WindowDeriver`, the definition),
plus what only a whole history knows: lap flags "so far"
(:class:`~actelemetry.channels.laps.LapFlags`) and the distance integrated since the lap
began when the track length is unknown.

:class:`LiveDeriver` computes that same row from a sample's page bytes with plain Python
scalars (float32 arithmetic rounded as NumPy rounds it), about ten times faster than the
kernel over a window; the tests hold it equal to :class:`WindowDeriver` value for value.
"""

from __future__ import annotations

from array import array
from collections import deque
from functools import cache, reduce
from itertools import pairwise
from operator import add, itemgetter
from typing import Any

import numpy as np

from actelemetry.channels.catalogue import (
    BY_NAME,
    DEFAULT_SMOOTHING,
    WHEELS,
    G,
    Value,
    Values,
    names_for,
)
from actelemetry.channels.decode import NUMPY_DTYPES, StaticInfo, sample_plan
from actelemetry.channels.laps import START_EDGE, LapFlags, lap_valid, starts_out

#: lap flags a live sample can only know "so far" (they cover a whole lap in files)
LAP_FLAGS = ("lap_valid", "out_lap", "partial_lap")

#: a wheel turning slower than this share of the car's speed, braking, counts as locked
LOCK_SPEED_RATIO = 0.75
LOCK_MIN_SPEED_MS = 5.0
#: damage bands (game scale): above each bound the level rises by one
DAMAGE_BANDS = (0.0, 0.1, 0.3)


def trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` samples (shorter at the start)."""
    x = np.asarray(x, dtype="f8")
    if window <= 1 or len(x) == 0:
        return x.astype("f4")
    c = np.cumsum(np.concatenate(([0.0], x)))
    n = np.arange(1, len(x) + 1)
    lo = np.maximum(n - window, 0)
    return ((c[n] - c[lo]) / (n - lo)).astype("f4")


def wheel_lock(speed_ms: np.ndarray, brake: np.ndarray, wheel_speed: np.ndarray,
               radius: float) -> np.ndarray:
    """Locked wheel: braking, car moving, wheel surface speed well below the car's."""
    if radius <= 0:
        return np.zeros(len(speed_ms), dtype=bool)
    return ((speed_ms > LOCK_MIN_SPEED_MS) & (brake > 0.05)
            & (np.abs(wheel_speed) * radius < LOCK_SPEED_RATIO * speed_ms))


def damage_level(damage: np.ndarray) -> np.ndarray:
    """Worst zone's damage as a level 0..3 (``damage`` is (N, zones))."""
    worst = damage.max(axis=1) if damage.ndim == 2 else damage
    return np.searchsorted(np.asarray(DAMAGE_BANDS), worst, side="left").astype("i1")


def lap_segments(completed_laps: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index ranges of consecutive samples on the same lap."""
    if len(completed_laps) == 0:
        return []
    cuts = np.flatnonzero(np.diff(completed_laps)) + 1
    edges = np.concatenate(([0], cuts, [len(completed_laps)]))
    return [(int(a), int(b)) for a, b in pairwise(edges)]


def lap_flags(game: str, ch: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Per-sample lap_valid, out_lap, partial_lap: each lap's flag spread over its samples."""
    n = len(ch["completed_laps"])
    valid = np.ones(n, dtype=bool)
    out = np.zeros(n, dtype=bool)
    partial = np.zeros(n, dtype=bool)
    segments = lap_segments(ch["completed_laps"])
    for k, (a, b) in enumerate(segments):
        frac = ch["lap_fraction"][a:b]
        out[a:b] = is_out = starts_out({"in_pit_lane": ch["in_pit_lane"][a],
                                        "speed_ms": ch["speed_ms"][a]}, k == 0)
        flag = (bool(ch["game_lap_valid"][a:b].all())
                if game == "acc" and "game_lap_valid" in ch else None)
        valid[a:b] = lap_valid(bool(is_out), int(ch["tyres_out"][a:b].max(initial=0)), flag)
        starts_late = k == 0 and frac[0] > START_EDGE
        ends_early = k == len(segments) - 1 and frac[-1] < 1 - START_EDGE
        partial[a:b] = starts_late or ends_early
    return valid, out, partial


def lap_distance(ch: dict[str, np.ndarray], t: np.ndarray, track_length: float) -> np.ndarray:
    """Distance from the start line: the spline position when the track length is known,
    otherwise the speed integrated since the lap began."""
    if track_length > 0:
        return (ch["lap_fraction"].astype("f8") * track_length).astype("f4")
    dist = np.zeros(len(t))
    for a, b in lap_segments(ch["completed_laps"]):
        dt = np.diff(t[a:b], prepend=t[a])
        dist[a:b] = np.cumsum(ch["speed_ms"][a:b] * dt)
    return dist.astype("f4")


def derive_session(game: str, physics: np.ndarray, raw: dict[str, np.ndarray], t: np.ndarray,
                   start_wall: float, static: StaticInfo, skipped: np.ndarray, gap: np.ndarray,
                   smoothing: int = DEFAULT_SMOOTHING, t0: float | None = None
                   ) -> dict[str, np.ndarray]:
    """Complete decoded page channels into every catalogue channel of ``game``.

    ``physics`` is the structured physics records, ``raw`` what :func:`decode_pages` made of
    them, ``t`` the sample clock (s) and ``start_wall`` the Unix time of the clock's origin
    ``t0`` (by default the first sample; a live window passes the session's first).
    """
    ch = dict(raw)
    accg, damage = physics["accG"], physics["carDamage"]
    t = np.asarray(t, dtype="f8")
    if t0 is None:
        t0 = float(t[0]) if len(t) else 0.0
    ch["timestamp"] = start_wall + (t - t0)
    ch["session_time"] = t - t0
    ch["lap_time_sec"] = ch["game_lap_ms"].astype("f8") / 1000.0
    ch["current_lap"] = ch["completed_laps"] + 1
    ch["speed_ms"] = (ch["speed_kmh"] / 3.6).astype("f4")
    ch["gear"] = (physics["gear"] - 1).astype("i1")
    ch["ax"], ch["ay"], ch["az"] = ((accg[:, i] * G).astype("f4") for i in range(3))
    ch["accel_lateral"] = accg[:, 0].astype("f4")
    ch["accel_longitudinal"] = accg[:, 2].astype("f4")
    ch["abs_steer"] = np.abs(ch["steer"])
    for name in ("gas", "brake", "steer"):
        ch[f"{name}_smooth"] = trailing_mean(ch[name], smoothing)
    ch["packets_skipped"] = np.asarray(skipped, dtype="i4")
    ch["gap_before_s"] = np.asarray(gap, dtype="f4")
    ch["lap_distance_m"] = lap_distance(ch, t, static.track_length_m)
    ch["lap_valid"], ch["out_lap"], ch["partial_lap"] = lap_flags(game, ch)
    locks = []
    for i, w in enumerate(WHEELS):
        lock = wheel_lock(ch["speed_ms"], ch["brake"], ch[f"wheel_speed_{w}"],
                          static.tyre_radius_m[i])
        ch[f"wheel_lock_{w}"] = lock
        locks.append(lock)
    ch["wheel_lock_any"] = np.any(locks, axis=0) if locks else np.zeros(len(t), bool)
    ch["damage_level"] = damage_level(damage)
    return {name: np.asarray(ch[name]).astype(dtype, copy=False)
            for name, dtype in _output_dtypes(game)}


@cache
def _output_dtypes(game: str) -> tuple[tuple[str, np.dtype], ...]:
    """Each channel of ``game`` with its NumPy dtype, in catalogue order."""
    return tuple((n, np.dtype(NUMPY_DTYPES[BY_NAME[n].dtype])) for n in names_for(game))


#: window columns beside the decoded channels (names no channel has)
_PHYSICS, _T, _SKIPPED, _GAP = " physics", " t", " skipped", " gap"


class SampleWindow:
    """The last ``size`` rows of named columns, each as a contiguous view: every row is
    stored twice in a buffer of ``2 * size`` rows, so a window never wraps."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.count = 0
        self._next = 0
        self._bufs: dict[str, np.ndarray] = {}

    def push(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Add the last row of each column; each column's window, oldest first."""
        bufs, j = self._bufs, self._next
        hi = j + self.size
        if not bufs:
            bufs.update((k, np.zeros((2 * self.size, *a.shape[1:]), dtype=a.dtype))
                        for k, a in columns.items())
        for k, a in columns.items():
            buf = bufs[k]
            buf[j] = buf[hi] = a[-1]
        self._next = (j + 1) % self.size
        self.count = min(self.count + 1, self.size)
        lo = hi - self.count + 1
        return {k: buf[lo:hi + 1] for k, buf in bufs.items()}


class WindowDeriver:
    """The channels of one sample at a time, by definition: the last row of
    :func:`derive_session` over a window of the last ``max(smoothing, 2)`` samples, so live
    values and files share one set of formulas.

    Only what needs the whole history is kept here: lap flags are "so far" (at a lap's last
    sample they equal the file's), and without a track length the lap distance adds up the
    kernel's per-sample increments since the lap began.
    """

    def __init__(self, game: str, static: StaticInfo, smoothing: int = DEFAULT_SMOOTHING) -> None:
        self.game = game
        self.static = static
        self.smoothing = smoothing
        self._window = SampleWindow(max(smoothing, 2))
        self._laps = LapFlags(game)
        self._t0: float | None = None
        self._start_wall = 0.0
        self._lap: int | None = None
        self._distance = 0.0

    def derive(self, physics: np.ndarray, raw: dict[str, np.ndarray], t: float,
               start_wall: float, skipped: int, gap: float) -> Values:
        """Channel values of one sample (``physics`` and ``raw`` hold length-one arrays)."""
        if self._t0 is None:
            self._t0, self._start_wall = t, start_wall
        w = self._window.push({**raw, _PHYSICS: physics, _T: np.array([t], "f8"),
                               _SKIPPED: np.array([skipped], "i8"),
                               _GAP: np.array([gap], "f8")})
        physics_w, t_w, skipped_w, gap_w = (w.pop(k) for k in (_PHYSICS, _T, _SKIPPED, _GAP))
        cols = derive_session(self.game, physics_w, w, t_w, self._start_wall, self.static,
                              skipped_w, gap_w, self.smoothing, t0=self._t0)
        v: Values = {k: a.item(-1) for k, a in cols.items()}
        v.update(zip(LAP_FLAGS, self._laps.feed(v), strict=True))
        if self.static.track_length_m <= 0:
            self._add_distance(cols["lap_distance_m"], int(raw["completed_laps"][-1]))
            v["lap_distance_m"] = self._distance
        return v

    def _add_distance(self, window: np.ndarray, lap: int) -> None:
        """The kernel integrates from the window's first sample of a lap; its last step is
        the increment since the previous sample (0 on a lap's first sample)."""
        same = self._lap == lap and len(window) > 1
        step = float(window[-1]) - float(window[-2]) if same else float(window[-1])
        self._distance = self._distance + step if same else step
        self._lap = lap


def f32(x: float) -> float:
    """``x`` rounded to float32 as NumPy casts it (infinite beyond its range). A float32
    sum, difference, product or quotient of float32 values equals the float64 one rounded
    so, which is how the live deriver repeats the kernel's float32 arithmetic."""
    return array("f", (x,))[0]


def _wrap(x: int, bits: int) -> int:
    """``x`` cast to a signed integer of ``bits`` bits, wrapping as NumPy does."""
    half = 1 << (bits - 1)
    return ((x + half) & ((half << 1) - 1)) - half


_KMH_PER_MS = f32(3.6)
_G32 = f32(G)
_BRAKING = f32(0.05)  # wheel_lock's brake bound, as float32 compares it
_DERIVED = ("timestamp", "session_time", "lap_time_sec", "current_lap", "speed_ms", "gear",
            "ax", "ay", "az", "accel_lateral", "accel_longitudinal", "abs_steer",
            "gas_smooth", "brake_smooth", "steer_smooth", "packets_skipped", "gap_before_s",
            "lap_distance_m", *LAP_FLAGS, *(f"wheel_lock_{w}" for w in WHEELS),
            "wheel_lock_any", "damage_level")
_INPUTS = ("speed_kmh", "gas", "brake", "steer", "completed_laps", "lap_fraction",
           "game_lap_ms", "in_pit_lane", "tyres_out", *(f"wheel_speed_{w}" for w in WHEELS),
           "damage_front", "damage_rear", "damage_left", "damage_right", "damage_centre")


class LiveDeriver:
    """The channels of one live sample at a time from its page bytes: the values of
    :class:`WindowDeriver` (the kernel's last row over a window), computed with scalars.

    Each formula here repeats one of :func:`derive_session`'s; the window it keeps is the
    few values the smoothing and the distance integral read.
    """

    def __init__(self, game: str, static: StaticInfo, smoothing: int = DEFAULT_SMOOTHING) -> None:
        self.game = game
        self.static = static
        self.smoothing = smoothing
        self._plan = plan = sample_plan(game)
        at = {n: k for k, n in enumerate(plan.names)}
        self._inputs = itemgetter(*(at[n] for n in _INPUTS))
        self._acc_flag = at.get("game_lap_valid") if game == "acc" else None
        live = {*plan.names, *_DERIVED}
        self._names = tuple(names_for(game))
        # the values are filled by name into a copy of this (cheaper than reordering);
        # every name read or derived is a channel of the game
        self._template: dict[str, Any] = dict.fromkeys(self._names)
        if live != set(self._names):
            raise ValueError(f"live channels differ from {game}'s: "
                             f"{sorted(live ^ set(self._names))}")
        self._radius = tuple(f32(r) if r > 0 else 0.0 for r in static.tyre_radius_m)
        self._length = static.track_length_m
        size = max(smoothing, 2)
        self._inputs_w: tuple[deque[float], ...] = tuple(deque(maxlen=size) for _ in range(3))
        self._clock: deque[tuple[float, int, float]] = deque(maxlen=size)
        self._laps = LapFlags(game)
        self._t0: float | None = None
        self._start_wall = 0.0
        self._lap: int | None = None
        self._distance = 0.0

    def derive(self, physics: bytes, graphics: bytes, t: float, start_wall: float,
               skipped: int, gap: float) -> Values:
        """Channel values of the sample whose pages are ``physics`` and ``graphics``."""
        t = float(t)
        if self._t0 is None:
            self._t0, self._start_wall = t, start_wall
        raw = self._plan.read(physics, graphics)
        gear, a0, a1, a2 = self._plan.extras(physics)
        (kmh, gas, brake, steer, laps, frac, lap_ms, in_pit_lane, tyres_out,
         *wheels_and_damage) = self._inputs(raw)
        speed = f32(kmh / _KMH_PER_MS)
        smooth = [self._smooth(w, x) for w, x in zip(self._inputs_w, (gas, brake, steer),
                                                     strict=True)]
        self._clock.append((t, laps, speed))
        if self._length > 0:
            distance: float = f32(frac * self._length)
        else:
            distance = self._integrate(laps)
        c = {"completed_laps": laps, "in_pit_lane": in_pit_lane, "speed_ms": speed,
             "lap_fraction": frac, "tyres_out": tyres_out}
        if self._acc_flag is not None:
            c["game_lap_valid"] = raw[self._acc_flag]
        flags = self._laps.feed(c)
        if speed > LOCK_MIN_SPEED_MS and brake > _BRAKING:
            limit = f32(LOCK_SPEED_RATIO * speed)
            locks = [r > 0 and f32(abs(w) * r) < limit
                     for w, r in zip(wheels_and_damage[:4], self._radius, strict=True)]
        else:
            locks = [False] * 4
        damage = wheels_and_damage[4:]
        # a NaN anywhere makes NumPy's max NaN, which sorts after every band: level 3 (inf
        # with -inf also sums to NaN; their max, inf, is level 3 as well)
        total = sum(damage)
        worst = max(damage)
        level = 3 if total != total else sum(worst > b for b in DAMAGE_BANDS)
        derived: list[Value] = [
            self._start_wall + (t - self._t0), t - self._t0, lap_ms / 1000.0,
            _wrap(laps + 1, 32), speed, _wrap(gear - 1, 8), f32(a0 * _G32), f32(a1 * _G32),
            f32(a2 * _G32), a0, a2, abs(steer), *smooth, _wrap(int(skipped), 32),
            f32(float(gap)), distance, *flags, *locks, any(locks), level]
        values = self._template.copy()
        values.update(zip(self._plan.names, raw, strict=True))
        values.update(zip(_DERIVED, derived, strict=True))
        return values

    def _smooth(self, window: deque[float], x: float) -> float:
        """:func:`trailing_mean`'s last value over the window, summed in the same order."""
        window.append(x)
        if self.smoothing <= 1:
            return x
        # the window holds at most ``smoothing`` values, so the kernel's cumulative sums
        # difference is its last sum less 0.0: the values added from 0.0 in order
        return f32(reduce(add, window, 0.0) / len(window))

    def _integrate(self, lap: int) -> float:
        """The speed integrated since the lap began: the kernel integrates from the window's
        first sample of the lap; its last step is the increment since the previous sample
        (0 on a lap's first sample)."""
        segment = []
        for t, laps, speed in reversed(self._clock):
            if laps != lap:
                break
            segment.append((t, speed))
        segment.reverse()
        total = prev = 0.0
        t_prev = segment[0][0]
        for j, (t, speed) in enumerate(segment):  # np.cumsum of speed * diff(t, prepend=t[0])
            prev, x = total, speed * (t - t_prev)
            total = x if j == 0 else total + x
            t_prev = t
        same = self._lap == lap and len(self._clock) > 1
        step = f32(total) - f32(prev) if same else f32(total)
        self._distance = self._distance + step if same else step
        self._lap = lap
        return self._distance
