"""A GT3-like car: dynamic bicycle model with four wheel loads, Pacejka-style tyres,
wheel spin dynamics, drag and downforce, engine and gearbox, brakes, fuel and temperatures.

Why this shape: the channels the games publish (slip ratios and angles, wheel speeds,
loads, temperatures) must come out of the physics, not be painted on, yet a physics step
has to cost tens of microseconds in pure Python. So the chassis is a single-track model
(one steer angle, yaw, lateral and longitudinal velocity), while the tyres are evaluated
per wheel with their own load (lateral and longitudinal load transfer plus aero), which is
what gives the car understeer at the limit and the per-wheel channels.

Longitudinal tyre slip is quasi-static below the force peak (the slip ratio that makes the
demanded force, from the inverted tyre curve) and integrated from the wheel's spin equation
once demand exceeds grip, which is where lock-ups and wheelspin happen. That keeps the
stiff wheel dynamics stable at the game's 3 ms step.

Why one module of about 475 lines: the chassis, tyres, wheels, engine and brakes share
one state and one step, whose order matters; split, each piece would reach into the
others' fields on every step.

Frames: car x right, y up, z forward; yaw rate and steer positive to the right; world
heading ``h`` with forward = (sin h, cos h) in the (x, z) plane.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field

G = 9.81
FUEL_DENSITY = 0.745  # kg/L
FUEL_ENERGY = 43.0e6 * FUEL_DENSITY  # J/L
WHEELS = ("FL", "FR", "RL", "RR")


@dataclass
class CarParams:
    """Parameters of the built-in GT3-like car (SI units unless named otherwise)."""

    car_id: str = "actelemetry_gt3"
    mass: float = 1300.0  # with driver, without fuel (GT3 BoP ~1220-1290 kg + driver)
    yaw_inertia: float = 1950.0
    wheelbase: float = 2.70
    front_weight: float = 0.46  # static share of weight on the front axle
    cg_height: float = 0.38
    track_front: float = 1.66
    track_rear: float = 1.62
    roll_stiffness_front: float = 0.58  # share of lateral load transfer taken by the front
    drag_area: float = 1.00  # Cd * A, m^2 (Cd ~0.48 x 2.1 m^2 frontal area)
    lift_area: float = 3.40  # Cl * A (downforce), m^2
    aero_front: float = 0.42  # share of downforce on the front axle
    air_density: float = 1.20
    rolling_resistance: float = 0.015  # slicks
    # tyres (simplified magic formula, per wheel)
    mu: float = 1.80  # peak friction at the nominal load
    rear_grip: float = 1.10  # wider rear tyres: keeps the car stable (understeer) at the limit
    load_sensitivity: float = 0.15  # friction lost per unit of load above nominal
    nominal_load: float = 4000.0
    lat_b: float = 13.0
    lat_c: float = 1.40
    long_b: float = 14.0
    long_c: float = 1.50
    tyre_radius_front: float = 0.340
    tyre_radius_rear: float = 0.350
    wheel_inertia_front: float = 1.3
    wheel_inertia_rear: float = 1.6
    tyre_optimum_temp: float = 88.0
    tyre_cold_pressure: float = 22.5  # psi at 25 deg C
    # engine and gearbox
    torque_rpm: tuple[float, ...] = (1000, 2000, 3000, 4000, 5000, 6000, 7000, 7500, 8000, 8500,
                                     9000)
    # ~500 hp (373 kW) at 7500 rpm: a GT3 engine under balance of performance
    torque_nm: tuple[float, ...] = (226, 312, 403, 457, 493, 507, 498, 475, 439, 380, 0)
    idle_rpm: float = 1300.0
    max_rpm: int = 8500
    shift_rpm: float = 8250.0
    launch_rpm: float = 3800.0
    engine_brake_nm: float = 45.0
    final_drive: float = 3.0
    gear_ratios: tuple[float, ...] = (3.533, 2.667, 2.150, 1.783, 1.500, 1.262)
    driveline_efficiency: float = 0.92
    shift_time: float = 0.05
    engine_efficiency: float = 0.30
    # the engine map's pedal curve: torque share = pedal ** throttle_gamma (1: linear)
    throttle_gamma: float = 1.0
    # brakes
    # total at full pedal, N m: ~2.0 g of tyre force, enough to lock the wheels up to about
    # 150 km/h; above, the downforce lets the tyres take more than the brakes give
    brake_torque: float = 9000.0
    brake_bias: float = 0.66  # share to the front
    abs_slip: float = 0.18  # ABS releases a wheel beyond this slip ratio (0 = off)
    tc_slip: float = 0.22  # TC cuts torque beyond this rear slip ratio (0 = off)
    # suspension (for travel, ride height, camber, roll and pitch outputs)
    wheel_rate_front: float = 160000.0
    wheel_rate_rear: float = 150000.0
    travel_preload: float = 0.030
    suspension_max_travel: float = 0.11
    ride_height_front: float = 0.060
    ride_height_rear: float = 0.080
    static_camber_front: float = -0.061
    static_camber_rear: float = -0.045
    roll_gradient: float = 0.010  # rad per g
    pitch_gradient: float = 0.006  # rad per g
    fuel_capacity: float = 120.0
    start_fuel: float = 60.0

    max_steer: float = 0.36  # road-wheel angle at full lock, rad

    @property
    def max_torque(self) -> float:
        return max(self.torque_nm)

    @property
    def max_power(self) -> float:
        """Peak engine power, W."""
        return max(t * r * math.pi / 30 for t, r in zip(self.torque_nm, self.torque_rpm,
                                                        strict=True))

    def torque(self, rpm: float) -> float:
        """Full-throttle engine torque at ``rpm`` (linear in the table)."""
        rs, ts = self.torque_rpm, self.torque_nm
        if rpm <= rs[0]:
            return ts[0]
        i = bisect_right(rs, rpm)
        if i >= len(rs):
            return 0.0
        f = (rpm - rs[i - 1]) / (rs[i] - rs[i - 1])
        return ts[i - 1] + f * (ts[i] - ts[i - 1])

    def total_ratio(self, gear: int) -> float:
        """Engine-to-wheel ratio of forward gear ``gear`` (1-based)."""
        return self.gear_ratios[gear - 1] * self.final_drive

    def tyre_peak_slip(self) -> float:
        """Slip ratio at the longitudinal force peak."""
        return math.tan(math.pi / (2 * self.long_c)) / self.long_b


#: the simulator's cars by id: the GT3-like default and a GT4-like second car (heavier,
#: about 420 hp, far less downforce, narrower tyres), so that an archive of simulator
#: sessions holds two cars whose laps really differ
CARS: dict[str, CarParams] = {
    "actelemetry_gt3": CarParams(),
    "actelemetry_gt4": CarParams(
        car_id="actelemetry_gt4", mass=1450.0, drag_area=0.88, lift_area=1.20, mu=1.60,
        torque_nm=(200, 280, 350, 400, 430, 440, 430, 410, 380, 0, 0), max_rpm=8000,
        shift_rpm=7800.0, brake_torque=7600.0),
}


def car_params(car_id: str) -> CarParams:
    """The parameters of a built-in car; a one-line error naming the known ones."""
    try:
        return CARS[car_id]
    except KeyError:
        raise ValueError(f"unknown car {car_id!r}: the simulator has "
                         f"{', '.join(CARS)}") from None


@dataclass
class CarState:
    """Everything that evolves; the physics step reads and writes these."""

    x: float = 0.0
    z: float = 0.0
    heading: float = 0.0
    u: float = 0.0  # forward speed, car frame
    v: float = 0.0  # lateral speed, + right
    r: float = 0.0  # yaw rate, + right
    ax: float = 0.0  # forward acceleration
    ay: float = 0.0  # lateral acceleration, + right
    ax_f: float = 0.0  # filtered accelerations driving load transfer
    ay_f: float = 0.0
    steer: float = 0.0  # road-wheel angle
    gas: float = 0.0
    brake: float = 0.0
    clutch: float = 0.0
    gear: int = 1  # 1-based forward gear; 0 = neutral
    rpm: float = 1300.0
    shift_timer: float = 0.0
    pending_gear: int = 0
    fuel: float = 60.0
    kappa: list[float] = field(default_factory=lambda: [0.0] * 4)
    sliding: list[bool] = field(default_factory=lambda: [False] * 4)
    alpha: list[float] = field(default_factory=lambda: [0.0] * 4)
    load: list[float] = field(default_factory=lambda: [0.0] * 4)
    fx: list[float] = field(default_factory=lambda: [0.0] * 4)
    fy: list[float] = field(default_factory=lambda: [0.0] * 4)
    omega: list[float] = field(default_factory=lambda: [0.0] * 4)
    grip: list[float] = field(default_factory=lambda: [1.0] * 4)  # surface x temperature
    temp_grip: list[float] = field(default_factory=lambda: [1.0] * 4)
    surface: list[float] = field(default_factory=lambda: [1.0] * 4)  # 1 tarmac, < 1 off track
    tyre_core: list[float] = field(default_factory=lambda: [60.0] * 4)
    tyre_surface: list[float] = field(default_factory=lambda: [60.0] * 4)
    tyre_wear: list[float] = field(default_factory=lambda: [100.0] * 4)
    brake_temp: list[float] = field(default_factory=lambda: [150.0] * 4)
    heat_slip: list[float] = field(default_factory=lambda: [0.0] * 4)  # J since last update
    heat_brake: list[float] = field(default_factory=lambda: [0.0] * 4)
    damage: list[float] = field(default_factory=lambda: [0.0] * 5)
    engine_energy: float = 0.0
    abs_active: bool = False
    tc_active: bool = False
    power: float = 0.0  # engine output, W


class Vehicle:
    """Integrates :class:`CarState` one fixed step at a time."""

    def __init__(self, params: CarParams | None = None) -> None:
        self.p = params or CarParams()
        self.s = CarState()
        self._peak_slip = self.p.tyre_peak_slip()
        #: the road under the car, set by the session from the track each step: grade
        #: (rise per metre along the car's way) and vertical curvature (1/m, + in a dip)
        self.grade = 0.0
        self.vertical_curvature = 0.0

    def reset(self, x: float, z: float, heading: float, fuel: float | None = None,
              tyre_temp: float = 60.0, air_temp: float = 26.0) -> None:
        """Car at rest at (x, z) pointing along ``heading``, in first gear."""
        p = self.p
        self.s = CarState(x=x, z=z, heading=heading, fuel=p.start_fuel if fuel is None else fuel,
                          rpm=p.idle_rpm, gear=1)
        s = self.s
        s.tyre_core = [tyre_temp] * 4
        s.tyre_surface = [tyre_temp] * 4
        s.brake_temp = [air_temp + 100.0] * 4
        m = p.mass + s.fuel * FUEL_DENSITY
        wf = m * G * p.front_weight / 2
        wr = m * G * (1 - p.front_weight) / 2
        s.load = [wf, wf, wr, wr]

    def roll(self, speed: float) -> None:
        """Already moving straight ahead at ``speed`` m/s: wheels rolling with the road, in
        the highest gear that keeps the engine above idle."""
        p, s = self.p, self.s
        s.u = speed
        s.omega = [speed / p.tyre_radius_front] * 2 + [speed / p.tyre_radius_rear] * 2
        s.gear = 1
        for gear in range(len(p.gear_ratios), 0, -1):
            rpm = s.omega[2] * p.total_ratio(gear) * 30.0 / math.pi
            if rpm >= p.idle_rpm + 1500.0 or gear == 1:
                s.gear = gear
                break
        s.rpm = min(max(s.omega[2] * p.total_ratio(s.gear) * 30.0 / math.pi, p.idle_rpm),
                    p.shift_rpm)

    @property
    def mass(self) -> float:
        return self.p.mass + self.s.fuel * FUEL_DENSITY

    def step(self, dt: float, steer: float, gas: float, brake: float) -> None:
        """Advance the car by ``dt`` with the driver's road-wheel steer (rad), gas, brake."""
        p = self.p
        s = self.s
        m = p.mass + s.fuel * FUEL_DENSITY
        u, v, r = s.u, s.v, s.r
        L = p.wheelbase
        a = L * (1.0 - p.front_weight)  # CG to front axle
        b = L - a
        s.steer = steer
        s.gas = gas
        s.brake = brake

        # --- the road: gravity along a slope pulls the car back uphill; the weight
        # pressing the tyres is gravity across the slope plus what the road's vertical
        # curve adds (a dip's compression) or takes (a crest, where the car goes light)
        grade = self.grade
        cos_slope = 1.0 / math.sqrt(1.0 + grade * grade)
        pull = m * G * grade * cos_slope
        g_normal = G * cos_slope + u * u * self.vertical_curvature
        if g_normal < 0.0:
            g_normal = 0.0
        weight = m * g_normal
        # --- aero and loads (transfer from filtered accelerations: the suspension's lag)
        q = 0.5 * p.air_density * u * u
        down = p.lift_area * q
        down_f = down * p.aero_front
        drag = p.drag_area * q + (p.rolling_resistance * weight if u > 0.1 else 0.0)
        dlong = m * s.ax_f * p.cg_height / L
        fz_f = 0.5 * (weight * p.front_weight + down_f - dlong)
        fz_r = 0.5 * (weight * (1.0 - p.front_weight) + down - down_f + dlong)
        dlat = m * s.ay_f * p.cg_height
        dlf = dlat * p.roll_stiffness_front / p.track_front
        dlr = dlat * (1.0 - p.roll_stiffness_front) / p.track_rear
        # right-hand acceleration loads the left (outside) wheels
        loads = s.load
        loads[0] = max(fz_f + dlf, 0.0)
        loads[1] = max(fz_f - dlf, 0.0)
        loads[2] = max(fz_r + dlr, 0.0)
        loads[3] = max(fz_r - dlr, 0.0)

        # --- engine, clutch, gearbox
        rr = p.tyre_radius_rear
        omega_r = 0.5 * (s.omega[2] + s.omega[3])
        if s.shift_timer > 0.0:
            s.shift_timer -= dt
            if s.shift_timer <= 0.0:
                s.gear = s.pending_gear
        gear = s.gear
        ratio = p.total_ratio(gear) if gear > 0 else 0.0
        wheel_rpm = omega_r * ratio * 30.0 / math.pi
        if gear > 0 and wheel_rpm < p.launch_rpm and gas > 0.05:
            # launch: the clutch slips, the engine holds launch revs
            rpm = max(p.launch_rpm * min(1.0, 0.4 + gas), wheel_rpm)
            s.clutch = max(0.0, 1.0 - wheel_rpm / p.launch_rpm)
        else:
            rpm = max(wheel_rpm, p.idle_rpm)
            s.clutch = 0.0
        s.rpm = rpm
        cutting = s.shift_timer > 0.0 or rpm >= p.max_rpm or gear == 0
        if cutting:
            t_engine = 0.0
        elif gas > 0.0:
            t_engine = (gas ** p.throttle_gamma * p.torque(rpm)
                        - (1.0 - gas) * p.engine_brake_nm * rpm / p.max_rpm)
        else:
            t_engine = -p.engine_brake_nm * rpm / p.max_rpm
        if s.clutch > 0.0 and t_engine < 0.0:
            t_engine = 0.0
        s.power = max(t_engine, 0.0) * rpm * math.pi / 30.0
        t_axle = t_engine * ratio * p.driveline_efficiency
        tc_on = p.tc_slip > 0.0 and (s.kappa[2] > p.tc_slip or s.kappa[3] > p.tc_slip)
        s.tc_active = tc_on and t_axle > 0.0
        if s.tc_active:
            t_axle *= 0.5
        # limited-slip differential: drive torque follows the load each rear wheel can use
        rear_sum = s.load[2] + s.load[3]
        share_l = s.load[2] / rear_sum if rear_sum > 1.0 else 0.5
        t_drive_l = t_axle * share_l
        t_drive_r = t_axle - t_drive_l

        # --- brakes (torque opposing rolling), with a simple ABS per wheel
        tb_f = brake * p.brake_torque * p.brake_bias * 0.5
        tb_r = brake * p.brake_torque * (1.0 - p.brake_bias) * 0.5
        abs_slip = p.abs_slip
        abs_any = False
        if abs_slip > 0.0 and brake > 0.0:
            kap = s.kappa
            tbs = [tb_f, tb_f, tb_r, tb_r]
            for i in range(4):
                if kap[i] < -abs_slip:
                    tbs[i] *= 0.55
                    abs_any = True
            tb_fl, tb_fr, tb_rl, tb_rr = tbs
        else:
            tb_fl = tb_fr = tb_f
            tb_rl = tb_rr = tb_r
        s.abs_active = abs_any

        # --- tyre kinematics
        cd = math.cos(steer)
        sd = math.sin(steer)
        half_tf = 0.5 * p.track_front
        half_tr = 0.5 * p.track_rear
        vfl = v + a * r
        vrl = v - b * r
        # forward speeds of each wheel along its own heading (the outside wheel runs faster)
        u_fl = (u + r * half_tf) * cd + vfl * sd
        u_fr = (u - r * half_tf) * cd + vfl * sd
        u_rl = u + r * half_tr
        u_rr = u - r * half_tr
        lat_f = vfl * cd - u * sd
        uf_min = u * cd + vfl * sd
        alpha_f = math.atan(lat_f / (uf_min if uf_min > 3.0 else 3.0))
        alpha_r = math.atan(vrl / (u if u > 3.0 else 3.0))
        al = s.alpha
        al[0] = al[1] = alpha_f
        al[2] = al[3] = alpha_r

        rf = p.tyre_radius_front
        mu = p.mu
        fz0 = p.nominal_load
        ls = p.load_sensitivity / fz0
        rear_grip = p.rear_grip
        inertia_f = p.wheel_inertia_front
        inertia_r = p.wheel_inertia_rear
        grip = s.grip
        kap = s.kappa
        sld = s.sliding
        fx = s.fx
        fy = s.fy
        om = s.omega
        bx, cx, by, cy = p.long_b, p.long_c, p.lat_b, p.lat_c
        peak = self._peak_slip
        inv_cx = 1.0 / cx
        wheel_t = (-tb_fl, -tb_fr, t_drive_l - tb_rl, t_drive_r - tb_rr)
        wheel_u = (u_fl, u_fr, u_rl, u_rr)
        for i in range(4):
            fz = loads[i]
            d = fz * mu * grip[i] * (1.0 - ls * (fz - fz0))
            if i >= 2:
                d *= rear_grip
            rw = rf if i < 2 else rr
            uw = wheel_u[i]
            t = wheel_t[i]
            if uw < 0.5 and t < 0.0:
                t = 0.0  # brakes hold a car at rest, they do not push it back
            if d <= 1.0:
                k = 0.0
                fxi = 0.0
                sld[i] = False
            elif not sld[i]:
                f = t / (rw * d)
                if -0.985 < f < 0.985:
                    # inverse of the tyre curve: the slip that makes the demanded force
                    k = math.tan(math.asin(f) * inv_cx) / bx
                    fxi = f * d
                else:
                    sld[i] = True
                    k = peak if f > 0 else -peak
                    fxi = d if f > 0 else -d
            if sld[i]:
                k = kap[i]
                ak = k if k > 0.0 else -k
                fxi = d * math.sin(cx * math.atan(bx * ak))
                if k < 0.0:
                    fxi = -fxi
                inertia = inertia_f if i < 2 else inertia_r
                k += dt * rw * (t - fxi * rw) / (inertia * (uw if uw > 3.0 else 3.0))
                if k < -1.0:
                    k = -1.0
                elif k > 1.5:
                    k = 1.5
                if -peak * 0.95 < k < peak * 0.95:
                    sld[i] = False
            kap[i] = k
            fx[i] = fxi
            # lateral force inside the friction ellipse left by the longitudinal force
            rem = 1.0 - (fxi / d) ** 2 if d > 1.0 else 0.0
            dl = d * math.sqrt(rem) if rem > 0.0 else 0.0
            if sld[i] and k < -0.3:
                dl *= 0.7  # a locked wheel slides where it points: little side force
            fy[i] = -dl * math.sin(cy * math.atan(by * al[i]))
            om[i] = uw * (1.0 + k) / rw

        # --- chassis
        fxf = fx[0] + fx[1]
        fyf = fy[0] + fy[1]
        f_long = fxf * cd - fyf * sd + fx[2] + fx[3] - drag - pull
        f_front_lat = fxf * sd + fyf * cd
        f_lat = f_front_lat + fy[2] + fy[3]
        mz = (a * f_front_lat - b * (fy[2] + fy[3])
              + half_tf * (fx[0] - fx[1]) * cd + half_tr * (fx[2] - fx[3]))
        ax = f_long / m
        ay = f_lat / m
        s.ax = ax
        s.ay = ay
        u += (ax + v * r) * dt
        v += (ay - u * r) * dt
        r += mz / p.yaw_inertia * dt
        if u < 2.0:
            # parking speeds: the kinematic bicycle, no tyre lateral dynamics
            if u < 0.0:
                u = 0.0
            r = u * math.tan(steer) / L
            v = 0.0
        s.u, s.v, s.r = u, v, r
        h = s.heading + r * dt
        if h > math.pi:
            h -= 2.0 * math.pi
        elif h < -math.pi:
            h += 2.0 * math.pi
        s.heading = h
        sh = math.sin(h)
        ch = math.cos(h)
        s.x += (u * sh + v * ch) * dt
        s.z += (u * ch - v * sh) * dt
        k_f = dt / 0.06
        s.ax_f += (ax - s.ax_f) * k_f
        s.ay_f += (ay - s.ay_f) * k_f

        # --- energy bookkeeping, settled every few steps by :meth:`slow_update`
        s.engine_energy += s.power * dt
        hs = s.heat_slip
        hb = s.heat_brake
        for i in range(4):
            uw = wheel_u[i]
            hs[i] += (abs(fx[i] * kap[i] * uw) + abs(fy[i] * al[i] * uw)) * dt
        if brake > 0.0:
            hb[0] += tb_fl * abs(om[0]) * dt
            hb[1] += tb_fr * abs(om[1]) * dt
            hb[2] += tb_rl * abs(om[2]) * dt
            hb[3] += tb_rr * abs(om[3]) * dt

    def shift(self, gear: int) -> None:
        """Start a shift to forward gear ``gear``: a short torque cut, then the new gear."""
        s = self.s
        if s.shift_timer > 0.0 or gear == s.gear or not 1 <= gear <= len(self.p.gear_ratios):
            return
        s.pending_gear = gear
        s.shift_timer = self.p.shift_time if gear > s.gear else self.p.shift_time * 0.6

    def slow_update(self, dt: float, air_temp: float, road_temp: float) -> None:
        """Temperatures, fuel, wear and grip: slow processes, updated every ``dt`` seconds."""
        p = self.p
        s = self.s
        fuel_used = s.engine_energy / (p.engine_efficiency * FUEL_ENERGY) + 0.0004 * dt
        s.engine_energy = 0.0
        s.fuel = max(0.0, s.fuel - fuel_used)
        speed = abs(s.u)
        cool_t = 10.0 + 2.2 * speed  # W/K, tyre to air and road
        cool_b = 4.0 + 2.6 * speed  # W/K, brake disc
        for i in range(4):
            fz = s.load[i]
            roll_heat = 0.02 * fz * speed  # carcass hysteresis, W
            q_in = (0.3 * s.heat_slip[i] / dt if dt > 0.0 else 0.0) + roll_heat
            surf = s.tyre_surface[i]
            core = s.tyre_core[i]
            ambient = 0.5 * (air_temp + road_temp)
            surf += dt * (q_in - cool_t * (surf - ambient) - 260.0 * (surf - core)) / 2500.0
            core += dt * 260.0 * (surf - core) / 9000.0
            s.tyre_surface[i] = surf
            s.tyre_core[i] = core
            s.tyre_wear[i] = max(0.0, s.tyre_wear[i] - s.heat_slip[i] * 2.0e-8)
            s.heat_slip[i] = 0.0
            bt = s.brake_temp[i]
            bt += (s.heat_brake[i] - cool_b * (bt - air_temp) * dt) / 4200.0
            s.brake_temp[i] = bt
            s.heat_brake[i] = 0.0
            # grip peaks in the tyre's temperature window
            dtmp = (core - p.tyre_optimum_temp) / 45.0
            s.temp_grip[i] = max(0.85, 1.0 - 0.12 * dtmp * dtmp)
            s.grip[i] = s.temp_grip[i] * s.surface[i]

    def set_surface(self, surface: list[float]) -> None:
        """Grip of the ground under each wheel (1 on tarmac, less on grass or gravel)."""
        s = self.s
        for i in range(4):
            s.surface[i] = surface[i]
            s.grip[i] = s.temp_grip[i] * surface[i]
