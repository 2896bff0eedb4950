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
* Hands and feet: the plan read between its points, pedals and steering at a person's
  rates, corrections a reaction time late (the constants below say how fast and why).
* Habits (:mod:`~actelemetry.sim.habits`): each driver's own technique, drawn from his
  seed alone (pedal rates, how hard he brakes and how long he trails, throttle, turn-in,
  his line): the constants below are a typical driver's, the centres of those ranges.

Why one module of about 480 lines: planning a lap and driving it share the plan, the
driver's noticed state and the skill's numbers; the speed profile, which needs none of
them, lives in :mod:`~actelemetry.sim.profile`.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import numpy as np

from actelemetry.sim.habits import Habits
from actelemetry.sim.profile import BRAKE_CAP, brake_decel, speed_profile
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
    brake_cap: list[float]  # the hardest tyre deceleration his leg asks for (m/s^2)
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


#: usable friction the driver plans with, as a share of the tyre's peak ``mu`` after its
#: load sensitivity (which the plan models): the car loses the rest to lateral load
#: transfer, and under braking to the brake balance and the ABS (measured on a skidpad:
#: 0.88 of the planned figure at 80-200 km/h, 1.49 g at 80 km/h, 2.0 g at 250 km/h)
PLAN_LATERAL = 0.90
PLAN_BRAKING = 0.85
UNDERSTEER = 0.0014
#: planned distance from the car's centre to a track edge (m): the wheels (0.8 m from the
#: centre) a little over the line, as drivers use the kerbs; a lap is lost only with
#: more than two wheels out, so the line is kept inside that strictly (smoothed and
#: clipped in turn), and the lap's own variation is what takes a car wide
EDGE_MARGIN = 0.3
#: human hands and feet (per second; the pedals 0..1, the steering in road-wheel rad);
#: a typical driver's: each driver has his own (habits.HABIT_RANGES, centred on these).
#: A racing driver gets onto the brake in about 0.15 s (a "stab", 7/s), trails off it
#: over about 0.3 s, squeezes the throttle open in about 0.2 s and lifts faster; a hand
#: turns the wheel at up to ~800 deg/s, 1.2 rad/s at the road wheel with a 12:1 rack.
BRAKE_APPLY_RATE = 7.0
BRAKE_RELEASE_RATE = 3.5
GAS_APPLY_RATE = 5.0
GAS_LIFT_RATE = 10.0
STEER_RATE = 1.2
#: steering (typical): the bend read this far ahead (s) for the feed-forward, and the
#: gains on the heading error and on the lateral error at the front axle
STEER_AHEAD_S = 0.12
HEADING_GAIN = 0.8
LATERAL_GAIN = 1.8
#: the foot's own lag (s): it follows an intention, it does not jump to it
PEDAL_LAG_S = 0.05
#: time between something happening to the car and the driver correcting it (s); braking
#: points and corner speeds are anticipated from the plan, not reacted to
REACTION_S = 0.15  # a pro; Style.of sets it per skill
#: how far ahead the pedals aim (s at the current speed; typical), and how hard a speed
#: error the driver has noticed is corrected (m/s^2 per m/s)
LOOK_AHEAD_S = 0.06
SPEED_GAIN = 1.2
#: planned acceleration (m/s^2) below which the foot goes to the brake, and above which
#: it comes off it again (typical): no pedal change for a small correction
BRAKE_ON_ACCEL = -2.5
BRAKE_OFF_ACCEL = -0.8
#: the lightest pressure a foot trailing the brake into an apex holds (typical)
BRAKE_TRAIL = 0.06
#: the foot does not leave the brake when the plan brakes again within this (s)
BRAKE_HOLD_S = 0.5
#: planned deceleration (m/s^2) that counts as slowing for a corner when the plan is read
#: for its corners (a lift's coasting is about this at chicane speeds)
SLOWING_ACCEL = -1.0
#: a driver slower than his braking curve (by more than this, m/s) brakes later, where
#: he meets it, and as hard: the braking point moves, not the pedal
BRAKE_ONSET_SLACK = 1.0
#: how far a late-braking mistake is beyond the driver's braking-point spread (in his
#: own sigmas: a mistake is a rare braking point, so ~4 sigma; x1.08 of the braking
#: grip for an alien, x1.10 a pro, x1.15 a good club driver, x1.30 a novice)
LATE_BRAKE_SIGMAS = 4.0
#: how long a mistake's extra brake pressure lasts before the driver notices (s)
MISTAKE_BRAKE_S = 0.6
#: a fast corner (entry above DAB_MIN_SPEED, m/s) that needs less than DAB_MAX_DROP of
#: its speed off is taken with a lift and a dab of the brake: at most DAB_DECEL (m/s^2)
#: of tyre braking, started up to DAB_REACH_M earlier, as drivers take Blanchimont or
#: Raidillon (a late stamp on the pedal for 30 km/h at 250 upsets a car on the edge)
DAB_MIN_SPEED = 150.0 / 3.6
DAB_MAX_DROP = 0.22
DAB_DECEL = 3.0
DAB_REACH_M = 400.0
#: between two braking apexes closer than a burst of throttle is worth (the speed
#: between them rising less than this share above the faster apex), a driver carries a
#: steady speed through: a chicane is one braking zone, not two (apexes at most
#: CHICANE_MAX_S apart); a burst shorter than CHICANE_SHORT_S is never worth a second
#: stop, whatever it would gain: the feet cannot go from brake to full throttle and back
#: to the brake in that time without unsettling the car
CHICANE_MAX_GAIN = 0.35
CHICANE_MAX_S = 4.0
CHICANE_SHORT_S = 2.5
#: half-width of the window smoothing the curvature the speeds are planned on (m)
CURVATURE_SMOOTH_M = 12.0
#: half-width of the window smoothing the planned acceleration (m; typical)
ACCEL_SMOOTH_M = 10.0
#: extra margin in tight bends: metres per unit curvature (1/m), and at most (m)
TIGHT_MARGIN_PER_K = 60.0
TIGHT_MARGIN_MAX = 1.2
#: half-width of the window that smooths the planned line's offsets (m)
OFFSET_SMOOTH_M = 40.0
#: how far beyond the margins a driver's line scatter may take him, per metre of his line
#: sigma above a pro's (so: how much of his scatter he cannot hold inside)
SCATTER_SLACK = 1.25
#: rounds of smoothing and clipping that keep the line both smooth and inside its margins
OFFSET_PASSES = 3
#: curvature (1/m) from which a driver's preferred line (his habit) applies in full
LINE_BIAS_K = 0.01


#: named skill levels on the 0..1 scale (``--skill`` takes a name or a number)
SKILL_LEVELS: dict[str, float] = {"novice": 0.1, "club": 0.45, "good": 0.6, "pro": 0.9,
                                  "alien": 1.0}


#: the default driver: a professional
PRO = SKILL_LEVELS["pro"]


def skill_value(skill: float | str) -> float:
    """A skill level as a number 0..1, from a number or one of :data:`SKILL_LEVELS`."""
    if isinstance(skill, str):
        key = skill.strip().lower()
        if key in SKILL_LEVELS:
            return SKILL_LEVELS[key]
        try:
            value = float(key)
        except ValueError:
            raise ValueError(f"skill must be 0..1 or one of {', '.join(SKILL_LEVELS)}, "
                             f"not {skill!r}") from None
    else:
        value = float(skill)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"skill must be 0..1 or one of {', '.join(SKILL_LEVELS)}, "
                         f"not {skill!r}")
    return value


@dataclass(frozen=True)
class Style:
    """How a driver of a given skill drives: how much of the car he uses where, how
    consistent he is, how quick to react, how often he errs (see docs/simulator.md)."""

    corner: float  # share of the car's cornering grip dared, on average
    braking: float  # share of the braking the car allows (pressure and grip)
    traction: float  # share of the rear's traction used on the way out of a corner
    reaction_s: float  # noticing a speed error or a slide
    lap_sigma: float  # lap-to-lap spread of the grip dared (a day's form, not noise)
    corner_sigma: float  # corner-to-corner spread of it within a lap
    brake_sigma: float  # spread of the braking points
    line_sigma: float  # spread of the line (m)
    mistake_p: float  # chance of one mistake in a lap

    @classmethod
    def of(cls, skill: float) -> Style:
        k = 1.0 - skill
        return cls(corner=0.685 + 0.35 * skill, braking=0.55 + 0.50 * skill,
                   traction=0.6625 + 0.375 * skill, reaction_s=0.27 - 0.13 * skill,
                   lap_sigma=0.003 + 0.02 * k, corner_sigma=0.008 + 0.03 * k,
                   brake_sigma=0.02 + 0.06 * k, line_sigma=0.15 + 0.6 * k,
                   mistake_p=0.08 + 0.5 * k)


class Driver:
    """Drives a :class:`Vehicle` around a :class:`Track`; one instance per session."""

    MISTAKES = ("late_brake", "run_wide", "lock_up", "wheelspin")

    def __init__(self, track: Track, params: CarParams, skill: float, seed: int) -> None:
        self.track = track
        self.p = params
        self.skill = min(max(skill, 0.0), 1.0)
        self.style = Style.of(self.skill)
        # a person's technique, drawn from his seed alone: the same at every skill
        self.habits = Habits.of(seed)
        self.rng = np.random.default_rng(seed)
        self.prng = random.Random(seed)
        self.idx = 0
        self.plan: LapPlan | None = None
        self.steer = 0.0
        self.gas = 0.0
        self.brake = 0.0
        self._gas_cmd = 0.0
        self._brake_cmd = 0.0
        self._braking = False
        self._boost_s = 0.0
        # what the driver has noticed, a reaction time late (one entry per control tick)
        self.reaction_s = self.style.reaction_s + self.habits.reaction_dev_s
        # the grip his tyres gave him lately (their temperature's share): he plans the
        # next lap with it, as a driver feels cold tyres on his first flying lap
        self._tyre_grip = 1.0
        self._err_buf: list[float] = []
        self._slide_buf: list[float] = []
        race = track.race
        self._race_k = np.asarray(race.curvature)
        self._race_offset = np.asarray(track.race_offset)
        n = race.n
        # race-line point -> track widths there (for keeping variations on the tarmac)
        cidx = np.asarray(track.race_centre_index)
        self._wr = np.asarray(track.width_right)[cidx]
        self._wl = np.asarray(track.width_left)[cidx]
        # the road's hills beside each race-line point
        self._grade = np.asarray(track.grade)[cidx]
        self._vertical_k = np.asarray(track.vertical_curvature)[cidx]
        self._n = n
        # more room in tight bends, where the car runs furthest off its line
        self._margin = EDGE_MARGIN + np.minimum(
            TIGHT_MARGIN_PER_K * np.abs(self._race_k), TIGHT_MARGIN_MAX)
        # understeer feed-forward: extra steer per unit lateral acceleration (rad per m/s^2),
        # measured on the built-in car at steady state near the limit
        self._k_us = UNDERSTEER * self.habits.understeer
        # his preferred line: toward the inside of a bend (+) or wider (-), in full from
        # a curvature of LINE_BIAS_K (a 100 m radius) up; + right of the line is + offset
        k_bend = _smooth(self._race_k, race.spacing, OFFSET_SMOOTH_M)
        self._line_bias = self.habits.line_bias_m * np.clip(k_bend / LINE_BIAS_K, -1.0, 1.0)

    # ---------------------------------------------------------------- lap planning
    def new_lap(self, lap: int, fuel: float) -> LapPlan:
        """Plan the next lap: path offsets, speeds, and (sometimes) a mistake."""
        p = self.p
        race = self.track.race
        n = self._n
        ds = race.spacing
        rng = self.rng
        st = self.style
        # line: smooth offsets, wider for a weaker driver, kept mostly on the tarmac
        off = _smooth_noise(rng, n, ds, 60.0, st.line_sigma) + self._line_bias
        # the published race line runs within half a metre of the edges; keep the car's
        # centre far enough in that its wheels stay on the tarmac unless the lap's
        # variation (or a mistake) pushes them out
        base = self._race_offset
        margin = self._margin
        # a driver's own scatter is held inside the margins only as well as he drives:
        # a pro within 0.1 m of them, a novice a metre beyond (wheels out)
        slack = 0.1 + SCATTER_SLACK * max(st.line_sigma - Style.of(PRO).line_sigma, 0.0)
        lo = -self._wl + margin - slack - base
        hi = self._wr - margin + slack - base
        narrow = lo > hi  # a track too narrow for both margins: its middle
        mid = 0.5 * (lo + hi)
        lo = np.where(narrow, mid, lo)
        hi = np.where(narrow, mid, hi)
        # the clip bends the line where it bites; a person's line has no kinks: smooth
        # and clip again until the line is both smooth and inside (an elastic band)
        off = np.clip(off, lo, hi)
        for _ in range(OFFSET_PASSES):
            off = np.clip(_smooth(off, ds, OFFSET_SMOOTH_M), lo, hi)
        off = np.clip(_smooth(off, ds, OFFSET_SMOOTH_M / 3), lo, hi)
        # grip the driver dares to use: a lap-wide level plus corner-to-corner variation
        level = st.corner + rng.normal(0.0, st.lap_sigma)
        dare = level + _smooth_noise(rng, n, ds, 120.0, st.corner_sigma)
        feel = self._tyre_grip
        grip = p.mu * PLAN_LATERAL * dare * feel
        brake_dare = st.braking * level / st.corner
        brake_grip = p.mu * PLAN_BRAKING * brake_dare * feel * (
            1.0 + _smooth_noise(rng, n, ds, 150.0, st.brake_sigma))
        pedal = np.zeros(n)
        # his leg's pressure is his own, whatever his skill: a weaker driver presses
        # less (brakes softer), a better one brakes later, not harder than his leg
        cap = np.full(n, min(BRAKE_CAP * min(brake_dare, 1.0) * self.habits.brake_peak,
                             brake_decel(p, p.mass + fuel * FUEL_DENSITY)))
        # what his leg holds, before any mistake: a late brake moves the braking point
        # (the plan's cap), the foot still presses no harder than this
        leg = cap.copy()
        early = np.zeros(n)
        mistake = ""
        mistake_s = -1.0
        if lap > 0 and self.prng.random() < st.mistake_p:
            mistake = self.prng.choice(self.MISTAKES)
            # wheelspin needs a slow corner (low gear); the others any braking corner
            corner = self._pick_corner(0.03 if mistake == "wheelspin" else 0.012)
            mistake_s = corner * ds
            span = slice(max(corner - int(160 / ds), 0), corner)
            # still on the brake at turn-in: the unloaded inside front locks, ABS or not
            turn_in = slice(max(corner - int(8 / ds), 0), corner + int(12 / ds))
            if mistake == "late_brake":
                # a braking point LATE_BRAKE_SIGMAS of his own scatter beyond his usual:
                # a few metres for an alien, tens for a novice
                late = 1.0 + LATE_BRAKE_SIGMAS * st.brake_sigma
                brake_grip[span] *= late
                cap[span] *= late
                pedal[turn_in] = 0.2
            elif mistake == "lock_up":
                pedal[turn_in] = 0.6
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
        # speeds follow the bend as the car feels it: a curvature peak shorter than the
        # car's response (GPS-derived lines have them) is ridden through on a little slip
        k_speed = _smooth(k_plan, line.spacing, CURVATURE_SMOOTH_M)
        m_plan = len(k_plan)
        grip_p, brake_p = _fit(grip, m_plan), _fit(brake_grip, m_plan)
        grade_p = _fit(self._grade, m_plan)
        vert_p = _fit(self._vertical_k, m_plan)
        cap_p = _fit(cap, m_plan)
        v = speed_profile(p, k_speed, line.spacing, grip_p, brake_p, mass, cap_p,
                          traction=st.traction, grade=grade_p, vertical_curvature=vert_p)
        # a fast corner that needs only a little speed off is taken with a lift and a
        # dab of brake, started earlier, not with a late stamp on the pedal
        dabbed = _dab_fast_corners(v, line.spacing, cap_p)
        if dabbed is not None:
            v = speed_profile(p, k_speed, line.spacing, grip_p, brake_p, mass, dabbed,
                              traction=st.traction, grade=grade_p,
                              vertical_curvature=vert_p)
        v = _carry_through_chicanes(v, line.spacing)
        acc = (np.roll(v, -1) ** 2 - v**2) / (2 * line.spacing)
        # a person anticipates the plan's shape, not its 2.5 m steps
        acc = _smooth(acc, line.spacing, self.habits.pedal_smooth_m)
        self.plan = LapPlan(
            x=line.x, z=line.z, heading=line.heading, curvature=line.curvature,
            speed=v.tolist(), accel=acc.tolist(), spacing=line.spacing, mistake=mistake,
            mistake_s=mistake_s, pedal_boost=_fit(pedal, len(k_plan)).tolist(),
            brake_cap=_fit(leg, m_plan).tolist(),
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
        self.reset_hands()
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
        # the path's curvature read between its points, as the pedals read the speeds
        # (the heading error stays the segment's: read between points it let the car
        # run a metre inside the line at slow apexes)
        frac = t if 0.0 < t < 1.0 else (1.0 if t >= 1.0 else 0.0)
        pos = i + frac
        k_here = _interp(plan.curvature, pos)
        psi = s.heading - plan.heading[i]
        psi = (psi + math.pi) % (2.0 * math.pi) - math.pi
        u = s.u if s.u > 1.0 else 1.0
        hb = self.habits
        k_ff = _interp(plan.curvature, pos + u * hb.steer_ahead_s / plan.spacing)
        steer = (p.wheelbase * k_ff + self._k_us * u * u * k_ff
                 - hb.heading_gain * (psi + 0.5 * math.atan(s.v / u))
                 - math.atan(hb.lateral_gain * e / (u + 3.0))
                 - 0.15 * (s.r - u * k_here))
        lim = p.max_steer
        steer = -lim if steer < -lim else (lim if steer > lim else steer)
        # a person's hands: rate-limited, not instantaneous
        rate = STEER_RATE * dt
        d = steer - self.steer
        self.steer += rate if d > rate else (-rate if d < -rate else d)

        self._delay_ticks = int(self.reaction_s / dt + 0.5)
        # longitudinal: the planned speed and acceleration a little ahead (interpolated
        # between plan points, so the target moves smoothly), plus a gentle correction of
        # the speed error the driver noticed a reaction time ago
        look = pos + u * hb.pedal_ahead_s / plan.spacing
        # the speed error against where he should be now (the plan at the car, not at
        # the look-ahead: aimed ahead, every braking zone ran a little under the plan)
        v_t = _interp(plan.speed, pos)
        err = self._delayed(self._err_buf, v_t - s.u)
        a_plan = _interp(plan.accel, look)
        a_cmd = a_plan + SPEED_GAIN * err
        m = car.mass
        q = 0.5 * p.air_density * s.u * s.u
        # what holds the car back besides the pedals: drag, rolling, a climb's pull, and
        # the speed a bend scrubs off (each tyre's side force times its slip angle: the
        # tyres' cornering drag, which he feels as the car slowing in a bend and holds
        # his speed against, as against the air's; left out, the speed correction alone
        # held it, 2-3 km/h under the plan through every slow and medium corner)
        fy_, al_ = s.fy, s.alpha
        drag = (p.drag_area * q + p.rolling_resistance * m * G + m * G * car.grade
                + abs(fy_[0] * al_[0]) + abs(fy_[1] * al_[1]) + abs(fy_[2] * al_[2])
                + abs(fy_[3] * al_[3]))
        early = plan.early_gas[i]
        # gas or brake, with hysteresis: a foot moves from one pedal to the other only for
        # a clear reason, never for a small correction
        if self._braking:
            # the foot stays on the pedal (trailing it) while the plan still slows the
            # car, or will again within a moment: a correction eases the pressure, it
            # does not end the braking
            step = u * BRAKE_HOLD_S / 3.0 / plan.spacing
            soon = min(_interp(plan.accel, look + step), _interp(plan.accel, look + 2 * step),
                       _interp(plan.accel, look + 3 * step))
            off = hb.brake_off_accel
            self._braking = (a_cmd < off or soon < BRAKE_ON_ACCEL
                             or (a_plan < off and a_cmd < 0.0))
        elif a_cmd < BRAKE_ON_ACCEL and v_t - s.u > BRAKE_ONSET_SLACK:
            # slower than the braking curve here: brake later, where the car meets it (a
            # marker seen ahead, not a reaction), and as hard: not softer now
            a_cmd = SPEED_GAIN * (v_t - s.u)
        else:
            self._braking = a_cmd < BRAKE_ON_ACCEL
        if early > 0.0 and a_cmd > -2.0:
            gas, brake = 1.0, 0.0
            self._braking = False
        elif not self._braking:
            gear = s.gear if s.gear > 0 else 1
            ratio = p.total_ratio(gear)
            f_max = (p.torque(max(s.rpm, p.launch_rpm)) * ratio * p.driveline_efficiency
                     / p.tyre_radius_rear)
            need = m * a_cmd + drag
            gas = need / f_max if f_max > 0 else 1.0
            # his foot's bias, through the pedal curve of his engine map, which he knows
            gas = (0.0 if gas < 0.0 else
                   (1.0 if gas > 1.0 else gas ** (hb.gas_gamma / p.throttle_gamma)))
            brake = 0.0
        else:
            need = -m * a_cmd - drag
            # no harder than his leg presses (a correction adds no pressure beyond it,
            # nor does a late brake: that car arrives too fast, as it does for a person)
            leg = m * plan.brake_cap[i] * p.tyre_radius_front / p.brake_torque
            need = min(need * p.tyre_radius_front / p.brake_torque, leg)
            brake = max(need, hb.brake_trail)
            gas = 0.0
        boost = _interp(plan.pedal_boost, pos)
        if boost > 0.0:
            self._boost_s += dt
        else:
            self._boost_s = 0.0
        if boost > 0.0 and self._boost_s < MISTAKE_BRAKE_S:  # a mistake: too much brake
            brake += boost
            gas = 0.0
        brake = 1.0 if brake > 1.0 else brake
        # catching a slide: ease off the throttle when the rear steps out (unless this is
        # the lap's wheelspin mistake: then the driver stays on it and TC has to save it);
        # noticed a reaction time late, like the speed error
        slide = self._delayed(self._slide_buf, abs(s.alpha[2])) - 0.09
        if slide > 0.0 and early == 0.0 and self._boost_s == 0.0:
            gas *= max(0.0, 1.0 - slide / 0.05)
            brake *= max(0.0, 1.0 - slide / 0.04)
            if self._braking:  # eased to a trail, not let go: the car stays settled
                brake = max(brake, hb.brake_trail)
        # a foot: a short lag, then limited pedal speeds (a stab onto the brake, a slower
        # trail off it; a squeeze onto the throttle, a quick lift)
        k_foot = dt / (PEDAL_LAG_S + dt)
        self._gas_cmd += (gas - self._gas_cmd) * k_foot
        self._brake_cmd += (brake - self._brake_cmd) * k_foot
        tg = s.temp_grip
        self._tyre_grip = 0.25 * (tg[0] + tg[1] + tg[2] + tg[3])
        dg = self._gas_cmd - self.gas
        self.gas += max(-hb.gas_lift * dt, min(hb.gas_apply * dt, dg))
        db = self._brake_cmd - self.brake
        self.brake += max(-hb.brake_release * dt, min(hb.brake_apply * dt, db))
        self._shift(car)
        return self.steer, self.gas, self.brake

    def _delayed(self, buf: list[float], value: float) -> float:
        """``value`` as noticed :attr:`reaction_s` ago (control ticks of 6 ms)."""
        buf.append(value)
        if len(buf) > self._delay_ticks:
            return buf.pop(0)
        return buf[0]

    def reset_hands(self) -> None:
        """Pedals, steering and what was noticed back to rest (after a reset)."""
        self.steer = self.gas = self.brake = 0.0
        self._gas_cmd = self._brake_cmd = 0.0
        self._braking = False
        self._err_buf.clear()
        self._slide_buf.clear()

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


def _braking_segments(v: np.ndarray, spacing: float) -> list[tuple[int, int]]:
    """Where a planned lap brakes: ``(first, apex)`` point pairs (indices may wrap past
    the end: ``apex`` can exceed ``len(v)``), the apex being the segment's slowest
    point, in lap order."""
    n = len(v)
    acc = (np.roll(v, -1) ** 2 - v**2) / (2 * spacing)
    braking = acc < SLOWING_ACCEL
    if braking.all() or not braking.any():
        return []
    # start the walk at a point that does not brake, so no segment straddles it
    first = int(np.argmin(braking))
    segments: list[tuple[int, int]] = []
    k = 0
    while k < n:
        i = (first + k) % n
        if braking[i]:
            start = first + k
            while k < n and braking[(first + k) % n]:
                k += 1
            segments.append((start, first + k))
        else:
            k += 1
    return segments


def _dab_fast_corners(v: np.ndarray, spacing: float, cap: np.ndarray) -> np.ndarray | None:
    """Braking caps for a lap where each fast corner that needs under
    :data:`DAB_MAX_DROP` of the speed off is slowed for with a lift and a dab of brake
    (at most :data:`DAB_DECEL`), beginning where the dab needs it; None when no corner
    qualifies."""
    n = len(v)
    out = cap.copy()
    changed = False
    reach = int(DAB_REACH_M / spacing)
    prev_apex = None
    for start, apex in _braking_segments(v, spacing):
        entry, slowest = v[start % n], v[apex % n]
        if entry > DAB_MIN_SPEED and entry - slowest < DAB_MAX_DROP * entry:
            lo = start - reach if prev_apex is None else max(start - reach, prev_apex)
            out[np.arange(lo, apex + 1) % n] = DAB_DECEL
            changed = True
        prev_apex = apex
    return out if changed else None


def _carry_through_chicanes(v: np.ndarray, spacing: float) -> np.ndarray:
    """A chicane's second part taken at a steady speed: where the plan would accelerate
    for a moment between two braking apexes (under :data:`CHICANE_MAX_S` apart, gaining
    under :data:`CHICANE_MAX_GAIN` of the faster apex's speed), the speed goes evenly
    from one apex to the next instead."""
    n = len(v)
    out = v.copy()
    segments = _braking_segments(v, spacing)
    if len(segments) < 2:
        return out
    # consecutive apexes round the closed lap, the last with the next lap's first
    wrapped = [*segments, (segments[0][0] + n, segments[0][1] + n)]
    for (_, a1), (_, a2) in itertools.pairwise(wrapped):
        idx = np.arange(a1, a2 + 1) % n
        v1, v2 = v[a1 % n], v[a2 % n]
        top = float(v[idx].max())
        seconds = float(np.sum(spacing / np.maximum(v[idx], 1.0)))
        short = seconds < CHICANE_SHORT_S
        if seconds > CHICANE_MAX_S or (
                not short and top - max(v1, v2) >= CHICANE_MAX_GAIN * max(v1, v2)):
            continue
        frac = np.linspace(0.0, 1.0, len(idx))
        even = np.sqrt(v1 * v1 + frac * (v2 * v2 - v1 * v1))  # constant dv^2/ds
        out[idx] = np.minimum(out[idx], even)
    return out


def _interp(values: list[float], pos: float) -> float:
    """``values`` of a closed path at fractional point ``pos`` (linear, wrapping)."""
    n = len(values)
    k = int(pos)
    f = pos - k
    k %= n
    return values[k] + f * (values[k + 1 if k + 1 < n else 0] - values[k])


def _smooth(a: np.ndarray, spacing: float, half_width_m: float) -> np.ndarray:
    """Periodic Hann-window moving average of a per-point array over +-``half_width_m``."""
    w = max(int(half_width_m / spacing), 1)
    kernel = np.hanning(2 * w + 3)[1:-1]
    kernel /= kernel.sum()
    ext = np.concatenate([a[-w:], a, a[:w]])
    return np.convolve(ext, kernel, mode="valid")


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    """Stretch a per-point array to ``n`` points (the resampled path may differ by a few)."""
    if len(a) == n:
        return a
    return np.interp(np.linspace(0, len(a) - 1, n), np.arange(len(a)), a)
