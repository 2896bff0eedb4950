"""The speed a driver plans along a closed line: as fast as grip and power allow.

A point-mass forward-backward pass over the line's curvature, with the friction circle
widened by downforce and the engine's force curve, so the plan brakes late and hard,
trails the brake off into the corner and picks up the throttle on exit.
"""

from __future__ import annotations

import math

import numpy as np

from actelemetry.sim.vehicle import CarParams, G

#: the hardest tyre deceleration a driver asks for (m/s^2): brake pressure, not grip,
#: limits the first metres of a braking zone at 290 km/h
BRAKE_CAP = 2.0 * G


def engine_force_curve(p: CarParams, speeds: np.ndarray) -> np.ndarray:
    """Best tractive force over all gears at each speed (N), at full throttle."""
    best = np.zeros_like(speeds)
    for g in range(1, len(p.gear_ratios) + 1):
        ratio = p.total_ratio(g)
        rpm = np.maximum(speeds / p.tyre_radius_rear * ratio * 30 / math.pi, p.launch_rpm)
        torque = np.interp(rpm, p.torque_rpm, p.torque_nm)
        torque[rpm >= p.max_rpm] = 0.0
        best = np.maximum(best, torque * ratio * p.driveline_efficiency / p.tyre_radius_rear)
    return best


def speed_profile(p: CarParams, curvature: np.ndarray, spacing: float, grip: np.ndarray,
                  brake_grip: np.ndarray, mass: float,
                  brake_cap: np.ndarray | None = None) -> np.ndarray:
    """Grip- and power-limited speed at each point of a closed line (m/s).

    ``grip`` and ``brake_grip`` are the friction coefficients the driver dares to use per
    point, in cornering and in braking; ``brake_cap`` the hardest deceleration he asks for
    there (m/s^2, default :data:`BRAKE_CAP`).
    """
    n = len(curvature)
    k = np.abs(curvature)
    aero = 0.5 * p.air_density * p.lift_area / mass
    drag_k = 0.5 * p.air_density * p.drag_area / mass
    denom = k - grip * aero
    with np.errstate(divide="ignore", invalid="ignore"):
        v_corner = np.where(denom > 1e-6, np.sqrt(grip * G / np.maximum(denom, 1e-6)), 120.0)
    v_lim = np.minimum(v_corner, 95.0)
    grid = np.linspace(0.0, 100.0, 201)
    f_engine = engine_force_curve(p, grid) / mass
    # two laps around so the closed loop's start has a settled entry speed
    vl = v_lim.tolist()
    kl = k.tolist()
    gl = grip.tolist()
    bl = brake_grip.tolist()
    cap = (brake_cap if brake_cap is not None else np.full(n, BRAKE_CAP)).tolist()
    fe = f_engine.tolist()
    rear_share = 1.0 - p.front_weight
    v = [0.0] * n
    cur = vl[-1]
    for _ in range(2):  # forward: acceleration limited by engine and traction
        for i in range(n):
            vi = min(cur, vl[i])
            v[i] = vi
            lat = vi * vi * kl[i]
            a_max = gl[i] * (G + aero * vi * vi)
            rem = 1.0 - (lat / a_max) ** 2 if a_max > 0 else 0.0
            rem = math.sqrt(rem) if rem > 0.0 else 0.0
            fe_v = fe[min(int(vi * 2.0), 200)]
            acc = min(fe_v, rem * a_max * rear_share) - drag_k * vi * vi
            cur = math.sqrt(max(vi * vi + 2.0 * spacing * acc, 0.0))
    cur = v[0]
    for _ in range(2):  # backward: braking limited by the friction circle
        for i in range(n - 1, -1, -1):
            vi = min(cur, v[i])
            v[i] = vi
            lat = vi * vi * kl[i]
            a_max = bl[i] * (G + aero * vi * vi)
            rem = 1.0 - (lat / a_max) ** 2 if a_max > 0 else 0.0
            rem = math.sqrt(rem) if rem > 0.0 else 0.0
            dec = min(rem * a_max, cap[i]) + drag_k * vi * vi
            cur = math.sqrt(vi * vi + 2.0 * spacing * dec)
    return np.array(v)
