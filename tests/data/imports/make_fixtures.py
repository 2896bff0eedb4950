"""How the import fixtures beside this file were made (run once; the files are committed).

One drive for every format: a car joining a 12.000 s lap at half distance, crossing the line
at 6 s and 18 s and stopping at 22 s, sampled at 5 Hz (10 Hz for the MoTeC files), so lap 2
(the one whole lap) is 12.000 s by position and by the game's figure in each file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).parent
LAP = 12.0
START = 0.5  # lap fraction at the first sample
T0 = 1_700_000_000.0


def drive(rate: float, seconds: float = 22.0) -> list[dict[str, float]]:
    rows = []
    for k in range(int(seconds * rate) + 1):
        t = k / rate
        s = START + t / LAP
        lap = math.floor(s)
        frac = s - lap
        lap_time = (t + START * LAP) - lap * LAP  # the game's timer, lap 0 began before us
        speed = 150.0 + 30.0 * math.sin(2 * math.pi * frac)
        rows.append({"t": round(t, 3), "frac": round(frac, 6), "lap": lap,
                     "lap_time": round(lap_time, 3), "last": LAP if lap else 0.0,
                     "speed": round(speed, 3), "gas": round(0.5 + 0.5 * math.cos(
                         2 * math.pi * frac), 4), "brake": round(max(0.0, -math.cos(
                         4 * math.pi * frac)) * 0.8, 4),
                     "steer": round(0.3 * math.sin(6 * math.pi * frac), 4),
                     "gear": 3 + (1 if speed > 160 else 0),
                     "rpm": round(4000 + 20 * (speed - 120), 1),
                     "lat": round(1.2 * math.sin(6 * math.pi * frac), 3),
                     "lon": round(0.4 * math.cos(2 * math.pi * frac), 3)})
    return rows


def ac_udp() -> None:
    """AC UDP fields as a CSV logger writes them: mph, gear 0 = R, 1 = N, ms lap times."""
    head = ["timestamp", "speed_Mph", "gear", "gas", "brake", "steer", "engineRPM",
            "lapTime", "lastLap", "lapCount", "carPositionNormalized", "accG_horizontal",
            "accG_frontal"]
    lines = [",".join(head)]
    for r in drive(5.0):
        lines.append(",".join(str(v) for v in (
            round(T0 + r["t"], 3), round(r["speed"] / 1.609344, 4), r["gear"] + 1, r["gas"],
            r["brake"], r["steer"], r["rpm"], int(round(r["lap_time"] * 1000)),
            int(round(r["last"] * 1000)), r["lap"], r["frac"], r["lat"], r["lon"])))
    (HERE / "ac_udp.csv").write_text("\n".join(lines) + "\n")


def _motec(names: list[str], unit_row: list[str], rows: list[list[str]], meta: dict[str, str],
           beacons: str) -> str:
    q = lambda s: f'"{s}"'  # noqa: E731
    header = [
        f'"Format","MoTeC CSV File",,,"Workbook","{meta["workbook"]}"',
        f'"Venue","{meta["venue"]}",,,"Worksheet","Sheet 1"',
        f'"Vehicle","{meta["vehicle"]}",,,"Vehicle Desc",""',
        f'"Driver","{meta["driver"]}",,,"Engine ID",""',
        '"Device","ADL"',
        '"Comment","fixture",,,"Session","Practice"',
        '"Log Date","2024-05-01",,,"Origin Time","0.000","s"',
        '"Log Time","14:30:00",,,"Start Time","0.000","s"',
        '"Sample Rate","10.000","Hz",,"End Time","22.000","s"',
        '"Duration","22.000","s",,"Start Distance","0","m"',
        '"Range","entire outing",,,"End Distance","920","m"',
        f'"Beacon Markers","{beacons}"',
        "", "", ",".join(q(n) for n in names), ",".join(q(u) for u in unit_row), "", ""]
    body = [",".join(q(v) for v in r) for r in rows]
    return "\r\n".join(header + body) + "\r\n"


def acc_motec() -> None:
    """ACC's channel names, i2 CSV export, beacons in the header."""
    names = ["Time", "Distance", "SPEED", "THROTTLE", "BRAKE", "STEERANGLE", "RPMS", "GEAR",
             "G_LAT", "G_LON", "ROTY", "SUS_TRAVEL_LF"]
    unit_row = ["s", "m", "km/h", "%", "%", "deg", "rpm", "", "G", "G", "deg/s", "mm"]
    rows, dist = [], 0.0
    for r in drive(10.0):
        rows.append([f"{r['t']:.3f}", f"{dist:.0f}", f"{r['speed']:.1f}",
                     f"{r['gas'] * 100:.1f}", f"{r['brake'] * 100:.1f}",
                     f"{r['steer'] * 270:.1f}", f"{r['rpm']:.0f}", f"{r['gear']}",
                     f"{r['lat']:.2f}", f"{r['lon']:.2f}", f"{r['steer'] * 40:.1f}", "31.5"])
        dist += r["speed"] / 3.6 / 10.0
    meta = {"workbook": "acc", "venue": "monza", "vehicle": "amr_v8_vantage_gt3",
            "driver": "A. Driver"}
    (HERE / "acc_motec.csv").write_bytes(
        _motec(names, unit_row, rows, meta, "6.000 18.000 ").encode())


def acti_motec() -> None:
    """AC's ACTI names, i2 CSV export without beacons: laps from ACTI's lap counter."""
    names = ["Time", "Distance", "Ground Speed", "Throttle Pos", "Brake Pos",
             "Steering Angle", "Engine RPM", "Gear", "CG Accel Lateral", "Car Pos Norm",
             "Session Lap Count", "Lap Time", "Last Lap Time", "Tire Temp Core FL",
             "Tire Temp Core FR", "Tire Temp Core RL", "Tire Temp Core RR"]
    unit_row = ["s", "m", "km/h", "%", "%", "deg", "rpm", "", "G", "", "", "s", "s", "C", "C",
                "C", "C"]
    rows, dist = [], 0.0
    for r in drive(10.0):
        rows.append([f"{r['t']:.3f}", f"{dist:.0f}", f"{r['speed']:.1f}",
                     f"{r['gas'] * 100:.1f}", f"{r['brake'] * 100:.1f}",
                     f"{r['steer'] * 270:.1f}", f"{r['rpm']:.0f}", f"{r['gear']}",
                     f"{r['lat']:.2f}", f"{r['frac']:.5f}", f"{r['lap']}",
                     f"{r['lap_time']:.3f}", f"{r['last']:.3f}", "82.0", "83.5", "79.0",
                     "80.2"])
        dist += r["speed"] / 3.6 / 10.0
    meta = {"workbook": "ac", "venue": "ks_vallelunga", "vehicle": "ks_porsche_911_gt3_r",
            "driver": "B. Driver"}
    (HERE / "acti_motec.csv").write_bytes(_motec(names, unit_row, rows, meta, "").encode())


def seed_csv() -> None:
    """The seed pipeline's 38 columns (names and order of the catalogue's seed columns)."""
    names = ["timestamp", "lap_time_sec", "lap_time_str", "completed_laps", "current_lap",
             "distance_m", "lap_fraction", "speed_kmh", "speed_ms", "gear", "vx", "vy", "vz",
             "ax", "ay", "az", "accel_longitudinal", "accel_lateral", "gas", "brake", "steer",
             "abs_steer", "gas_smooth", "brake_smooth", "steer_smooth", "wheel_slip_fl",
             "wheel_slip_fr", "wheel_slip_rl", "wheel_slip_rr", "wheel_load_fl",
             "wheel_load_fr", "wheel_load_rl", "wheel_load_rr", "camber_fl", "camber_fr",
             "camber_rl", "camber_rr", "fuel_kg"]
    lines, dist = [",".join(names)], 0.0
    for r in drive(5.0):
        lt = r["lap_time"]
        text = f"{int(lt // 60)}:{int(lt % 60):02d}:{int(round(lt * 1000)) % 1000:03d}"
        v = r["speed"] / 3.6
        values = [round(T0 + r["t"], 3), lt, text, r["lap"], r["lap"] + 1, round(dist, 2),
                  r["frac"], r["speed"], round(v, 4), r["gear"], round(v, 3), 0.0, 0.0,
                  round(r["lat"] * 9.80665, 4), 0.0, round(r["lon"] * 9.80665, 4), r["lon"],
                  r["lat"], r["gas"], r["brake"], r["steer"], abs(r["steer"]), r["gas"],
                  r["brake"], r["steer"], 0.1, 0.1, 0.2, 0.2, 3500, 3500, 3900, 3900,
                  -0.05, -0.05, -0.03, -0.03, round(60 - r["t"] * 0.01, 3)]
        lines.append(",".join(str(x) for x in values))
        dist += v / 5.0
    (HERE / "seed.csv").write_text("\n".join(lines) + "\n")


def acc_shm_jsonl() -> None:
    """ACC shared memory as DataPoint JSON Lines, with the recorder's habits: a session
    record first, a paused start, the no-lap sentinel, the lap counter changing two samples
    before the position wraps, nulls."""
    out = [json.dumps({"SessionChange": {"track_name": "monza", "track_configuration": "",
                                         "game_source": "ACC", "track_length": ""}})]
    rows = drive(5.0)
    paused = [dict(rows[0], speed=0.0, gas=0.0, brake=0.0, rpm=0.0) for _ in range(8)]
    for k, r in enumerate(paused + rows):
        t = (k - len(paused)) / 5.0
        lap = r["lap"]
        nxt = rows[min(k - len(paused) + 2, len(rows) - 1)]["lap"] if k >= len(paused) else 0
        last = 2147483.8 if max(lap, nxt) == 0 else LAP
        tyre = {"left_carcass_temp": 80.0, "middle_carcass_temp": 81.0,
                "right_carcass_temp": 82.0, "left_surface_temp": 85.0,
                "middle_surface_temp": 86.0, "right_surface_temp": 87.0}
        out.append(json.dumps({"DataPoint": {
            "point_no": k + 1, "timestamp_ms": int(round((T0 + t) * 1000)),
            "game_source": "ACC", "gear": r["gear"], "speed_mps": round(r["speed"] / 3.6, 4),
            "engine_rpm": r["rpm"], "throttle": r["gas"], "brake": r["brake"],
            "clutch": 0.0, "steering_angle_rad": r["steer"], "steering_pct": r["steer"],
            "lap_distance_m": None, "lap_distance_pct": r["frac"], "lap_number": max(lap, nxt),
            "last_lap_time_s": last, "best_lap_time_s": last,
            "is_pit_limiter_engaged": False, "is_in_pit_lane": False, "is_abs_active": False,
            "lateral_accel_mps2": None, "pitch_rad": 0.01, "roll_rad": 0.0,
            "yaw_rad": round(2 * math.pi * r["frac"] - math.pi, 4),
            "lf_tire_info": tyre, "rf_tire_info": tyre, "lr_tire_info": tyre,
            "rr_tire_info": tyre, "annotations": []}}))
    (HERE / "acc_shm.jsonl").write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    ac_udp()
    acc_motec()
    acti_motec()
    seed_csv()
    acc_shm_jsonl()
