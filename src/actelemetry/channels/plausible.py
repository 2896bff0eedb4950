"""What a real car can show: a physical range for every numeric channel.

The ranges are generous (a GT3, a road car, an F1 car and a crash all fit inside them); a
value outside one is not a car's, but a broken page, a bridge gone wrong or another program
writing where the game should. Values outside are counted per channel in a session's quality
record (:func:`count_implausible`), and the capture judges each page with
:func:`look_plausible` before it records it.
"""

from __future__ import annotations

import ctypes
import math
import struct
from fnmatch import fnmatchcase

import numpy as np

from actelemetry.channels.catalogue import CATALOGUE
from actelemetry.game.constants import STATUS_OFF, STATUS_PAUSE
from actelemetry.game.layouts import LAYOUTS

_INF = math.inf
_HOUR_MS = 3_600_000

#: (low, high) by channel name or wildcard, first match wins
RANGES: list[tuple[str, tuple[float, float]]] = [
    ("timestamp", (0, 1e11)), ("session_time", (0, 1e7)), ("lap_time_sec", (0, 86_400)),
    ("completed_laps", (0, 100_000)), ("current_lap", (1, 100_001)),
    ("distance_m", (-1e3, 1e8)), ("lap_fraction", (-0.01, 1.01)),
    ("lap_distance_m", (-100, 1e5)), ("speed_kmh", (-50, 600)), ("speed_ms", (-15, 170)),
    ("gear", (-1, 12)), ("v[xyz]", (-170, 170)), ("local_v[xyz]", (-170, 170)),
    ("a[xyz]", (-300, 300)), ("accel_*", (-30, 30)),
    ("gas*", (0, 1)), ("brake_smooth", (0, 1)), ("brake", (0, 1)), ("clutch", (0, 1)),
    ("steer*", (-20, 20)), ("abs_steer", (0, 20)),
    ("wheel_slip_*", (0, 1e4)), ("wheel_load_*", (-1e4, 1e5)), ("camber_*", (-1, 1)),
    ("fuel_kg", (0, 500)), ("fuel_per_lap", (0, 100)),
    ("packet_id", (-2**31, 2**31 - 1)), ("graphics_packet_id", (-2**31, 2**31 - 1)),
    ("packets_skipped", (0, 2**31 - 1)), ("gap_before_s", (0, 1e7)),
    ("game_lap_ms", (0, 24 * _HOUR_MS)), ("game_last_lap_ms", (0, 2**31 - 1)),
    ("game_best_lap_ms", (0, 2**31 - 1)), ("estimated_lap_ms", (-_INF, _INF)),
    ("delta_lap_ms", (-_INF, _INF)), ("last_sector_ms", (0, 2**31 - 1)),
    ("sector_index", (0, 100)), ("session_time_left", (-1e9, 1e9)),
    ("status", (STATUS_OFF, STATUS_PAUSE)),
    ("session_type", (-1, 10)), ("position", (0, 1000)), ("flag", (0, 10)),
    ("surface_grip", (0, 2)), ("air_temp", (-60, 70)), ("road_temp", (-60, 90)),
    ("rpm", (0, 30_000)), ("pos_[xyz]", (-1e6, 1e6)),
    ("heading", (-7, 7)), ("pitch", (-7, 7)), ("roll", (-7, 7)), ("*_rate", (-100, 100)),
    ("cg_height", (-10, 10)), ("ride_height_*", (-1, 2)), ("wheel_speed_*", (-2000, 2000)),
    ("suspension_travel_*", (-1, 1)), ("tyre_pressure_*", (0, 100)),
    ("tyre_*temp*", (-60, 1000)), ("brake_temp_*", (-60, 2000)), ("water_temp", (-60, 300)),
    ("exhaust_temp", (-60, 2000)), ("tyre_wear_*", (0, 100)), ("tyre_dirt_*", (0, 10)),
    ("brake_bias", (0, 1)), ("damage_level", (0, 3)), ("damage_*", (0, 1e4)),
    ("tyres_out", (0, 4)), ("tc", (0, 100)), ("abs", (0, 100)), ("drs", (0, 1)),
    ("turbo_boost", (-5, 10)), ("performance_meter", (-1e3, 1e3)), ("ffb", (-100, 100)),
    ("slip_ratio_*", (-1e3, 1e3)), ("slip_angle_*", (-7, 7)), ("brake_pressure_*", (0, 1e3)),
    ("pad_life_*", (0, 100)), ("disc_life_*", (0, 100)), ("suspension_damage_*", (0, 1e3)),
    ("tc_level", (0, 100)), ("tc_cut", (0, 100)), ("abs_level", (0, 100)),
    ("engine_map", (0, 100)), ("rain_intensity", (0, 10)), ("track_grip_status", (0, 10)),
    ("gap_ahead_ms", (-_INF, _INF)), ("gap_behind_ms", (-_INF, _INF)), ("clock", (-1, 1e6)),
]


def range_of(name: str) -> tuple[float, float] | None:
    """The plausible range of a channel, None for booleans, strings and unknown names."""
    for pattern, bounds in RANGES:
        if fnmatchcase(name, pattern):
            return bounds
    return None


#: the numeric channels of the catalogue (every one has a range: a test holds it)
NUMERIC = [c.name for c in CATALOGUE if c.dtype not in ("bool", "string")]


def count_implausible(columns: dict[str, np.ndarray]) -> dict[str, int]:
    """Per channel, how many values are outside its range or not numbers (NaN/inf counted
    too, unless the range is unbounded)."""
    counts: dict[str, int] = {}
    for name, values in columns.items():
        bounds = range_of(name) if name in NUMERIC else None
        if bounds is None or len(values) == 0:
            continue
        v = np.asarray(values, dtype="f8")
        lo, hi = bounds
        with np.errstate(invalid="ignore"):
            bad = int(np.count_nonzero(~((v >= lo) & (v <= hi))))
        if bad:
            counts[name] = bad
    return counts


# --- a page at a glance ---------------------------------------------------------------------
def _field(game: str, page: str, name: str) -> int:
    return int(getattr(LAYOUTS[(game, page)], name).offset)


#: physics fields (page offset, struct format, low, high) that every real page keeps in range
def _physics_checks(game: str) -> list[tuple[int, str, float, float]]:
    return [(_field(game, "physics", "gas"), "<f", 0, 1),
            (_field(game, "physics", "brake"), "<f", 0, 1),
            (_field(game, "physics", "fuel"), "<f", 0, 500),
            (_field(game, "physics", "gear"), "<i", 0, 13),
            (_field(game, "physics", "rpms"), "<i", 0, 30_000),
            (_field(game, "physics", "speedKmh"), "<f", -50, 600),
            (_field(game, "physics", "steerAngle"), "<f", -20, 20)]


def _graphics_checks(game: str) -> list[tuple[int, str, float, float]]:
    return [(_field(game, "graphics", "status"), "<i", STATUS_OFF, STATUS_PAUSE),
            (_field(game, "graphics", "session"), "<i", -1, 10),
            (_field(game, "graphics", "completedLaps"), "<i", 0, 100_000),
            (_field(game, "graphics", "normalizedCarPosition"), "<f", -0.01, 1.01),
            (_field(game, "graphics", "iCurrentTime"), "<i", 0, 24 * _HOUR_MS)]


_CHECKS = {game: (_physics_checks(game), _graphics_checks(game)) for game in ("ac", "acc")}
_SIZES = {game: (ctypes.sizeof(LAYOUTS[(game, "physics")]),
                 ctypes.sizeof(LAYOUTS[(game, "graphics")])) for game in ("ac", "acc")}


def look_plausible(game: str, physics: bytes, graphics: bytes) -> bool:
    """A page pair a game could have written: key fields in range (about 2 µs)."""
    phys_checks, gfx_checks = _CHECKS[game]
    for data, checks in ((physics, phys_checks), (graphics, gfx_checks)):
        for offset, fmt, lo, hi in checks:
            value = struct.unpack_from(fmt, data, offset)[0]
            if not lo <= value <= hi:  # NaN fails too
                return False
    return True
