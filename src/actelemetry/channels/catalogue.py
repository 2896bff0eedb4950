"""The channel catalogue: the single source of truth for names, units, types and origins.

The CSV header, the Parquet schema, the wire protocol's hello message, ``docs/channels.md``
and ``actelemetry channels`` are all generated from :data:`CATALOGUE`.

An origin is either ``page.field`` / ``page.field[i]`` (read straight from a page) or
``derived: ...`` (computed by :mod:`actelemetry.channels.derive`). Wheel order is always
FL, FR, RL, RR. Frames: world y is up; the car frame has x right, y up, z forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

CATALOGUE_VERSION = "1"

WHEELS = ("fl", "fr", "rl", "rr")
G = 9.80665
#: samples in the trailing mean of the ``*_smooth`` channels
DEFAULT_SMOOTHING = 5

#: one channel's value in one sample: a number, a flag, or text (``lap_time_str``)
Value: TypeAlias = float | int | bool | str
#: the channels of one sample, by name
Values: TypeAlias = dict[str, Value]


@dataclass(frozen=True)
class Channel:
    """One named channel of a sample."""

    name: str
    unit: str
    dtype: str  # float64 | float32 | int32 | int8 | bool | string
    description: str
    origin: str
    games: tuple[str, ...] = ("ac", "acc")
    group: str = "other"

    @property
    def derived(self) -> bool:
        return self.origin.startswith("derived")


def _ch(name: str, unit: str, dtype: str, desc: str, origin: str, group: str,
        games: tuple[str, ...] = ("ac", "acc")) -> Channel:
    return Channel(name, unit, dtype, desc, origin, games, group)


def _wheels(prefix: str, unit: str, dtype: str, desc: str, field: str, group: str,
            games: tuple[str, ...] = ("ac", "acc")) -> list[Channel]:
    return [
        _ch(f"{prefix}_{w}", unit, dtype, f"{desc} ({w.upper()})", f"{field}[{i}]", group, games)
        for i, w in enumerate(WHEELS)
    ]


def _derived_wheels(prefix: str, unit: str, dtype: str, desc: str, how: str,
                    group: str) -> list[Channel]:
    return [_ch(f"{prefix}_{w}", unit, dtype, f"{desc} ({w.upper()})", f"derived: {how}", group)
            for w in WHEELS]


ACC = ("acc",)

# --- the seed's 38 CSV columns, in the seed's order, with the seed's meanings ---------------
SEED_COLUMNS: list[Channel] = [
    _ch("timestamp", "s", "float64", "Wall-clock time of the sample, Unix seconds (follows the "
        "game's clock: simulated time in fast mode)", "derived: session start + sample clock",
        "timing"),
    _ch("lap_time_sec", "s", "float64", "Current lap time from the game's timer",
        "derived: graphics.iCurrentTime / 1000", "timing"),
    _ch("lap_time_str", "", "string", "Current lap time as the game shows it (m:ss:mmm)",
        "graphics.currentTime", "timing"),
    _ch("completed_laps", "", "int32", "Laps completed in this session (the game's counter)",
        "graphics.completedLaps", "timing"),
    _ch("current_lap", "", "int32", "Lap being driven, 1-based (completed_laps + 1)",
        "derived: graphics.completedLaps + 1", "timing"),
    _ch("distance_m", "m", "float32", "Distance driven in this session (the game's figure)",
        "graphics.distanceTraveled", "timing"),
    _ch("lap_fraction", "", "float32", "Position along the lap, 0..1 from the start line",
        "graphics.normalizedCarPosition", "timing"),
    _ch("speed_kmh", "km/h", "float32", "Car speed", "physics.speedKmh", "motion"),
    _ch("speed_ms", "m/s", "float32", "Car speed", "derived: physics.speedKmh / 3.6", "motion"),
    _ch("gear", "", "int8", "Gear as a driver reads it: -1 reverse, 0 neutral, 1 first ...",
        "derived: physics.gear - 1", "inputs"),
    _ch("vx", "m/s", "float32", "Velocity, world x", "physics.velocity[0]", "motion"),
    _ch("vy", "m/s", "float32", "Velocity, world y (up)", "physics.velocity[1]", "motion"),
    _ch("vz", "m/s", "float32", "Velocity, world z", "physics.velocity[2]", "motion"),
    _ch("ax", "m/s²", "float32", "Acceleration along car x (right)",
        "derived: physics.accG[0] * g", "motion"),
    _ch("ay", "m/s²", "float32", "Acceleration along car y (up)",
        "derived: physics.accG[1] * g", "motion"),
    _ch("az", "m/s²", "float32", "Acceleration along car z (forward)",
        "derived: physics.accG[2] * g", "motion"),
    _ch("accel_longitudinal", "g", "float32", "Longitudinal acceleration in the car frame "
        "(+ accelerating, - braking)", "derived: physics.accG[2] (car frame)", "motion"),
    _ch("accel_lateral", "g", "float32", "Lateral acceleration in the car frame (+ right)",
        "derived: physics.accG[0] (car frame)", "motion"),
    _ch("gas", "", "float32", "Throttle pedal 0..1", "physics.gas", "inputs"),
    _ch("brake", "", "float32", "Brake pedal 0..1", "physics.brake", "inputs"),
    _ch("steer", "", "float32", "Steering input -1..1 (+ right)", "physics.steerAngle", "inputs"),
    _ch("abs_steer", "", "float32", "Magnitude of the steering input |steer|",
        "derived: abs(physics.steerAngle)", "inputs"),
    _ch("gas_smooth", "", "float32", "Throttle, centred moving average",
        "derived: moving average of gas", "inputs"),
    _ch("brake_smooth", "", "float32", "Brake, centred moving average",
        "derived: moving average of brake", "inputs"),
    _ch("steer_smooth", "", "float32", "Steering, centred moving average",
        "derived: moving average of steer", "inputs"),
    *_wheels("wheel_slip", "", "float32", "Wheel slip as published by the game",
             "physics.wheelSlip", "wheels"),
    *_wheels("wheel_load", "N", "float32", "Vertical tyre load", "physics.wheelLoad", "wheels"),
    *_wheels("camber", "rad", "float32", "Camber angle", "physics.camberRAD", "wheels"),
    _ch("fuel_kg", "l", "float32", "Fuel left as the game publishes it (litres in AC; ACC's "
        "document says kg): the seed's name is kept", "physics.fuel", "car"),
]

# --- everything else a serious user wants from the pages ------------------------------------
EXTRA_COLUMNS: list[Channel] = [
    _ch("session_time", "s", "float64", "Seconds since the session's first sample (the clock "
        "the sample was stamped with)", "derived: sample clock - first sample", "timing"),
    _ch("packet_id", "", "int32", "Physics packetId of the sample (one per physics step)",
        "physics.packetId", "capture"),
    _ch("graphics_packet_id", "", "int32", "Graphics packetId at the sample",
        "graphics.packetId", "capture"),
    _ch("packets_skipped", "", "int32", "Physics steps between this sample and the previous "
        "one that were not sampled", "derived: packetId delta - 1", "capture"),
    _ch("gap_before_s", "s", "float32", "Unrecorded time (pause, menu, replay) just before "
        "this sample; 0 normally", "derived: capture loop", "capture"),
    _ch("lap_distance_m", "m", "float32", "Distance along the lap from the start line",
        "derived: lap_fraction * static.trackSPlineLength", "timing"),
    _ch("lap_valid", "", "bool", "Lap validity (files: the whole lap; live: so far). AC: "
        "invalid once more than two tyres are out; ACC: the game's isValidLap",
        "derived: tyres out / graphics.isValidLap", "timing"),
    _ch("out_lap", "", "bool", "Lap started in the pit lane or away from the start line",
        "derived: lap start position / pit lane", "timing"),
    _ch("partial_lap", "", "bool", "Lap not driven from line to line (session started or "
        "ended inside it)", "derived: lap coverage", "timing"),
    _ch("game_lap_ms", "ms", "int32", "Current lap time, the game's integer timer",
        "graphics.iCurrentTime", "timing"),
    _ch("game_last_lap_ms", "ms", "int32", "Last lap time, the game's figure",
        "graphics.iLastTime", "timing"),
    _ch("game_best_lap_ms", "ms", "int32", "Best lap time, the game's figure",
        "graphics.iBestTime", "timing"),
    _ch("sector_index", "", "int32", "Current sector, 0-based", "graphics.currentSectorIndex",
        "timing"),
    _ch("last_sector_ms", "ms", "int32", "Last sector time", "graphics.lastSectorTime",
        "timing"),
    _ch("session_time_left", "ms", "float32", "Time until the session closes",
        "graphics.sessionTimeLeft", "session"),
    _ch("status", "", "int8", "Game status: 0 off, 1 replay, 2 live, 3 pause",
        "graphics.status", "session"),
    _ch("session_type", "", "int8", "Session: -1 unknown, 0 practice, 1 qualify, 2 race, "
        "3 hotlap, 4 time attack, 5 drift, 6 drag", "graphics.session", "session"),
    _ch("position", "", "int32", "Position in the standings", "graphics.position", "session"),
    _ch("flag", "", "int8", "Flag shown: 0 none, 1 blue, 2 yellow, 3 black, 4 white, "
        "5 chequered, 6 penalty", "graphics.flag", "session"),
    _ch("surface_grip", "", "float32", "Track surface grip factor", "graphics.surfaceGrip",
        "session"),
    _ch("air_temp", "°C", "float32", "Ambient temperature", "physics.airTemp", "session"),
    _ch("road_temp", "°C", "float32", "Track surface temperature", "physics.roadTemp",
        "session"),
    _ch("rpm", "rpm", "int32", "Engine speed", "physics.rpms", "car"),
    _ch("clutch", "", "float32", "Clutch pedal 0..1", "physics.clutch", "inputs"),
    _ch("pos_x", "m", "float32", "Car position, world x", "graphics.carCoordinates[0]",
        "motion"),
    _ch("pos_y", "m", "float32", "Car position, world y (up)", "graphics.carCoordinates[1]",
        "motion"),
    _ch("pos_z", "m", "float32", "Car position, world z", "graphics.carCoordinates[2]",
        "motion"),
    _ch("heading", "rad", "float32", "Yaw in the world frame", "physics.heading", "motion"),
    _ch("pitch", "rad", "float32", "Pitch", "physics.pitch", "motion"),
    _ch("roll", "rad", "float32", "Roll", "physics.roll", "motion"),
    _ch("local_vx", "m/s", "float32", "Velocity along car x (right)",
        "physics.localVelocity[0]", "motion"),
    _ch("local_vy", "m/s", "float32", "Velocity along car y (up)",
        "physics.localVelocity[1]", "motion"),
    _ch("local_vz", "m/s", "float32", "Velocity along car z (forward)",
        "physics.localVelocity[2]", "motion"),
    _ch("pitch_rate", "rad/s", "float32", "Angular velocity about car x",
        "physics.localAngularVel[0]", "motion"),
    _ch("yaw_rate", "rad/s", "float32", "Angular velocity about car y (+ turning right)",
        "physics.localAngularVel[1]", "motion"),
    _ch("roll_rate", "rad/s", "float32", "Angular velocity about car z",
        "physics.localAngularVel[2]", "motion"),
    _ch("cg_height", "m", "float32", "Centre of gravity height", "physics.cgHeight", "car"),
    _ch("ride_height_front", "m", "float32", "Ride height, front", "physics.rideHeight[0]",
        "car"),
    _ch("ride_height_rear", "m", "float32", "Ride height, rear", "physics.rideHeight[1]",
        "car"),
    *_wheels("wheel_speed", "rad/s", "float32", "Wheel angular speed",
             "physics.wheelAngularSpeed", "wheels"),
    *_wheels("suspension_travel", "m", "float32", "Suspension travel",
             "physics.suspensionTravel", "wheels"),
    *_wheels("tyre_pressure", "psi", "float32", "Tyre pressure", "physics.wheelsPressure",
             "tyres"),
    *_wheels("tyre_core_temp", "°C", "float32", "Tyre core temperature",
             "physics.tyreCoreTemperature", "tyres"),
    *_wheels("tyre_temp_inner", "°C", "float32", "Tyre inner tread temperature",
             "physics.tyreTempI", "tyres"),
    *_wheels("tyre_temp_middle", "°C", "float32", "Tyre middle tread temperature",
             "physics.tyreTempM", "tyres"),
    *_wheels("tyre_temp_outer", "°C", "float32", "Tyre outer tread temperature",
             "physics.tyreTempO", "tyres"),
    *_wheels("tyre_wear", "", "float32", "Tyre wear (game scale)", "physics.tyreWear", "tyres"),
    *_wheels("tyre_dirt", "", "float32", "Dirt on the tyre (game scale)",
             "physics.tyreDirtyLevel", "tyres"),
    *_wheels("brake_temp", "°C", "float32", "Brake temperature", "physics.brakeTemp",
             "brakes"),
    _ch("brake_bias", "", "float32", "Brake balance, 0 all rear .. 1 all front",
        "physics.brakeBias", "brakes"),
    _ch("damage_front", "", "float32", "Body damage, front (game scale)",
        "physics.carDamage[0]", "damage"),
    _ch("damage_rear", "", "float32", "Body damage, rear", "physics.carDamage[1]", "damage"),
    _ch("damage_left", "", "float32", "Body damage, left", "physics.carDamage[2]", "damage"),
    _ch("damage_right", "", "float32", "Body damage, right", "physics.carDamage[3]",
        "damage"),
    _ch("damage_centre", "", "float32", "Body damage, centre", "physics.carDamage[4]",
        "damage"),
    _ch("tyres_out", "", "int8", "Wheels outside the track limits",
        "physics.numberOfTyresOut", "track limits"),
    _ch("in_pit", "", "bool", "Stopped in the pit box", "graphics.isInPit", "pit"),
    _ch("in_pit_lane", "", "bool", "In the pit lane", "graphics.isInPitLane", "pit"),
    _ch("pit_limiter", "", "bool", "Pit limiter engaged", "physics.pitLimiterOn", "pit"),
    _ch("tc", "", "float32", "Traction control setting (0 off)", "physics.tc", "aids"),
    _ch("abs", "", "float32", "ABS setting (0 off)", "physics.abs", "aids"),
    _ch("drs", "", "float32", "DRS open (0/1)", "physics.drs", "aids"),
    _ch("turbo_boost", "", "float32", "Turbo boost (game units)", "physics.turboBoost", "car"),
    _ch("performance_meter", "s", "float32", "The game's delta to the best lap",
        "physics.performanceMeter", "timing"),
    _ch("ffb", "", "float32", "Final force-feedback output", "physics.finalFF", "car"),
    # --- derived -----------------------------------------------------------------------------
    *_derived_wheels("wheel_lock", "", "bool", "Wheel locked under braking",
                     "wheel surface speed < 75 % of car speed above 5 m/s with brake on",
                     "wheels"),
    _ch("wheel_lock_any", "", "bool", "At least one wheel locked (a single wheel counts)",
        "derived: any(wheel_lock_*)", "wheels"),
    _ch("damage_level", "", "int8", "Worst body damage level: 0 none, 1 light, 2 medium, "
        "3 heavy", "derived: max(carDamage) banded", "damage"),
    # --- ACC only ----------------------------------------------------------------------------
    *_wheels("slip_ratio", "", "float32", "Longitudinal slip ratio", "physics.slipRatio",
             "wheels", ACC),
    *_wheels("slip_angle", "rad", "float32", "Tyre slip angle", "physics.slipAngle", "wheels",
             ACC),
    *_wheels("brake_pressure", "", "float32", "Brake pressure", "physics.brakePressure",
             "brakes", ACC),
    *_wheels("pad_life", "mm", "float32", "Brake pad thickness left", "physics.padLife",
             "brakes", ACC),
    *_wheels("disc_life", "mm", "float32", "Brake disc thickness left", "physics.discLife",
             "brakes", ACC),
    *_wheels("suspension_damage", "", "float32", "Suspension damage",
             "physics.suspensionDamage", "damage", ACC),
    _ch("water_temp", "°C", "float32", "Coolant temperature", "physics.waterTemp", "car", ACC),
    _ch("tc_active", "", "bool", "Traction control intervening", "physics.tcinAction", "aids",
        ACC),
    _ch("abs_active", "", "bool", "ABS intervening", "physics.absInAction", "aids", ACC),
    _ch("tc_level", "", "int32", "Traction control level", "graphics.TC", "aids", ACC),
    _ch("tc_cut", "", "int32", "Traction control cut level", "graphics.TCCut", "aids", ACC),
    _ch("abs_level", "", "int32", "ABS level", "graphics.ABS", "aids", ACC),
    _ch("engine_map", "", "int32", "Engine map", "graphics.EngineMap", "car", ACC),
    _ch("game_lap_valid", "", "bool", "The game's own lap validity flag",
        "graphics.isValidLap", "timing", ACC),
    _ch("delta_lap_ms", "ms", "int32", "The game's delta to the best lap",
        "graphics.iDeltaLapTime", "timing", ACC),
    _ch("estimated_lap_ms", "ms", "int32", "The game's predicted lap time",
        "graphics.iEstimatedLapTime", "timing", ACC),
    _ch("fuel_per_lap", "l", "float32", "Average fuel per lap", "graphics.fuelXLap", "car",
        ACC),
    _ch("exhaust_temp", "°C", "float32", "Exhaust temperature", "graphics.exhaustTemperature",
        "car", ACC),
    _ch("rain_intensity", "", "int8", "Rain now: 0 none .. 5 thunderstorm",
        "graphics.rainIntensity", "session", ACC),
    _ch("track_grip_status", "", "int8", "Track grip: 0 green .. 6 flooded",
        "graphics.trackGripStatus", "session", ACC),
    _ch("gap_ahead_ms", "ms", "int32", "Gap to the car ahead", "graphics.gapAhead", "session",
        ACC),
    _ch("gap_behind_ms", "ms", "int32", "Gap to the car behind", "graphics.gapBehind",
        "session", ACC),
    _ch("clock", "s", "float32", "Time of day in the session", "graphics.Clock", "session",
        ACC),
]

CATALOGUE: list[Channel] = SEED_COLUMNS + EXTRA_COLUMNS
BY_NAME: dict[str, Channel] = {c.name: c for c in CATALOGUE}
SEED_COLUMN_NAMES: list[str] = [c.name for c in SEED_COLUMNS]


def channels_for(game: str) -> list[Channel]:
    """The channels a session of ``game`` carries, in catalogue order."""
    return [c for c in CATALOGUE if game in c.games]


def names_for(game: str) -> list[str]:
    return [c.name for c in channels_for(game)]


def all_names() -> list[str]:
    return [c.name for c in CATALOGUE]
