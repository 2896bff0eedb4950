"""The speed a driver plans along a closed line: as fast as grip and power allow.

A point-mass forward-backward pass over the line's curvature, with the friction circle
widened by downforce and the engine's force curve, so the plan brakes late and hard,
trails the brake off into the corner and picks up the throttle on exit.
"""

from __future__ import annotations

import math

import numpy as np

from actelemetry.sim.vehicle import CarParams, G

#: the hardest tyre deceleration (m/s^2) a driver asks for: the pressure his leg holds on
#: a GT3's unassisted brakes (~80 % of the pedal), not the grip, limits the first metres
#: of a braking zone at 270 km/h, where the downforce would let the tyres take more;
#: with the drag that makes ~1.9 g at 270 km/h, falling to the grip's ~1.65 g when slow
BRAKE_CAP = 1.65 * G
#: the car loses grip to load faster than one tyre does (lateral transfer piles the load
#: on the outside tyres): the plan doubles the tyre's load sensitivity (fitted to the
#: skidpad: 1.71 g at 80 km/h, 2.1 g at 150, 2.25 g at 200, 2.4 g at 250)
PLAN_LOAD_SENSITIVITY = 2.0


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


def brake_decel(p: CarParams, mass: float, pedal: float = 1.0) -> float:
    """Tyre deceleration (m/s^2) the brakes give at ``pedal`` when the tyres can take it."""
    radius = p.brake_bias * p.tyre_radius_front + (1.0 - p.brake_bias) * p.tyre_radius_rear
    return pedal * p.brake_torque / radius / mass


def speed_profile(p: CarParams, curvature: np.ndarray, spacing: float, grip: np.ndarray,
                  brake_grip: np.ndarray, mass: float,
                  brake_cap: np.ndarray | None = None,
                  traction: float = 1.0, grade: np.ndarray | None = None,
                  vertical_curvature: np.ndarray | None = None) -> np.ndarray:
    """Grip- and power-limited speed at each point of a closed line (m/s).

    ``grip`` and ``brake_grip`` are the friction coefficients the driver dares to use per
    point, in cornering and in braking; ``brake_cap`` the hardest deceleration he asks for
    there (m/s^2, default :data:`BRAKE_CAP`); ``traction`` the share of the rear's
    traction used on the way out of a corner (a driver's skill). ``grade`` (rise per
    metre) and ``vertical_curvature`` (1/m, + in a dip) are the road's hills: a climb
    slows the car and helps it brake, a dip presses the tyres into the road (more grip),
    a crest lightens them.
    """
    n = len(curvature)
    k = np.abs(curvature)
    slope = np.zeros(n) if grade is None else np.asarray(grade, dtype=float)
    k_v = np.zeros(n) if vertical_curvature is None else np.asarray(vertical_curvature,
                                                                    dtype=float)
    cos_slope = 1.0 / np.sqrt(1.0 + slope**2)
    g_along = G * slope * cos_slope
    g_across = G * cos_slope
    drag_k = 0.5 * p.air_density * p.drag_area / mass
    aero_k = 0.5 * p.air_density * p.lift_area / mass
    sensitivity = p.load_sensitivity * PLAN_LOAD_SENSITIVITY
    load_k = sensitivity * mass / 4.0 / p.nominal_load
    grid = np.linspace(0.0, 100.0, 201)
    # normal force per unit mass (gravity across the slope, the road's vertical curve,
    # downforce) less what the tyres' load sensitivity takes: the grip (m/s^2 per unit
    # friction) at each point and grid speed
    normal = np.maximum(g_across[:, None] + (k_v[:, None] + aero_k) * grid[None, :] ** 2,
                        0.0)
    load_grip = normal * (1.0 + sensitivity - load_k * normal)
    # cornering speed: the fastest grid speed whose lateral need the grip covers
    ok = (grid[None, :] ** 2 * k[:, None]) <= grip[:, None] * load_grip
    last = np.where(ok.all(axis=1), len(grid) - 1, np.argmin(ok, axis=1) - 1)
    v_lim = np.minimum(grid[np.maximum(last, 0)], 95.0)
    # the engine's force less what the tyres' slip and the shifts' torque cuts take (2 %)
    # and the rolling resistance: what the car really accelerates with
    f_engine = engine_force_curve(p, grid) * 0.98 / mass - p.rolling_resistance * G
    # two laps around so the closed loop's start has a settled entry speed
    vl = v_lim.tolist()
    kl = k.tolist()
    gl = grip.tolist()
    bl = brake_grip.tolist()
    ga = g_across.tolist()
    gs = g_along.tolist()
    kv = k_v.tolist()
    cap = (brake_cap if brake_cap is not None else np.full(n, BRAKE_CAP)).tolist()
    fe = f_engine.tolist()
    rear_share = (1.0 - p.front_weight) * traction
    keep = 1.0 + sensitivity
    v = [0.0] * n
    cur = vl[-1]
    for _ in range(2):  # forward: acceleration limited by engine and traction
        for i in range(n):
            vi = min(cur, vl[i])
            v[i] = vi
            lat = vi * vi * kl[i]
            nrm = ga[i] + (kv[i] + aero_k) * vi * vi
            nrm = nrm if nrm > 0.0 else 0.0
            a_max = gl[i] * nrm * (keep - load_k * nrm)
            rem = 1.0 - (lat / a_max) ** 2 if a_max > 0 else 0.0
            rem = math.sqrt(rem) if rem > 0.0 else 0.0
            fe_v = fe[min(int(vi * 2.0), 200)]
            acc = min(fe_v, rem * a_max * rear_share) - drag_k * vi * vi - gs[i]
            cur = math.sqrt(max(vi * vi + 2.0 * spacing * acc, 0.0))
    cur = v[0]
    for _ in range(2):  # backward: braking limited by the friction circle
        for i in range(n - 1, -1, -1):
            vi = min(cur, v[i])
            v[i] = vi
            lat = vi * vi * kl[i]
            nrm = ga[i] + (kv[i] + aero_k) * vi * vi
            nrm = nrm if nrm > 0.0 else 0.0
            a_max = bl[i] * nrm * (keep - load_k * nrm)
            rem = 1.0 - (lat / a_max) ** 2 if a_max > 0 else 0.0
            rem = math.sqrt(rem) if rem > 0.0 else 0.0
            dec = min(rem * a_max, cap[i]) + drag_k * vi * vi + gs[i]
            cur = math.sqrt(max(vi * vi + 2.0 * spacing * dec, 0.0))
    return np.array(v)
