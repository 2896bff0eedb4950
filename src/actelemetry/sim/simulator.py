"""The session: car, driver and track stepped at the game's physics rate, lap and sector
timing, and the three pages filled exactly as AC or ACC fill them.

Cadence (as the game): physics page every step (333 Hz, ``packetId`` +1 per step, also for
steps not published, since it is a step counter), graphics page every 3rd step in AC and
every 2nd in ACC, static page once per session. ``step(publish=False)`` only integrates, so
a capture in ``--fast`` lockstep pays for the pages only at its own sample times.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

from actelemetry.sim.driver import Driver
from actelemetry.sim.pages import FORMATS, PageFormat, PagePublisher, encode_text
from actelemetry.sim.track import Track, load_track
from actelemetry.sim.vehicle import CarParams, G, Vehicle

PHYSICS_HZ = 333
STATUS_OFF, STATUS_REPLAY, STATUS_LIVE, STATUS_PAUSE = 0, 1, 2, 3
NO_TIME = "-:--:---"
#: what the games show in iBestTime before a valid lap exists
NO_BEST_MS = {"ac": 0, "acc": 2147483647}
VERSIONS = {"ac": ("1.7", "1.16.4"), "acc": ("1.8.12", "1.10.2")}
GRAPHICS_EVERY = {"ac": 3, "acc": 2}
PLAYER_CAR_ID = 1001
SECTORS = 3
START_DISTANCE = 280.0  # metres before the line where the car starts from rest
TYRE_HALF_WIDTH = 0.15
#: a car slower than 1 m/s this long is put back on its line
STUCK_SECONDS = 6.0
#: ... and so is a car this far beyond the track edge (m)
RECOVER_BEYOND_M = 30.0
#: the driver acts every 2nd physics step (166 Hz): quicker than any person, half the cost
DRIVER_EVERY = 2
#: seconds the session stays live after the final line crossing
COOLDOWN_S = 2.0


def format_lap_time(ms: int) -> str:
    """The games' ``m:ss:mmm`` text for a time in milliseconds."""
    if ms <= 0 or ms >= 2147483647:
        return NO_TIME
    return f"{ms // 60000}:{(ms // 1000) % 60:02d}:{ms % 1000:03d}"


class Simulator:
    """One car on one track, publishing AC / ACC pages.

    ``track`` is a built-in name (``monza``, ``spa``, ``silverstone``) or a CSV path;
    ``laps`` full timed laps follow a short out lap, then the session ends (status OFF).
    Everything random comes from ``seed``, so a seed gives identical pages.
    """

    def __init__(self, game: str = "ac", track: str | Path | Track = "monza", laps: int = 3,
                 seed: int = 0, skill: float = 0.9, publisher: PagePublisher | None = None,
                 params: CarParams | None = None, air_temp: float = 26.0,
                 road_temp: float = 34.0) -> None:
        if game not in ("ac", "acc"):
            raise ValueError(f"game must be 'ac' or 'acc', not {game!r}")
        if laps < 1:
            raise ValueError("laps must be at least 1")
        if publisher is not None and publisher.game != game:
            raise ValueError(f"publisher writes {publisher.game} pages, simulator is {game}")
        self.game = game
        self.track = track if isinstance(track, Track) else load_track(track)
        self.laps = laps
        self.seed = seed
        self.skill = skill
        self.publisher = publisher
        self.params = params or CarParams()
        self.air_temp = air_temp
        self.road_temp = road_temp
        self.dt = 1.0 / PHYSICS_HZ
        self.car = Vehicle(self.params)
        self.driver = Driver(self.track, self.params, skill, seed)
        self.packet_id = 0
        self.graphics_packet_id = 0
        self._graphics_written = -1
        self._gfx_every = GRAPHICS_EVERY[game]
        self._fmt: dict[str, PageFormat] = {pg: FORMATS[(game, pg)] for pg in
                                            ("physics", "graphics", "static")}
        self._vals = {pg: fmt.blank() for pg, fmt in self._fmt.items()}
        a = self.params.wheelbase * (1 - self.params.front_weight)
        self._wheel_geometry = (a, self.params.wheelbase - a, 0.5 * self.params.track_front,
                                0.5 * self.params.track_rear)
        self._off_surface = False
        # pause / resume / stop may come from another thread than the stepping one
        self._lock = threading.RLock()
        self.session_index = -1
        self._start_session()

    # ------------------------------------------------------------------ session
    def _start_session(self) -> None:
        tr = self.track
        self.session_index += 1
        self.time = 0.0
        self.finished = False
        self.paused = False
        self.status = STATUS_LIVE
        self.completed_laps = 0
        self._finish_at: float | None = None
        self.lap_start = 0.0
        self.last_lap_ms = 0
        self.best_lap_ms = NO_BEST_MS[self.game]
        self.lap_times: list[float] = []  # every completed lap, out lap first (s)
        self.lap_valid: list[bool] = []
        self.lap_valid_now = False  # the out lap is partial: never a valid timed lap
        self.sector = SECTORS - 1
        self.sector_start = 0.0
        self.last_sector_ms = 0
        self.distance = 0.0
        self.tyres_out = 0
        self.max_tyres_out_lap = 0
        self.fuel_at_lap_start = self.params.start_fuel
        self.fuel_per_lap: list[float] = []
        self._trace = [0.0] * tr.centre.n  # lap time at each centre-line point
        self._best_trace: list[float] | None = None
        self._delta = 0.0
        self._step_i = 0
        self._controls = (0.0, 0.0, 0.0)
        self._off_surface = False
        self._stuck_s = 0.0
        self.recoveries = 0
        # start at rest on the race line, START_DISTANCE before the line
        s0 = tr.length - START_DISTANCE
        cx, cz, _ = tr.centre_point(s0)
        race = tr.race
        best = min(range(race.n), key=lambda i: (race.x[i] - cx) ** 2 + (race.z[i] - cz) ** 2)
        self.car.reset(race.x[best], race.z[best], race.heading[best], tyre_temp=62.0,
                       air_temp=self.air_temp)
        self.car.slow_update(0.0, self.air_temp, self.road_temp)
        self.driver.new_lap(0, self.car.s.fuel)
        self.driver.locate(race.x[best], race.z[best])
        self._cidx = tr.nearest(race.x[best], race.z[best])
        self._cidx, self.s_lap, self.offset = tr.project(self.car.s.x, self.car.s.z, self._cidx)
        self._sector_bounds = [tr.length * k / SECTORS for k in range(1, SECTORS)]
        self.sector = self._sector_of(self.s_lap)
        self._fill_static()
        if self.publisher is not None:
            self.publisher.write("static", self._vals["static"])
            self._publish_all()

    def restart(self) -> None:
        """A new session: laps, timers and car reset, static page rewritten."""
        with self._lock:
            self._start_session()

    def pause(self) -> None:
        """Status PAUSE: physics and packetId frozen until :meth:`resume`."""
        with self._lock:
            if self.finished:
                return
            self.paused = True
            self.status = STATUS_PAUSE
            if self.publisher is not None:
                self._write_graphics()

    def resume(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.paused = False
            self.status = STATUS_LIVE
            if self.publisher is not None:
                self._write_graphics()

    def stop(self) -> None:
        """End the session now (status OFF), e.g. on Ctrl+C."""
        with self._lock:
            self.finished = True
            self.status = STATUS_OFF
            self._publish_all()

    # ------------------------------------------------------------------ stepping
    def step(self, publish: bool = True) -> None:
        """Advance one physics step; write the pages due at this step when ``publish``."""
        with self._lock:
            self._step(publish)

    def _step(self, publish: bool) -> None:
        if self.finished or self.paused:
            return
        dt = self.dt
        car = self.car
        if self._step_i % DRIVER_EVERY == 0:
            self._controls = self.driver.control(car, dt * DRIVER_EVERY)
        steer, gas, brake = self._controls
        car.step(dt, steer, gas, brake)
        self.time += dt
        self.packet_id += 1
        self._step_i += 1
        cs = car.s
        self.distance += cs.u * dt
        if self._step_i % 10 == 0:
            car.slow_update(10 * dt, self.air_temp, self.road_temp)
        self._track_position(dt)
        if self._step_i % self._gfx_every == 0:
            self.graphics_packet_id += 1
        if self._finish_at is not None and self.time >= self._finish_at:
            self.finished = True
            self.status = STATUS_OFF
        if self.finished:
            if self.publisher is not None:
                self._publish_all()
            return
        if publish and self.publisher is not None:
            self._fill_physics()
            self.publisher.write("physics", self._vals["physics"])
            if self.graphics_packet_id != self._graphics_written:
                self._write_graphics()

    def publish(self) -> None:
        """Write all three pages from the current state now."""
        with self._lock:
            self._publish_all()

    def _publish_all(self) -> None:
        if self.publisher is None:
            return
        self._fill_physics()
        self.publisher.write("physics", self._vals["physics"])
        self._write_graphics()
        self.publisher.write("static", self._vals["static"])

    def _write_graphics(self) -> None:
        assert self.publisher is not None
        self._fill_graphics()
        self.publisher.write("graphics", self._vals["graphics"])
        self._graphics_written = self.graphics_packet_id

    def _sector_of(self, s: float) -> int:
        k = 0
        for bound in self._sector_bounds:
            if s >= bound:
                k += 1
        return k

    def _track_position(self, dt: float) -> None:
        """Lap distance, tyres out, surface grip, damage, lap and sector timing."""
        tr = self.track
        cs = self.car.s
        s_prev = self.s_lap
        i, s, d = tr.project(cs.x, cs.z, self._cidx)
        self._cidx = i
        self.s_lap = s
        self.offset = d
        # wheels against the track edges: lateral offset of each wheel from the centre line
        rel = cs.heading - tr.centre.heading[i]
        sr = math.sin(rel)
        cr = math.cos(rel)
        a, b, htf, htr = self._wheel_geometry
        wr = tr.width_right[i] + TYRE_HALF_WIDTH
        wl = -(tr.width_left[i] + TYRE_HALF_WIDTH)
        front = d + a * sr
        rear = d - b * sr
        offs = (front - htf * cr, front + htf * cr, rear - htr * cr, rear + htr * cr)
        out = 0
        beyond = 0.0
        if max(offs) > wr or min(offs) < wl:
            surface = [1.0, 1.0, 1.0, 1.0]
            for k in range(4):
                off = offs[k]
                over = off - wr if off > wr else (wl - off if off < wl else 0.0)
                if over > 0.0:
                    out += 1
                    surface[k] = 0.92 if over < 1.2 else 0.65
                    beyond = max(beyond, over)
            self.car.set_surface(surface)
            self._off_surface = True
        elif self._off_surface:
            self.car.set_surface([1.0, 1.0, 1.0, 1.0])
            self._off_surface = False
        self.tyres_out = out
        if out > self.max_tyres_out_lap:
            self.max_tyres_out_lap = out
        if out > 2:
            self.lap_valid_now = False
        if out == 4 and beyond > 1.5:
            # gravel: the car digs in, and hits things when it arrives fast
            speed = cs.u
            if speed > 8.0:
                cs.u -= 5.0 * dt
            if speed > 22.0:
                hit = (speed - 22.0) * 0.6 * dt
                dmg = cs.damage
                dmg[0] += hit
                dmg[3 if d > 0 else 2] += hit * 0.7
                dmg[4] += hit * 0.2
        # stuck, or far from the track: put the car back on its line (as the game's
        # "back to track"), so a session always reaches its last lap
        if cs.u < 1.0 and self.time > 5.0:
            self._stuck_s += dt
        else:
            self._stuck_s = 0.0
        if self._stuck_s > STUCK_SECONDS or beyond > RECOVER_BEYOND_M:
            self._recover()
        # sectors and the line
        sec = self._sector_of(s)
        crossed = s_prev > 0.75 * tr.length and s < 0.25 * tr.length
        if sec != self.sector and not crossed and sec == self.sector + 1:
            frac = _crossing_fraction(s_prev, s, self._sector_bounds[self.sector])
            t_cross = self.time - dt * (1.0 - frac)
            self.last_sector_ms = int(round((t_cross - self.sector_start) * 1000))
            self.sector_start = t_cross
            self.sector = sec
        if crossed:
            frac = (tr.length - s_prev) / max(tr.length - s_prev + s, 1e-9)
            t_cross = self.time - dt * (1.0 - frac)
            lap_time = t_cross - self.lap_start
            self.lap_times.append(lap_time)
            self.lap_valid.append(self.lap_valid_now)
            lap_ms = int(round(lap_time * 1000))
            self.last_lap_ms = lap_ms
            if self.sector == SECTORS - 1:
                self.last_sector_ms = int(round((t_cross - self.sector_start) * 1000))
            if self.completed_laps > 0:
                used = self.fuel_at_lap_start - cs.fuel
                self.fuel_per_lap.append(used)
                if self.lap_valid_now and (self.best_lap_ms == NO_BEST_MS[self.game]
                                           or lap_ms < self.best_lap_ms):
                    self.best_lap_ms = lap_ms
                    self._best_trace = list(self._trace)
            self.fuel_at_lap_start = cs.fuel
            self.completed_laps += 1
            self.lap_start = t_cross
            self.sector_start = t_cross
            self.sector = 0
            self.lap_valid_now = True
            self.max_tyres_out_lap = out
            self._delta = 0.0
            if self.completed_laps > self.laps and self._finish_at is None:
                # drive on a little, as the game stays live after the flag: a reader
                # sees the final lap's time in the pages before the session closes
                self._finish_at = self.time + COOLDOWN_S
            self.driver.new_lap(self.completed_laps, cs.fuel)
            self.driver.locate(cs.x, cs.z)
        # the lap's time at this point, for the delta to the best lap
        t_lap = self.time - self.lap_start
        self._trace[i] = t_lap
        if self._best_trace is not None:
            self._delta = t_lap - self._best_trace[i]

    def _recover(self) -> None:
        """Back on the race line beside where the car is, at rest; the lap is invalid."""
        cs = self.car.s
        drv = self.driver
        drv.locate(cs.x, cs.z)
        plan = drv.plan
        assert plan is not None
        j = (drv.idx + 4) % len(plan.x)  # a few metres ahead: facing the right way
        fuel, temps, brakes, damage = cs.fuel, cs.tyre_core[:], cs.brake_temp[:], cs.damage[:]
        self.car.reset(plan.x[j], plan.z[j], plan.heading[j], fuel=fuel,
                       air_temp=self.air_temp)
        cs = self.car.s
        cs.tyre_core, cs.tyre_surface, cs.brake_temp, cs.damage = temps, temps[:], brakes, damage
        self.car.slow_update(0.0, self.air_temp, self.road_temp)
        drv.locate(plan.x[j], plan.z[j])
        drv.steer = drv.gas = drv.brake = 0.0
        self._controls = (0.0, 0.0, 0.0)
        self._cidx, self.s_lap, self.offset = self.track.project(cs.x, cs.z, self._cidx)
        self.lap_valid_now = False
        self._stuck_s = 0.0
        self.recoveries += 1

    # ------------------------------------------------------------------ pages
    def _fill_static(self) -> None:
        fmt = self._fmt["static"]
        v = self._vals["static"]
        p = self.params
        sm, ver = VERSIONS[self.game]
        for name, value in (
            ("smVersion", sm), ("acVersion", ver), ("numberOfSessions", 1), ("numCars", 1),
            ("carModel", p.car_id), ("track", self.track.name),
            ("playerName", "Sim"), ("playerSurname", "Driver"), ("playerNick", "SIM"),
            ("sectorCount", SECTORS), ("maxTorque", p.max_torque),
            ("maxPower", p.max_power), ("maxRpm", p.max_rpm), ("maxFuel", p.fuel_capacity),
            ("suspensionMaxTravel", [p.suspension_max_travel] * 4),
            ("tyreRadius", [p.tyre_radius_front] * 2 + [p.tyre_radius_rear] * 2),
            ("penaltiesEnabled", 1), ("aidFuelRate", 1.0), ("aidTireRate", 1.0),
            ("aidMechanicalDamage", 1.0), ("aidAllowTyreBlankets", 0), ("aidStability", 0.0),
            ("aidAutoClutch", 1), ("aidAutoBlip", 1),
            ("trackSPlineLength", self.track.length),
            ("trackConfiguration", self.track.configuration), ("carSkin", "00_default"),
        ):
            fmt.set(v, name, value)
        if self.game == "acc":
            fmt.set(v, "isOnline", 0)
            fmt.set(v, "dryTyresName", "DHE")
            fmt.set(v, "wetTyresName", "WH")
            fmt.set(v, "PitWindowStart", -1)
            fmt.set(v, "PitWindowEnd", -1)
        # graphics fields that never change within a session
        gf = self._fmt["graphics"]
        g = self._vals["graphics"]
        gf.set(g, "session", 0)
        gf.set(g, "position", 1)
        gf.set(g, "numberOfLaps", self.laps + 1)
        gf.set(g, "tyreCompound", "dry_compound" if self.game == "acc" else "Slick Medium")
        gf.set(g, "replayTimeMultiplier", 1.0)
        gf.set(g, "surfaceGrip", 1.0)
        gf.set(g, "idealLineOn", 0)
        if self.game == "acc":
            gf.set(g, "activeCars", 1)
            gf.set(g, "playerCarID", PLAYER_CAR_ID)
            gf.set(g, "carID", [PLAYER_CAR_ID])  # slot 0; the other 59 stay zero
            gf.set(g, "TC", 0)
            gf.set(g, "ABS", 0)
            gf.set(g, "EngineMap", 1)
            gf.set(g, "trackStatus", "OPTIMUM")
            gf.set(g, "trackGripStatus", 2)
            gf.set(g, "mfdTyreSet", 1)
            gf.set(g, "currentTyreSet", 1)
            gf.set(g, "strategyTyreSet", 1)
            gf.set(g, "GlobalGreen", 1)
            for wheel in ("LF", "RF", "LR", "RR"):
                gf.set(g, f"mfdTyrePressure{wheel}", p.tyre_cold_pressure)
            gf.set(g, "sessionIndex", 0)
        # physics fields that never change
        pf = self._fmt["physics"]
        ph = self._vals["physics"]
        pf.set(ph, "cgHeight", p.cg_height)
        pf.set(ph, "autoShifterOn", 1)
        pf.set(ph, "airDensity", p.air_density)
        pf.set(ph, "airTemp", self.air_temp)
        pf.set(ph, "roadTemp", self.road_temp)
        pf.set(ph, "brakeBias", p.brake_bias)
        pf.set(ph, "abs", p.abs_slip if self.game == "ac" else 0.0)
        pf.set(ph, "tc", p.tc_slip if self.game == "ac" else 0.0)
        pf.set(ph, "tyreContactNormal", [0.0, 1.0, 0.0] * 4)
        if self.game == "acc":
            pf.set(ph, "currentMaxRpm", p.max_rpm)
            pf.set(ph, "waterTemp", 88.0)
            pf.set(ph, "frontBrakeCompound", 1)
            pf.set(ph, "rearBrakeCompound", 1)
            pf.set(ph, "padLife", [29.0] * 4)
            pf.set(ph, "discLife", [32.0] * 4)
            pf.set(ph, "ignitionOn", 1)
            pf.set(ph, "isEngineRunning", 1)

    def _fill_physics(self) -> None:
        v = self._vals["physics"]
        ix = self._fmt["physics"].index
        cs = self.car.s
        p = self.params
        u, vl, h = cs.u, cs.v, cs.heading
        sh, ch = math.sin(h), math.cos(h)
        vx = u * sh + vl * ch
        vz = u * ch - vl * sh
        ay_g = cs.ay / G
        ax_g = cs.ax / G
        v[0] = self.packet_id
        v[ix["gas"][0]] = cs.gas
        v[ix["brake"][0]] = cs.brake
        v[ix["fuel"][0]] = cs.fuel
        v[ix["gear"][0]] = cs.gear + 1
        v[ix["rpms"][0]] = int(cs.rpm)
        v[ix["steerAngle"][0]] = cs.steer / p.max_steer
        v[ix["speedKmh"][0]] = math.hypot(u, vl) * 3.6
        i = ix["velocity"][0]
        v[i:i + 3] = (vx, 0.0, vz)
        i = ix["accG"][0]
        v[i:i + 3] = (ay_g, 0.0, ax_g)
        kap = cs.kappa
        al = cs.alpha
        slip = [math.sqrt(kap[k] * kap[k] + math.tan(al[k]) ** 2) for k in range(4)]
        i = ix["wheelSlip"][0]
        v[i:i + 4] = slip
        loads = cs.load
        i = ix["wheelLoad"][0]
        v[i:i + 4] = loads
        i = ix["wheelsPressure"][0]
        cold = p.tyre_cold_pressure / (25.0 + 273.15)
        v[i:i + 4] = [cold * (t + 273.15) for t in cs.tyre_core]
        i = ix["wheelAngularSpeed"][0]
        v[i:i + 4] = cs.omega
        i = ix["tyreWear"][0]
        v[i:i + 4] = cs.tyre_wear
        i = ix["tyreCoreTemperature"][0]
        v[i:i + 4] = cs.tyre_core
        # camber: the outside wheels gain, the inside lose, with body roll
        roll = -p.roll_gradient * ay_g
        pitch = p.pitch_gradient * ax_g
        cf, crr = p.static_camber_front, p.static_camber_rear
        i = ix["camberRAD"][0]
        v[i:i + 4] = (cf - 0.5 * roll, cf + 0.5 * roll, crr - 0.5 * roll, crr + 0.5 * roll)
        top = p.suspension_max_travel
        pre = p.travel_preload
        kf, kr = p.wheel_rate_front, p.wheel_rate_rear
        travel = [min(max(pre + loads[0] / kf, 0.0), top), min(max(pre + loads[1] / kf, 0.0), top),
                  min(max(pre + loads[2] / kr, 0.0), top), min(max(pre + loads[3] / kr, 0.0), top)]
        i = ix["suspensionTravel"][0]
        v[i:i + 4] = travel
        v[ix["heading"][0]] = h
        v[ix["pitch"][0]] = pitch
        v[ix["roll"][0]] = roll
        i = ix["carDamage"][0]
        v[i:i + 5] = cs.damage
        v[ix["numberOfTyresOut"][0]] = self.tyres_out
        mean_static_f = self._static_travel_front
        mean_static_r = self._static_travel_rear
        i = ix["rideHeight"][0]
        v[i:i + 2] = (p.ride_height_front - (0.5 * (travel[0] + travel[1]) - mean_static_f),
                      p.ride_height_rear - (0.5 * (travel[2] + travel[3]) - mean_static_r))
        i = ix["localAngularVel"][0]
        v[i:i + 3] = (0.0, cs.r, 0.0)
        v[ix["finalFF"][0]] = max(-1.0, min(1.0, (cs.fy[0] + cs.fy[1]) / -12000.0))
        v[ix["performanceMeter"][0]] = self._delta if self._best_trace is not None else 0.0
        i = ix["brakeTemp"][0]
        v[i:i + 4] = cs.brake_temp
        v[ix["clutch"][0]] = cs.clutch
        core = cs.tyre_core
        surf = cs.tyre_surface
        # tread: middle at the surface temperature, the inner edge warmer with negative
        # camber, the loaded outer edge warmer in a bend
        ti = ix["tyreTempI"][0]
        tm = ix["tyreTempM"][0]
        to = ix["tyreTempO"][0]
        for k in range(4):
            side = ay_g if k % 2 == 0 else -ay_g  # + when this wheel is on the outside
            sm = surf[k]
            v[tm + k] = sm
            v[ti + k] = sm + 6.0 - 2.0 * side + 0.1 * (sm - core[k])
            v[to + k] = sm - 4.0 + 4.0 * side
        i = ix["tyreContactPoint"][0]
        a = p.wheelbase * (1 - p.front_weight)
        b = p.wheelbase - a
        pts = []
        for lx, lz in ((-0.5 * p.track_front, a), (0.5 * p.track_front, a),
                       (-0.5 * p.track_rear, -b), (0.5 * p.track_rear, -b)):
            pts += (cs.x + lx * ch + lz * sh, 0.0, cs.z - lx * sh + lz * ch)
        v[i:i + 12] = pts
        i = ix["tyreContactHeading"][0]
        hf = h + cs.steer
        fh = (math.sin(hf), 0.0, math.cos(hf))
        rh = (sh, 0.0, ch)
        v[i:i + 12] = fh + fh + rh + rh
        i = ix["localVelocity"][0]
        v[i:i + 3] = (vl, 0.0, u)
        if self.game == "acc":
            v[ix["tc"][0]] = 1.0 if cs.tc_active else 0.0
            v[ix["abs"][0]] = 1.0 if cs.abs_active else 0.0
            i = ix["fx"][0]
            v[i:i + 4] = cs.fx
            i = ix["fy"][0]
            v[i:i + 4] = cs.fy
            i = ix["mz"][0]
            v[i:i + 4] = [-0.03 * f for f in cs.fy]
            i = ix["slipRatio"][0]
            v[i:i + 4] = kap
            i = ix["slipAngle"][0]
            v[i:i + 4] = al
            v[ix["tcinAction"][0]] = int(cs.tc_active)
            v[ix["absInAction"][0]] = int(cs.abs_active)
            i = ix["tyreTemp"][0]
            v[i:i + 4] = core
            i = ix["brakePressure"][0]
            bf = cs.brake * p.brake_bias
            br = cs.brake * (1 - p.brake_bias)
            v[i:i + 4] = (bf, bf, br, br)
            v[ix["slipVibrations"][0]] = min(1.0, max(slip) * 2.0)
            v[ix["gVibrations"][0]] = min(1.0, math.hypot(ax_g, ay_g) / 3.0)

    @property
    def _static_travel_front(self) -> float:
        p = self.params
        return p.travel_preload + self.car.mass * G * p.front_weight * 0.5 / p.wheel_rate_front

    @property
    def _static_travel_rear(self) -> float:
        p = self.params
        return (p.travel_preload
                + self.car.mass * G * (1 - p.front_weight) * 0.5 / p.wheel_rate_rear)

    def _fill_graphics(self) -> None:
        v = self._vals["graphics"]
        ix = self._fmt["graphics"].index
        cs = self.car.s
        tr = self.track
        acc = self.game == "acc"
        cur_ms = int((self.time - self.lap_start) * 1000)
        v[0] = self.graphics_packet_id
        v[ix["status"][0]] = self.status
        v[ix["currentTime"][0]] = encode_text(format_lap_time(cur_ms), 15)
        v[ix["lastTime"][0]] = encode_text(format_lap_time(self.last_lap_ms), 15)
        v[ix["bestTime"][0]] = encode_text(format_lap_time(self.best_lap_ms), 15)
        v[ix["split"][0]] = encode_text(format_lap_time(self.last_sector_ms), 15)
        v[ix["completedLaps"][0]] = self.completed_laps
        v[ix["iCurrentTime"][0]] = cur_ms
        v[ix["iLastTime"][0]] = self.last_lap_ms
        v[ix["iBestTime"][0]] = self.best_lap_ms
        v[ix["sessionTimeLeft"][0]] = max(0.0, 3600.0 - self.time) * 1000.0
        v[ix["distanceTraveled"][0]] = self.distance
        v[ix["currentSectorIndex"][0]] = self.sector
        v[ix["lastSectorTime"][0]] = self.last_sector_ms
        v[ix["normalizedCarPosition"][0]] = self.s_lap / tr.length
        i = ix["carCoordinates"][0]
        v[i:i + 3] = (cs.x, 0.0, cs.z)
        if acc:
            v[ix["isValidLap"][0]] = int(self.lap_valid_now)
            v[ix["iSplit"][0]] = self.last_sector_ms
            has_best = self._best_trace is not None
            delta_ms = int(self._delta * 1000) if has_best else 0
            v[ix["iDeltaLapTime"][0]] = delta_ms
            v[ix["isDeltaPositive"][0]] = int(delta_ms > 0)
            sign = "+" if delta_ms >= 0 else "-"
            v[ix["deltaLapTime"][0]] = encode_text(f"{sign}{abs(delta_ms) / 1000:.3f}", 15)
            est = self.best_lap_ms + delta_ms if has_best else 0
            v[ix["iEstimatedLapTime"][0]] = est
            v[ix["estimatedLapTime"][0]] = encode_text(format_lap_time(est), 15)
            per_lap = (sum(self.fuel_per_lap) / len(self.fuel_per_lap)) if self.fuel_per_lap \
                else 0.0
            v[ix["fuelXLap"][0]] = per_lap
            v[ix["fuelEstimatedLaps"][0]] = cs.fuel / per_lap if per_lap > 0 else 0.0
            v[ix["usedFuel"][0]] = self.params.start_fuel - cs.fuel
            v[ix["Clock"][0]] = 14 * 3600.0 + self.time
            v[ix["exhaustTemperature"][0]] = 450.0 + 0.05 * cs.rpm
            v[ix["driverStintTotalTimeLeft"][0]] = -1
            v[ix["driverStintTimeLeft"][0]] = -1


def _crossing_fraction(s_prev: float, s_now: float, bound: float) -> float:
    """Fraction of the step at which the lap distance passed ``bound``."""
    span = s_now - s_prev
    if span <= 0:
        return 1.0
    return min(max((bound - s_prev) / span, 0.0), 1.0)
