"""What the agent sees: catalogue channels, where the car is on the track, and the bends
ahead, as one bounded float32 vector.

Every channel's bounds are the catalogue's physical ranges
(:func:`actelemetry.channels.plausible.range_of`), so the Box is finite and every value the
pages can hold is clipped into it; ``ranges`` overrides them (tighter bounds make a better
scale for ``normalize``). The track features need the circuit's centre line: the
simulator's, or a built-in / CSV track named for the live game. They are computed from the
pages' own position and heading, so both backends compute them the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from gymnasium import spaces

from actelemetry.channels.catalogue import BY_NAME, Values
from actelemetry.channels.plausible import range_of
from actelemetry.errors import UsageError
from actelemetry.sim.track import Track

#: the default channels: what a driver feels and sees
DEFAULT_OBSERVATION: tuple[str, ...] = (
    "speed_ms", "accel_longitudinal", "accel_lateral", "yaw_rate", "local_vx", "local_vz",
    "steer", "gas", "brake", "gear", "rpm", "lap_fraction", "tyres_out",
    "wheel_slip_fl", "wheel_slip_fr", "wheel_slip_rl", "wheel_slip_rr",
)
#: distances ahead (m) at which the centre line's curvature is looked up by default
DEFAULT_CURVATURE_AHEAD_M: tuple[float, ...] = (0.0, 25.0, 50.0, 100.0, 200.0)
#: where the car is relative to the centre line
TRACK_FEATURES: tuple[str, ...] = ("track_offset_m", "heading_error")
#: bounds of the env's own features (curvature: a 4 m radius is tighter than any hairpin)
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "track_offset_m": (-60.0, 60.0), "heading_error": (-math.pi, math.pi),
    "curvature": (-0.25, 0.25)}
#: half-width of the window that smooths the curvature looked up ahead (m)
CURVATURE_SMOOTH_M = 10.0


def curvature_name(ahead_m: float) -> str:
    return f"curvature_{ahead_m:g}m"


class TrackGeometry:
    """Lap distance, offset and heading error of a world position; curvature ahead."""

    def __init__(self, track: Track) -> None:
        self.track = track
        c = track.centre
        k = np.asarray(c.curvature)
        w = max(int(CURVATURE_SMOOTH_M / c.spacing), 1)
        kernel = np.hanning(2 * w + 3)[1:-1]
        kernel /= kernel.sum()
        self._k = np.convolve(np.concatenate([k[-w:], k, k[:w]]), kernel, mode="valid")
        self._hint: int | None = None

    def locate(self, x: float, z: float, heading: float) -> tuple[float, float, float]:
        """(lap distance m, offset m + right of the centre line, heading error rad)."""
        tr = self.track
        hint = tr.nearest(x, z) if self._hint is None else self._hint
        i, s, d = tr.project(x, z, hint)
        self._hint = i
        err = (heading - tr.centre.heading[i] + math.pi) % (2 * math.pi) - math.pi
        return s, d, err

    def forget(self) -> None:
        """The car jumped (a new session): search the whole track next time."""
        self._hint = None

    def curvature(self, s: float) -> float:
        c = self.track.centre
        return float(self._k[int((s % c.length) / c.spacing) % len(self._k)])


@dataclass(frozen=True)
class ObservationSpec:
    """The observation's layout: names, bounds and whether it is scaled to [-1, 1]."""

    channels: tuple[str, ...] = DEFAULT_OBSERVATION
    curvature_ahead_m: tuple[float, ...] = DEFAULT_CURVATURE_AHEAD_M
    track_features: bool = True
    normalize: bool = False
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.channels:
            ch = BY_NAME.get(name)
            if ch is None:
                raise UsageError(f"unknown observation channel {name!r} (see "
                                 "`actelemetry channels`)")
            if ch.dtype == "string":
                raise UsageError(f"channel {name!r} is text, not a number")
        if len(set(self.channels)) != len(self.channels):
            raise UsageError("an observation channel is listed twice")

    @property
    def needs_track(self) -> bool:
        return self.track_features or bool(self.curvature_ahead_m)

    @property
    def names(self) -> tuple[str, ...]:
        """The name of every element, in order."""
        extra = TRACK_FEATURES if self.track_features else ()
        return (*self.channels, *extra, *(curvature_name(d) for d in self.curvature_ahead_m))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Physical (low, high) of every element."""
        lo, hi = [], []
        for name in self.names:
            b = self.ranges.get(name)
            if b is None:
                b = _own_range(name)
            lo.append(b[0])
            hi.append(b[1])
        return np.array(lo, np.float32), np.array(hi, np.float32)

    def space(self) -> spaces.Box:
        if self.normalize:
            return spaces.Box(-1.0, 1.0, shape=(len(self.names),), dtype=np.float32)
        lo, hi = self.bounds()
        return spaces.Box(lo, hi, dtype=np.float32)


def _own_range(name: str) -> tuple[float, float]:
    if name in FEATURE_RANGES:
        return FEATURE_RANGES[name]
    if name.startswith("curvature_"):
        return FEATURE_RANGES["curvature"]
    if BY_NAME[name].dtype == "bool":
        return (0.0, 1.0)
    bounds = range_of(name)
    if bounds is None or not all(math.isfinite(b) for b in bounds):
        raise UsageError(f"channel {name!r} has no finite physical range: give one in "
                         "`ranges`")
    return (float(bounds[0]), float(bounds[1]))


class Observer:
    """Turns one sample's channel values into the observation vector of a spec."""

    def __init__(self, spec: ObservationSpec, geometry: TrackGeometry | None) -> None:
        if spec.needs_track and geometry is None:
            raise UsageError("the track features and the curvature ahead need the circuit's "
                             "centre line: name the track (built-in or a CSV), or turn them "
                             "off (track_features=False, curvature_ahead_m=())")
        self.spec = spec
        self.geometry = geometry
        self.low, self.high = spec.bounds()
        self._span = np.maximum(self.high - self.low, np.float32(1e-9))
        #: lap distance and offset of the last observation (the reward's shaping uses them)
        self.offset_m = 0.0

    def vector(self, values: Values) -> np.ndarray:
        spec = self.spec
        raw = [float(values[c]) for c in spec.channels]
        geo = self.geometry
        if geo is not None:
            s, d, err = geo.locate(float(values["pos_x"]), float(values["pos_z"]),
                                   float(values["heading"]))
            self.offset_m = d
            if spec.track_features:
                raw += [d, err]
            raw += [geo.curvature(s + ahead) for ahead in spec.curvature_ahead_m]
        obs = np.clip(np.array(raw, dtype=np.float32), self.low, self.high)
        if spec.normalize:
            obs = np.clip(2.0 * (obs - self.low) / self._span - 1.0, -1.0, 1.0)
        return obs.astype(np.float32, copy=False)
