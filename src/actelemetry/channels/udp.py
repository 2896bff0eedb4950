"""The channels a capture over AC's remote-telemetry UDP protocol records.

Named once, so the session file holds exactly these (every other channel is absent, never
zero-filled), and docs/capture.md and the tests can say which. Each comes straight from
an RTCarInfo field or is derived from such channels alone; see
:mod:`actelemetry.sources.udp` for the field each page field is filled from.
"""

from __future__ import annotations

from actelemetry.channels.catalogue import WHEELS

#: RTCarInfo field (or fields) behind each channel read straight from a datagram
FROM_FIELDS: dict[str, str] = {
    "speed_kmh": "speed_Kmh", "gas": "gas", "brake": "brake", "clutch": "clutch",
    "steer": "steer", "rpm": "engineRPM", "gear": "gear (0 R, 1 N, 2 first)",
    "ax": "accG_horizontal", "ay": "accG_vertical", "az": "accG_frontal",
    "accel_lateral": "accG_horizontal", "accel_longitudinal": "accG_frontal",
    "game_lap_ms": "lapTime", "game_last_lap_ms": "lastLap", "game_best_lap_ms": "bestLap",
    "completed_laps": "lapCount", "lap_fraction": "carPositionNormalized",
    "lap_time_str": "lapTime (as the game's m:ss:mmm text)",
    "in_pit": "isInPit", "pit_limiter": "isEngineLimiterOn", "cg_height": "cgHeight",
    "pos_x": "carCoordinates[0]", "pos_y": "carCoordinates[1]", "pos_z": "carCoordinates[2]",
    **{f"wheel_speed_{w}": f"wheelAngularSpeed[{i}]" for i, w in enumerate(WHEELS)},
    **{f"wheel_slip_{w}": f"tyreSlip[{i}]" for i, w in enumerate(WHEELS)},
    **{f"wheel_load_{w}": f"load[{i}]" for i, w in enumerate(WHEELS)},
    **{f"camber_{w}": f"camberRAD[{i}]" for i, w in enumerate(WHEELS)},
    **{f"tyre_dirt_{w}": f"tyreDirtyLevel[{i}]" for i, w in enumerate(WHEELS)},
}

#: channels derived from the ones above, or from the capture itself (its clock, the
#: datagrams it lost); the wheel lock uses RTCarInfo's tyreRadius, the lap distance the
#: speed (no track length comes over UDP)
DERIVED: tuple[str, ...] = (
    "timestamp", "session_time", "lap_time_sec", "current_lap", "speed_ms", "abs_steer",
    "gas_smooth", "brake_smooth", "steer_smooth", "packets_skipped", "gap_before_s",
    "lap_distance_m", "out_lap", "partial_lap",
    *(f"wheel_lock_{w}" for w in WHEELS), "wheel_lock_any",
)

#: every channel a UDP session file holds
UDP_CHANNELS: tuple[str, ...] = (*FROM_FIELDS, *DERIVED)
