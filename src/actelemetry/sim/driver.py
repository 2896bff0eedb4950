"""The simulated driver: follows a race line, aims for a grip-limited speed profile,
shifts, and varies from lap to lap like a person does.

* Speed profile (:mod:`~actelemetry.sim.profile`): a point-mass forward-backward pass over
  the line's curvature, with the friction circle widened by downforce and the engine's force
  curve, so the driver brakes late and hard, trails the brake off into the corner and picks
  up the throttle on exit.
* Steering: curvature feed-forward (with the car's understeer) plus a Stanley-style
  correction of heading and lateral error at the front axle.
* Variation: each lap gets its own line offsets, grip estimate per corner (apex speeds) and
  braking-point factors, all drawn from one seeded generator; now and then a mistake (a
  late brake, a run wide, a lock-up, a wheelspin) whose odds fall with ``skill``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from actelemetry.sim.profile import BRAKE_CAP, speed_profile
from actelemetry.sim.track import Track, resample
from actelemetry.sim.vehicle import FUEL_DENSITY, CarParams, G, Vehicle


@dataclass
class LapPlan:
    """What the driver intends for one lap: the path, its speeds, and any mistake."""

    x: list[float]
    z: list[float]
    heading: list[float]
    curvature: list[float]
    speed: list[float]
    accel: list[float]  # planned dv/dt along the path
    spacing: float
    mistake: str
    mistake_s: float  # path distance where the mistake happens
    pedal_boost: list[float]  # extra brake pedal per point (lock-ups)
    early_gas: list[float]  # 1 where the driver floors it too early (wheelspin)


def _smooth_noise(rng: np.random.Generator, n: int, spacing: float, corr_m: float,
                  sigma: float) -> np.ndarray:
    """Zero-mean periodic noise with correlation length ``corr_m`` metres."""
    white = rng.standard_normal(n)
    width = max(int(corr_m / spacing), 1)
    kernel = np.hanning(2 * width + 1)
    kernel /= np.sqrt((kernel**2).sum())
    ext = np.concatenate([white[-width:], white, white[:width]])
    return sigma * np.convolve(ext, kernel, mode="valid")


#: usable friction the driver plans with, as a share of the tyre's peak ``mu``: the car
#: loses some to load transfer and load sensitivity (measured: 1.58 g at 90 km/h,
#: 2.04 g at 216 km/h on a skidpad) and to the brake balance under braking
PLAN_LATERAL = 0.89
PLAN_BRAKING = 0.74
UNDERSTEER = 0.0014
#: planned distance from the car's centre to a track edge (half the car is ~0.9 m)
EDGE_MARGIN = 1.0


class Driver:
    """Drives a :class:`Vehicle` around a :class:`Track`; one instance per session."""

    MISTAKES = ("late_brake", "run_wide", "lock_up", "wheelspin")

    def __init__(self, track: Track, params: CarParams, skill: float, seed: int) -> None:
        self.track = track
        self.p = params
        self.skill = min(max(skill, 0.0), 1.0)
        self.rng = np.random.default_rng(seed)
        self.prng = random.Random(seed)
        self.idx = 0
        self.plan: LapPlan | None = None
        self.steer = 0.0
        self.gas = 0.0
        self.brake = 0.0
        race = track.race
        self._race_k = np.asarray(race.curvature)
        self._race_offset = np.asarray(track.race_offset)
        n = race.n
        # race-line point -> track widths there (for keeping variations on the tarmac)
        cidx = np.asarray(track.race_centre_index)
        self._wr = np.asarray(track.width_right)[cidx]
        self._wl = np.asarray(track.width_left)[cidx]
        self._n = n
        # understeer feed-forward: extra steer per unit lateral acceleration (rad per m/s^2),
        # measured on the built-in car at steady state near the limit
        self._k_us = UNDERSTEER

    # ---------------------------------------------------------------- lap planning
    def new_lap(self, lap: int, fuel: float) -> LapPlan:
        """Plan the next lap: path offsets, speeds, and (sometimes) a mistake."""
        p = self.p
        race = self.track.race
        n = self._n
        ds = race.spacing
        rng = self.rng
        sk = self.skill
        # line: smooth offsets, wider for a weaker driver, kept mostly on the tarmac
        sigma_line = 0.15 + 0.6 * (1.0 - sk)
        off = _smooth_noise(rng, n, ds, 60.0, sigma_line)
        # the published race line runs within half a metre of the edges; keep the car's
        # centre far enough in that its wheels stay on the tarmac unless the lap's
        # variation (or a mistake) pushes them out
        base = self._race_offset
        inside = np.clip(base, -self._wl + EDGE_MARGIN, self._wr - EDGE_MARGIN) - base
        lo = -self._wl + EDGE_MARGIN - 0.1 - base
        hi = self._wr - EDGE_MARGIN + 0.1 - base
        off = np.clip(off + inside, np.minimum(lo, 0.0), np.maximum(hi, 0.0))
        # grip the driver dares to use: a lap-wide level plus corner-to-corner variation
        level = 0.945 + 0.07 * sk + rng.normal(0.0, 0.006 + 0.015 * (1.0 - sk))
        dare = level + _smooth_noise(rng, n, ds, 120.0, 0.012 + 0.02 * (1 - sk))
        grip = p.mu * PLAN_LATERAL * dare
        brake_grip = p.mu * PLAN_BRAKING * dare * (
            1.0 + _smooth_noise(rng, n, ds, 150.0, 0.03 + 0.04 * (1 - sk)))
        pedal = np.zeros(n)
        cap = np.full(n, BRAKE_CAP)
        early = np.zeros(n)
        mistake = ""
        mistake_s = -1.0
        if lap > 0 and self.prng.random() < 0.12 + 0.55 * (1.0 - sk):
            mistake = self.prng.choice(self.MISTAKES)
            # wheelspin needs a slow corner (low gear); the others any braking corner
            corner = self._pick_corner(0.03 if mistake == "wheelspin" else 0.012)
            mistake_s = corner * ds
            span = slice(max(corner - int(160 / ds), 0), corner)
            if mistake == "late_brake":
                brake_grip[span] *= 1.22
                cap[span] *= 1.22
            elif mistake == "lock_up":
                pedal[span] = 0.45
            elif mistake == "wheelspin":
                early[max(corner - int(10 / ds), 0):corner + int(80 / ds)] = 1.0
            elif mistake == "run_wide":
                k_sign = 1.0 if self._race_k[corner] > 0 else -1.0
                j = np.arange(n)
                steps = (j - corner - int(40 / ds)) % n
                dist = np.minimum(steps, n - steps) * ds
                bump = np.exp(-0.5 * (dist / 35.0) ** 2) * 3.2
                off = off - k_sign * bump  # toward the outside of the bend
        x = np.asarray(race.x)
        z = np.asarray(race.z)
        hd = np.asarray(race.heading)
        nx, nz = np.cos(hd), -np.sin(hd)
        line, _ = resample(x + off * nx, z + off * nz, spacing=ds)
        mass = p.mass + fuel * FUEL_DENSITY
        k_plan = np.asarray(line.curvature)
        v = speed_profile(p, k_plan, line.spacing, _fit(grip, len(k_plan)),
                          _fit(brake_grip, len(k_plan)), mass, _fit(cap, len(k_plan)))
        acc = (np.roll(v, -1) ** 2 - v**2) / (2 * line.spacing)
        self.plan = LapPlan(
            x=line.x, z=line.z, heading=line.heading, curvature=line.curvature,
            speed=v.tolist(), accel=acc.tolist(), spacing=line.spacing, mistake=mistake,
            mistake_s=mistake_s, pedal_boost=_fit(pedal, len(k_plan)).tolist(),
            early_gas=_fit(early, len(k_plan)).tolist(),
        )
        return self.plan

    def _pick_corner(self, min_curvature: float) -> int:
        """A corner: a local peak of curvature above ``min_curvature`` (1/m)."""
        k = np.abs(self._race_k)
        peaks = [i for i in range(2, self._n - 2)
                 if k[i] > min_curvature and k[i] == k[max(i - 20, 0):i + 20].max()]
        if not peaks:
            return int(np.argmax(k))
        return self.prng.choice(peaks)

    def locate(self, x: float, z: float) -> None:
        """Seed the path index from a global search (after a reset)."""
        plan = self.plan
        assert plan is not None
        px = np.asarray(plan.x)
        pz = np.asarray(plan.z)
        self.idx = int(np.argmin((px - x) ** 2 + (pz - z) ** 2))

    def recover(self, x: float, z: float) -> tuple[float, float, float]:
        """The pose on the lap's path a few metres ahead of ``(x, z)`` (facing the right
        way), located there with every control released."""
        self.locate(x, z)
        plan = self.plan
        assert plan is not None
        j = (self.idx + 4) % len(plan.x)
        self.locate(plan.x[j], plan.z[j])
        self.steer = self.gas = self.brake = 0.0
        return plan.x[j], plan.z[j], plan.heading[j]

    # ---------------------------------------------------------------- control
    def control(self, car: Vehicle, dt: float) -> tuple[float, float, float]:
        """Steer (road-wheel rad), gas and brake for this step; also handles shifting."""
        plan = self.plan
        assert plan is not None
        s = car.s
        p = self.p
        a = p.wheelbase * (1 - p.front_weight)
        sh = math.sin(s.heading)
        ch = math.cos(s.heading)
        fx_ = s.x + a * sh
        fz_ = s.z + a * ch
        px, pz = plan.x, plan.z
        n = len(px)
        i = self.idx
        # local search for the path segment under the front axle
        for _ in range(50):
            j = i + 1 if i + 1 < n else 0
            dx = px[j] - px[i]
            dz = pz[j] - pz[i]
            t = ((fx_ - px[i]) * dx + (fz_ - pz[i]) * dz) / (dx * dx + dz * dz)
            if t > 1.0:
                i = j
            elif t < 0.0:
                i = i - 1 if i > 0 else n - 1
                if (i + 1) % n == self.idx and t > -0.5:
                    break
            else:
                break
        self.idx = i
        seg = math.sqrt(dx * dx + dz * dz)
        e = ((fx_ - px[i]) * dz - (fz_ - pz[i]) * dx) / seg  # + = right of the path
        psi = s.heading - plan.heading[i]
        if psi > math.pi:
            psi -= 2 * math.pi
        elif psi < -math.pi:
            psi += 2 * math.pi
        u = s.u if s.u > 1.0 else 1.0
        ahead = int(u * 0.12 / plan.spacing) + 1
        k_ff = plan.curvature[(i + ahead) % n]
        steer = (p.wheelbase * k_ff + self._k_us * u * u * k_ff
                 - 0.8 * (psi + 0.5 * math.atan(s.v / u))
                 - math.atan(1.8 * e / (u + 3.0))
                 - 0.15 * (s.r - u * plan.curvature[i]))
        lim = p.max_steer
        steer = -lim if steer < -lim else (lim if steer > lim else steer)
        # a person's hands: rate-limited, not instantaneous
        rate = 1.2 * dt
        d = steer - self.steer
        self.steer += rate if d > rate else (-rate if d < -rate else d)

        # longitudinal: plan speed a little ahead plus feedback
        look = (i + int(u * 0.06 / plan.spacing) + 1) % n
        v_t = plan.speed[look]
        a_cmd = plan.accel[look] + 4.0 * (v_t - s.u)
        m = car.mass
        q = 0.5 * p.air_density * s.u * s.u
        drag = p.drag_area * q + p.rolling_resistance * m * G
        early = plan.early_gas[i]
        if early > 0.0 and a_cmd > -2.0:
            gas, brake = 1.0, 0.0
        elif a_cmd >= -1.0:
            gear = s.gear if s.gear > 0 else 1
            ratio = p.total_ratio(gear)
            f_max = (p.torque(max(s.rpm, p.launch_rpm)) * ratio * p.driveline_efficiency
                     / p.tyre_radius_rear)
            need = m * a_cmd + drag
            gas = need / f_max if f_max > 0 else 1.0
            gas = 0.0 if gas < 0.0 else (1.0 if gas > 1.0 else gas)
            brake = 0.0
        else:
            need = -m * a_cmd - drag
            brake = need * p.tyre_radius_front / p.brake_torque + plan.pedal_boost[i]
            brake = 0.0 if brake < 0.0 else (1.0 if brake > 1.0 else brake)
            gas = 0.0
        # catching a slide: ease off the throttle when the rear steps out (unless this is
        # the lap's wheelspin mistake: then the driver stays on it and TC has to save it)
        slide = abs(s.alpha[2]) - 0.09
        if slide > 0.0 and early == 0.0:
            gas *= max(0.0, 1.0 - slide / 0.05)
            brake *= max(0.0, 1.0 - slide / 0.04)
        # pedals move fast but not instantly
        dg = gas - self.gas
        self.gas += max(-12.0 * dt, min(8.0 * dt, dg))
        db = brake - self.brake
        self.brake += max(-10.0 * dt, min(14.0 * dt, db))
        self._shift(car)
        return self.steer, self.gas, self.brake

    def _shift(self, car: Vehicle) -> None:
        s = car.s
        p = self.p
        if s.shift_timer > 0.0:
            return
        if s.rpm > p.shift_rpm and s.gear < len(p.gear_ratios) and s.clutch == 0.0:
            car.shift(s.gear + 1)
        elif s.gear > 1 and self.gas < 0.3:
            lower = p.total_ratio(s.gear - 1)
            rpm_low = 0.5 * (s.omega[2] + s.omega[3]) * lower * 30 / math.pi
            if rpm_low < p.shift_rpm - 700.0:
                car.shift(s.gear - 1)


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    """Stretch a per-point array to ``n`` points (the resampled path may differ by a few)."""
    if len(a) == n:
        return a
    return np.interp(np.linspace(0, len(a) - 1, n), np.arange(len(a)), a)
