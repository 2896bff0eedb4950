"""State features and action targets: what a model sees and what it must predict.

Every feature is computed by one vectorised function over columns of consecutive samples,
so the dataset (a whole session) and live prediction (a short rolling buffer) derive
exactly the same numbers. Features that need more than one sample (previous actions) look
backwards only; features that need the track (curvature ahead) use a :class:`TrackMap`
built from training laps only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from actelemetry.channels.catalogue import BY_NAME
from actelemetry.errors import UsageError
from actelemetry.ml.windows import lagged

ACTIONS: tuple[str, ...] = ("gas", "brake", "steer")
#: physical range of each action; predictions are clipped to it
ACTION_RANGES: dict[str, tuple[float, float]] = {
    "gas": (0.0, 1.0), "brake": (0.0, 1.0), "steer": (-1.0, 1.0)}

#: the seed's 13 state features, in the seed's order
SEED_FEATURES: tuple[str, ...] = (
    "speed_ms", "accel_longitudinal", "accel_lateral", "abs_steer", "gear", "lap_fraction",
    "vx", "vy", "vz", "wheel_slip_fl", "wheel_slip_fr", "wheel_slip_rl", "wheel_slip_rr")

#: distances ahead (m) at which the track's curvature is looked up
CURVATURE_AHEAD_M: tuple[int, ...] = (0, 25, 50, 100, 200)
#: how far back the "previous action" features look by default (a driver's reaction time)
DEFAULT_PREV_LAG_S = 0.2
#: the sample rate assumed when neither the metadata nor the timestamps tell it
FALLBACK_RATE_HZ = 100.0
#: the feature that is the steer target's own magnitude
LEAKY_FEATURE = "abs_steer"


@dataclass(frozen=True)
class Feature:
    """One model input: its unit, meaning, the session channels it needs, and any leak."""

    name: str
    unit: str
    description: str
    needs: tuple[str, ...]
    leak: str = ""


def _channel_feature(name: str, leak: str = "") -> Feature:
    ch = BY_NAME[name]
    return Feature(name, ch.unit, ch.description, (name,), leak)


_ABS_STEER_LEAK = ("|steer|: the magnitude of the steer target itself, so any model "
                   "recovers steer's size from it; always compare without it")
_PREV_LEAK = ("the driver's own input {lag} earlier: autoregressive, close to the target at "
              "short lags")

FEATURES: dict[str, Feature] = {}
for _n in SEED_FEATURES:
    FEATURES[_n] = _channel_feature(_n, _ABS_STEER_LEAK if _n == LEAKY_FEATURE else "")
FEATURES["yaw_rate"] = _channel_feature("yaw_rate")
FEATURES["body_slip"] = Feature(
    "body_slip", "rad", "Body slip angle atan2(local_vx, local_vz): how sideways the car moves",
    ("local_vx", "local_vz"))
for _d in CURVATURE_AHEAD_M:
    FEATURES[f"curvature_{_d}m"] = Feature(
        f"curvature_{_d}m", "1/m", f"Curvature of the reference line {_d} m ahead on the lap "
        "(from track position; the line is the mean path of the training laps)",
        ("lap_distance_m",))
for _a in ACTIONS:
    FEATURES[f"prev_{_a}"] = Feature(
        f"prev_{_a}", BY_NAME[_a].unit, f"{_a} a lag earlier (default "
        f"{DEFAULT_PREV_LAG_S:g} s; the card says which)", (_a,),
        _PREV_LEAK.format(lag="a lag"))

#: past states: the car's own channels a lag earlier (their change carries the recent
#: actions' effect, but not the actions themselves)
HISTORY_CHANNELS: tuple[str, ...] = ("speed_ms", "accel_longitudinal", "accel_lateral",
                                     "yaw_rate")
for _h in HISTORY_CHANNELS:
    FEATURES[f"prev_{_h}"] = Feature(
        f"prev_{_h}", BY_NAME[_h].unit, f"{_h} a lag earlier (default "
        f"{DEFAULT_PREV_LAG_S:g} s; the card says which): a past state", (_h,))

RICH_FEATURES: tuple[str, ...] = (
    *SEED_FEATURES, "yaw_rate", "body_slip", *(f"curvature_{d}m" for d in CURVATURE_AHEAD_M))
#: car state and track position only: no action, past or present, and no |steer|
STATE_FEATURES: tuple[str, ...] = tuple(
    f for f in RICH_FEATURES if f != LEAKY_FEATURE)
PREV_ACTIONS: tuple[str, ...] = tuple(f"prev_{a}" for a in ACTIONS)
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    # named by what they leak (docs/ml.md, the dataset card)
    "state": STATE_FEATURES,
    "state+history": (*STATE_FEATURES, *(f"prev_{h}" for h in HISTORY_CHANNELS)),
    "state+actions": (*STATE_FEATURES, *PREV_ACTIONS),
    # the older names: the seed's 13 columns (abs_steer among them, dropped by `ml train`
    # unless asked), and the state sets with abs_steer
    "seed": SEED_FEATURES,
    "rich": RICH_FEATURES,
    "rich_prev": (*RICH_FEATURES, *PREV_ACTIONS),
}
#: per set: (what it leaks, what it is good for), for the card and the report
FEATURE_SET_INFO: dict[str, tuple[str, str]] = {
    "state": ("nothing of the driver's inputs: the car's state and where it is on the track",
              "imitation (what would this driver do here?), driving a car from its state"),
    "state+history": ("the recent past of the car's state, whose changes show the effect of "
                      "the driver's recent inputs (deceleration is braking)",
                      "imitation with a sense of where the car is heading; coaching "
                      "(compare a lap's inputs with what its states suggest)"),
    "state+actions": ("the driver's own inputs a lag earlier: the target's recent value, so "
                      "repeating it (the persistence baseline) already scores high",
                      "next-step prediction (what comes in the next lag), never imitation: "
                      "it must be scored against persistence"),
    "seed": ("|steer| (abs_steer), the steer target's own size, dropped by `ml train` "
             "unless --abs-steer with|both", "the seed's 13 columns, for its workflow"),
    "rich": ("|steer| (abs_steer), as seed", "state plus abs_steer (the older name)"),
    "rich_prev": ("|steer| and the driver's inputs a lag earlier",
                  "state+actions plus abs_steer (the older name)"),
}


def resolve_features(spec: str | Iterable[str]) -> tuple[str, ...]:
    """A named set (``state``, ``state+history``, ``state+actions``; the older ``seed``,
    ``rich``, ``rich_prev``) or a comma list of feature names."""
    if isinstance(spec, str):
        spec = spec.strip()
        if spec in FEATURE_SETS:
            return FEATURE_SETS[spec]
        names = [s.strip() for s in spec.split(",") if s.strip()]
    else:
        names = list(spec)
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise UsageError(f"unknown feature(s) {', '.join(unknown) or '(none given)'}; "
                         f"sets: {', '.join(FEATURE_SETS)}; features: {', '.join(FEATURES)}")
    return tuple(dict.fromkeys(names))


def track_key(track: str, config: str = "") -> str:
    """How datasets and models name a track layout (``monza/gp``)."""
    track = track or "unknown"
    return f"{track}/{config}" if config else track


def session_rate(stated: float | None, session_time: np.ndarray | None = None) -> float:
    """A session's sample rate: the stated one, else the median step of its timestamps, else
    :data:`FALLBACK_RATE_HZ`."""
    rate = float(stated or 0.0)
    if rate <= 0 and session_time is not None and len(session_time) > 1:
        dt = np.diff(np.asarray(session_time, dtype=np.float64))
        rate = 1.0 / float(np.median(dt[dt > 0])) if (dt > 0).any() else FALLBACK_RATE_HZ
    return rate if rate > 0 else FALLBACK_RATE_HZ


def channels_needed(features: Iterable[str]) -> set[str]:
    """Session channels the features are computed from."""
    return {c for f in features for c in FEATURES[f].needs}


def without_leak(features: Iterable[str]) -> tuple[str, ...]:
    """The feature list with ``abs_steer`` removed."""
    return tuple(f for f in features if f != LEAKY_FEATURE)


@dataclass
class TrackMap:
    """Curvature of a reference line against lap distance, for one track.

    Built from the mean path (pos_x, pos_z) of training laps binned by lap distance, so
    the curvature a held-out lap sees ahead never comes from that lap's own future.
    """

    track: str
    length_m: float
    spacing_m: float
    curvature: np.ndarray  # one value per bin, 1/m

    def ahead(self, lap_distance: np.ndarray, metres: float) -> np.ndarray:
        s = np.mod(np.asarray(lap_distance, dtype=np.float64) + metres, self.length_m)
        grid = np.arange(len(self.curvature)) * self.spacing_m
        return np.interp(s, grid, self.curvature, period=self.length_m)

    @classmethod
    def build(cls, track: str, length_m: float, lap_distance: np.ndarray, pos_x: np.ndarray,
              pos_z: np.ndarray, spacing_m: float = 2.0,
              smooth_m: float = 20.0) -> TrackMap:
        """The mean path of the given samples (training laps only), on a distance grid."""
        n = max(int(length_m // spacing_m), 8)
        spacing = length_m / n
        bins = np.clip((np.asarray(lap_distance) / spacing).astype(np.int64), 0, n - 1)
        count = np.bincount(bins, minlength=n).astype(np.float64)
        sx = np.bincount(bins, weights=pos_x, minlength=n)
        sz = np.bincount(bins, weights=pos_z, minlength=n)
        seen = count > 0
        grid = np.arange(n)
        if seen.sum() < 8:
            return cls(track, float(length_m), spacing, np.zeros(n))
        x = np.interp(grid, grid[seen], sx[seen] / count[seen], period=n)
        z = np.interp(grid, grid[seen], sz[seen] / count[seen], period=n)
        heading = np.arctan2(np.roll(z, -1) - z, np.roll(x, -1) - x)
        dtheta = (np.roll(heading, -1) - heading + np.pi) % (2 * np.pi) - np.pi
        kappa = dtheta / spacing
        k = max(int(round(smooth_m / spacing)), 1)
        kernel = np.ones(k) / k
        padded = np.concatenate([kappa[-k:], kappa, kappa[:k]])
        kappa = np.convolve(padded, kernel, mode="same")[k:-k]
        return cls(track, float(length_m), spacing, kappa)

    def to_dict(self) -> dict[str, object]:
        return {"track": self.track, "length_m": self.length_m, "spacing_m": self.spacing_m,
                "curvature": self.curvature.tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> TrackMap:
        length, spacing = d["length_m"], d["spacing_m"]
        if not isinstance(length, int | float) or not isinstance(spacing, int | float):
            raise ValueError("a track map's length_m and spacing_m are numbers")
        return cls(str(d["track"]), float(length), float(spacing),
                   np.asarray(d["curvature"], dtype=np.float64))


@dataclass
class FeatureContext:
    """What features need beyond the samples: the rate, the lag, the track's reference line."""

    rate_hz: float = FALLBACK_RATE_HZ
    prev_lag_s: float = DEFAULT_PREV_LAG_S
    track_map: TrackMap | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def lag_samples(self) -> int:
        return max(int(round(self.prev_lag_s * self.rate_hz)), 1)


def compute_features(cols: Mapping[str, np.ndarray], names: Iterable[str],
                     ctx: FeatureContext, segment: np.ndarray | None = None
                     ) -> dict[str, np.ndarray]:
    """Each named feature as a float64 array over the consecutive samples ``cols``.

    ``segment`` labels runs of continuous samples (a gap starts a new one); lagged features
    never look back across a segment start (they repeat the segment's first value).
    """
    out: dict[str, np.ndarray] = {}
    n = len(next(iter(cols.values()))) if cols else 0
    for name in names:
        if name in cols and FEATURES[name].needs == (name,):
            out[name] = np.asarray(cols[name], dtype=np.float64)
        elif name == "body_slip":
            vz = np.asarray(cols["local_vz"], dtype=np.float64)
            out[name] = np.arctan2(np.asarray(cols["local_vx"], dtype=np.float64),
                                   np.maximum(np.abs(vz), 1.0))
        elif name.startswith("curvature_"):
            metres = float(name.removeprefix("curvature_").removesuffix("m"))
            if ctx.track_map is None:
                if "no track map" not in " ".join(ctx.warnings):
                    ctx.warnings.append("no track map for this track: curvature features are 0")
                out[name] = np.zeros(n)
            else:
                out[name] = ctx.track_map.ahead(cols["lap_distance_m"], metres)
        elif name.startswith("prev_"):
            out[name] = lagged(np.asarray(cols[name.removeprefix("prev_")], dtype=np.float64),
                               ctx.lag_samples, segment)
        else:
            raise UsageError(f"feature {name} needs channel(s) "
                             f"{', '.join(FEATURES[name].needs)}, which the data lacks")
    return out


@dataclass
class Normaliser:
    """Min-max scaling to [0, 1] as the seed's ``normalization_min/max.npy``.

    Fitted on training rows only and saved beside every model, so inference scales new
    samples exactly as training did. A constant column gets a unit range (maps to 0).
    """

    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Normaliser:
        if len(x) == 0:
            raise UsageError("cannot fit a normaliser on no training rows")
        return cls(np.nanmin(x, axis=0).astype(np.float64),
                   np.nanmax(x, axis=0).astype(np.float64))

    @property
    def scale(self) -> np.ndarray:
        span = self.maximum - self.minimum
        return np.where(span > 0, span, 1.0)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, dtype=np.float64) - self.minimum) / self.scale).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        return {"min": self.minimum.tolist(), "max": self.maximum.tolist()}

    @classmethod
    def from_dict(cls, d: Mapping[str, list[float]]) -> Normaliser:
        return cls(np.asarray(d["min"], dtype=np.float64), np.asarray(d["max"], dtype=np.float64))
